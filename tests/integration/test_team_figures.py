"""Which plan, absence and referral figure apply to which quarter, and whole numbers over a year."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from capa.templatetags.nhsuk import uk_date
from planning import figures, queries
from planning.models import Activity
from planning.quarters import Quarter
from tests.factories import (
    AbsenceFactory,
    ClinicianProfileFactory,
    JobPlanFactory,
    JobPlanLineFactory,
    MembershipFactory,
    ReferralRateFactory,
)

pytestmark = pytest.mark.django_db
Q1_2027 = Quarter(2027, 1)  # April to June 2027


def clinician_with_core_hours(team, hours: str, *, effective_from: date = Q1_2027.start, version: int = 1):
    membership = MembershipFactory(team=team)
    ClinicianProfileFactory(user=membership.user)
    add_plan(team, membership.user, hours, effective_from=effective_from, version=version)
    return membership.user


def add_plan(team, clinician, hours: str, *, effective_from: date, version: int):
    plan = JobPlanFactory(
        team=team, clinician=clinician, agreed=True, effective_from=effective_from, version=version
    )
    JobPlanLineFactory(plan=plan, activity=Activity.CORE, hours_per_week=Decimal(hours))
    JobPlanLineFactory(plan=plan, activity=Activity.OTHER, hours_per_week=Decimal("37.5") - Decimal(hours))
    return plan


def test_11_core_hours_give_9_9_10_10_over_the_year(team):
    clinician_with_core_hours(team, "11")
    planning = queries.one_team_planning(team)
    whole = [
        figures.team_quarter(planning, quarter).clinicians[0].core_target_whole
        for quarter in Q1_2027.following(4)
    ]
    assert whole == [9, 9, 10, 10]


def test_the_plan_in_force_is_the_latest_agreed_one_starting_on_or_before_the_quarter(team):
    clinician = clinician_with_core_hours(team, "10.5")
    add_plan(team, clinician, "7", effective_from=Quarter(2027, 3).start, version=2)
    planning = queries.one_team_planning(team)
    targets = [figures.team_quarter(planning, q).figures.core_targets_total for q in Q1_2027.following(4)]
    assert targets == [9, 9, 6, 6]
    assert figures.team_quarter(planning, Quarter(2026, 4)).clinicians[0].plan is None


def test_absence_scales_the_target_of_the_quarter_it_falls_in(team):
    clinician = clinician_with_core_hours(team, "10.5")
    AbsenceFactory(team=team, clinician=clinician, starts_on=date(2027, 4, 1), ends_on=date(2027, 5, 12))
    planning = queries.one_team_planning(team)
    row = figures.team_quarter(planning, Q1_2027).clinicians[0]
    assert row.absent_weeks == 6  # 1 April to 12 May: 42 days
    assert row.figures.core_target == Fraction(63, 13)  # 9 x (13 - 6) / 13


def test_referrals_are_carried_over_from_the_last_quarter_entered_and_say_so(team, team_lead):
    ReferralRateFactory(
        team=team, quarter_start=Q1_2027.start, referrals_per_week=Decimal("4"), entered_by=team_lead
    )
    planning = queries.one_team_planning(team)
    assert figures.referrals_for(planning, Q1_2027).source == "entered for this quarter"
    later = figures.referrals_for(planning, Quarter(2027, 3))
    assert (later.per_week, later.source) == (Decimal("4"), "carried over from 2027-Q1")
    assert figures.referrals_for(planning, Quarter(2026, 4)).per_week is None


def test_a_what_if_changes_only_the_figures_not_the_plans(team):
    clinician = clinician_with_core_hours(team, "10.5")
    planning = queries.one_team_planning(team)
    what_if = figures.WhatIf(hours={clinician.pk: {"core": Decimal("14")}}, referrals_per_week=Decimal("1"))
    row = figures.team_quarter(planning, Q1_2027, what_if)
    assert row.figures.core_targets_total == 12
    assert row.clinicians[0].changed_by_what_if
    assert figures.team_quarter(planning, Q1_2027).figures.core_targets_total == 9


def test_once_cases_exist_referrals_are_counted_from_them_and_an_entered_figure_overrides(team, team_lead):
    from django.utils import timezone

    from partnership.models import CaseState
    from tests.factories import CaseFactory

    today = timezone.localdate()
    this_quarter = Quarter.containing(today)
    later = this_quarter.next().next()
    for weeks_ago in range(1, 14):  # 26 families referred over the 13 weeks before today
        for _ in range(2):
            CaseFactory(
                team=team,
                referral_date=today - timedelta(weeks=weeks_ago),
                child_date_of_birth=date(2014, 1, 1),
                choice_date=None,
            )
        # Not demand: a referral the team did not accept, and one not yet screened.
        for state in (CaseState.NOT_ACCEPTED, CaseState.REFERRED):
            CaseFactory(
                team=team,
                state=state,
                referral_date=today - timedelta(weeks=weeks_ago),
                accepted_on=None,
                choice_date=None,
                choice_outcome="",
                closed_on=today if state == CaseState.NOT_ACCEPTED else None,
                close_reason="Not CAMHS" if state == CaseState.NOT_ACCEPTED else "",
            )
    planning = queries.one_team_planning(team)
    counted = figures.referrals_for(planning, later)
    assert counted.per_week == Decimal("2.00")
    monday = today - timedelta(days=today.weekday())
    assert counted.source == f"from cases: 26 referred in the 13 weeks before {uk_date(monday)}"

    ReferralRateFactory(
        team=team, quarter_start=later.start, referrals_per_week=Decimal("5"), entered_by=team_lead
    )
    planning = queries.one_team_planning(team)
    assert (
        figures.referrals_for(planning, later).per_week,
        figures.referrals_for(planning, later).source,
    ) == (
        Decimal("5"),
        "entered for this quarter",
    )


@pytest.mark.parametrize("weekday", range(7))
def test_counted_referrals_do_not_depend_on_the_day_of_the_week(team, weekday):
    """Two families referred in each of the 13 weeks before this one count as 2 a week, Monday or Sunday."""
    from planning.models import PlanningSettings
    from planning.queries import TeamPlanning

    today = date(2026, 11, 30) + timedelta(days=weekday)  # Monday 30 November 2026, and the week on
    by_week: dict[date, int] = {}
    for weeks_ago in range(1, 14):
        referred = today - timedelta(weeks=weeks_ago)
        monday = referred - timedelta(days=referred.weekday())
        by_week[monday] = by_week.get(monday, 0) + 2
    planning = TeamPlanning(
        team=team, settings=PlanningSettings(team=team), referrals_by_week=by_week, today=today
    )
    counted = figures.referrals_for(planning, Quarter.containing(today).next())
    assert counted.per_week == Decimal("2.00"), counted.source
