"""A team lead plans the team's capacity: edits job plans, agrees them, and sees the balance."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capa.partials import ERRORS_SHOWN
from planning.models import Activity, JobPlan, JobPlanLine, PlanStatus, ReferralRate
from planning.quarters import Quarter
from tests.factories import (
    ClinicianProfileFactory,
    JobPlanFactory,
    JobPlanLineFactory,
    MembershipFactory,
    ReferralRateFactory,
)

pytestmark = pytest.mark.django_db


def this_quarter() -> Quarter:
    return Quarter.containing(timezone.localdate())


def agreed_plan(
    clinician, team, *, core: str, other: str, choice: str = "0", effective_from: date | None = None
):
    plan = JobPlanFactory(
        clinician=clinician,
        team=team,
        agreed=True,
        effective_from=effective_from or this_quarter().start,
        version=JobPlan.objects.filter(clinician=clinician, team=team).count() + 1,
    )
    for activity, hours in ((Activity.CORE, core), (Activity.OTHER, other), (Activity.CHOICE, choice)):
        if Decimal(hours):
            JobPlanLineFactory(plan=plan, activity=activity, hours_per_week=Decimal(hours))
    return plan


def a_clinician(team, **profile):
    membership = MembershipFactory(team=team)
    ClinicianProfileFactory(user=membership.user, **profile)
    return membership.user


def plan_post(quarter: Quarter, **hours: str) -> dict[str, str]:
    data = {"quarter": quarter.label, "choice_pattern": "sessions", "notes": "", "action": "save"}
    data.update({f"hours_{activity}": value for activity, value in hours.items()})
    return data


def test_the_capacity_page_adds_up_the_team_and_says_an_internal_wait_will_build(client, team, team_lead):
    # 10.5 Core hours give 9 and 7 Core hours give 6 new Core Partnerships a quarter: 15 in all.
    agreed_plan(a_clinician(team), team, core="10.5", other="27")
    agreed_plan(a_clinician(team), team, core="7", other="30.5")
    ReferralRateFactory(team=team, quarter_start=this_quarter().start, referrals_per_week=Decimal("2"))
    client.force_login(team_lead)

    page = client.get(reverse("planning:team-capacity", args=[team.pk])).content.decode()

    assert "15 from the plans" in page
    # 2 referrals a week x 13 x 0.66 = 17.16 needed; 15 / 2 = 7.5, below 8.
    assert "17.2 needed" in page
    assert "7.5 (in balance from 8 to 9)" in page
    assert "An internal wait will build" in page
    assert "2.2 short a quarter" in page


def test_a_what_if_changes_the_balance_without_writing_anything(client, team, team_lead):
    clinician = a_clinician(team)
    agreed_plan(clinician, team, core="10.5", other="27")
    ReferralRateFactory(team=team, quarter_start=this_quarter().start, referrals_per_week=Decimal("1"))
    client.force_login(team_lead)
    counts = (JobPlan.objects.count(), JobPlanLine.objects.count(), ReferralRate.objects.count())
    url = reverse("planning:team-capacity", args=[team.pk])
    assert "9 (in balance from 8 to 9)" in client.get(url).content.decode()

    page = client.get(url, {"what_if": "1", f"core_{clinician.pk}": "14", "referrals_per_week": "1"})

    # 14 hours / 3.5 x 3 = 12 new Core Partnerships: spare Core capacity against 1 referral a week.
    text = page.content.decode()
    assert "What-if figures: nothing has been saved." in text
    assert "Spare Core capacity" in text
    assert (JobPlan.objects.count(), JobPlanLine.objects.count(), ReferralRate.objects.count()) == counts


def test_the_what_if_answers_htmx_with_the_results_only(client, team, team_lead):
    agreed_plan(a_clinician(team), team, core="10.5", other="27")
    client.force_login(team_lead)
    response = client.get(
        reverse("planning:team-capacity", args=[team.pk]),
        {"what_if": "1", "referrals_per_week": "3"},
        headers={"HX-Request": "true", "HX-Target": "what-if-results"},
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert 'id="projection-table"' in text


def test_a_bad_what_if_figure_is_named_and_nothing_breaks(client, team, team_lead):
    client.force_login(team_lead)
    response = client.get(
        reverse("planning:team-capacity", args=[team.pk]), {"what_if": "1", "transfer_rate": "150"}
    )
    assert response.status_code == 200
    assert "The transfer rate cannot be above 100%" in response.content.decode()


def test_a_what_if_figure_typed_wrong_with_javascript_is_named_by_its_box_and_cleared_once_right(
    client, team, team_lead
):
    clinician = a_clinician(team)
    agreed_plan(clinician, team, core="10.5", other="27")
    client.force_login(team_lead)
    url = reverse("planning:team-capacity", args=[team.pk])
    htmx = {"HX-Request": "true", "HX-Target": "what-if-results"}
    hours_box = f"what-if-core_{clinician.pk}"

    wrong = client.get(
        url, {"what_if": "1", "transfer_rate": "150", f"core_{clinician.pk}": "x"}, headers=htmx
    )
    text = wrong.content.decode()
    for group in ("what-if-transfer_rate-group", f"{hours_box}-group"):
        opening = re.search(
            rf'<div class="nhsuk-form-group nhsuk-form-group--error" id="{group}"[^>]*>', text
        )
        assert opening is not None, text
        assert 'hx-swap-oob="true"' in opening.group(0)
    assert 'id="what-if-referrals_per_week-group"' not in text  # no error, none shown before
    assert "The transfer rate cannot be above 100%" in text
    assert f'aria-describedby="{hours_box}-error"' in text
    assert 'data-disable-auto-focus="true"' in text  # the summary leaves the focus in the box typed in

    shown = {ERRORS_SHOWN: f"what-if-transfer_rate-group {hours_box}-group"}
    right = client.get(
        url, {"what_if": "1", "transfer_rate": "50", f"core_{clinician.pk}": "12"}, headers={**htmx, **shown}
    ).content.decode()
    assert 'id="what-if-transfer_rate-group" hx-swap-oob="true"' in right  # swapped in without the error
    assert f'id="{hours_box}-group" hx-swap-oob="true"' in right
    assert "nhsuk-error-message" not in right
    assert 'id="projection-table"' in right


def test_a_plan_that_does_not_add_up_is_refused_by_the_field_and_nothing_is_saved(client, team, team_lead):
    clinician = a_clinician(team)
    client.force_login(team_lead)
    url = reverse("planning:plan-edit", args=[team.pk, clinician.pk])
    before = (JobPlan.objects.count(), JobPlanLine.objects.count())

    response = client.post(url, plan_post(this_quarter().next(), core="10.5", other="20", choice="-3"))
    assert response.status_code == 400
    assert "Hours cannot be negative." in response.content.decode()

    response = client.post(url, plan_post(this_quarter().next(), core="10.5", other="20", choice="abc"))
    assert "Enter hours as a number, like 7.5" in response.content.decode()

    response = client.post(url, plan_post(this_quarter().next(), core="200", other="0"))
    assert "Hours must be 168 or fewer" in response.content.decode()

    response = client.post(url, plan_post(this_quarter().next(), core="10.5", other="20"))
    text = response.content.decode()
    assert "The plan adds up to 30.5 hours a week, but" in text
    assert 'href="#id_hours_choice"' in text  # the summary takes the lead to the grid
    assert text.count("Error:") >= 2  # by the grid, and the page title
    assert (JobPlan.objects.count(), JobPlanLine.objects.count()) == before


def test_a_lead_saves_agrees_and_the_capacity_page_shows_the_new_target(client, team, team_lead):
    clinician = a_clinician(team)
    client.force_login(team_lead)
    quarter = this_quarter()

    response = client.post(
        reverse("planning:plan-edit", args=[team.pk, clinician.pk]),
        plan_post(quarter, core="10.5", choice="7", other="20"),
    )
    assert response.status_code == 302
    plan = JobPlan.objects.get(clinician=clinician)
    assert (plan.version, plan.status) == (1, PlanStatus.DRAFT)

    client.post(reverse("planning:plan-agree", args=[team.pk, plan.pk]))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AGREED
    assert plan.agreed_by == team_lead

    page = client.get(reverse("planning:team-capacity", args=[team.pk])).content.decode()
    assert "9 from the plans" in page


def test_saving_again_keeps_the_old_version_and_starting_from_it_fills_the_grid(client, team, team_lead):
    clinician = a_clinician(team)
    old = agreed_plan(clinician, team, core="10.5", other="27")
    client.force_login(team_lead)
    url = reverse("planning:plan-edit", args=[team.pk, clinician.pk])

    form_page = client.get(url, {"from": old.pk}).content.decode()
    assert 'value="10.5"' in form_page

    client.post(url, plan_post(this_quarter().next(), core="14", other="23.5"))
    assert list(JobPlan.objects.filter(clinician=clinician).values_list("version", "status")) == [
        (2, PlanStatus.DRAFT),
        (1, PlanStatus.AGREED),
    ]


def typed_totals(client, team, lead, **hours: str):
    """The job plan's live totals for what a lead has typed so far (nothing saved)."""
    client.force_login(lead)
    return client.post(
        reverse("planning:plan-totals", args=[team.pk, a_clinician(team).pk]),
        {**{f"hours_{activity}": typed for activity, typed in hours.items()}, "choice_pattern": "sessions"},
    )


