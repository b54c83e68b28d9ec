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

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from fractions import Fraction
from statistics import median

from django.db.models import Case, Count, F, IntegerField, Q, Value, When
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
from partnership.models import Case as CaseModel
from partnership.models import CaseState, CaseStep, CaseWorker, ChoiceOutcome, StepKind, WorkerRole
from planning import figures
from planning.quarters import Quarter
from planning.queries import team_planning

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

    @property
    def share_within_4(self) -> Fraction | None:
        return self.share_within(4)

    @property
    def share_within_6(self) -> Fraction | None:
        return self.share_within(6)


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


def slot_conditions(prefix: str, now: datetime) -> dict[str, Q]:
    """Which slots each slot figure counts, reached through `prefix` ("" on Slot, "slot__" on
    ClinicianTime): the one definition the figures and the rows behind them share."""
    links = f"{prefix}appointment_links__appointment__status"
    return {
        "offered": Q(),
        "booked": Q(**{f"{prefix}status": SlotStatus.BOOKED}),
        "attended": Q(**{links: AppointmentStatus.ATTENDED}),
        "dna": Q(**{links: AppointmentStatus.DNA}),
        "cancelled": Q(**{f"{links}__in": CANCELLED}),
        "reoffered": Q(**{f"{prefix}reoffer_of__isnull": False}),
        "left_unbooked": Q(**{f"{prefix}status": SlotStatus.VACANT, f"{prefix}starts_at__lt": now}),
        "lost": Q(**{f"{prefix}status": SlotStatus.LOST}),
    }


def _slot_aggregates(prefix: str, now: datetime) -> dict:
    """Counts of the slots reached through `prefix`; cancellations count appointments (a slot
    cancelled twice, rebooked in between, lost two bookings)."""
    slot = "pk" if prefix == "" else prefix[:-2]
    counted = {"cancelled": f"{prefix}appointment_links"}
    return {
        name: Count(counted.get(name, slot), filter=condition, distinct=True)
        for name, condition in slot_conditions(prefix, now).items()
    }


class _Quarters:
    """The quarters asked for, and an SQL expression giving the index of the one a row's date or
    time falls in (NULL outside them), so one query counts every quarter at once."""

    def __init__(self, quarters: Sequence[Quarter]) -> None:
        self.quarters = list(quarters)

    def of_time(self, field_name: str) -> Case:
        return Case(
            *(
                When(**{f"{field_name}__gte": bounds(q)[0], f"{field_name}__lt": bounds(q)[1]}, then=Value(i))
                for i, q in enumerate(self.quarters)
            ),
            default=None,
            output_field=IntegerField(),
        )

    def of_day(self, field_name: str) -> Case:
        return Case(
            *(
                When(**{f"{field_name}__gte": q.start, f"{field_name}__lt": q.next().start}, then=Value(i))
                for i, q in enumerate(self.quarters)
            ),
            default=None,
            output_field=IntegerField(),
        )

    def times(self, field_name: str) -> Q:
        return Q(**{f"{field_name}__gte": bounds(self.quarters[0])[0]}) & Q(
            **{f"{field_name}__lt": bounds(self.quarters[-1])[1]}
        )

    def days(self, field_name: str) -> Q:
        return Q(**{f"{field_name}__gte": self.quarters[0].start}) & Q(
            **{f"{field_name}__lt": self.quarters[-1].next().start}
        )


def team_activity(team: Team, quarter: Quarter, *, now: datetime | None = None) -> TeamActivity:
    """The team's activity in the quarter, per clinician and in total."""
    return activities([team], [quarter], now=now)[team.pk, quarter]


