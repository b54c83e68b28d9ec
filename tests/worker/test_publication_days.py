"""Time travel for the daily publication job: on every day from 2025 to 2035, clock-change days
included, the quarter due for publication follows the rule, and a job that did not run for days
catches up on the next day it does."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from capa.celery import app
from diary import publication
from diary.models import PublicationRun, QuarterTarget
from planning.models import Activity
from planning.quarters import Quarter
from tests.factories import TeamFactory
from tests.factories.plans import agreed_plan_for, clinician_in

LONDON = ZoneInfo("Europe/London")
FIRST, LAST = date(2025, 1, 1), date(2035, 12, 31)
LEAD = timedelta(days=42)  # settings.PUBLICATION_LEAD_DAYS


def last_sunday(year: int, month: int) -> date:
    day = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


CLOCK_CHANGES = [last_sunday(year, month) for year in range(FIRST.year, LAST.year + 1) for month in (3, 10)]


def expected(today: date, start_month: int) -> tuple[date, str] | None:
    """The rule, restated without planning.quarters: quarters start on the first of every third
    month from the financial year's start month; the next one's targets are due from 42 days
    before it starts. Returns its start and label ("2027-Q1": year its financial year starts)."""
    starts = [
        date(year, month, 1)
        for year in (today.year, today.year + 1)
        for month in range(1, 13)
        if (month - start_month) % 3 == 0
    ]
    upcoming = min(start for start in starts if start > today)
    if not upcoming - LEAD <= today < upcoming:
        return None
    year = upcoming.year if upcoming.month >= start_month else upcoming.year - 1
    number = (upcoming.month - start_month) % 12 // 3 + 1
    return upcoming, f"{year}-Q{number}"


def actual(today: date, start_month: int) -> tuple[date, str] | None:
    quarter = publication.quarter_due(today=today, start_month=start_month)
    return None if quarter is None else (quarter.start, quarter.label)


def test_clock_change_days_are_the_last_sundays_of_march_and_october():
    for day in CLOCK_CHANGES:
        before = datetime.combine(day, time(0, 30), tzinfo=LONDON)
        after = datetime.combine(day, time(3, 30), tzinfo=LONDON)
        assert before.utcoffset() != after.utcoffset(), day


def test_on_every_day_from_2025_to_2035_the_quarter_due_follows_the_rule():
    day, due_days = FIRST, 0
    while day <= LAST:
        assert actual(day, 4) == expected(day, 4), day
        due_days += expected(day, 4) is not None
        day += timedelta(days=1)
    assert due_days == 4 * 11 * 42  # every quarter of the eleven years, each due for its 42 days


def test_every_quarter_from_2025_to_2035_is_published_42_days_before_it_starts():
    quarter = Quarter.containing(FIRST, start_month=4)
    while quarter.start <= LAST:
        day = publication.publication_day(quarter)
        assert day == quarter.start - LEAD
        assert actual(day - timedelta(days=1), 4) is None  # the day before: nothing due yet
        assert actual(day, 4) == (quarter.start, quarter.label)
        assert actual(quarter.start - timedelta(days=1), 4) == (quarter.start, quarter.label)  # still
        quarter = quarter.next()


@pytest.mark.parametrize("day", CLOCK_CHANGES, ids=str)
def test_on_a_clock_change_day_the_daily_job_runs_once_on_that_date_and_follows_the_rule(day):
    schedule = app.conf.beat_schedule["ensure-next-quarter-published"]["schedule"]
    assert (schedule.hour, schedule.minute) == ({5}, {30})
    # 05:30 UTC is 05:30 or 06:30 in London, never across midnight: timezone.localdate() in the
    # task is the same date in UTC and in London, on the change day and the days either side.
    for each in (day - timedelta(days=1), day, day + timedelta(days=1)):
        assert datetime.combine(each, time(5, 30), tzinfo=UTC).astimezone(LONDON).date() == each
    assert actual(day, 4) == expected(day, 4)


@settings(max_examples=500, deadline=None)
@given(
    today=st.one_of(st.dates(min_value=FIRST, max_value=LAST), st.sampled_from(CLOCK_CHANGES)),
    start_month=st.integers(min_value=1, max_value=12),
)
@example(today=date(2027, 2, 18), start_month=4)  # publication day of 2027-Q1
@example(today=date(2027, 2, 17), start_month=4)  # the day before it
@example(today=date(2028, 2, 29), start_month=4)  # a leap day, inside 2028-Q1's window
def test_on_random_days_and_any_financial_year_the_quarter_due_follows_the_rule(today, start_month):
    assert actual(today, start_month) == expected(today, start_month)


@pytest.mark.django_db
def test_with_beat_down_for_three_days_the_next_daily_run_catches_up(organisation, team):
    quarter = Quarter(2027, 1)
    clinicians = []
    for each in (team, team, TeamFactory(organisation=organisation)):
        clinician = clinician_in(each)
        agreed_plan_for(  # 10.5 hours of Core a week: 9 first Core slots a quarter
            clinician, each, effective_from=quarter.start, hours={Activity.CORE: "10.5", Activity.OTHER: "27"}
        )
        clinicians.append(clinician)
    day = publication.publication_day(quarter)
    assert not PublicationRun.objects.exists()  # nothing ran on the day, nor the two after it

    runs = publication.publish_due_targets(today=day + timedelta(days=3))

    assert [(run.quarter_start, run.status, run.done, run.total) for run in runs] == [
        (quarter.start, PublicationRun.Status.COMPLETED, 3, 3)
    ]
    assert sorted(QuarterTarget.objects.values_list("clinician_id", "target")) == sorted(
        (clinician.pk, 9) for clinician in clinicians
    )
