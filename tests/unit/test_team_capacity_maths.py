"""The team-level maths: absence in weeks, the team's balance and why, and the flow model."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from planning import capacity

Q4_FIRST, Q4_LAST = date(2027, 1, 1), date(2027, 3, 31)


def test_absence_is_counted_in_weeks_of_the_quarter_once_even_when_periods_overlap():
    periods = [(date(2026, 12, 1), date(2027, 1, 14)), (date(2027, 1, 8), date(2027, 1, 28))]
    # 1 to 28 January: 28 days, 4 weeks; December is outside the quarter.
    assert capacity.absent_weeks(periods=periods, first_day=Q4_FIRST, last_day=Q4_LAST) == 4


def test_leaving_for_good_runs_to_the_end_of_the_quarter():
    weeks = capacity.absent_weeks(periods=[(date(2027, 3, 4), None)], first_day=Q4_FIRST, last_day=Q4_LAST)
    assert weeks == 4  # 4 to 31 March


def plan(core_target, *, choice=0, core_hours=0, choice_hours=0, total_hours=0):
    return capacity.PlanFigures(
        choice_appointments_per_week=Fraction(choice),
        core_target=Fraction(core_target),
        specific_targets={},
        choice_hours=Fraction(choice_hours),
        core_hours=Fraction(core_hours),
        clinical_hours=Fraction(core_hours + choice_hours),
        total_hours=Fraction(total_hours),
    )


def test_a_team_short_of_core_capacity_is_told_an_internal_wait_will_build_and_why():
    figures = capacity.team_figures(
        plans=[plan(9, choice=2, core_hours=10.5, choice_hours=3.5, total_hours=37.5), plan(6, choice=2)],
        referrals_per_week=2,
        transfer_rate=Fraction(66, 100),
    )
    assert figures.core_targets_total == 15
    assert figures.core_needed == Fraction(1716, 100)  # 2 x 13 x 0.66
    assert figures.ratio == Fraction(15, 2)
    assert figures.balance == capacity.Balance.INTERNAL_WAIT
    assert figures.choice.appointments_per_week == 4
    assert figures.choice.is_enough
    assert figures.choice_core_share == Fraction(14, 1) / Fraction(75, 2)  # 14 of 37.5 hours: 37%
    assert figures.share_is_usual
    reason = capacity.balance_reason(figures)
    assert "7.5 per weekly referral, where 8 to 9 is in balance" in reason
    assert "2.2 short a quarter" in reason


def test_no_referrals_means_no_balance_to_judge():
    figures = capacity.team_figures(plans=[plan(9)], referrals_per_week=None, transfer_rate=Fraction(66, 100))
    assert figures.balance == capacity.Balance.NO_REFERRALS
    assert "Enter the accepted referrals" in capacity.balance_reason(figures)


def test_the_flow_model_carries_the_families_nobody_could_take_and_never_banks_spare_slots():
    flows = capacity.project_internal_wait(
        quarters=[(Fraction(2574, 100), 9), (Fraction(2574, 100), 9), (0, 40)]
    )
    assert flows[0].waiting_at_end == Fraction(1674, 100)
    assert round(float(flows[0].wait_weeks), 1) == 24.2
    assert round(float(flows[1].wait_weeks), 1) == 48.4
    assert flows[2].waiting_at_end == 0
    assert flows[2].wait_weeks == 0


def test_families_waiting_with_no_core_capacity_have_no_end_to_their_wait():
    (flow,) = capacity.project_internal_wait(quarters=[(5, 0)])
    assert flow.wait_weeks is None


quarters = st.lists(
    st.tuples(st.fractions(min_value=0, max_value=200), st.fractions(min_value=0, max_value=200)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=500)
@given(quarters)
def test_nobody_waits_while_capacity_meets_demand_and_the_queue_is_never_negative(pairs):
    flows = capacity.project_internal_wait(quarters=pairs)
    for flow in flows:
        assert flow.waiting_at_end >= 0
    if all(demand <= supply for demand, supply in pairs):
        assert all(flow.waiting_at_end == 0 for flow in flows)


@settings(max_examples=500)
@given(quarters, st.fractions(min_value=0, max_value=50))
def test_more_capacity_never_lengthens_the_queue(pairs, extra):
    more = [(demand, supply + extra) for demand, supply in pairs]
    base = capacity.project_internal_wait(quarters=pairs)
    better = capacity.project_internal_wait(quarters=more)
    assert all(b.waiting_at_end <= a.waiting_at_end for a, b in zip(base, better, strict=True))
