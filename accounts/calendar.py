"""Bank holidays of a team's nation. Slots and team sessions never fall on them."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def bank_holidays(nation: str, year: int) -> dict[date, str]:
    """The bank holidays of a UK nation ("ENG", "WLS", "SCT" or "NIR") in a year, with names."""
    return dict(holidays.country_holidays("GB", subdiv=nation, years=year, language="en_GB"))


def is_bank_holiday(nation: str, day: date) -> bool:
    return day in bank_holidays(nation, day.year)
