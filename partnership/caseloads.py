"""Caseload lists: a clinician's own cases, and the team's families at each stage that needs an
eye on it (waiting for Choice; after Choice with no first Core booking, which should never
happen; in Partnership), each with its waits against the team's thresholds.

Every list costs the same few queries however many cases it shows: waits and the first Core
date are annotations, workers a prefetch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Team, User
from diary.models import LIVE_FIRST_CORE, Appointment, AppointmentKind
from partnership.models import Case, CaseState, CaseWorker
from planning.models import PlanningSettings

WAITING_FOR_CHOICE = [CaseState.REFERRED, CaseState.AWAITING_CHOICE, CaseState.CHOICE_BOOKED]
AFTER_CHOICE_UNBOOKED = [
    CaseState.CHOICE_ATTENDED,
    CaseState.AWAITING_FIRST_CORE,
    CaseState.AWAITING_SPECIFIC,
]
OPEN_IN_PARTNERSHIP = [CaseState.FIRST_CORE_BOOKED, CaseState.IN_PARTNERSHIP]
SHOWN = 200


@dataclass(frozen=True)
class Wait:
    """A wait in whole weeks against the team's thresholds; `ongoing` if it has not ended yet."""

    days: int
    ongoing: bool
    amber_weeks: int
    red_weeks: int

    @property
    def weeks(self) -> float:
        return self.days / 7

    @property
    def rag(self) -> str:
        if self.weeks >= self.red_weeks:
            return "red"
        if self.weeks >= self.amber_weeks:
            return "amber"
        return "green"


def wait_between(
    start: date | None, end: date | None, settings: PlanningSettings, *, today: date
) -> Wait | None:
    if start is None:
        return None
    return Wait(
        days=((end or today) - start).days,
        ongoing=end is None,
        amber_weeks=settings.wait_amber_weeks,
        red_weeks=settings.wait_red_weeks,
    )


def with_journey(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Cases with their first Core appointment's start (`first_core_at`) and current workers."""
    first_core = (
        Appointment.objects.filter(
            case=OuterRef("pk"), kind=AppointmentKind.FIRST_CORE, status__in=LIVE_FIRST_CORE
        )
        .values("case")
        .annotate(first=Min("starts_at"))
        .values("first")
    )
    return cases.annotate(first_core_at=Subquery(first_core)).prefetch_related(
        Prefetch(
            "workers",
            queryset=CaseWorker.objects.filter(left_on__isnull=True).select_related("clinician"),
            to_attr="current_workers",
        )
    )


@dataclass(frozen=True)
class Row:
    case: Case
    referral_to_choice: Wait | None
    choice_to_first_core: Wait | None
    appointments: int = 0  # attended Core appointments, the first one included
    past_review_flag: bool = False  # more than the team's setting: the case needs a review
    review: str = "not_due"  # "not_due", "due" or "overdue" (partnership/reviews.py)


def rows(cases, settings: PlanningSettings, *, today: date | None = None) -> list[Row]:
    """A row for each case (a few more queries, for appointment counts and reviews, however many)."""
    from diary.follow_ups import appointment_counts, past_appointment_flag
    from partnership.reviews import review_statuses

    today = today or timezone.localdate()
    cases = list(cases)
    counts = appointment_counts(cases)
    reviews = review_statuses(cases, settings, today)
    result = []
    for case in cases:
        first_core_on = timezone.localtime(case.first_core_at).date() if case.first_core_at else None
        result.append(
            Row(
                case=case,
                referral_to_choice=wait_between(case.referral_date, case.choice_date, settings, today=today),
                choice_to_first_core=(
                    wait_between(case.choice_date, first_core_on, settings, today=today)
                    if case.choice_date
                    and (first_core_on or case.state in AFTER_CHOICE_UNBOOKED + OPEN_IN_PARTNERSHIP)
                    else None
                ),
                appointments=counts.get(case.pk, 0),
                past_review_flag=past_appointment_flag(counts.get(case.pk, 0), settings),
                review=reviews.get(case.pk, "not_due"),
            )
        )
    return result


def team_lists(team: Team) -> dict[str, QuerySet[Case]]:
    """The team's open cases at each stage, longest waiting first."""
    team_cases = with_journey(Case.objects.filter(team=team))
    return {
        "waiting_for_choice": team_cases.filter(state__in=WAITING_FOR_CHOICE).order_by("referral_date", "pk")[
            :SHOWN
        ],
        "after_choice_unbooked": team_cases.filter(state__in=AFTER_CHOICE_UNBOOKED).order_by(
            "choice_date", "pk"
        )[:SHOWN],
        "in_partnership": team_cases.filter(state__in=OPEN_IN_PARTNERSHIP).order_by("referral_date", "pk")[
            :SHOWN
        ],
    }


def my_cases(user: User, team: Team) -> QuerySet[Case]:
    """The clinician's open cases in the team: those they work with now, and those they saw at
    Choice that have not yet found their Partnership clinicians."""
    return (
        with_journey(Case.objects.filter(team=team))
        .filter(
            Q(workers__clinician=user, workers__left_on__isnull=True)
            | Q(choice_clinician=user, state__in=AFTER_CHOICE_UNBOOKED)
        )
        .exclude(state__in=[CaseState.NOT_ACCEPTED, CaseState.CLOSED_AT_CHOICE, CaseState.LET_GO])
        .distinct()
        .order_by("referral_date", "pk")[:SHOWN]
    )
