"""The CAPA capacity maths, as pure functions of explicit inputs.

Every figure is exact (`fractions.Fraction`), so 11 Core hours a week give 66/7 new Core
Partnerships a quarter, not 9.43 or 9.42857: rounding happens once, where a person needs a whole
number. Inputs may be ints, Decimals or Fractions. The specification is `DOMAIN.md` ("The maths");
each function names the rule it implements. No Django, no database.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

Number = int | Decimal | Fraction

WEEKS_PER_QUARTER = 13
QUARTERS_PER_YEAR = 4


def exact(value: Number) -> Fraction:
    """A number as an exact fraction (Decimal("0.66") is 33/50, not a binary approximation)."""
    if isinstance(value, float):
        raise TypeError("use Decimal or Fraction, not float: capacity maths is exact")
    return Fraction(value)


def round_half_up(value: Number) -> int:
    """Round to the nearest whole number, halves up (9.5 -> 10), as people expect; not banker's."""
    value = exact(value)
    return int((value + Fraction(1, 2)).__floor__())


# --- 1. The Partnership multiplier -------------------------------------------------------------


def working_weeks_per_quarter(*, working_weeks_per_year: Number) -> Fraction:
    """45 working weeks a year give 11.25 a quarter (leave is already taken out)."""
    return exact(working_weeks_per_year) / QUARTERS_PER_YEAR


def appointments_per_weekly_session(
    *, appointments_per_session: Number, working_weeks_per_year: Number
) -> Fraction:
    """Appointments a quarter from one weekly session: 2 x 11.25 = 22.5 by default."""
    return exact(appointments_per_session) * working_weeks_per_quarter(
        working_weeks_per_year=working_weeks_per_year
    )


def multiplier(
    *, appointments_per_session: Number, working_weeks_per_year: Number, average_appointments: Number
) -> Fraction:
    """New cases a quarter for each weekly session: 2 x 11.25 / 7.5 = 3 for Core by default.

    The same formula gives adjusted multipliers (home visits: 1.5 a session -> 2.25) and each
    Specific stream's own (weekly psychotherapy for a year: 1 x 11.25 / 45 = 0.25).
    """
    average = exact(average_appointments)
    if average <= 0:
        raise ValueError("average appointments per case must be more than 0")
    return (
        appointments_per_weekly_session(
            appointments_per_session=appointments_per_session, working_weeks_per_year=working_weeks_per_year
        )
        / average
    )


# --- 2. Quarterly targets ----------------------------------------------------------------------


def quarter_target_from_sessions(*, sessions_per_week: Number, multiplier: Number) -> Fraction:
    """3 Core sessions a week x 3 = 9 new Core Partnerships a quarter."""
    sessions = exact(sessions_per_week)
    if sessions < 0:
        raise ValueError("sessions a week cannot be negative")
    return sessions * exact(multiplier)


def quarter_target_from_hours(
    *, hours_per_week: Number, hours_per_session: Number, multiplier: Number
) -> Fraction:
    """11 Core hours a week / 3.5 x 3 = 66/7 (9.43): the exact fraction, not the x0.86 shortcut."""
    per_session = exact(hours_per_session)
    if per_session <= 0:
        raise ValueError("hours per session must be more than 0")
    return quarter_target_from_sessions(
        sessions_per_week=exact(hours_per_week) / per_session, multiplier=multiplier
    )


def scale_for_absence(target: Number, *, extra_absent_weeks: Number) -> Fraction:
    """Absence beyond normal leave scales a quarter's target: target x (13 - weeks) / 13.

    Normal annual and study leave and bank holidays are already inside the 11.25-of-13 weeks.
    Weeks are clamped to the quarter, so a whole quarter away gives 0 and never less.
    """
    weeks = min(max(exact(extra_absent_weeks), Fraction(0)), Fraction(WEEKS_PER_QUARTER))
    return exact(target) * (WEEKS_PER_QUARTER - weeks) / WEEKS_PER_QUARTER


# --- 3. Whole numbers that keep the year's total -----------------------------------------------


