"""Caseload lists: the team's families at each stage with their waits against the thresholds, a
clinician's own cases, and the same number of queries for 3 cases or 30."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diary.models import AppointmentKind
from partnership import caseloads
from partnership.models import CaseState, WorkerRole
from planning.models import PlanningSettings
from tests.factories import AppointmentFactory, CaseFactory, CaseWorkerFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db


def weeks_ago(weeks: float):
    return timezone.localdate() - timedelta(days=round(weeks * 7))


def test_waits_are_measured_in_weeks_against_the_amber_and_red_thresholds(team):
    settings = PlanningSettings(team=team)  # amber from 4 weeks, red from 6
    today = timezone.localdate()
    assert caseloads.wait_between(weeks_ago(3), today, settings, today=today).rag == "green"
    assert caseloads.wait_between(weeks_ago(4), today, settings, today=today).rag == "amber"
    ongoing = caseloads.wait_between(weeks_ago(6), None, settings, today=today)
    assert (ongoing.rag, ongoing.ongoing, ongoing.days) == ("red", True, 42)


def test_the_team_caseload_puts_each_family_at_its_stage_with_its_waits(client, team, team_lead):
    waiting = CaseFactory(
        team=team,
        state=CaseState.AWAITING_CHOICE,
        referral_date=weeks_ago(5),
        choice_date=None,
        choice_outcome="",
    )
    unbooked = CaseFactory(team=team, referral_date=weeks_ago(9), choice_date=weeks_ago(7))
    booked = CaseFactory(
        team=team, state=CaseState.FIRST_CORE_BOOKED, referral_date=weeks_ago(6), choice_date=weeks_ago(3)
    )
    AppointmentFactory(team=team, case=booked, starts_at=timezone.now() + timedelta(days=7))
    lists = caseloads.team_lists(team)
    assert [c.pk for c in lists["waiting_for_choice"]] == [waiting.pk]
    assert [c.pk for c in lists["after_choice_unbooked"]] == [unbooked.pk]
    assert [c.pk for c in lists["in_partnership"]] == [booked.pk]

    settings = PlanningSettings(team=team)
    (row,) = caseloads.rows(lists["in_partnership"], settings)
    assert row.referral_to_choice.days == 21
    assert (row.choice_to_first_core.days, row.choice_to_first_core.ongoing) == (28, False)
    (row,) = caseloads.rows(lists["after_choice_unbooked"], settings)
    assert (row.choice_to_first_core.rag, row.choice_to_first_core.ongoing) == ("red", True)

    client.force_login(team_lead)
    body = client.get(reverse("partnership:team-caseload", args=[team.pk])).content.decode()
    assert "Families without a Partnership booking" in body
    assert unbooked.child_name in body


def test_my_caseload_lists_the_cases_i_work_with_now(client, team):
    me = clinician_in(team)
    mine = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    CaseWorkerFactory(case=mine, clinician=me, role=WorkerRole.KEY_WORKER)
    left = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    CaseWorkerFactory(case=left, clinician=me, left_on=timezone.localdate())
    seen_at_choice = CaseFactory(team=team, choice_clinician=me)
    CaseFactory(team=team)  # someone else's
    assert {c.pk for c in caseloads.my_cases(me, team)} == {mine.pk, seen_at_choice.pk}

    client.force_login(me)
    body = client.get(reverse("partnership:my-caseload", args=[team.pk])).content.decode()
    assert mine.child_name in body
    assert seen_at_choice.child_name in body


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def fill(team, count, clinician):
    for n in range(count):
        case = CaseFactory(team=team, state=[CaseState.AWAITING_CHOICE, CaseState.IN_PARTNERSHIP][n % 2])
        CaseWorkerFactory(case=case, clinician=clinician)


@pytest.mark.parametrize("name", ["partnership:team-caseload", "partnership:my-caseload"])
def test_caseload_lists_run_the_same_queries_for_3_and_30_cases(client, team, name):
    me = clinician_in(team)
    client.force_login(me)
    url = reverse(name, args=[team.pk])
    fill(team, 3, me)
    with_3 = queries_for(client, url)
    fill(team, 27, me)
    assert queries_for(client, url) == with_3


def test_a_case_past_the_teams_appointments_is_flagged_in_the_caseload(team):
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    AppointmentFactory(team=team, case=case, attended=True, starts_at=timezone.now() - timedelta(weeks=20))
    for weeks in range(10):  # and ten after the first
        AppointmentFactory(
            team=team,
            case=case,
            kind=AppointmentKind.FOLLOW_UP,
            attended=True,
            starts_at=timezone.now() - timedelta(weeks=19 - weeks),
        )
    (row,) = caseloads.rows(caseloads.team_lists(team)["in_partnership"], PlanningSettings(team=team))
    assert (row.appointments, row.past_review_flag) == (11, True)


def test_reviews_due_show_in_the_team_caseload(client, team, team_lead):
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    AppointmentFactory(team=team, case=case, attended=True, starts_at=timezone.now() - timedelta(weeks=10))
    for weeks in range(6):
        AppointmentFactory(
            team=team,
            case=case,
            kind=AppointmentKind.FOLLOW_UP,
            attended=True,
            starts_at=timezone.now() - timedelta(weeks=9 - weeks),
        )
    (row,) = caseloads.rows(caseloads.team_lists(team)["in_partnership"], PlanningSettings(team=team))
    assert row.review in ("due", "overdue")
    client.force_login(team_lead)
    body = client.get(reverse("partnership:team-caseload", args=[team.pk])).content.decode()
    assert "1 case in Partnership has a review due or overdue." in body
