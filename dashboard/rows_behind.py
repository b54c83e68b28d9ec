"""The rows behind a dashboard figure: the slots counted as offered, unbooked, lost...; the
families behind a wait, longest first. Each uses the same definitions as `quarterly.py`."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Team, User
from dashboard.quarterly import bounds, slot_conditions
from diary.models import (
    LIVE_FIRST_CORE,
    Appointment,
    AppointmentKind,
    Slot,
    SlotKind,
    SlotStatus,
)
from diary.search import with_clinicians
from partnership.models import Case
from planning.quarters import Quarter

SLOT_MEASURES = {
    "offered": "First Core slots offered",
    "booked": "Booked",
    "attended": "Attended",
    "dna": "Did not attend",
    "cancelled": "Cancelled",
    "reoffered": "Re-offered",
    "left_unbooked": "Left unbooked",
    "lost": "Lost to a late cancellation",
}
WAITS = {
    "referral_to_choice": "Referral to Choice",
    "choice_to_first_core": "Choice to first Core appointment",
}
SHOWN = 500


def slots_behind(team: Team, quarter: Quarter, what: str, *, clinician: User | None = None) -> list[Slot]:
    starts, ends = bounds(quarter)
    slots: QuerySet[Slot] = Slot.objects.filter(
        team=team, kind=SlotKind.FIRST_CORE, starts_at__gte=starts, starts_at__lt=ends
    ).exclude(status=SlotStatus.REMOVED)
    if clinician is not None:
        slots = slots.filter(times__clinician=clinician)
    condition = slot_conditions("", timezone.now())[what]
    return list(with_clinicians(slots.filter(condition).distinct()).order_by("starts_at", "pk")[:SHOWN])


def waits_behind(team: Team, quarter: Quarter, wait: str) -> list[tuple[Case, int, float]]:
    """(case, days waited, weeks waited), longest first."""
    if wait == "referral_to_choice":
        found = Case.objects.filter(
            team=team, choice_date__gte=quarter.start, choice_date__lt=quarter.next().start
        )
        rows = [(case, (case.choice_date - case.referral_date).days) for case in found]
    else:
        starts, ends = bounds(quarter)
        appointments = Appointment.objects.filter(
            team=team,
            kind=AppointmentKind.FIRST_CORE,
            status__in=LIVE_FIRST_CORE,
            starts_at__gte=starts,
            starts_at__lt=ends,
            case__choice_date__isnull=False,
        ).select_related("case")
        rows = [
            (a.case, (timezone.localtime(a.starts_at).date() - a.case.choice_date).days) for a in appointments
        ]
    return [
        (case, days, days / 7) for case, days in sorted(rows, key=lambda row: (-row[1], row[0].pk))[:SHOWN]
    ]


CASE_MEASURES = {
    "accepted": "Referrals accepted",
    "new_core": "New Core Partnerships",
    "to_core": "Choice outcomes: on to Core Partnership",
    "closed_core": "Core cases let go",
}


def cases_behind(team: Team, quarter: Quarter, what: str, *, clinician: User | None = None) -> list[Case]:
    """The families behind a count of the quarter, as `quarterly.py` counts them."""
    from dashboard.quarterly import CORE_OUTCOMES, TO_CORE_STEPS
    from partnership.models import CaseState, WorkerRole

    within = {"gte": quarter.start, "lt": quarter.next().start}
    cases = Case.objects.filter(team=team)
    if what == "accepted":
        cases = cases.filter(accepted_on__gte=within["gte"], accepted_on__lt=within["lt"])
    elif what == "new_core":
        joined = Q(
            workers__role__in=[WorkerRole.KEY_WORKER, WorkerRole.CORE_COWORKER],
            workers__joined_on__gte=within["gte"],
            workers__joined_on__lt=within["lt"],
        )
        if clinician is not None:
            joined &= Q(workers__clinician=clinician)
        cases = cases.filter(joined)
    elif what == "to_core":
        cases = cases.filter(
            steps__kind__in=TO_CORE_STEPS,
            steps__happened_on__gte=within["gte"],
            steps__happened_on__lt=within["lt"],
        )
    else:  # closed_core
        cases = cases.filter(
            state=CaseState.LET_GO,
            choice_outcome__in=CORE_OUTCOMES,
            closed_on__gte=within["gte"],
            closed_on__lt=within["lt"],
        )
    return list(cases.distinct().order_by("referral_date", "pk")[:SHOWN])
