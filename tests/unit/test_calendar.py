from datetime import date

import pytest

from accounts.calendar import bank_holidays, is_bank_holiday
from accounts.models import Nation


@pytest.mark.parametrize(
    ("nation", "day", "expected"),
    [
        (Nation.ENGLAND, date(2027, 1, 1), True),  # New Year's Day everywhere
        (
            Nation.SCOTLAND,
            date(2027, 1, 4),
            True,
        ),  # Scotland's 2 January falls on a Saturday: observed Monday
        (Nation.ENGLAND, date(2027, 1, 4), False),
        (Nation.NORTHERN_IRELAND, date(2027, 3, 17), True),  # St Patrick's Day
        (Nation.WALES, date(2027, 3, 17), False),
        (Nation.ENGLAND, date(2027, 8, 30), True),  # late summer bank holiday
        (Nation.SCOTLAND, date(2027, 8, 2), True),  # Scotland's summer bank holiday is early August
        (Nation.SCOTLAND, date(2027, 8, 30), False),
        (Nation.WALES, date(2027, 3, 29), True),  # Easter Monday in England and Wales
        (Nation.SCOTLAND, date(2027, 3, 29), False),
    ],
)
def test_each_nation_keeps_its_own_bank_holidays(nation, day, expected):
    assert is_bank_holiday(nation, day) is expected


def test_bank_holidays_have_names_for_people_to_read():
    names = bank_holidays(Nation.ENGLAND, 2027)
    assert names[date(2027, 12, 27)].lower().startswith("christmas")
    weekdays = [day for day in names if day.weekday() < 5]
    assert len(weekdays) == 8  # England's eight, Christmas and Boxing Day observed on 27 and 28 December