def whole_number_targets(quarter_targets: Sequence[Number]) -> list[int]:
    """Whole-number targets for consecutive quarters whose sum is the rounded sum of the fractions.

    Largest remainder: each quarter gets the whole part of its fraction, and the slots left over
    to reach the rounded total go to the largest remainders, later quarters first on a tie (so
    9.43 a quarter gives 9, 9, 10, 10: 38 in the year). No slot is lost or invented over the year.
    """
    fractions = [exact(target) for target in quarter_targets]
    if any(target < 0 for target in fractions):
        raise ValueError("a target cannot be negative")
    floors = [int(target.__floor__()) for target in fractions]
    left_over = round_half_up(sum(fractions, Fraction(0))) - sum(floors)
    by_remainder = sorted(range(len(fractions)), key=lambda i: (fractions[i] - floors[i], i), reverse=True)
    for i in by_remainder[:left_over]:
        floors[i] += 1
    return floors


# --- 6. Choice capacity ------------------------------------------------------------------------


class ChoicePattern(enum.StrEnum):
    """How a clinician's Choice time is planned. Sessions are planned around leave; a fixed
    "one a week" or "one a fortnight" per person loses about 10% of it to leave."""

    SESSIONS = "sessions"
    ONE_A_WEEK = "one_a_week"
    ONE_A_FORTNIGHT = "one_a_fortnight"


def choice_appointments_per_week(
    *,
    choice_hours_per_week: Number,
    hours_per_session: Number,
    choice_appointments_per_session: Number = 2,
    pattern: ChoicePattern = ChoicePattern.SESSIONS,
    leave_allowance: Number = Decimal("0.10"),
) -> Fraction:
    """Choice appointments a clinician offers in a typical week (up to 90 minutes each, so 2 a
    session); a per-person weekly or fortnightly rate keeps 90% of it after leave."""
    per_session = exact(hours_per_session)
    if per_session <= 0:
        raise ValueError("hours per session must be more than 0")
    if pattern == ChoicePattern.ONE_A_WEEK:
        planned = Fraction(1)
    elif pattern == ChoicePattern.ONE_A_FORTNIGHT:
        planned = Fraction(1, 2)
    else:
        return exact(choice_hours_per_week) / per_session * exact(choice_appointments_per_session)
    return planned * (1 - exact(leave_allowance))


@dataclass(frozen=True)
class ChoiceCapacity:
    appointments_per_week: Fraction
    referrals_per_week: Fraction

    @property
    def difference(self) -> Fraction:
        """Positive: spare Choice appointments a week; negative: a wait for Choice will build."""
        return self.appointments_per_week - self.referrals_per_week

    @property
    def is_enough(self) -> bool:
        return self.difference >= 0


def choice_capacity(*, appointments_per_week: Sequence[Number], referrals_per_week: Number) -> ChoiceCapacity:
    """The team's Choice appointments a week against accepted referrals a week (plan for full
    attendance: every accepted referral needs a Choice appointment)."""
    return ChoiceCapacity(
        appointments_per_week=sum((exact(a) for a in appointments_per_week), Fraction(0)),
        referrals_per_week=exact(referrals_per_week),
    )


# --- 7. Team balance ---------------------------------------------------------------------------


def core_capacity_needed(*, referrals_per_week: Number, transfer_rate: Number) -> Fraction:
    """New Core Partnerships a quarter the team must start: referrals a week x 13 x transfer rate."""
    return exact(referrals_per_week) * WEEKS_PER_QUARTER * exact(transfer_rate)


def balance_ratio(*, core_targets_total: Number, referrals_per_week: Number) -> Fraction | None:
    """The team's quarterly Core targets per weekly accepted referral (expect 8-9); None with no
    referrals, when there is nothing to balance against."""
    referrals = exact(referrals_per_week)
    if referrals <= 0:
        return None
    return exact(core_targets_total) / referrals


class Balance(enum.StrEnum):
    IN_BALANCE = "in_balance"
    INTERNAL_WAIT = "internal_wait"
    SPARE_CORE = "spare_core"
    NO_REFERRALS = "no_referrals"


BALANCE_WORDS = {
    Balance.IN_BALANCE: "In balance",
    Balance.INTERNAL_WAIT: "An internal wait will build",
    Balance.SPARE_CORE: "Spare Core capacity",
    Balance.NO_REFERRALS: "No referrals entered",
}


def balance_status(ratio: Fraction | None, *, low: Number = 8, high: Number = 9) -> Balance:
    """In balance between `low` and `high` (13 x 0.66 = 8.6; 13 x 0.70 = 9.1); below, families
    wait for Partnership after Choice; above, Core time could move to Choice or Specific work."""
    if ratio is None:
        return Balance.NO_REFERRALS
    if ratio < exact(low):
        return Balance.INTERNAL_WAIT
    if ratio > exact(high):
        return Balance.SPARE_CORE
    return Balance.IN_BALANCE


