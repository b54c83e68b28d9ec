"""A quarter's activity against targets, per clinician and per team (DOMAIN.md, "What the
dashboards answer").

Everything is counted from the rows themselves (slots, appointments, case steps, workers), in a
fixed number of queries per team however many clinicians or rows there are, so a figure can never
drift from what happened. What each figure counts:

- Slots are first Core slots starting in the quarter, not removed. A clinician's figures count
  every slot they are in (a joint slot counts for both); the team's count each slot once.
  *Offered*: put in. *Booked*: held by a booking now. *Attended*, *DNA*, *cancelled*: what became
  of the appointments booked into them. *Re-offered*: put in to replace lost capacity. *Left
  unbooked*: started while still vacant. *Lost*: cancelled too late to rebook.
- *New Core Partnerships*: the clinician joined a case as its key worker or a Core co-worker in the
  quarter (each case once).
- *Choice*: Choice slots offered in the quarter; Choice appointments used (a "Choice attended"
  step) and missed ("Choice DNA"); referrals accepted in the quarter.
- *Waits*, in weeks: referral to Choice for families seen at Choice in the quarter; Choice to the
  first Core appointment for first Core appointments (booked or attended) in the quarter.
- *Transfer rate*: of the Choice outcomes recorded in the quarter, the share going on to Core
  Partnership (including families kept by their Choice clinician; a Choice Plus is not an outcome
  yet).
- *Mean appointments per closed Core case*: attended Core appointments of the Core cases let go in
  the quarter.
- *Balance ratio* and *Choice + Core share*: the job plans in force (planning/figures.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from fractions import Fraction
from statistics import median

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Team, User
from diary.models import (
    CANCELLED,
    LIVE_FIRST_CORE,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ClinicianTime,
    QuarterTarget,
    Slot,
    SlotKind,
    SlotStatus,
)
from diary.slots import at
from partnership.models import Case, CaseState, CaseStep, CaseWorker, ChoiceOutcome, StepKind, WorkerRole
from planning import figures
from planning.quarters import Quarter
from planning.queries import one_team_planning

CHOICE_OUTCOME_STEPS = [
    StepKind.CLOSE_AT_CHOICE,
    StepKind.TO_CORE,
    StepKind.TO_SPECIFIC,
    StepKind.KEEP_AT_CHOICE,
]
TO_CORE_STEPS = [StepKind.TO_CORE, StepKind.KEEP_AT_CHOICE]
CORE_OUTCOMES = [ChoiceOutcome.CORE, ChoiceOutcome.KEPT_AT_CHOICE]


@dataclass(frozen=True)
class SlotCounts:
    offered: int = 0
    booked: int = 0
    attended: int = 0
    dna: int = 0
    cancelled: int = 0
    reoffered: int = 0
    left_unbooked: int = 0
    lost: int = 0


@dataclass(frozen=True)
class Waits:
    """Waits in days; figures in weeks."""

    days: tuple[int, ...] = ()

    @property
    def count(self) -> int:
        return len(self.days)

    @property
    def median_weeks(self) -> float | None:
        return median(self.days) / 7 if self.days else None

    @property
    def p90_weeks(self) -> float | None:
        """The 90th percentile, nearest rank: nine in ten waited this long or less."""
        if not self.days:
            return None
        ordered = sorted(self.days)
        rank = -(-9 * len(ordered) // 10)  # ceil(0.9 n)
        return ordered[rank - 1] / 7

    def share_within(self, weeks: int) -> Fraction | None:
        if not self.days:
            return None
        return Fraction(sum(1 for d in self.days if d <= weeks * 7), len(self.days))


@dataclass(frozen=True)
class ClinicianActivity:
    clinician: User
    target: int | None
    slots: SlotCounts
    new_core_partnerships: int

    @property
    def short_of_target(self) -> int | None:
        return None if self.target is None else max(self.target - self.slots.offered, 0)


@dataclass(frozen=True)
class TeamActivity:
    team: Team
    quarter: Quarter
    clinicians: list[ClinicianActivity]
    slots: SlotCounts  # each slot once
    target: int  # the clinicians' targets together
    new_core_partnerships: int  # each case once
    choice_offered: int
    choice_used: int
    choice_missed: int
    accepted_referrals: int
    referral_to_choice: Waits
    choice_to_first_core: Waits
    choice_outcomes: int
    to_core: int
    first_core_dna: int
    first_core_seen: int  # attended or DNA
    closed_core_cases: int
    closed_core_appointments: int
    balance_ratio: Fraction | None
    choice_core_share: Fraction | None

    @property
    def transfer_rate(self) -> Fraction | None:
        return Fraction(self.to_core, self.choice_outcomes) if self.choice_outcomes else None

    @property
    def choice_dna_rate(self) -> Fraction | None:
        seen = self.choice_used + self.choice_missed
        return Fraction(self.choice_missed, seen) if seen else None

    @property
    def first_core_dna_rate(self) -> Fraction | None:
        return Fraction(self.first_core_dna, self.first_core_seen) if self.first_core_seen else None

    @property
    def mean_appointments_per_closed_core_case(self) -> Fraction | None:
        if not self.closed_core_cases:
            return None
        return Fraction(self.closed_core_appointments, self.closed_core_cases)


def bounds(quarter: Quarter) -> tuple[datetime, datetime]:
    return at(quarter.start, time.min), at(quarter.next().start, time.min)


def _slot_counts(rows) -> SlotCounts:
    return SlotCounts(**{name: rows.get(name) or 0 for name in SlotCounts.__dataclass_fields__})


def _slot_aggregates(prefix: str, now: datetime) -> dict:
    """Counts of the slots reached through `prefix` ("" on Slot, "slot__" on ClinicianTime)."""
    slot = f"{prefix}pk" if prefix == "" else f"{prefix[:-2]}"
    links = f"{prefix}appointment_links__appointment__status"

    def count(condition: Q | None = None) -> Count:
        return Count(slot, filter=condition, distinct=True)

    return {
        "offered": count(),
        "booked": count(Q(**{f"{prefix}status": SlotStatus.BOOKED})),
        "attended": count(Q(**{links: AppointmentStatus.ATTENDED})),
        "dna": count(Q(**{links: AppointmentStatus.DNA})),
        "cancelled": Count(
            f"{prefix}appointment_links", filter=Q(**{f"{links}__in": CANCELLED}), distinct=True
        ),
        "reoffered": count(Q(**{f"{prefix}reoffer_of__isnull": False})),
        "left_unbooked": count(Q(**{f"{prefix}status": SlotStatus.VACANT, f"{prefix}starts_at__lt": now})),
        "lost": count(Q(**{f"{prefix}status": SlotStatus.LOST})),
    }


def team_activity(team: Team, quarter: Quarter, *, now: datetime | None = None) -> TeamActivity:
    """The team's activity in the quarter, per clinician and in total."""
    now = now or timezone.now()
    starts, ends = bounds(quarter)
    in_quarter = {"starts_at__gte": starts, "starts_at__lt": ends}
    days = {"gte": quarter.start, "lt": quarter.next().start}

    planned = figures.team_quarter(one_team_planning(team), quarter)
    published = {
        t.clinician_id: t.target for t in QuarterTarget.objects.filter(team=team, quarter_start=quarter.start)
    }

    first_core = Slot.objects.filter(team=team, kind=SlotKind.FIRST_CORE, **in_quarter).exclude(
        status=SlotStatus.REMOVED
    )
    per_clinician = {
        row.pop("clinician_id"): row
        for row in ClinicianTime.objects.filter(slot__in=first_core)
        .values("clinician_id")
        .annotate(**_slot_aggregates("slot__", now))
        .order_by()
    }
    totals = first_core.aggregate(**_slot_aggregates("", now))
    joins = dict(
        CaseWorker.objects.filter(
            case__team=team,
            role__in=[WorkerRole.KEY_WORKER, WorkerRole.CORE_COWORKER],
            joined_on__gte=days["gte"],
            joined_on__lt=days["lt"],
        )
        .values("clinician_id")
        .annotate(cases=Count("case", distinct=True))
        .values_list("clinician_id", "cases")
    )
    new_core_total = (
        CaseWorker.objects.filter(
            case__team=team,
            role__in=[WorkerRole.KEY_WORKER, WorkerRole.CORE_COWORKER],
            joined_on__gte=days["gte"],
            joined_on__lt=days["lt"],
        )
        .values("case")
        .distinct()
        .count()
    )

    clinicians = []
    for row in planned.clinicians:
        person = row.clinician
        target = published.get(person.pk, row.core_target_whole)
        clinicians.append(
            ClinicianActivity(
                clinician=person,
                target=target,
                slots=_slot_counts(per_clinician.get(person.pk, {})),
                new_core_partnerships=joins.get(person.pk, 0),
            )
        )

    steps = CaseStep.objects.filter(case__team=team, happened_on__gte=days["gte"], happened_on__lt=days["lt"])
    step_counts = steps.aggregate(
        choice_used=Count("pk", filter=Q(kind=StepKind.CHOICE_ATTENDED)),
        choice_missed=Count("pk", filter=Q(kind=StepKind.CHOICE_DNA)),
        choice_outcomes=Count("pk", filter=Q(kind__in=CHOICE_OUTCOME_STEPS)),
        to_core=Count("pk", filter=Q(kind__in=TO_CORE_STEPS)),
    )
    team_cases = Case.objects.filter(team=team)
    case_counts = team_cases.aggregate(
        accepted=Count("pk", filter=Q(accepted_on__gte=days["gte"], accepted_on__lt=days["lt"])),
    )
    referral_to_choice = Waits(
        tuple(
            (choice - referral).days
            for referral, choice in team_cases.filter(
                choice_date__gte=days["gte"], choice_date__lt=days["lt"]
            ).values_list("referral_date", "choice_date")
        )
    )
    first_core_appointments = Appointment.objects.filter(
        team=team, kind=AppointmentKind.FIRST_CORE, **in_quarter
    )
    seen = first_core_appointments.aggregate(
        dna=Count("pk", filter=Q(status=AppointmentStatus.DNA)),
        seen=Count("pk", filter=Q(status__in=[AppointmentStatus.ATTENDED, AppointmentStatus.DNA])),
    )
    choice_to_first_core = Waits(
        tuple(
            (timezone.localtime(starts_at).date() - choice).days
            for starts_at, choice in first_core_appointments.filter(
                status__in=LIVE_FIRST_CORE, case__choice_date__isnull=False
            ).values_list("starts_at", "case__choice_date")
        )
    )
    closed = team_cases.filter(
        state=CaseState.LET_GO,
        choice_outcome__in=CORE_OUTCOMES,
        closed_on__gte=days["gte"],
        closed_on__lt=days["lt"],
    ).aggregate(
        cases=Count("pk", distinct=True),
        appointments=Count(
            "appointments",
            filter=Q(
                appointments__status=AppointmentStatus.ATTENDED,
                appointments__kind__in=[AppointmentKind.FIRST_CORE, AppointmentKind.FOLLOW_UP],
            ),
        ),
    )
    choice_offered = (
        Slot.objects.filter(team=team, kind=SlotKind.CHOICE, **in_quarter)
        .exclude(status=SlotStatus.REMOVED)
        .count()
    )
    return TeamActivity(
        team=team,
        quarter=quarter,
        clinicians=clinicians,
        slots=_slot_counts(totals),
        target=sum(c.target or 0 for c in clinicians),
        new_core_partnerships=new_core_total,
        choice_offered=choice_offered,
        choice_used=step_counts["choice_used"],
        choice_missed=step_counts["choice_missed"],
        accepted_referrals=case_counts["accepted"],
        referral_to_choice=referral_to_choice,
        choice_to_first_core=choice_to_first_core,
        choice_outcomes=step_counts["choice_outcomes"],
        to_core=step_counts["to_core"],
        first_core_dna=seen["dna"],
        first_core_seen=seen["seen"],
        closed_core_cases=closed["cases"],
        closed_core_appointments=closed["appointments"],
        balance_ratio=planned.figures.ratio,
        choice_core_share=planned.figures.choice_core_share,
    )
