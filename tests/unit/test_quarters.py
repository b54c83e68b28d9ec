from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planning.quarters import Quarter


def test_nhs_quarters_start_in_april():
    assert Quarter.containing(date(2026, 11, 23)) == Quarter(2026, 3)
    assert Quarter.containing(date(2027, 1, 1)) == Quarter(2026, 4)
    assert Quarter(2026, 4).start == date(2027, 1, 1)
    assert Quarter(2026, 4).end == date(2027, 3, 31)
    assert Quarter(2027, 1).start == date(2027, 4, 1)
    assert str(Quarter(2026, 4)) == "Q4 2026/27 (Jan to Mar 2027)"


def test_a_calendar_year_organisation():
    assert Quarter.containing(date(2027, 2, 1), start_month=1) == Quarter(2027, 1, 1)
    assert str(Quarter(2027, 1, 1)) == "Q1 2027 (Jan to Mar 2027)"


def test_labels_round_trip_and_bad_labels_say_how_to_write_one():
    assert Quarter.parse("2027-Q1").label == "2027-Q1"
    with pytest.raises(ValueError, match="write it like 2027-Q1"):
        Quarter.parse("2027-Q5")
    assert Quarter(2026, 4).next() == Quarter(2027, 1)
    assert Quarter(2027, 1).previous() == Quarter(2026, 4)
    assert [q.label for q in Quarter(2026, 3).following(3)] == ["2026-Q3", "2026-Q4", "2027-Q1"]


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(min_value=1, max_value=12)
)
def test_every_day_falls_in_exactly_the_quarter_that_contains_it(day, start_month):
    quarter = Quarter.containing(day, start_month=start_month)
    assert quarter.start <= day <= quarter.end
    assert quarter.next().start == quarter.end + timedelta(days=1)
    assert quarter.next().previous() == quarter
