"""Every quarterly measure against values worked out by hand on a small scenario: last quarter,
two clinicians, a handful of slots, bookings, a DNA and its re-offer, a late cancellation, waits,
Choice outcomes and a closed Core case."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from fractions import Fraction

import pytest
from django.utils import timezone

from dashboard import quarterly
from diary.models import AppointmentKind, AppointmentStatus, SlotKind, SlotStatus
from diary.slots import at
from partnership.models import CaseState, ChoiceOutcome, StepKind, WorkerRole
from planning.quarters import Quarter
from tests.factories import (
    AppointmentFactory,
    CaseFactory,
    CaseStepFactory,
    CaseWorkerFactory,
    SlotFactory,
    VenueFactory,
)
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def quarter(team):
    return Quarter.containing(
        timezone.localdate(), start_month=team.organisation.financial_year_start_month
    ).previous()


def on(quarter: Quarter, day: int, hour: int = 10) -> datetime:
    """The `day`-th day of the quarter (from 0) at `hour`, London time."""
    return at(quarter.start + timedelta(days=day), time(hour))


def family(
    team, quarter, *, referred: int = -200, accepted: int | None = None, choice: int | None = None, **kwargs
):
    """A case with its dates given in days from the quarter's start (none by default in it)."""
    start = quarter.start
    return CaseFactory(
        team=team,
        referral_date=start + timedelta(days=referred),
        accepted_on=None if accepted is None else start + timedelta(days=accepted),
        choice_date=None if choice is None else start + timedelta(days=choice),
        **kwargs,
    )


@pytest.fixture
def scenario(team, quarter):
    venue = VenueFactory(team=team)
    ana, ben = clinician_in(team), clinician_in(team)

    def slot(clinicians, day, **kwargs):
        return SlotFactory(
            team=team, venue=venue, clinicians=clinicians, starts_at=on(quarter, day), **kwargs
        )

    def booked(slot_, status, **kwargs):
        extra = {}
        if status != AppointmentStatus.BOOKED:
            extra = {"outcome_by": ana, "outcome_at": slot_.ends_at}
        return AppointmentFactory(
            team=team,
            case=family(team, quarter),
            venue=venue,
            starts_at=slot_.starts_at,
            status=status,
            slots=[slot_],
            **extra,
            **kwargs,
        )

    attended = booked(slot([ana], 7, status=SlotStatus.BOOKED), AppointmentStatus.ATTENDED)
    missed = booked(slot([ana], 14, status=SlotStatus.BOOKED), AppointmentStatus.DNA)
    slot([ana], 21, reoffer_of=missed)  # re-offered, and left unbooked
    booked(slot([ana, ben], 28, status=SlotStatus.BOOKED), AppointmentStatus.ATTENDED)  # joint
    slot([ben], 35)  # left unbooked
    booked(
        slot([ben], 42, status=SlotStatus.LOST),
        AppointmentStatus.CANCELLED_BY_FAMILY,
        cancel_reason="Child unwell.",
    )
    slot([ana], 49, status=SlotStatus.REMOVED)  # not counted
    SlotFactory(team=team, venue=venue, clinicians=[ana], starts_at=on(quarter.next(), 3))  # next quarter
    return {"ana": ana, "ben": ben, "venue": venue, "attended": attended}


def test_slots_per_clinician_and_for_the_team(team, quarter, scenario):
    activity = quarterly.team_activity(team, quarter)
    by_person = {row.clinician: row.slots for row in activity.clinicians}
    assert by_person[scenario["ana"]] == quarterly.SlotCounts(
        offered=4, booked=3, attended=2, dna=1, cancelled=0, reoffered=1, left_unbooked=1, lost=0
    )
    assert by_person[scenario["ben"]] == quarterly.SlotCounts(
        offered=3, booked=1, attended=1, dna=0, cancelled=1, reoffered=0, left_unbooked=1, lost=1
    )
    # The joint slot once.
    assert activity.slots == quarterly.SlotCounts(
        offered=6, booked=3, attended=2, dna=1, cancelled=1, reoffered=1, left_unbooked=2, lost=1
    )
    assert (activity.first_core_dna, activity.first_core_seen) == (1, 3)
    assert activity.first_core_dna_rate == Fraction(1, 3)


def test_new_core_partnerships_count_key_workers_and_core_co_workers_once_per_case(team, quarter, scenario):
    ana, ben = scenario["ana"], scenario["ben"]
    joint_case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    CaseWorkerFactory(case=joint_case, clinician=ana, joined_on=quarter.start + timedelta(days=28))
    CaseWorkerFactory(
        case=joint_case,
        clinician=ben,
        role=WorkerRole.CORE_COWORKER,
        joined_on=quarter.start + timedelta(days=28),
    )
    other = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    CaseWorkerFactory(case=other, clinician=ana, joined_on=quarter.start + timedelta(days=7))
    CaseWorkerFactory(case=CaseFactory(team=team), clinician=ben, joined_on=quarter.start - timedelta(days=1))
    activity = quarterly.team_activity(team, quarter)
    joins = {row.clinician: row.new_core_partnerships for row in activity.clinicians}
    assert (joins[ana], joins[ben], activity.new_core_partnerships) == (2, 1, 2)