def activities(
    teams: Sequence[Team], quarters: Sequence[Quarter], *, now: datetime | None = None
) -> dict[tuple[int, Quarter], TeamActivity]:
    """Each team's activity in each quarter (consecutive quarters, oldest first), keyed by (team
    id, quarter): the same number of queries for one team or twenty, one quarter or eight."""
    now = now or timezone.now()
    teams, quarters = list(teams), sorted(quarters, key=lambda q: q.start)
    span = _Quarters(quarters)
    team_ids = [team.pk for team in teams]

    planning = team_planning(teams)
    memo: dict = {}
    planned = {
        (team.pk, i): figures.team_quarter(planning[team.pk], quarter, memo=memo.setdefault(team.pk, {}))
        for team in teams
        for i, quarter in enumerate(quarters)
    }
    published = {
        (t.team_id, t.clinician_id, t.quarter_start): t.target
        for t in QuarterTarget.objects.filter(
            team_id__in=team_ids, quarter_start__in=[q.start for q in quarters]
        ).only("team_id", "clinician_id", "quarter_start", "target")
    }

    first_core = (
        Slot.objects.filter(team_id__in=team_ids, kind=SlotKind.FIRST_CORE)
        .filter(span.times("starts_at"))
        .exclude(status=SlotStatus.REMOVED)
    )
    per_clinician = {
        (row.pop("team_id"), row.pop("q"), row.pop("clinician_id")): row
        for row in ClinicianTime.objects.filter(slot__in=first_core)
        .annotate(team_id=F("slot__team_id"), q=span.of_time("slot__starts_at"))
        .values("team_id", "q", "clinician_id")
        .annotate(**_slot_aggregates("slot__", now))
        .order_by()
    }
    totals = {
        (row.pop("team_id"), row.pop("q")): row
        for row in first_core.annotate(q=span.of_time("starts_at"))
        .values("team_id", "q")
        .annotate(**_slot_aggregates("", now))
        .order_by()
    }
    core_joins = CaseWorker.objects.filter(
        case__team_id__in=team_ids, role__in=[WorkerRole.KEY_WORKER, WorkerRole.CORE_COWORKER]
    ).filter(span.days("joined_on"))
    joins = {
        (row["case__team_id"], row["q"], row["clinician_id"]): row["cases"]
        for row in core_joins.annotate(q=span.of_day("joined_on"))
        .values("case__team_id", "q", "clinician_id")
        .annotate(cases=Count("case", distinct=True))
        .order_by()
    }
    new_core = {
        (row["case__team_id"], row["q"]): row["cases"]
        for row in core_joins.annotate(q=span.of_day("joined_on"))
        .values("case__team_id", "q")
        .annotate(cases=Count("case", distinct=True))
        .order_by()
    }
    steps = {
        (row.pop("case__team_id"), row.pop("q")): row
        for row in CaseStep.objects.filter(case__team_id__in=team_ids)
        .filter(span.days("happened_on"))
        .annotate(q=span.of_day("happened_on"))
        .values("case__team_id", "q")
        .annotate(
            choice_used=Count("pk", filter=Q(kind=StepKind.CHOICE_ATTENDED)),
            choice_missed=Count("pk", filter=Q(kind=StepKind.CHOICE_DNA)),
            choice_outcomes=Count("pk", filter=Q(kind__in=CHOICE_OUTCOME_STEPS)),
            to_core=Count("pk", filter=Q(kind__in=TO_CORE_STEPS)),
        )
        .order_by()
    }
    team_cases = CaseModel.objects.filter(team_id__in=team_ids)
    accepted = {
        (row["team_id"], row["q"]): row["n"]
        for row in team_cases.filter(span.days("accepted_on"))
        .annotate(q=span.of_day("accepted_on"))
        .values("team_id", "q")
        .annotate(n=Count("pk"))
        .order_by()
    }
    referral_waits: dict[tuple, list[int]] = defaultdict(list)
    for team_id, q, referral, choice in (
        team_cases.filter(span.days("choice_date"))
        .annotate(q=span.of_day("choice_date"))
        .values_list("team_id", "q", "referral_date", "choice_date")
    ):
        referral_waits[team_id, q].append((choice - referral).days)
    first_core_appointments = Appointment.objects.filter(
        team_id__in=team_ids, kind=AppointmentKind.FIRST_CORE
    ).filter(span.times("starts_at"))
    seen = {
        (row.pop("team_id"), row.pop("q")): row
        for row in first_core_appointments.annotate(q=span.of_time("starts_at"))
        .values("team_id", "q")
        .annotate(
            dna=Count("pk", filter=Q(status=AppointmentStatus.DNA)),
            seen=Count("pk", filter=Q(status__in=[AppointmentStatus.ATTENDED, AppointmentStatus.DNA])),
        )
        .order_by()
    }
    first_core_waits: dict[tuple, list[int]] = defaultdict(list)
    for team_id, q, starts_at, choice in (
        first_core_appointments.filter(status__in=LIVE_FIRST_CORE, case__choice_date__isnull=False)
        .annotate(q=span.of_time("starts_at"))
        .values_list("team_id", "q", "starts_at", "case__choice_date")
    ):
        first_core_waits[team_id, q].append((timezone.localtime(starts_at).date() - choice).days)
    closed = {
        (row.pop("team_id"), row.pop("q")): row
        for row in team_cases.filter(state=CaseState.LET_GO, choice_outcome__in=CORE_OUTCOMES)
        .filter(span.days("closed_on"))
        .annotate(q=span.of_day("closed_on"))
        .values("team_id", "q")
        .annotate(
            cases=Count("pk", distinct=True),
            appointments=Count(
                "appointments",
                filter=Q(
                    appointments__status=AppointmentStatus.ATTENDED,
                    appointments__kind__in=[AppointmentKind.FIRST_CORE, AppointmentKind.FOLLOW_UP],
                ),
            ),
        )
        .order_by()
    }
    choice_offered = {
        (row["team_id"], row["q"]): row["n"]
        for row in Slot.objects.filter(team_id__in=team_ids, kind=SlotKind.CHOICE)
        .filter(span.times("starts_at"))
        .exclude(status=SlotStatus.REMOVED)
        .annotate(q=span.of_time("starts_at"))
        .values("team_id", "q")
        .annotate(n=Count("pk"))
        .order_by()
    }

    result = {}
    for team in teams:
        for i, quarter in enumerate(quarters):
            key = (team.pk, i)
            plan = planned[key]
            clinicians = [
                ClinicianActivity(
                    clinician=row.clinician,
                    target=published.get((team.pk, row.clinician.pk, quarter.start), row.core_target_whole),
                    slots=_slot_counts(per_clinician.get((team.pk, i, row.clinician.pk), {})),
                    new_core_partnerships=joins.get((team.pk, i, row.clinician.pk), 0),
                )
                for row in plan.clinicians
            ]
            step_counts = steps.get(key, {})
            seen_counts = seen.get(key, {})
            closed_counts = closed.get(key, {})
            result[team.pk, quarter] = TeamActivity(
                team=team,
                quarter=quarter,
                clinicians=clinicians,
                slots=_slot_counts(totals.get(key, {})),
                target=sum(c.target or 0 for c in clinicians),
                new_core_partnerships=new_core.get(key, 0),
                choice_offered=choice_offered.get(key, 0),
                choice_used=step_counts.get("choice_used", 0),
                choice_missed=step_counts.get("choice_missed", 0),
                accepted_referrals=accepted.get(key, 0),
                referral_to_choice=Waits(tuple(referral_waits.get(key, ()))),
                choice_to_first_core=Waits(tuple(first_core_waits.get(key, ()))),
                choice_outcomes=step_counts.get("choice_outcomes", 0),
                to_core=step_counts.get("to_core", 0),
                first_core_dna=seen_counts.get("dna", 0),
                first_core_seen=seen_counts.get("seen", 0),
                closed_core_cases=closed_counts.get("cases", 0),
                closed_core_appointments=closed_counts.get("appointments", 0),
                balance_ratio=plan.figures.ratio,
                choice_core_share=plan.figures.choice_core_share,
            )
    return result


def last_quarters(quarter: Quarter, count: int) -> list[Quarter]:
    """`count` quarters up to and including `quarter`, oldest first."""
    found = [quarter]
    while len(found) < count:
        found.insert(0, found[0].previous())
    return found


def totals(activities_: Sequence[TeamActivity]) -> dict:
    """The organisation's totals of the teams' counts (waits and rates are per team)."""
    slots = {
        name: sum(getattr(a.slots, name) for a in activities_) for name in SlotCounts.__dataclass_fields__
    }
    return {
        "slots": SlotCounts(**slots),
        "target": sum(a.target for a in activities_),
        "new_core_partnerships": sum(a.new_core_partnerships for a in activities_),
        "accepted_referrals": sum(a.accepted_referrals for a in activities_),
        "choice_used": sum(a.choice_used for a in activities_),
    }