# --- 8. Share of time in Choice + Core ---------------------------------------------------------


def choice_core_share(*, choice_hours: Number, core_hours: Number, planned_hours: Number) -> Fraction | None:
    """The share of the team's planned week spent in Choice and Core Partnership (teams manage
    30-40%; rule 9's "30% of time" is of the whole week, not of clinical time alone, which with
    Specific work added is usually 70% or more Choice + Core)."""
    planned = exact(planned_hours)
    if planned <= 0:
        return None
    return (exact(choice_hours) + exact(core_hours)) / planned


def share_is_usual(
    share: Fraction | None, *, low: Number = Decimal("0.30"), high: Number = Decimal("0.40")
) -> bool:
    return share is not None and exact(low) <= share <= exact(high)


# --- 9. Rules of thumb -------------------------------------------------------------------------


def hours_per_referral(
    *, choice_hours: Number = 1, core_average_appointments: Number = Decimal("7.5"), transfer_rate: Number
) -> Fraction:
    """Clinical hours one accepted referral costs: 1 h of Choice + 7.5 x 0.66 h of Core = 5.95 (about 6)."""
    return exact(choice_hours) + exact(core_average_appointments) * exact(transfer_rate)


def referrals_per_week_for(*, clinical_fte: Number, choice_core_share: Number = Decimal("0.30")) -> Fraction:
    """About one referral a week per clinical FTE when 30% of time is Choice + Core."""
    return exact(clinical_fte) * exact(choice_core_share) / exact(Decimal("0.30"))


# --- 11. Demand and capacity in hours ----------------------------------------------------------


@dataclass(frozen=True)
class HoursBalance:
    demand_hours: Fraction
    capacity_hours: Fraction
    planned_utilisation: Fraction

    @property
    def spare_hours(self) -> Fraction:
        """Capacity left over at 100%: 5,040 - 4,320 = 720 in the worked example."""
        return self.capacity_hours - self.demand_hours

    @property
    def planned_capacity_hours(self) -> Fraction:
        """What the team should plan to use (80% by default), not the whole of it."""
        return self.capacity_hours * self.planned_utilisation

    @property
    def spare_hours_at_planned_utilisation(self) -> Fraction:
        return self.planned_capacity_hours - self.demand_hours


def demand_hours(*, referrals: Number, uptake: Number, hours_per_case: Number) -> Fraction:
    """Hours of work a year's referrals bring: referrals x uptake x hours per case."""
    return exact(referrals) * exact(uptake) * exact(hours_per_case)


def capacity_hours(
    *,
    fte: Number,
    clinical_sessions_per_week: Number,
    direct_hours_per_session: Number,
    working_weeks_per_year: Number,
) -> Fraction:
    """Direct clinical hours a year: 7 FTE x 8 sessions x 2 hours x 45 weeks = 5,040."""
    return (
        exact(fte)
        * exact(clinical_sessions_per_week)
        * exact(direct_hours_per_session)
        * exact(working_weeks_per_year)
    )


def hours_balance(
    *, demand_hours: Number, capacity_hours: Number, planned_utilisation: Number = Decimal("0.80")
) -> HoursBalance:
    return HoursBalance(
        demand_hours=exact(demand_hours),
        capacity_hours=exact(capacity_hours),
        planned_utilisation=exact(planned_utilisation),
    )


# --- A clinician's plan in figures -------------------------------------------------------------


@dataclass(frozen=True)
class Constants:
    """The team's planning settings, as exact numbers (defaults are DOMAIN.md's)."""

    hours_per_session: Fraction = Fraction(7, 2)
    appointments_per_session: Fraction = Fraction(2)
    working_weeks_per_year: Fraction = Fraction(45)
    core_average_appointments: Fraction = Fraction(15, 2)
    transfer_rate: Fraction = Fraction(33, 50)
    choice_appointments_per_session: Fraction = Fraction(2)
    choice_leave_allowance: Fraction = Fraction(1, 10)

    @property
    def core_multiplier(self) -> Fraction:
        return multiplier(
            appointments_per_session=self.appointments_per_session,
            working_weeks_per_year=self.working_weeks_per_year,
            average_appointments=self.core_average_appointments,
        )


@dataclass(frozen=True)
class Stream:
    """A Specific Partnership stream's own figures."""

    key: int
    name: str
    average_appointments: Fraction
    appointments_per_session: Fraction


