"""The dashboards' charts, each a picture of a table the page also shows, with a sentence saying
what it shows (capa/charts.py draws them)."""

from __future__ import annotations

from capa.charts import BarChart, Series, horizontal_bars
from dashboard.quarterly import ClinicianActivity, TeamActivity
from planning.models import PlanningSettings
from planning.quarters import Quarter


def _whole(value) -> str:
    return f"{float(value):.0f}"


def teams_chart(activities: list[TeamActivity]) -> BarChart:
    return horizontal_bars(
        title="First Core slots offered against target, by team",
        summary="; ".join(f"{a.team}: {a.slots.offered} offered, target {a.target}" for a in activities)
        + ".",
        categories=[a.team.name for a in activities],
        series=[
            Series("Target", "targets", [a.target for a in activities]),
            Series("Offered", "delivered", [a.slots.offered for a in activities]),
        ],
        value_format=_whole,
    )


def clinicians_chart(activity: TeamActivity) -> BarChart:
    rows = activity.clinicians
    return horizontal_bars(
        title="Target against first Core slots offered and new Core Partnerships, by clinician",
        summary="; ".join(
            f"{row.clinician}: target {row.target if row.target is not None else 'none'}, "
            f"{row.slots.offered} offered, {row.new_core_partnerships} new"
            for row in rows
        )
        + ".",
        categories=[str(row.clinician) for row in rows],
        series=[
            Series("Target", "targets", [row.target for row in rows]),
            Series("Offered", "delivered", [row.slots.offered for row in rows]),
            Series("New Core Partnerships", "need", [row.new_core_partnerships for row in rows]),
        ],
        value_format=_whole,
        missing_label="no target",
    )


def trend_chart(trend: list[TeamActivity]) -> BarChart:
    return horizontal_bars(
        title=f"The last {len(trend)} quarters: target, slots offered and attended",
        summary="; ".join(
            f"{a.quarter.label}: target {a.target}, {a.slots.offered} offered, {a.slots.attended} attended"
            for a in trend
        )
        + ".",
        categories=[a.quarter.label for a in trend],
        series=[
            Series("Target", "targets", [a.target for a in trend]),
            Series("Offered", "delivered", [a.slots.offered for a in trend]),
            Series("Attended", "need", [a.slots.attended for a in trend]),
        ],
        value_format=_whole,
    )


WAIT_BANDS = ((0, 2), (2, 4), (4, 6), (6, None))


def wait_bands(days: tuple[int, ...]) -> list[int]:
    """How many waited under 2 weeks, 2 to 4, 4 to 6, and 6 or more."""
    counts = []
    for low, high in WAIT_BANDS:
        counts.append(sum(1 for d in days if d >= low * 7 and (high is None or d < high * 7)))
    return counts


def band_names() -> list[str]:
    return [f"{low} to {high} weeks" if high else f"{low} weeks or more" for low, high in WAIT_BANDS]


def waits_chart(activity: TeamActivity, settings: PlanningSettings) -> BarChart:
    first = wait_bands(activity.referral_to_choice.days)
    second = wait_bands(activity.choice_to_first_core.days)
    names = band_names()
    return horizontal_bars(
        title="How long families waited this quarter",
        summary=(
            "Referral to Choice: "
            + ", ".join(f"{n} waited {name}" for n, name in zip(first, names, strict=True))
            + ". Choice to first Core: "
            + ", ".join(f"{n} waited {name}" for n, name in zip(second, names, strict=True))
            + f". Amber from {settings.wait_amber_weeks} weeks, red from {settings.wait_red_weeks}."
        ),
        categories=names,
        series=[
            Series("Referral to Choice", "targets", first),
            Series("Choice to first Core", "wait", second),
        ],
        value_format=_whole,
    )


def clinician_trend_chart(person, trend: list[tuple[Quarter, ClinicianActivity | None]]) -> BarChart:
    return horizontal_bars(
        title=f"{person}: the last {len(trend)} quarters",
        summary="; ".join(
            f"{q.label}: "
            + (
                f"target {row.target if row.target is not None else 'none'}, {row.slots.offered} offered, "
                f"{row.new_core_partnerships} new"
                if row
                else "not in the team's plans"
            )
            for q, row in trend
        )
        + ".",
        categories=[q.label for q, _ in trend],
        series=[
            Series("Target", "targets", [row.target if row else None for _, row in trend]),
            Series("Offered", "delivered", [row.slots.offered if row else None for _, row in trend]),
            Series(
                "New Core Partnerships",
                "need",
                [row.new_core_partnerships if row else None for _, row in trend],
            ),
        ],
        value_format=_whole,
        missing_label="none",
    )
