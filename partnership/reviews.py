"""Reviews: when a case's goals are due a planned check, and recording one.

Core cases are reviewed by appointments: a review is due once the attended Core appointments
(the first and those after it) since the last review reach the team's `core_review_every` (6), and
overdue two past that, or once the case is past `core_appointments_flag` (10) appointments in
all with no review since it went past. A case of a Specific stream is reviewed by the calendar:
the stream's `review_interval_weeks` after its last review (or its start, when its Specific
worker joined), or on the next review date that review set; due in the 14 days before, overdue
after it.

`review_states` works out any number of cases in four queries, so a caseload of 3 and one of 300
cost the same round trips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from capa.templatetags.nhsuk import uk_date
from diary.models import Appointment, AppointmentKind, AppointmentStatus
from partnership import cases
from partnership.cases import CaseError
from partnership.models import Case, CaseState, CaseWorker, Review, StepKind, WorkerRole
from planning.models import PlanningSettings, SpecificStream

NOT_DUE, DUE, OVERDUE = "not_due", "due", "overdue"
WORDS = {NOT_DUE: "Not due", DUE: "Review due", OVERDUE: "Review overdue"}
DUE_WITHIN_DAYS = 14
OVERDUE_BY = 2  # Core appointments past `core_review_every`
COUNTED_KINDS = [AppointmentKind.FIRST_CORE, AppointmentKind.FOLLOW_UP]


@dataclass(frozen=True)
class ReviewState:
    status: str  # NOT_DUE, DUE or OVERDUE
    reason: str = ""  # in words, for the page
    since_review: int | None = None  # Core: attended appointments since the last review
    total: int | None = None  # Core: attended appointments in all
    due_on: date | None = None  # Specific: the day the review falls due

    @property
    def words(self) -> str:
        return WORDS[self.status]


def _core_state(dates: list[date], last_review: date | None, settings: PlanningSettings) -> ReviewState:
    every, flag = settings.core_review_every, settings.core_appointments_flag
    total = len(dates)
    since = sum(1 for day in dates if last_review is None or day > last_review)
    counts = {"since_review": since, "total": total}
    # Past the flag with no review since the appointment that took it past.
    if flag and total > flag and (last_review is None or dates[flag] > last_review):
        return ReviewState(
            OVERDUE, f"{total} appointments in all, past {flag}, with no review since", **counts
        )
    after = "since the last review" if last_review else "so far"
    if since >= every + OVERDUE_BY:
        return ReviewState(OVERDUE, f"{since} appointments {after}: a review is due every {every}", **counts)
    if since >= every:
        return ReviewState(DUE, f"{since} appointments {after}: a review is due every {every}", **counts)
    return ReviewState(NOT_DUE, f"{since} appointments {after}: a review every {every}", **counts)


def _specific_state(due_on: date, today: date) -> ReviewState:
    if today > due_on:
        return ReviewState(OVERDUE, f"The review was due {uk_date(due_on)}", due_on=due_on)
    if today >= due_on - timedelta(days=DUE_WITHIN_DAYS):
        return ReviewState(DUE, f"The review is due {uk_date(due_on)}", due_on=due_on)
    return ReviewState(NOT_DUE, f"Next review {uk_date(due_on)}", due_on=due_on)


def review_states(
    case_list: Iterable[Case], settings: PlanningSettings, today: date | None = None
) -> dict[int, ReviewState]:
    """The review state of each case, by case id, in four queries whatever the number of cases.
    Cases not in Partnership are never due."""
    today = today or timezone.localdate()
    case_list = list(case_list)
    open_cases = [case for case in case_list if case.state == CaseState.IN_PARTNERSHIP]
    states = {case.pk: ReviewState(NOT_DUE) for case in case_list}
    if not open_cases:
        return states
    ids = [case.pk for case in open_cases]
    # 1. The last review of each case (reviews come oldest first).
    last_review: dict[int, Review] = {}
    for review in Review.objects.filter(case_id__in=ids).order_by("held_on", "pk"):
        last_review[review.case_id] = review
    # 2. Attended Core appointments, by day.
    attended: dict[int, list[date]] = defaultdict(list)
    for case_id, starts_at in (
        Appointment.objects.filter(case_id__in=ids, kind__in=COUNTED_KINDS, status=AppointmentStatus.ATTENDED)
        .order_by("starts_at", "pk")
        .values_list("case_id", "starts_at")
    ):
        attended[case_id].append(timezone.localdate(starts_at))
    # 3. When each case's Specific work started: its first Specific worker's joining.
    started: dict[int, date] = {}
    for case_id, joined_on in (
        CaseWorker.objects.filter(case_id__in=ids, role=WorkerRole.SPECIFIC_WORKER)
        .order_by("joined_on", "pk")
        .values_list("case_id", "joined_on")
    ):
        started.setdefault(case_id, joined_on)
    # 4. The streams' review intervals.
    streams = {
        stream.pk: stream
        for stream in SpecificStream.objects.filter(
            pk__in={case.specific_stream_id for case in open_cases if case.specific_stream_id}
        )
    }
    for case in open_cases:
        review = last_review.get(case.pk)
        stream = streams.get(case.specific_stream_id)
        if stream is None:
            states[case.pk] = _core_state(attended[case.pk], review.held_on if review else None, settings)
            continue
        if review is not None and review.next_review_on is not None:
            due_on = review.next_review_on
        else:
            start = (
                review.held_on
                if review is not None
                else started.get(case.pk) or case.choice_date or case.accepted_on or case.referral_date
            )
            due_on = start + timedelta(weeks=stream.review_interval_weeks)
        states[case.pk] = _specific_state(due_on, today)
    return states


def review_statuses(
    case_list: Iterable[Case], settings: PlanningSettings, today: date | None = None
) -> dict[int, str]:
    """ "not_due", "due" or "overdue" for each case, by case id (a fixed number of queries)."""
    return {case_id: state.status for case_id, state in review_states(case_list, settings, today).items()}


def review_status(case: Case, settings: PlanningSettings, today: date | None = None) -> str:
    """ "not_due", "due" or "overdue" for one case."""
    return review_statuses([case], settings, today)[case.pk]


@transaction.atomic
def record_review(
    case: Case, held_on: date | None, notes: str, next_review_on: date | None, by: User
) -> Review:
    """Record a review held with the family, and the case's step, together; raises CaseError
    (nothing written) if the case is not in Partnership or the dates disagree."""
    if held_on is None:
        raise CaseError("Enter the day the review was held.", field="held_on")
    if next_review_on is not None and next_review_on <= held_on:
        raise CaseError("The next review must be after this one.", field="next_review_on")
    notes = notes.strip()
    try:
        cases.take_step(
            case=case,
            kind=StepKind.REVIEW,
            by=by,
            on=held_on,
            facts=cases.Facts(
                detail=notes[:1000],
                data={"next_review_on": next_review_on.isoformat()} if next_review_on else None,
            ),
        )
    except CaseError as problem:
        raise CaseError(
            problem.message, field="held_on" if problem.field == "on" else problem.field
        ) from None
    return Review.objects.create(
        case=case, held_on=held_on, notes=notes, next_review_on=next_review_on, by=by
    )
