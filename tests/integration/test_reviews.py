"""Reviews (partnership/reviews.py): when a case is due one, and recording one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary.models import Appointment, AppointmentKind, AppointmentStatus
from partnership import reviews
from partnership.cases import CaseError
from partnership.models import CaseState, CaseStep, Review, StepKind, WorkerRole
from planning.models import PlanningSettings
from tests.factories import (
    CaseFactory,
    CaseWorkerFactory,
    ReviewFactory,
    SpecificStreamFactory,
    VenueFactory,
)
from tests.factories.diary import LONDON

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


@pytest.fixture
def settings_(team):
    return PlanningSettings(team=team)  # core_review_every 6, core_appointments_flag 10


@pytest.fixture
def case(team):
    return CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)


def attend(case, days: list[date], *, status=AppointmentStatus.ATTENDED, kind=None, by=None):
    """Appointments of the case on these days (the first a first Core one, the rest after it)."""
    venue = VenueFactory(team=case.team)
    by = by or case.created_by
    for index, day in enumerate(days):
        starts_at = datetime.combine(day, time(10), tzinfo=LONDON)
        Appointment.objects.create(
            team=case.team,
            case=case,
            kind=kind or (AppointmentKind.FIRST_CORE if index == 0 else AppointmentKind.FOLLOW_UP),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            venue=venue,
            status=status,
            booked_by=by,
            booked_at=timezone.now(),
            outcome_by=None if status == AppointmentStatus.BOOKED else by,
            outcome_at=None if status == AppointmentStatus.BOOKED else timezone.now(),
        )


def weekly(count: int, *, start: date = date(2026, 6, 1)) -> list[date]:
    return [start + timedelta(weeks=n) for n in range(count)]


# --- Core cases: by appointments ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("attended", "status"),
    [(0, "not_due"), (5, "not_due"), (6, "due"), (7, "due"), (8, "overdue"), (10, "overdue")],
)
def test_a_core_case_is_due_at_six_appointments_and_overdue_two_past(case, settings_, attended, status):
    attend(case, weekly(attended))
    assert reviews.review_status(case, settings_, TODAY) == status


def test_only_attended_core_appointments_count(case, settings_):
    attend(case, weekly(5))
    attend(
        case, weekly(3, start=date(2026, 1, 5)), status=AppointmentStatus.DNA, kind=AppointmentKind.FOLLOW_UP
    )
    attend(case, weekly(3, start=date(2026, 1, 5)), kind=AppointmentKind.SPECIFIC)
    attend(case, [date(2026, 12, 1)], status=AppointmentStatus.BOOKED, kind=AppointmentKind.FOLLOW_UP)
    state = reviews.review_states([case], settings_, TODAY)[case.pk]
    assert (state.status, state.since_review, state.total) == ("not_due", 5, 5)


def test_a_review_restarts_the_count(case, settings_):
    days = weekly(9)
    attend(case, days)
    assert reviews.review_status(case, settings_, TODAY) == "overdue"
    ReviewFactory(case=case, held_on=days[6])  # after the 7th appointment
    state = reviews.review_states([case], settings_, TODAY)[case.pk]
    assert (state.status, state.since_review, state.total) == ("not_due", 2, 9)
    assert state.reason == "2 appointments since the last review: a review every 6"


def test_past_the_flag_with_no_review_since_is_overdue(case, settings_):
    days = weekly(11)
    attend(case, days)
    ReviewFactory(case=case, held_on=days[5])  # after the 6th: 5 since, but 11 in all
    state = reviews.review_states([case], settings_, TODAY)[case.pk]
    assert state.status == "overdue"
    assert state.reason == "11 appointments in all, past 10, with no review since"
    ReviewFactory(case=case, held_on=days[10])  # reviewed after going past the flag
    assert reviews.review_status(case, settings_, TODAY) == "not_due"


def test_the_team_settings_decide(case, team):
    attend(case, weekly(4))
    assert reviews.review_status(case, PlanningSettings(team=team, core_review_every=4), TODAY) == "due"
    assert (
        reviews.review_status(
            case, PlanningSettings(team=team, core_review_every=6, core_appointments_flag=3), TODAY
        )
        == "overdue"
    )


@pytest.mark.parametrize(
    "state", [CaseState.AWAITING_FIRST_CORE, CaseState.FIRST_CORE_BOOKED, CaseState.LET_GO]
)
def test_a_case_not_in_partnership_is_never_due(team, settings_, state):
    extra = {"closed_on": TODAY, "close_reason": "Goals met"} if state == CaseState.LET_GO else {}
    case = CaseFactory(team=team, state=state, **extra)
    assert reviews.review_status(case, settings_, TODAY) == "not_due"


# --- Specific cases: by the calendar -------------------------------------------------------------


@pytest.fixture
def stream(team):
    return SpecificStreamFactory(team=team, review_interval_weeks=13)


@pytest.mark.parametrize(
    ("joined_weeks_ago", "status"),
    [(10, "not_due"), (11, "due"), (13, "due"), (14, "overdue")],
)
def test_a_specific_case_is_due_within_14_days_of_its_interval(
    team, settings_, stream, joined_weeks_ago, status
):
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP, specific_stream=stream)
    CaseWorkerFactory(
        case=case,
        role=WorkerRole.SPECIFIC_WORKER,
        specific_stream=stream,
        joined_on=TODAY - timedelta(weeks=joined_weeks_ago),
    )
    assert reviews.review_status(case, settings_, TODAY) == status


def test_a_specific_case_counts_from_its_last_review_or_the_date_it_set(team, settings_, stream):
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP, specific_stream=stream)
    CaseWorkerFactory(
        case=case,
        role=WorkerRole.SPECIFIC_WORKER,
        specific_stream=stream,
        joined_on=TODAY - timedelta(weeks=30),
    )
    assert reviews.review_status(case, settings_, TODAY) == "overdue"
    ReviewFactory(case=case, held_on=TODAY - timedelta(weeks=2))
    state = reviews.review_states([case], settings_, TODAY)[case.pk]
    assert (state.status, state.due_on) == ("not_due", TODAY + timedelta(weeks=11))
    ReviewFactory(case=case, held_on=TODAY - timedelta(weeks=1), next_review_on=TODAY + timedelta(days=3))
    assert reviews.review_status(case, settings_, TODAY) == "due"


def test_a_specific_case_with_no_worker_yet_counts_from_choice(team, settings_, stream):
    case = CaseFactory(
        team=team, state=CaseState.IN_PARTNERSHIP, specific_stream=stream, choice_date=date(2026, 9, 21)
    )  # 13 weeks after Choice: 21 Dec 2026
    assert reviews.review_status(case, settings_, date(2026, 12, 6)) == "not_due"
    assert reviews.review_status(case, settings_, date(2026, 12, 7)) == "due"
    assert reviews.review_status(case, settings_, date(2026, 12, 22)) == "overdue"


# --- A caseload at once --------------------------------------------------------------------------


def _caseload(team, stream, size: int) -> list:
    made = []
    for index in range(size):
        if index % 2:
            case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP, specific_stream=stream)
            CaseWorkerFactory(
                case=case, role=WorkerRole.SPECIFIC_WORKER, specific_stream=stream, joined_on=TODAY
            )
        else:
            case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
            attend(case, weekly(index % 9))
        ReviewFactory(case=case, held_on=date(2026, 5, 1))
        made.append(case)
    return made


def test_a_caseload_costs_the_same_queries_whatever_its_size(team, settings_, stream):
    small, large = _caseload(team, stream, 3), _caseload(team, stream, 30)
    with CaptureQueriesContext(connection) as three:
        small_states = reviews.review_statuses(small, settings_, TODAY)
    with CaptureQueriesContext(connection) as thirty:
        large_states = reviews.review_statuses(large, settings_, TODAY)
    assert len(three) == len(thirty) <= 4
    assert len(small_states) == 3
    assert len(large_states) == 30
    # The same answers as one at a time.
    assert large_states == {case.pk: reviews.review_status(case, settings_, TODAY) for case in large}


# --- Recording a review --------------------------------------------------------------------------


def test_recording_a_review_writes_it_and_the_step(case, clinician):
    held = timezone.localdate()
    review = reviews.record_review(
        case=case,
        held_on=held,
        notes="  Sleeping better.  ",
        next_review_on=held + timedelta(weeks=6),
        by=clinician,
    )
    assert (review.held_on, review.notes, review.by) == (held, "Sleeping better.", clinician)
    step = CaseStep.objects.get(case=case)
    assert (step.kind, step.from_state, step.to_state, step.happened_on) == (
        StepKind.REVIEW,
        CaseState.IN_PARTNERSHIP,
        CaseState.IN_PARTNERSHIP,
        held,
    )
    assert step.data == {"next_review_on": (held + timedelta(weeks=6)).isoformat()}


@pytest.mark.parametrize(
    ("held_on", "next_review_on", "field"),
    [
        (lambda today: today + timedelta(days=1), lambda today: None, "held_on"),  # in the future
        (lambda today: date(2026, 1, 1), lambda today: None, "held_on"),  # before the referral
        (lambda today: today, lambda today: today, "next_review_on"),
        (lambda today: today, lambda today: today - timedelta(days=1), "next_review_on"),
    ],
)
def test_a_review_with_dates_that_disagree_writes_nothing(case, clinician, held_on, next_review_on, field):
    today = timezone.localdate()
    with pytest.raises(CaseError) as refused:
        reviews.record_review(
            case=case, held_on=held_on(today), notes="", next_review_on=next_review_on(today), by=clinician
        )
    assert refused.value.field == field
    assert not Review.objects.exists()
    assert not CaseStep.objects.exists()


def test_a_case_not_in_partnership_cannot_be_reviewed(team, clinician):
    case = CaseFactory(team=team, state=CaseState.AWAITING_FIRST_CORE)
    with pytest.raises(CaseError, match="is not possible"):
        reviews.record_review(
            case=case, held_on=timezone.localdate(), notes="", next_review_on=None, by=clinician
        )
    assert not Review.objects.exists()
    assert not CaseStep.objects.exists()
