"""The planning pages' charts, each a picture of a table the page also shows."""

from __future__ import annotations

from capa.charts import BarChart, Series, horizontal_bars
from planning.capacity import one_decimal
from planning.figures import ProjectedQuarter, TeamQuarter


def targets_against_need_chart(quarters: list[TeamQuarter]) -> BarChart:
    """The team's Core targets against the new Core Partnerships its referrals need."""
    parts = []
    for each in quarters:
        needed = each.figures.core_needed
        if needed is None:
            parts.append(
                f"{each.quarter}: targets {one_decimal(each.figures.core_targets_total)}, need unknown"
            )
        else:
            parts.append(
                f"{each.quarter}: targets {one_decimal(each.figures.core_targets_total)} "
                f"against {one_decimal(needed)} needed"
            )
    return horizontal_bars(
        title="Core targets against need, new Core Partnerships a quarter",
        summary="; ".join(parts) + ".",
        categories=[str(each.quarter) for each in quarters],
        series=[
            Series("Core targets", "targets", [each.figures.core_targets_total for each in quarters]),
            Series("Needed", "need", [each.figures.core_needed for each in quarters]),
        ],
        value_format=one_decimal,
        missing_label="referrals not entered",
    )


def projection_chart(projected: list[ProjectedQuarter]) -> BarChart:
    """The internal wait to first Core Partnership the flow model projects, quarter by quarter."""
    waits = []
    for each in projected:
        if each.flow is None:
            waits.append(None)
        else:
            waits.append(each.flow.wait_weeks)
    parts = []
    for each, wait in zip(projected, waits, strict=True):
        if each.flow is None:
            parts.append(f"{each.quarter}: referrals not entered")
        elif wait is None:
            parts.append(f"{each.quarter}: no Core capacity, the wait keeps growing")
        else:
            parts.append(f"{each.quarter}: {one_decimal(wait)} weeks")
    return horizontal_bars(
        title="Projected internal wait to first Core Partnership, in weeks",
        summary="Projected extra wait at the end of each quarter: " + "; ".join(parts) + ".",
        categories=[str(each.quarter) for each in projected],
        series=[Series("Projected wait (weeks)", "wait", waits)],
        value_format=one_decimal,
        missing_label="not known",
    )
