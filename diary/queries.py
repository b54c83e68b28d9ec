"""Reads for the diary pages: the only place the diary joins and prefetches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from accounts.models import Team, User
from diary import search
from diary.models import Appointment, AppointmentSlot, ClinicianTime, Slot, SlotKind, SlotStatus
from diary.search import Result
from planning import figures
from planning import queries as planning_queries
from planning.quarters import Quarter

UPCOMING_SHOWN = 100
REMOVED_SHOWN = 20


def result_for(*, team: Team, slot_ids: Sequence[int]) -> Result:
    """The slots a user chose from the search, to confirm (404 if they are not this team's)."""
    chosen = list(search.with_clinicians(Slot.objects.filter(team=team, pk__in=slot_ids)).order_by("pk"))
    if len(chosen) != len(set(slot_ids)):
        raise Http404("No such slot.")
    return Result(slots=tuple(chosen), clinicians=tuple(t.clinician for s in chosen for t in s.live_times))


def appointment_for_letter(*, team: Team, appointment_id: int) -> Appointment:
    try:
        return (
            Appointment.objects.select_related("case", "venue", "team")
            .prefetch_related(
                Prefetch(
                    "slot_links",
                    queryset=AppointmentSlot.objects.select_related("slot").prefetch_related(
                        Prefetch(
                            "slot__times",
                            queryset=ClinicianTime.objects.defer("during").select_related(
                                "clinician__clinician_profile"
                            ),
                        )
                    ),
                )
            )
            .get(pk=appointment_id, team=team)
        )
    except Appointment.DoesNotExist:
        raise Http404("No such appointment.") from None


def case_appointments(case) -> list[Appointment]:
    """A case's appointments, newest first, with their slots, clinicians and re-offers."""
    return list(
        Appointment.objects.filter(case=case)
        .select_related("venue", "booked_by", "outcome_by")
        .prefetch_related(
            Prefetch(
                "slot_links",
                queryset=AppointmentSlot.objects.select_related("slot").prefetch_related(
                    Prefetch(
                        "slot__times",
                        queryset=ClinicianTime.objects.defer("during").select_related("clinician"),
                    )
                ),
            ),
            Prefetch(
                "reoffers", queryset=Slot.objects.exclude(status=SlotStatus.REMOVED).select_related("venue")
            ),
        )
        .order_by("-starts_at")
    )


def _quarter_bounds(quarter: Quarter) -> tuple[datetime, datetime]:
    from diary.slots import at

    return at(quarter.start, datetime.min.time()), at(quarter.next().start, datetime.min.time())


def clinician_slots_page(*, team: Team, clinician: User) -> dict:
    """The clinician's first Core slots this quarter and next against their targets, and their
    upcoming slots."""
    this_quarter = Quarter.containing(
        timezone.localdate(), start_month=team.organisation.financial_year_start_month
    )
    quarters = [this_quarter, this_quarter.next()]
    planning = planning_queries.one_team_planning(team)
    memo: dict = {}
    counts = []
    for quarter in quarters:
        start, end = _quarter_bounds(quarter)
        row = next(
            (
                r
                for r in figures.team_quarter(planning, quarter, memo=memo).clinicians
                if r.clinician.pk == clinician.pk
            ),
            None,
        )
        put_in = (
            Slot.objects.filter(
                team=team,
                times__clinician=clinician,
                kind=SlotKind.FIRST_CORE,
                starts_at__gte=start,
                starts_at__lt=end,
            )
            .exclude(status=SlotStatus.REMOVED)
            .aggregate(
                total=Count("pk", distinct=True),
                booked=Count("pk", filter=Q(status=SlotStatus.BOOKED), distinct=True),
            )
        )
        counts.append(
            {
                "quarter": quarter,
                "target": row.core_target_whole if row else None,
                "put_in": put_in["total"],
                "short": max((row.core_target_whole or 0) - put_in["total"], 0) if row else 0,
                "booked": put_in["booked"],
            }
        )
    upcoming = list(
        search.with_clinicians(
            Slot.objects.filter(team=team, times__clinician=clinician, starts_at__gte=timezone.now()).exclude(
                status=SlotStatus.REMOVED
            )
        ).order_by("starts_at")[:UPCOMING_SHOWN]
    )
    # Removed slots still to come, so that a slot removed by mistake can be put back.
    removed = list(
        Slot.objects.filter(
            team=team, times__clinician=clinician, status=SlotStatus.REMOVED, starts_at__gt=timezone.now()
        )
        .select_related("venue")
        .prefetch_related(
            Prefetch(
                "times",
                queryset=ClinicianTime.objects.defer("during")
                .select_related("clinician")
                .order_by("slot_id", "pk"),
                to_attr="held_times",
            )
        )
        .order_by("starts_at")[:REMOVED_SHOWN]
    )
    return {"team": team, "clinician": clinician, "targets": counts, "upcoming": upcoming, "removed": removed}
