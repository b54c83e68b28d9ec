"""Server-drawn bar charts: SVG geometry computed here, drawn by `includes/bar_chart.html`.

No chart library and no script: the Content-Security-Policy forbids inline script and style, the
pages must work without JavaScript, and a chart is only ever a picture of a table that the page
also shows (with a sentence saying what it shows), so screen-reader users lose nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

WIDTH = 640
LABEL_WIDTH = 190
VALUE_WIDTH = 70
BAR_HEIGHT = 18
BAR_GAP = 4
GROUP_GAP = 16
TOP = 8


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str  # capa-chart__bar--<name> in static/css/capa.css sets the colour
    values: Sequence[Fraction | int | float | None]  # None: no figure for that category


@dataclass(frozen=True)
class Bar:
    series: str
    css_class: str
    x: int
    y: int
    width: int
    height: int
    label: str
    label_x: int
    label_y: int


@dataclass(frozen=True)
class Group:
    label: str
    label_y: int
    bars: list[Bar]


@dataclass(frozen=True)
class BarChart:
    title: str
    summary: str
    legend: list[Series]
    groups: list[Group]
    width: int
    height: int
    axis_x: int


def horizontal_bars(
    *,
    title: str,
    summary: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_format=lambda value: f"{value:.1f}".removesuffix(".0"),
    missing_label: str = "no figure",
) -> BarChart:
    """Bars for each category, one per series, scaled to the largest value."""
    largest = max((float(v) for s in series for v in s.values if v is not None), default=0.0)
    scale = (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / largest if largest > 0 else 0.0
    groups, y = [], TOP
    for index, category in enumerate(categories):
        bars = []
        group_top = y
        for each in series:
            value = each.values[index]
            width = 0 if value is None else max(round(float(value) * scale), 0)
            label = missing_label if value is None else value_format(value)
            bars.append(
                Bar(
                    series=each.name,
                    css_class=each.css_class,
                    x=LABEL_WIDTH,
                    y=y,
                    width=width,
                    height=BAR_HEIGHT,
                    label=label,
                    label_x=LABEL_WIDTH + width + 6,
                    label_y=y + BAR_HEIGHT - 4,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        groups.append(Group(label=category, label_y=(group_top + y - BAR_GAP) // 2 + 5, bars=bars))
        y += GROUP_GAP
    return BarChart(
        title=title,
        summary=summary,
        legend=list(series),
        groups=groups,
        width=WIDTH,
        height=y,
        axis_x=LABEL_WIDTH,
    )
