"""Loaded plans turned into the figures the capacity page, exports and `manage.py capacity` show.

No database access here: `planning.queries.team_planning` loads, `capacity.py` does the maths,
and this module decides which plan, absences and referral rate apply to which quarter, and
applies a what-if without writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from accounts.models import Membership, User
from capa.templatetags.nhsuk import uk_date
from planning import capacity
from planning.models import Activity, ChoicePattern, JobPlan, PlanningSettings, SpecificStream
from planning.quarters import Quarter
from planning.queries import TeamPlanning

PROJECTED_QUARTERS = 4


@dataclass(frozen=True)
class WhatIf:
    """Changes a lead tries on the capacity page; nothing is saved.

    `hours` maps a clinician's id to new hours a week for "choice" and/or "core"."""

    referrals_per_week: Decimal | None = None
    transfer_rate: Decimal | None = None  # a share, 0.66
    hours: dict[int, dict[str, Decimal]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return self.referrals_per_week is None and self.transfer_rate is None and not self.hours


NO_CHANGE = WhatIf()


def constants_of(settings: PlanningSettings) -> capacity.Constants:
    return capacity.Constants(
        hours_per_session=capacity.exact(settings.hours_per_session),
        appointments_per_session=capacity.exact(settings.appointments_per_session),
        working_weeks_per_year=capacity.exact(settings.working_weeks_per_year),
        core_average_appointments=capacity.exact(settings.core_average_appointments),
        transfer_rate=capacity.exact(settings.transfer_rate),
        choice_appointments_per_session=capacity.exact(settings.choice_appointments_per_session),
        choice_leave_allowance=capacity.exact(settings.choice_leave_allowance),
    )


def thresholds_of(settings: PlanningSettings) -> capacity.Thresholds:
    return capacity.Thresholds(
        balance_low=capacity.exact(settings.balance_ratio_low),
        balance_high=capacity.exact(settings.balance_ratio_high),
        share_low=capacity.exact(settings.choice_core_share_low),
        share_high=capacity.exact(settings.choice_core_share_high),
    )


def streams_of(streams: list[SpecificStream]) -> dict[int, capacity.Stream]:
    return {
        stream.pk: capacity.Stream(
            key=stream.pk,
            name=stream.name,
            average_appointments=capacity.exact(stream.average_appointments),
            appointments_per_session=capacity.exact(stream.appointments_per_session),
        )
        for stream in streams
    }


def plan_in_force(plans: list[JobPlan], quarter: Quarter) -> JobPlan | None:
    """The agreed plan with the latest start on or before the quarter's first day (plans are
    loaded newest first)."""
    return next((plan for plan in plans if plan.effective_from <= quarter.start), None)


@dataclass(frozen=True)
class Week:
    """A plan's hours a week, grouped the way the maths takes them."""

    choice: Decimal
    core: Decimal
    specific: dict[int, Decimal]
    other: Decimal
    choice_pattern: str


def week_of(plan: JobPlan, *, active_streams: dict[int, capacity.Stream]) -> Week:
    choice = core = other = Decimal(0)
    specific: dict[int, Decimal] = {}
    for line in plan.lines.all():
        if line.activity == Activity.CHOICE:
            choice += line.hours_per_week
        elif line.activity == Activity.CORE:
            core += line.hours_per_week
        elif line.activity == Activity.SPECIFIC and line.specific_stream_id in active_streams:
            specific[line.specific_stream_id] = line.hours_per_week
        else:  # a retired stream's hours still fill the week, but no longer make Specific targets
            other += line.hours_per_week
    return Week(choice=choice, core=core, specific=specific, other=other, choice_pattern=plan.choice_pattern)


def apply_what_if(week: Week, changes: dict[str, Decimal] | None) -> Week:
    if not changes:
        return week
    return Week(
        choice=changes.get("choice", week.choice),
        core=changes.get("core", week.core),
        specific=week.specific,
        other=week.other,
        choice_pattern=week.choice_pattern,
    )


@dataclass(frozen=True)
class ClinicianQuarter:
    """One clinician's plan in force for a quarter, and what it gives."""

    membership: Membership
    plan: JobPlan | None
    week: Week | None
    figures: capacity.PlanFigures | None
    core_target_whole: int | None  # this quarter's share of the year's whole-number total
    absent_weeks: Fraction
    changed_by_what_if: bool
    specific_targets: list[tuple[str, Fraction]]  # (stream name, new cases a quarter)

    @property
    def clinician(self) -> User:
        return self.membership.user


@dataclass(frozen=True)
class ReferralFigure:
    per_week: Decimal | None
    source: str  # where the figure came from, in words


@dataclass(frozen=True)
class TeamQuarter:
    """The team's capacity against demand for one quarter."""

    quarter: Quarter
    clinicians: list[ClinicianQuarter]
    referrals: ReferralFigure
    figures: capacity.TeamFigures
    core_targets_whole_total: int

    @property
    def balance_words(self) -> str:
        return capacity.BALANCE_WORDS[self.figures.balance]

    @property
    def balance_reason(self) -> str:
        return capacity.balance_reason(self.figures)

    @property
    def with_plan_count(self) -> int:
        return sum(1 for row in self.clinicians if row.plan is not None)

    @property
    def without_plan(self) -> list[ClinicianQuarter]:
        return [row for row in self.clinicians if row.plan is None]


def referrals_for(planning: TeamPlanning, quarter: Quarter, what_if: WhatIf = NO_CHANGE) -> ReferralFigure:
    """The accepted referrals a week for a quarter: a what-if figure; else the one the lead entered
    for the quarter (an override); else, once the team has cases, the rate of the 13 weeks of
    referrals before the quarter (or before today, for a quarter not yet started); else the latest
    figure entered before the quarter, carried over. Each says where it came from."""
    if what_if.referrals_per_week is not None:
        return ReferralFigure(what_if.referrals_per_week, "what-if")
    earlier = [rate for rate in planning.referral_rates if rate.quarter_start <= quarter.start]
    if earlier and earlier[-1].quarter_start == quarter.start:
        return ReferralFigure(earlier[-1].referrals_per_week, "entered for this quarter")
    if planning.referrals_by_week:
        # Referrals are counted by the week (its Monday): 13 whole weeks, up to the week of the
        # quarter's start (or of today), so that the same families count whatever the weekday.
        day = min(quarter.start, planning.today or quarter.start)
        end = day - timedelta(days=day.weekday())
        start = end - timedelta(weeks=capacity.WEEKS_PER_QUARTER)
        referred = sum(n for week, n in planning.referrals_by_week.items() if start <= week < end)
        per_week = (Decimal(referred) / capacity.WEEKS_PER_QUARTER).quantize(Decimal("0.01"))
        return ReferralFigure(
            per_week, f"from cases: {referred} referred in the 13 weeks before {uk_date(end)}"
        )
    if not earlier:
        return ReferralFigure(None, "not entered")
    carried_from = planning.quarter_containing(earlier[-1].quarter_start)
    return ReferralFigure(earlier[-1].referrals_per_week, f"carried over from {carried_from.label}")


def _clinician_figures(
    planning: TeamPlanning,
    membership: Membership,
    quarter: Quarter,
    *,
    constants: capacity.Constants,
    streams: dict[int, capacity.Stream],
    what_if: WhatIf,
    memo: dict,
) -> tuple[JobPlan | None, Week | None, capacity.PlanFigures | None, Fraction]:
    clinician_id = membership.user_id
    plan = plan_in_force(planning.agreed_plans.get(clinician_id, []), quarter)
    periods = planning.absences.get(clinician_id)
    away = (
        capacity.absent_weeks(
            periods=[(a.starts_on, a.ends_on) for a in periods], first_day=quarter.start, last_day=quarter.end
        )
        if periods
        else Fraction(0)
    )
    if plan is None:
        return None, None, None, away
    # The same plan with the same absence gives the same figures in every quarter: work them out once.
    key = ("plan", plan.pk, away)
    if key not in memo:
        week = apply_what_if(week_of(plan, active_streams=streams), what_if.hours.get(clinician_id))
        memo[key] = (
            week,
            capacity.plan_figures(
                choice_hours=week.choice,
                core_hours=week.core,
                specific_hours=week.specific,
                other_hours=week.other,
                streams=streams,
                constants=constants,
                choice_pattern=capacity.ChoicePattern(week.choice_pattern or ChoicePattern.SESSIONS),
                extra_absent_weeks=away,
            ),
        )
    week, figures = memo[key]
    return plan, week, figures, away


def team_quarter(
    planning: TeamPlanning,
    quarter: Quarter,
    what_if: WhatIf = NO_CHANGE,
    *,
    whole_numbers: bool = True,
    memo: dict | None = None,
) -> TeamQuarter:
    """The team's figures for a quarter. Whole-number Core targets are this quarter's share of the
    financial year's total, so that the four quarters keep the year's rounded sum; pages that show
    only the exact figures ask for `whole_numbers=False` and skip the rest of the year.

    `memo` may be shared between calls with the same planning and what-if (a page showing several
    quarters), so each clinician's figures for a quarter are worked out once."""
    constants = constants_of(planning.settings)
    streams = streams_of(planning.streams)
    year = [Quarter(quarter.year, number, quarter.start_month) for number in range(1, 5)]
    if not whole_numbers:
        year = [quarter if q == quarter else None for q in year]
    memo = {} if memo is None else memo
    rows = []
    for membership in planning.members:
        in_year = []
        for each in year:
            if each is None:
                in_year.append((None, None, None, Fraction(0)))
                continue
            key = (membership.user_id, each)
            if key not in memo:
                memo[key] = _clinician_figures(
                    planning,
                    membership,
                    each,
                    constants=constants,
                    streams=streams,
                    what_if=what_if,
                    memo=memo,
                )
            in_year.append(memo[key])
        plan, week, figures, away = in_year[quarter.number - 1]
        whole = capacity.whole_number_targets(
            [f.core_target if f is not None else Fraction(0) for _, _, f, _ in in_year]
        )[quarter.number - 1]
        rows.append(
            ClinicianQuarter(
                membership=membership,
                plan=plan,
                week=week,
                figures=figures,
                core_target_whole=whole if plan is not None and whole_numbers else None,
                absent_weeks=away,
                changed_by_what_if=membership.user_id in what_if.hours,
                specific_targets=[]
                if figures is None
                else [(streams[key].name, target) for key, target in figures.specific_targets.items()],
            )
        )
    referrals = referrals_for(planning, quarter, what_if)
    transfer_rate = (
        what_if.transfer_rate if what_if.transfer_rate is not None else planning.settings.transfer_rate
    )
    figures = capacity.team_figures(
        plans=[row.figures for row in rows if row.figures is not None],
        referrals_per_week=referrals.per_week,
        transfer_rate=transfer_rate,
        thresholds=thresholds_of(planning.settings),
    )
    return TeamQuarter(
        quarter=quarter,
        clinicians=rows,
        referrals=referrals,
        figures=figures,
        core_targets_whole_total=sum(row.core_target_whole or 0 for row in rows),
    )


@dataclass(frozen=True)
class ProjectedQuarter:
    quarter: Quarter
    team: TeamQuarter
    flow: capacity.QuarterFlow | None  # None when the quarter's referrals are unknown


def projection(
    planning: TeamPlanning, first: Quarter, what_if: WhatIf = NO_CHANGE, *, memo: dict | None = None
) -> list[ProjectedQuarter]:
    """The next four quarters from `first`: each quarter's balance and the internal wait to first
    Core Partnership the flow model projects (docs/planning/flow-model.md)."""
    memo = {} if memo is None else memo
    quarters = [
        team_quarter(planning, each, what_if, memo=memo) for each in first.following(PROJECTED_QUARTERS)
    ]
    known = [q for q in quarters if q.figures.core_needed is not None]
    flows = capacity.project_internal_wait(
        quarters=[(q.figures.core_needed, q.figures.core_targets_total) for q in known]
    )
    by_quarter = {q.quarter: flow for q, flow in zip(known, flows, strict=True)}
    return [ProjectedQuarter(quarter=q.quarter, team=q, flow=by_quarter.get(q.quarter)) for q in quarters]


@dataclass(frozen=True)
class PlanPreview:
    """The live totals beside the job plan grid."""

    total: Decimal
    contracted: Decimal
    figures: capacity.PlanFigures
    streams: dict[int, SpecificStream]

    @property
    def difference(self) -> Decimal:
        return self.total - self.contracted

    @property
    def adds_up(self) -> bool:
        return self.total == self.contracted

    @property
    def specific_rows(self) -> list[tuple[SpecificStream, Fraction]]:
        return [(self.streams[key], target) for key, target in self.figures.specific_targets.items()]


def plan_preview(
    *,
    hours: dict[tuple[str, int | None], Decimal],
    contracted_hours: Decimal,
    settings: PlanningSettings,
    streams: list[SpecificStream],
    choice_pattern: str,
) -> PlanPreview:
    """What a week of hours (as typed, not yet saved) adds up to and gives in a quarter. Negative
    hours count as 0 in the targets; the form says what is wrong with them."""
    usable = {key: max(value, Decimal(0)) for key, value in hours.items()}
    by_stream = {stream.pk: stream for stream in streams}
    specific = {stream: value for (activity, stream), value in usable.items() if stream in by_stream}
    choice = usable.get((Activity.CHOICE, None), Decimal(0))
    core = usable.get((Activity.CORE, None), Decimal(0))
    try:
        pattern = capacity.ChoicePattern(choice_pattern)
    except ValueError:
        pattern = capacity.ChoicePattern.SESSIONS
    total = sum(hours.values(), Decimal(0))
    plan = capacity.plan_figures(
        choice_hours=choice,
        core_hours=core,
        specific_hours=specific,
        other_hours=sum(usable.values(), Decimal(0)) - choice - core - sum(specific.values(), Decimal(0)),
        streams=streams_of(streams),
        constants=constants_of(settings),
        choice_pattern=pattern,
    )
    return PlanPreview(total=total, contracted=contracted_hours, figures=plan, streams=by_stream)
