"""A team lead plans capacity with the keyboard alone: edits a plan, is told when it does not add
up, fixes and agrees it, sees the new target, and tries a what-if that saves nothing."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from planning.models import Activity, JobPlan, JobPlanLine, PlanStatus, ReferralRate
from planning.quarters import Quarter
from tests.factories import (
    DEMO_PASSWORD,
    ClinicianProfileFactory,
    JobPlanFactory,
    JobPlanLineFactory,
    MembershipFactory,
    ReferralRateFactory,
)
from tests.functional.conftest import axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def planned_clinician(team):
    """Tom, full time, with an agreed plan in force: 10.5 Core hours (9 new Core Partnerships)."""
    membership = MembershipFactory(
        team=team, user__username="tom.baker", user__first_name="Tom", user__last_name="Baker"
    )
    ClinicianProfileFactory(user=membership.user, contracted_hours_per_week=Decimal("37.5"))
    quarter = Quarter.containing(timezone.localdate())
    plan = JobPlanFactory(
        team=team, clinician=membership.user, agreed=True, version=1, effective_from=quarter.start
    )
    JobPlanLineFactory(plan=plan, activity=Activity.CORE, hours_per_week=Decimal("10.5"))
    JobPlanLineFactory(plan=plan, activity=Activity.OTHER, hours_per_week=Decimal("27"))
    ReferralRateFactory(team=team, quarter_start=quarter.start, referrals_per_week=Decimal("1"))
    return membership.user


def counts() -> tuple[int, int, int]:
    return JobPlan.objects.count(), JobPlanLine.objects.count(), ReferralRate.objects.count()


def type_into(page: Page, label: str, text: str) -> None:
    """Move to a box and replace what is in it, as a keyboard user does."""
    box = page.get_by_label(label, exact=True)
    box.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_a_lead_fixes_a_plan_that_does_not_add_up_agrees_it_and_sees_the_new_target(
    page, team, team_lead, planned_clinician
):
    log_in(page, "lee.lead", DEMO_PASSWORD)
    page.goto(f"/planning/teams/{team.pk}/clinicians/{planned_clinician.pk}/plan/edit/")
    assert axe_violations(page) == []
    before = counts()

    type_into(page, "Core Partnership", "14")
    # The live totals (htmx) say the week is now 3.5 hours too long, before anything is saved.
    expect(page.locator("#plan-totals")).to_contain_text("41 of 37.5 hours")
    expect(page.locator("#plan-totals")).to_contain_text("3.5 hours too many")
    page.keyboard.press("Enter")

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text(
        "The plan adds up to 41 hours a week, but Tom Baker is contracted for 37.5"
    )
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator("#plan-hours-error")).to_contain_text("adds up to 41 hours")
    assert counts() == before
    assert axe_violations(page) == []

    type_into(page, "Other", "23.5")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Version 2 of Tom Baker's plan is saved as a draft")
    assert axe_violations(page) == []

    page.get_by_role("button", name=re.compile(r"^Agree version 2")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Version 2 of Tom Baker's plan is agreed")
    assert JobPlan.objects.get(clinician=planned_clinician, version=2).status == PlanStatus.AGREED

    page.goto(
        f"/planning/teams/{team.pk}/capacity/?quarter={Quarter.containing(timezone.localdate()).next().label}"
    )
    # 14 Core hours / 3.5 x 3 = 12 new Core Partnerships a quarter.
    expect(page.get_by_role("row", name=re.compile("Tom Baker")).first).to_contain_text("12")
    assert axe_violations(page) == []


def test_a_what_if_moves_the_chart_without_writing_anything(page, team, team_lead, planned_clinician):
    log_in(page, "lee.lead", DEMO_PASSWORD)
    page.goto(f"/planning/teams/{team.pk}/capacity/")
    chart = page.locator("#projected-wait rect").first
    expect(chart).to_have_attribute("data-value", "0")
    assert axe_violations(page) == []
    before = counts()

    # 3 referrals a week need 25.7 new Core Partnerships a quarter; the plans give 9.
    type_into(page, "Accepted referrals a week", "3")
    expect(page.locator("#what-if-results")).to_contain_text("What-if figures: nothing has been saved.")
    expect(chart).not_to_have_attribute("data-value", "0")
    expect(page.locator("#projection-table")).to_contain_text("An internal wait will build")

    # A rate over 100% is named by its box as it is typed: the box keeps the focus and the text.
    rate = page.get_by_label("Choice to Core transfer rate (%)", exact=True)
    in_force = rate.input_value()
    type_into(page, "Choice to Core transfer rate (%)", "150")
    rate_group = page.locator("#what-if-transfer_rate-group")
    expect(rate_group.locator(".nhsuk-error-message")).to_contain_text("cannot be above 100%")
    expect(rate).to_be_focused()
    expect(rate).to_have_value("150")
    assert axe_violations(page) == []
    expect(rate).to_be_focused()  # still, once the summary has settled: it is quiet
    type_into(page, "Choice to Core transfer rate (%)", in_force)
    expect(rate_group.locator(".nhsuk-error-message")).to_have_count(0)
    expect(page.locator("#projection-table")).to_contain_text("An internal wait will build")

    # Give Tom more Core hours: the wait shrinks.
    page.get_by_text("Change clinicians' hours").focus()
    page.keyboard.press("Enter")
    waiting_before = page.locator("#projection-table tbody tr").first.inner_text()
    type_into(page, "Core Partnership hours a week for Tom Baker", "28")
    expect(page.locator("#projection-table tbody tr").first).not_to_have_text(waiting_before)
    assert counts() == before
    assert axe_violations(page) == []


def test_a_lead_of_another_team_gets_404_for_this_plan(page, team, other_team, planned_clinician):
    MembershipFactory(team=other_team, team_lead=True, user__username="mark.ellis", user__first_name="Mark")
    log_in(page, "mark.ellis", DEMO_PASSWORD)
    response = page.goto(f"/planning/teams/{team.pk}/clinicians/{planned_clinician.pk}/plan/edit/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
