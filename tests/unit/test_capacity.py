"""The worked numbers of DOMAIN.md ("The maths"), and properties that hold for any job plan."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning import capacity as c

CORE = c.multiplier(
    appointments_per_session=2, working_weeks_per_year=45, average_appointments=Decimal("7.5")
)


def test_45_working_weeks_give_11_25_a_quarter_and_22_5_appointments_per_weekly_session():
    assert c.working_weeks_per_quarter(working_weeks_per_year=45) == Decimal("11.25")
    assert c.appointments_per_weekly_session(
        appointments_per_session=2, working_weeks_per_year=45
    ) == Decimal("22.5")


def test_the_core_multiplier_is_3():
    assert CORE == 3


@pytest.mark.parametrize(
    ("appointments_per_session", "average_appointments", "expected"),
    [
        (Decimal("1.5"), Decimal("7.5"), Decimal("2.25")),  # home visits
        (2, 10, Decimal("2.25")),
        (1, 10, Decimal("1.125")),
        (1, 45, Decimal("0.25")),  # weekly psychotherapy for a year
    ],
)
def test_adjusted_and_specific_multipliers(appointments_per_session, average_appointments, expected):
    assert (
        c.multiplier(
            appointments_per_session=appointments_per_session,
            working_weeks_per_year=45,
            average_appointments=average_appointments,
        )
        == expected
    )


def test_3_core_sessions_a_week_give_9():
    assert c.quarter_target_from_sessions(sessions_per_week=3, multiplier=CORE) == 9


def test_11_core_hours_give_9_43_exactly_66_sevenths():
    target = c.quarter_target_from_hours(hours_per_week=11, hours_per_session=Decimal("3.5"), multiplier=CORE)
    assert target == Fraction(66, 7)
    assert f"{float(target):.2f}" == "9.43"


def test_9_43_a_quarter_gives_9_9_10_10_and_38_in_the_year():
    target = Fraction(66, 7)
    assert c.whole_number_targets([target] * 4) == [9, 9, 10, 10]


def test_absence_scales_the_target_by_the_weeks_left_in_the_quarter():
    assert c.scale_for_absence(13, extra_absent_weeks=0) == 13
    assert c.scale_for_absence(13, extra_absent_weeks=4) == 9
    assert c.scale_for_absence(9, extra_absent_weeks=13) == 0
    assert c.scale_for_absence(9, extra_absent_weeks=20) == 0  # a whole quarter away, never negative


def test_choice_planned_as_one_a_week_or_fortnight_keeps_90_percent_after_leave():
    assert (
        c.choice_appointments_per_week(choice_hours_per_week=Decimal("3.5"), hours_per_session=Decimal("3.5"))
        == 2
    )
    assert c.choice_appointments_per_week(
        choice_hours_per_week=0, hours_per_session=Decimal("3.5"), pattern=c.ChoicePattern.ONE_A_WEEK
    ) == Decimal("0.9")
    assert c.choice_appointments_per_week(
        choice_hours_per_week=0, hours_per_session=Decimal("3.5"), pattern=c.ChoicePattern.ONE_A_FORTNIGHT
    ) == Decimal("0.45")


def test_choice_capacity_against_referrals():
    enough = c.choice_capacity(appointments_per_week=[2, 2, Decimal("0.9")], referrals_per_week=4)
    assert enough.difference == Decimal("0.9")
    assert enough.is_enough
    short = c.choice_capacity(appointments_per_week=[2], referrals_per_week=3)
    assert short.difference == -1
    assert not short.is_enough


def test_core_capacity_needed_and_the_balance_ratio():
    assert c.core_capacity_needed(referrals_per_week=10, transfer_rate=Decimal("0.66")) == Decimal("85.8")
    assert c.balance_ratio(core_targets_total=86, referrals_per_week=10) == Decimal("8.6")
    assert c.balance_status(Fraction(86, 10)) == c.Balance.IN_BALANCE
    assert c.balance_status(Fraction(7)) == c.Balance.INTERNAL_WAIT
    assert c.balance_status(Fraction(10)) == c.Balance.SPARE_CORE
    assert (
        c.balance_status(c.balance_ratio(core_targets_total=50, referrals_per_week=0))
        == c.Balance.NO_REFERRALS
    )


def test_choice_and_core_share_of_the_planned_week():
    share = c.choice_core_share(choice_hours=3, core_hours=9, planned_hours=35)
    assert share == Fraction(12, 35)
    assert c.share_is_usual(share)
    assert not c.share_is_usual(c.choice_core_share(choice_hours=0, core_hours=7, planned_hours=35))
    assert c.choice_core_share(choice_hours=0, core_hours=0, planned_hours=0) is None


def test_rules_of_thumb():
    assert c.hours_per_referral(transfer_rate=Decimal("0.66")) == Decimal("5.95")
    assert c.referrals_per_week_for(clinical_fte=7) == 7


def test_7_fte_with_8_sessions_of_2_hours_have_5040_hours_and_720_spare_against_4320():
    capacity = c.capacity_hours(
        fte=7, clinical_sessions_per_week=8, direct_hours_per_session=2, working_weeks_per_year=45
    )
    assert capacity / 45 == 112
    assert capacity == 5040
    demand = c.demand_hours(referrals=480, uptake=1, hours_per_case=9)
    assert demand == 4320
    balance = c.hours_balance(demand_hours=demand, capacity_hours=capacity)
    assert balance.spare_hours == 720
    assert balance.spare_hours / 9 == 80  # cases of 9 hours
    assert balance.planned_capacity_hours == 4032  # run at 80%, not 100%
    assert balance.spare_hours_at_planned_utilisation == -288


def test_floats_are_refused_because_the_maths_is_exact():
    with pytest.raises(TypeError):
        c.exact(0.66)


# --- Properties ----------------------------------------------------------------------------------

hours = st.decimals(min_value=0, max_value=60, places=2)
targets = st.fractions(min_value=0, max_value=200, max_denominator=1000)


@settings(max_examples=500)
@given(st.lists(targets, min_size=1, max_size=8))
def test_whole_number_targets_keep_the_rounded_total_and_stay_within_one_of_each_fraction(quarters):
    whole = c.whole_number_targets(quarters)
    assert sum(whole) == c.round_half_up(sum(quarters))
    assert all(abs(w - q) < 1 for w, q in zip(whole, quarters, strict=True))
    assert all(w >= 0 for w in whole)


@settings(max_examples=500)
@given(hours, hours)
def test_targets_never_decrease_as_core_hours_grow(first, second):
    low, high = sorted([first, second])

    def yearly(h):
        return c.whole_number_targets(
            [c.quarter_target_from_hours(hours_per_week=h, hours_per_session=Decimal("3.5"), multiplier=CORE)]
            * 4
        )

    assert c.quarter_target_from_hours(
        hours_per_week=low, hours_per_session=Decimal("3.5"), multiplier=CORE
    ) <= c.quarter_target_from_hours(hours_per_week=high, hours_per_session=Decimal("3.5"), multiplier=CORE)
    assert sum(yearly(low)) <= sum(yearly(high))
    assert all(a <= b for a, b in zip(yearly(low), yearly(high), strict=True))


@settings(max_examples=500)
@given(st.decimals(min_value=Decimal("0.5"), max_value=5, places=2), st.integers(min_value=1, max_value=4))
def test_zero_core_hours_give_zero(hours_per_session, quarters):
    zero = c.quarter_target_from_hours(hours_per_week=0, hours_per_session=hours_per_session, multiplier=CORE)
    assert zero == 0
    assert c.whole_number_targets([zero] * quarters) == [0] * quarters


@settings(max_examples=500)
@given(targets, st.decimals(min_value=-5, max_value=30, places=1))
def test_absence_never_raises_a_target(target, weeks):
    scaled = c.scale_for_absence(target, extra_absent_weeks=weeks)
    assert 0 <= scaled <= target


PSYCHOTHERAPY = c.Stream(
    key=1,
    name="Weekly psychotherapy",
    average_appointments=Fraction(45),
    appointments_per_session=Fraction(1),
)


def test_a_clinicians_week_in_figures():
    figures = c.plan_figures(
        choice_hours=7,
        core_hours=Decimal("10.5"),
        specific_hours={1: Decimal("3.5")},
        other_hours=Decimal("16.5"),
        streams={1: PSYCHOTHERAPY},
        constants=c.Constants(),
    )
    assert figures.choice_appointments_per_week == 4  # 2 sessions of 2
    assert figures.core_target == 9  # 3 sessions x 3
    assert figures.specific_targets == {1: Fraction(1, 4)}  # 1 x 11.25 / 45
    assert figures.clinical_hours == 21
    assert figures.total_hours == Decimal("37.5")


def test_four_weeks_of_extra_absence_scale_every_target():
    figures = c.plan_figures(
        choice_hours=0,
        core_hours=Decimal("10.5"),
        specific_hours={1: Decimal("3.5")},
        other_hours=0,
        streams={1: PSYCHOTHERAPY},
        constants=c.Constants(),
        extra_absent_weeks=4,
    )
    assert figures.core_target == Fraction(9 * 9, 13)
    assert figures.specific_targets[1] == Fraction(9, 4 * 13)
    assert figures.choice_appointments_per_week == 0