@dataclass(frozen=True)
class PlanFigures:
    choice_appointments_per_week: Fraction
    core_target: Fraction  # new Core Partnerships a quarter, after absence
    specific_targets: dict[int, Fraction]  # stream key -> new cases a quarter
    choice_hours: Fraction
    core_hours: Fraction
    clinical_hours: Fraction
    total_hours: Fraction


def plan_figures(
    *,
    choice_hours: Number,
    core_hours: Number,
    specific_hours: dict[int, Number],
    other_hours: Number,
    streams: dict[int, Stream],
    constants: Constants,
    choice_pattern: ChoicePattern = ChoicePattern.SESSIONS,
    extra_absent_weeks: Number = 0,
) -> PlanFigures:
    """What one clinician's week gives in a quarter: Choice a week, the Core target and each
    Specific stream's target, scaled for absence beyond normal leave."""
    specific = {key: exact(hours) for key, hours in specific_hours.items()}
    core_target = quarter_target_from_hours(
        hours_per_week=core_hours,
        hours_per_session=constants.hours_per_session,
        multiplier=constants.core_multiplier,
    )
    specific_targets = {
        key: scale_for_absence(
            quarter_target_from_hours(
                hours_per_week=hours,
                hours_per_session=constants.hours_per_session,
                multiplier=multiplier(
                    appointments_per_session=streams[key].appointments_per_session,
                    working_weeks_per_year=constants.working_weeks_per_year,
                    average_appointments=streams[key].average_appointments,
                ),
            ),
            extra_absent_weeks=extra_absent_weeks,
        )
        for key, hours in specific.items()
    }
    choice_per_week = (
        choice_appointments_per_week(
            choice_hours_per_week=choice_hours,
            hours_per_session=constants.hours_per_session,
            choice_appointments_per_session=constants.choice_appointments_per_session,
            pattern=choice_pattern,
            leave_allowance=constants.choice_leave_allowance,
        )
        if exact(choice_hours) > 0
        else Fraction(0)
    )
    clinical = exact(choice_hours) + exact(core_hours) + sum(specific.values(), Fraction(0))
    return PlanFigures(
        choice_appointments_per_week=choice_per_week,
        core_target=scale_for_absence(core_target, extra_absent_weeks=extra_absent_weeks),
        specific_targets=specific_targets,
        choice_hours=exact(choice_hours),
        core_hours=exact(core_hours),
        clinical_hours=clinical,
        total_hours=clinical + exact(other_hours),
    )


# --- 5. Absence beyond normal leave, in weeks of a quarter ------------------------------------


def absent_weeks(*, periods: Sequence[tuple[date, date | None]], first_day: date, last_day: date) -> Fraction:
    """Weeks of the quarter `first_day`..`last_day` (inclusive) covered by absences beyond normal
    leave. Periods may overlap (a vacancy recorded over a leaver) and are counted once; a period
    with no end (leaving for good) runs to the end of the quarter."""
    days: set[date] = set()
    for starts_on, ends_on in periods:
        start = max(starts_on, first_day)
        end = min(ends_on or last_day, last_day)
        days.update(start + timedelta(days=offset) for offset in range((end - start).days + 1))
    return Fraction(len(days), 7)


# --- The team in figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """The team's ranges: the balance ratio (8-9) and the Choice + Core share (30-40%)."""

    balance_low: Fraction = Fraction(8)
    balance_high: Fraction = Fraction(9)
    share_low: Fraction = Fraction(3, 10)
    share_high: Fraction = Fraction(2, 5)


@dataclass(frozen=True)
class TeamFigures:
    core_targets_total: Fraction
    specific_targets_total: dict[int, Fraction]
    choice: ChoiceCapacity | None  # None when no referrals are known
    core_needed: Fraction | None
    ratio: Fraction | None
    balance: Balance
    choice_core_share: Fraction | None
    share_is_usual: bool
    thresholds: Thresholds
    transfer_rate: Fraction

    @property
    def core_difference(self) -> Fraction | None:
        """Positive: more new Core Partnerships a quarter than needed; negative: short of need."""
        return None if self.core_needed is None else self.core_targets_total - self.core_needed


