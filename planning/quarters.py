"""Planning quarters. Pure date arithmetic, no database.

A quarter is named by the calendar year its financial year starts in and its number from the
organisation's start month: with NHS financial years (April), "2027-Q1" is April to June 2027 and
"2026-Q4" is January to March 2027.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTH_ABBREVIATIONS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
LABEL = re.compile(r"^(?P<year>\d{4})-Q(?P<number>[1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int
    start_month: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError("a quarter is numbered 1 to 4")
        if not 1 <= self.start_month <= 12:
            raise ValueError("a financial year starts in a month from 1 to 12")

    @classmethod
    def containing(cls, day: date, *, start_month: int = 4) -> Quarter:
        months_into_year = (day.month - start_month) % 12
        year = day.year if day.month >= start_month else day.year - 1
        return cls(year=year, number=months_into_year // 3 + 1, start_month=start_month)

    @classmethod
    def parse(cls, label: str, *, start_month: int = 4) -> Quarter:
        """'2027-Q1' -> Quarter(2027, 1). Raises ValueError with a readable message otherwise."""
        match = LABEL.match(label.strip())
        if not match:
            raise ValueError(f"{label!r} is not a quarter: write it like 2027-Q1")
        return cls(year=int(match["year"]), number=int(match["number"]), start_month=start_month)

    @property
    def start(self) -> date:
        month_index = self.start_month - 1 + (self.number - 1) * 3
        return date(self.year + month_index // 12, month_index % 12 + 1, 1)

    @property
    def end(self) -> date:
        """The last day of the quarter (inclusive)."""
        return self.next().start - timedelta(days=1)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1, self.start_month)
        return Quarter(self.year, self.number + 1, self.start_month)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4, self.start_month)
        return Quarter(self.year, self.number - 1, self.start_month)

    def following(self, count: int) -> list[Quarter]:
        """This quarter and the next `count - 1`."""
        quarters = [self]
        while len(quarters) < count:
            quarters.append(quarters[-1].next())
        return quarters

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    def __str__(self) -> str:
        """Q4 2026/27 (Jan to Mar 2027)."""
        end = self.end
        span = (
            f"{MONTH_ABBREVIATIONS[self.start.month - 1]} to {MONTH_ABBREVIATIONS[end.month - 1]} {end.year}"
        )
        if self.start_month == 1:
            return f"Q{self.number} {self.year} ({span})"
        return f"Q{self.number} {self.year}/{str(self.year + 1)[-2:]} ({span})"