def test_choice_waits_transfer_and_closed_cases(team, quarter, scenario):
    ana, venue = scenario["ana"], scenario["venue"]
    # Referral to Choice: 14, 28 and 49 days for three families accepted in the quarter; 10 for the
    # scenario's attended family and 25 for a family booked late; one seen before the quarter.
    families = [family(team, quarter, referred=-10, accepted=1, choice=-10 + wait) for wait in (14, 28, 49)]
    family(team, quarter, referred=-60, choice=-5)
    attended = scenario["attended"]
    attended.case.referral_date, attended.case.choice_date = quarter.start - timedelta(days=10), quarter.start
    attended.case.save()
    late = SlotFactory(team=team, venue=venue, clinicians=[ana], starts_at=on(quarter, 40), status="booked")
    AppointmentFactory(
        team=team,
        venue=venue,
        starts_at=late.starts_at,
        slots=[late],
        case=family(team, quarter, referred=-20, choice=5),
    )
    # Choice steps: 3 attended, 1 missed; outcomes: Core, kept by the Choice clinician, closed.
    for case in families:
        CaseStepFactory(case=case, kind=StepKind.CHOICE_ATTENDED, happened_on=case.choice_date, by=ana)
    CaseStepFactory(
        case=families[0], kind=StepKind.CHOICE_DNA, happened_on=quarter.start + timedelta(days=2), by=ana
    )
    for case, kind in zip(
        families, [StepKind.TO_CORE, StepKind.KEEP_AT_CHOICE, StepKind.CLOSE_AT_CHOICE], strict=True
    ):
        CaseStepFactory(case=case, kind=kind, happened_on=case.choice_date, by=ana)
    # A Core case let go in the quarter: 3 attended appointments (the first, two after) and a DNA.
    closed = family(
        team,
        quarter,
        state=CaseState.LET_GO,
        choice_outcome=ChoiceOutcome.CORE,
        closed_on=quarter.start + timedelta(days=60),
        close_reason="Goals met",
    )
    AppointmentFactory(team=team, case=closed, attended=True, starts_at=on(quarter, 30, 15))
    for day in (37, 44):
        AppointmentFactory(
            team=team,
            case=closed,
            kind=AppointmentKind.FOLLOW_UP,
            attended=True,
            starts_at=on(quarter, day, 15),
        )
    AppointmentFactory(
        team=team, case=closed, kind=AppointmentKind.FOLLOW_UP, dna=True, starts_at=on(quarter, 51, 15)
    )
    SlotFactory(team=team, kind=SlotKind.CHOICE, venue=venue, starts_at=on(quarter, 3))

    activity = quarterly.team_activity(team, quarter)

    assert activity.accepted_referrals == 3
    assert sorted(activity.referral_to_choice.days) == [10, 14, 25, 28, 49]
    assert activity.referral_to_choice.median_weeks == 25 / 7
    assert activity.referral_to_choice.p90_weeks == 49 / 7
    assert activity.referral_to_choice.share_within(4) == Fraction(4, 5)
    assert activity.referral_to_choice.share_within(6) == Fraction(4, 5)
    # Choice to first Core: 7 days (seen at Choice on day 0, first Core on day 7) and 35 (5 to 40);
    # families without a Choice date (opened before case tracking) are not counted.
    assert sorted(activity.choice_to_first_core.days) == [7, 35]
    assert (activity.choice_used, activity.choice_missed, activity.choice_dna_rate) == (3, 1, Fraction(1, 4))
    assert (activity.choice_outcomes, activity.to_core, activity.transfer_rate) == (3, 2, Fraction(2, 3))
    assert activity.choice_offered == 1
    assert (activity.closed_core_cases, activity.mean_appointments_per_closed_core_case) == (1, Fraction(3))


def test_eight_quarters_of_two_teams_at_once_are_the_same_as_one_at_a_time(
    team, other_team, quarter, scenario
):
    eight = quarterly.last_quarters(quarter.next(), 8)
    together = quarterly.activities([team, other_team], eight)
    for each in (team, other_team):
        for q in eight:
            alone = quarterly.team_activity(each, q)
            assert together[each.pk, q] == alone


def queries(function) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def test_the_same_queries_for_1_or_8_quarters_and_3_or_30_clinicians(team, quarter, scenario):
    one = queries(lambda: quarterly.activities([team], [quarter]))
    eight = queries(lambda: quarterly.activities([team], quarterly.last_quarters(quarter, 8)))
    for _ in range(28):
        SlotFactory(team=team, starts_at=on(quarter, 20))
    thirty = queries(lambda: quarterly.activities([team], [quarter]))
    assert one == eight == thirty


def test_the_rows_behind_are_the_ones_counted(team, quarter, scenario):
    from dashboard import rows_behind

    ana = scenario["ana"]
    families = [family(team, quarter, referred=-10, accepted=day, choice=20) for day in (1, 2)]
    CaseStepFactory(
        case=families[0], kind=StepKind.TO_CORE, happened_on=quarter.start + timedelta(days=20), by=ana
    )
    CaseWorkerFactory(case=families[0], clinician=ana, joined_on=quarter.start + timedelta(days=40))
    activity = quarterly.team_activity(team, quarter)

    accepted = rows_behind.cases_behind(team, quarter, "accepted")
    assert len(accepted) == activity.accepted_referrals == 2
    assert rows_behind.cases_behind(team, quarter, "to_core") == [families[0]]
    assert len(rows_behind.cases_behind(team, quarter, "new_core")) == activity.new_core_partnerships == 1
    for what in rows_behind.SLOT_MEASURES:
        assert len(rows_behind.slots_behind(team, quarter, what)) == getattr(activity.slots, what), what
