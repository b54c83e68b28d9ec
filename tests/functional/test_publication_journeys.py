"""An admin follows a quarter's publication from nothing published, through the progress bar moving
on by itself, to the published targets, and republishes; a clinician reads the notice it leaves and
marks it read. axe-core checks every state of the page."""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from diary import publication
from diary.models import PublicationRun
from diary.slots import at
from diary.views_publication import quarters_of
from planning.models import Activity
from tests.factories import (
    DEMO_PASSWORD,
    ClinicianProfileFactory,
    JobPlanFactory,
    JobPlanLineFactory,
    MembershipFactory,
    NoticeFactory,
    PublicationRunFactory,
    SlotFactory,
)
from tests.functional.conftest import axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def with_plan(team, *, effective_from, first_name: str, last_name: str):
    membership = MembershipFactory(team=team, user__first_name=first_name, user__last_name=last_name)
    ClinicianProfileFactory(user=membership.user)
    plan = JobPlanFactory(team=team, clinician=membership.user, agreed=True, effective_from=effective_from)
    JobPlanLineFactory(plan=plan, activity=Activity.CORE, hours_per_week=Decimal("10.5"))
    JobPlanLineFactory(plan=plan, activity=Activity.OTHER, hours_per_week=Decimal("27"))
    return membership.user


def test_an_admin_sees_nothing_published_then_a_moving_progress_bar_then_the_targets(
    page, organisation, team, admin
):
    next_quarter = quarters_of(organisation)[0]
    log_in(page, "ada.admin", DEMO_PASSWORD)

    # Idle: nothing published yet, and when it is due.
    page.goto("/diary/publication/")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Publishing slot targets"))
    expect(page.get_by_role("region", name=re.compile("^Next quarter"))).to_contain_text("Not published yet")
    expect(page.get_by_role("button", name=re.compile("^Publish now"))).to_have_count(2)
    assert axe_violations(page) == []

    # Running: a run in the database part of the way through. The bar polls the database.
    run = PublicationRunFactory(
        organisation=organisation, quarter_start=next_quarter.start, total=600, done=120
    )
    page.reload()
    bar = page.get_by_role("progressbar", name=re.compile("Clinicians whose target for .* is published"))
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("value", "120")
    status = page.get_by_role("status")
    expect(status).to_have_text("Publishing: 120 of 600 clinicians")
    assert axe_violations(page) == []

    PublicationRun.objects.filter(pk=run.pk).update(done=450)
    expect(status).to_have_text("Publishing: 450 of 600 clinicians", timeout=6_000)
    expect(bar).to_have_attribute("value", "450")
    assert axe_violations(page) == []

    PublicationRun.objects.filter(pk=run.pk).update(done=600, status="completed", finished_at=timezone.now())
    expect(status).to_contain_text("Published: 600 of 600 clinicians", timeout=6_000)
    assert axe_violations(page) == []

    # Done: targets published from the plans, one clinician without a plan, one short of slots.
    PublicationRun.objects.filter(pk=run.pk).delete()
    tom = with_plan(team, effective_from=next_quarter.previous().start, first_name="Tom", last_name="Baker")
    nia = MembershipFactory(team=team, user__first_name="Nia", user__last_name="Planless").user
    ClinicianProfileFactory(user=nia)  # a clinician with no agreed plan
    SlotFactory(team=team, clinicians=[tom], starts_at=at(next_quarter.start + timedelta(days=2), time(10)))
    publication.publish_quarter(organisation=organisation, quarter=next_quarter, by=admin)
    status.get_by_role("link", name="Reload the page").click()

    region = page.get_by_role("region", name=re.compile("^Next quarter"))
    expect(region).to_contain_text("Published")
    expect(region.get_by_role("link", name=re.compile("^Nia Planless"))).to_be_visible()
    region.get_by_text(re.compile(f"^{team.name}: 1 of")).click()  # open the team's details
    table = region.get_by_role("table", name=re.compile(f"^{team.name}: targets"))
    expect(table.get_by_role("row", name=re.compile("^Tom Baker"))).to_contain_text("short")
    assert axe_violations(page) == []

    region.get_by_role("button", name=re.compile("^Republish after plan changes")).click()
    expect(page.get_by_role("alert")).to_contain_text("no target changed")
    assert axe_violations(page) == []


def test_a_clinician_reads_the_notice_on_the_home_page_and_marks_it_read(page, team, choice_clinician):
    notice = NoticeFactory(team=team, user=choice_clinician)
    log_in(page, "sam.clinician", DEMO_PASSWORD)

    banner = page.get_by_role("region", name="Important")
    expect(banner).to_contain_text(notice.text)
    expect(banner.get_by_role("link", name=re.compile("^See the details"))).to_have_attribute(
        "href", notice.link
    )
    assert axe_violations(page) == []

    banner.get_by_role("button", name=re.compile("^Mark as read")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Sam")
    expect(page.get_by_role("region", name="Important")).to_have_count(0)
    assert axe_violations(page) == []