def test_the_live_totals_add_up_what_has_been_typed(client, team, team_lead):
    response = typed_totals(client, team, team_lead, core="11", choice="7", other="x")
    text = response.content.decode()
    assert "18 of 37.5 hours" in text
    assert "9.4" in text  # 11 Core hours give 66/7 new Core Partnerships a quarter
    assert "19.5 hours to place" in text
    assert not JobPlan.objects.exists()


def test_the_live_totals_leave_out_hours_no_week_can_hold(client, team, team_lead):
    """Found by the hostile-input tests: 1e400 hours overflowed the figures (a server error)."""
    response = typed_totals(client, team, team_lead, core="11", choice="1e400", other="-1e300")
    assert response.status_code == 200
    assert "11 of 37.5 hours" in response.content.decode()


def test_a_clinician_sees_their_own_plan_read_only_and_not_a_colleagues(client, team, choice_clinician):
    agreed_plan(choice_clinician, team, core="10.5", other="27")
    colleague = a_clinician(team)
    client.force_login(choice_clinician)

    own = client.get(reverse("planning:plan-detail", args=[team.pk, choice_clinician.pk]))
    assert own.status_code == 200
    assert "first Core slots to offer" in own.content.decode()
    assert "Edit the plan" not in own.content.decode()
    assert client.get(reverse("planning:plan-detail", args=[team.pk, colleague.pk])).status_code == 403
    assert client.get(reverse("planning:plan-edit", args=[team.pk, choice_clinician.pk])).status_code == 403