def team_figures(
    *,
    plans: Sequence[PlanFigures],
    referrals_per_week: Number | None,
    transfer_rate: Number,
    thresholds: Thresholds = Thresholds(),
) -> TeamFigures:
    """The team's capacity against demand from its clinicians' plans (rules 6, 7 and 8)."""
    core_total = sum((plan.core_target for plan in plans), Fraction(0))
    specific: dict[int, Fraction] = {}
    for plan in plans:
        for key, target in plan.specific_targets.items():
            specific[key] = specific.get(key, Fraction(0)) + target
    referrals = None if referrals_per_week is None else exact(referrals_per_week)
    ratio = (
        None
        if referrals is None
        else balance_ratio(core_targets_total=core_total, referrals_per_week=referrals)
    )
    share = choice_core_share(
        choice_hours=sum((p.choice_hours for p in plans), Fraction(0)),
        core_hours=sum((p.core_hours for p in plans), Fraction(0)),
        planned_hours=sum((p.total_hours for p in plans), Fraction(0)),
    )
    return TeamFigures(
        core_targets_total=core_total,
        specific_targets_total=specific,
        choice=None
        if referrals is None
        else choice_capacity(
            appointments_per_week=[p.choice_appointments_per_week for p in plans],
            referrals_per_week=referrals,
        ),
        core_needed=None
        if referrals is None
        else core_capacity_needed(referrals_per_week=referrals, transfer_rate=transfer_rate),
        ratio=ratio,
        balance=balance_status(ratio, low=thresholds.balance_low, high=thresholds.balance_high),
        choice_core_share=share,
        share_is_usual=share_is_usual(share, low=thresholds.share_low, high=thresholds.share_high),
        thresholds=thresholds,
        transfer_rate=exact(transfer_rate),
    )


def one_decimal(value: Number) -> str:
    """9.43 -> '9.4', 9 -> '9': how a fraction is printed for people."""
    rounded = Fraction(round_half_up(exact(value) * 10), 10)
    return f"{float(rounded):.1f}".removesuffix(".0")


def balance_reason(figures: TeamFigures) -> str:
    """Why the team has the balance status it has, in plain words."""
    if figures.ratio is None or figures.core_needed is None:
        return "Enter the accepted referrals a week for this quarter to see whether the team is in balance."
    low, high = one_decimal(figures.thresholds.balance_low), one_decimal(figures.thresholds.balance_high)
    referrals = figures.choice.referrals_per_week if figures.choice else Fraction(0)
    said = (
        f"Core targets add up to {one_decimal(figures.core_targets_total)} new Core Partnerships a quarter "
        f"against {one_decimal(referrals)} accepted referrals a week: "
        f"{one_decimal(figures.ratio)} per weekly referral, where {low} to {high} is in balance. "
        f"About {one_decimal(figures.core_needed)} are needed "
        f"({one_decimal(referrals)} x 13 weeks x {one_decimal(figures.transfer_rate * 100)}% go on to Core)."
    )
    gap = one_decimal(abs(figures.core_difference or 0))
    if figures.balance == Balance.INTERNAL_WAIT:
        return f"{said} The team is {gap} short a quarter, so families will wait after Choice."
    if figures.balance == Balance.SPARE_CORE:
        return f"{said} The team has {gap} more than needed: Core time could go to Choice or Specific work."
    return said


# --- What-if: the internal wait to first Core Partnership, quarter by quarter -----------------


@dataclass(frozen=True)
class QuarterFlow:
    """One quarter of the flow model (docs/planning/flow-model.md)."""

    demand: Fraction  # families needing a first Core appointment this quarter
    capacity: Fraction  # first Core slots the team's targets give this quarter
    waiting_at_start: Fraction
    waiting_at_end: Fraction

    @property
    def wait_weeks(self) -> Fraction | None:
        """Weeks a family joining the queue at the quarter's end waits for a first Core slot beyond
        the usual booking (0 when nobody waits; None when nobody waiting can ever be seen)."""
        if self.waiting_at_end <= 0:
            return Fraction(0)
        if self.capacity <= 0:
            return None
        return self.waiting_at_end / (self.capacity / WEEKS_PER_QUARTER)


def project_internal_wait(
    *, quarters: Sequence[tuple[Number, Number]], waiting_at_start: Number = 0
) -> list[QuarterFlow]:
    """Carry the families nobody could take forward from quarter to quarter.

    `quarters` are (demand, capacity) pairs in new Core Partnerships a quarter. Each quarter
    starts with those left waiting from the last; spare capacity clears the queue but is never
    banked (an unused slot is gone).
    """
    waiting = exact(waiting_at_start)
    flows = []
    for demand, capacity in quarters:
        start = waiting
        waiting = max(Fraction(0), start + exact(demand) - exact(capacity))
        flows.append(
            QuarterFlow(
                demand=exact(demand), capacity=exact(capacity), waiting_at_start=start, waiting_at_end=waiting
            )
        )
    return flows