def test_a_lead_of_another_team_gets_404_for_this_teams_plans(client, team, other_team):
    clinician = a_clinician(team)
    other_lead = MembershipFactory(team=other_team, team_lead=True).user
    client.force_login(other_lead)
    assert client.get(reverse("planning:plan-edit", args=[team.pk, clinician.pk])).status_code == 404
    assert client.get(reverse("planning:plan-detail", args=[team.pk, clinician.pk])).status_code == 404
    assert client.get(reverse("planning:team-capacity", args=[team.pk])).status_code == 404


def test_the_lead_enters_accepted_referrals_for_a_quarter(client, team, team_lead):
    client.force_login(team_lead)
    url = reverse("planning:referrals-edit", args=[team.pk])
    bad = client.post(url, {"quarter": this_quarter().label, "referrals_per_week": "-1"})
    assert "Referrals a week cannot be negative" in bad.content.decode()
    assert not ReferralRate.objects.exists()

    client.post(url, {"quarter": this_quarter().label, "referrals_per_week": "12.5"})
    rate = ReferralRate.objects.get(team=team)
    assert (rate.quarter_start, rate.referrals_per_week, rate.entered_by) == (
        this_quarter().start,
        Decimal("12.5"),
        team_lead,
    )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_capacity_page_makes_the_same_queries_for_3_and_30_clinicians(client, team, team_lead):
    client.force_login(team_lead)
    url = reverse("planning:team-capacity", args=[team.pk])
    for _ in range(3):
        agreed_plan(a_clinician(team), team, core="10.5", other="27")
    ReferralRateFactory(team=team, quarter_start=this_quarter().start)
    with_3 = queries_for(client, url)
    for _ in range(27):
        agreed_plan(a_clinician(team), team, core="7", other="30.5")
    # session, user, the team, roles and leads (access, twice), settings, streams, members,
    # agreed plans, their lines, absences, referral rates, navigation, and the session's expiry.
    assert queries_for(client, url) == with_3


def test_the_organisation_overview_makes_the_same_queries_for_3_and_30_teams(client, organisation, admin):
    from tests.factories import TeamFactory

    client.force_login(admin)
    url = reverse("planning:organisation-capacity")
    for _ in range(3):
        team = TeamFactory(organisation=organisation)
        agreed_plan(a_clinician(team), team, core="10.5", other="27")
    with_3 = queries_for(client, url)
    for _ in range(27):
        team = TeamFactory(organisation=organisation)
        agreed_plan(a_clinician(team), team, core="10.5", other="27")
    assert queries_for(client, url) == with_3


def test_a_lead_records_an_absence_and_the_target_is_scaled(client, team, team_lead):
    from planning.models import Absence

    clinician = a_clinician(team)
    quarter = this_quarter()
    agreed_plan(clinician, team, core="10.5", other="27")
    client.force_login(team_lead)
    url = reverse("planning:absence-add", args=[team.pk, clinician.pk])
    start = quarter.start

    bad = client.post(
        url,
        {
            "kind": "maternity",
            "starts_on_day": "31",
            "starts_on_month": "2",
            "starts_on_year": "2027",
        },
    )
    assert bad.status_code == 400
    assert "Date must be a real date" in bad.content.decode()
    assert not Absence.objects.exists()

    end = start + timedelta(days=11)  # the first 12 days of the quarter, both ends included
    client.post(
        url,
        {
            "kind": "long_sickness",
            "starts_on_day": start.day,
            "starts_on_month": start.month,
            "starts_on_year": start.year,
            "ends_on_day": end.day,
            "ends_on_month": end.month,
            "ends_on_year": end.year,
        },
    )
    absence = Absence.objects.get(clinician=clinician)
    page = client.get(reverse("planning:plan-detail", args=[team.pk, clinician.pk])).content.decode()
    assert "after 1.7 weeks of absence" in page  # 12 days / 7; 9 x (13 - 12/7) / 13 = 7.8
    assert "7.8 from the plan" in page

    client.post(reverse("planning:absence-remove", args=[team.pk, absence.pk]))
    assert not Absence.objects.exists()
