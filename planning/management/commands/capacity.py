"""`manage.py capacity --team riverside-camhs --quarter 2027-Q1 [--json]`: a team's capacity
figures for a quarter, as the capacity page shows them, for a terminal or a script.

The JSON gives every figure exactly, as a fraction in a string ("66/7"), beside the decimal people
read (9.4), so a script can check the maths without floating-point noise.
"""

from __future__ import annotations

import json
from fractions import Fraction

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Team
from capa.ids import is_id
from planning import capacity, figures, queries
from planning.quarters import Quarter


def exact(value: Fraction | None) -> dict | None:
    """66/7 as {"exact": "66/7", "decimal": 9.4}; None stays None."""
    if value is None:
        return None
    value = capacity.exact(value)
    text = str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    return {"exact": text, "decimal": float(capacity.one_decimal(value))}


def exact_share(value: Fraction | None) -> dict | None:
    """7/25 as {"exact": "7/25", "percent": 28.0}: a share reads as a percentage."""
    if value is None:
        return None
    return {
        "exact": exact(value)["exact"],
        "percent": float(capacity.one_decimal(capacity.exact(value) * 100)),
    }


def find_team(given: str) -> Team:
    """A team by its id or its name slugified (riverside-camhs); CommandError lists the choices."""
    teams = list(Team.objects.order_by("name", "pk").values_list("pk", "name", "organisation__name"))
    if is_id(given):
        found = [pk for pk, _, _ in teams if pk == int(given)]
    else:
        found = [pk for pk, name, _ in teams if slugify(name) == slugify(given)]
    if len(found) == 1:
        return Team.objects.get(pk=found[0])
    choices = "\n".join(f"  {slugify(name)} (id {pk}, {organisation})" for pk, name, organisation in teams)
    if found:
        raise CommandError(f"More than one team is called {given!r}: give its id instead.\n{choices}")
    raise CommandError(f"No team {given!r}. Use one of these names or ids:\n{choices or '  (no teams yet)'}")


class Command(BaseCommand):
    help = (
        "Print a team's capacity for a quarter: each clinician's Choice appointments a week and "
        "targets, and the team's balance. --team takes the team's name slugified (riverside-camhs) "
        "or its id; --quarter defaults to this quarter."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="The team's name slugified, or its id.")
        parser.add_argument("--quarter", help="The quarter, like 2027-Q1 (default: this quarter).")
        parser.add_argument("--json", action="store_true", help="Print JSON with exact fractions.")

    def handle(self, *args, **options) -> None:
        team = find_team(options["team"])
        start_month = team.organisation.financial_year_start_month
        try:
            quarter = (
                Quarter.parse(options["quarter"], start_month=start_month)
                if options["quarter"]
                else Quarter.containing(timezone.localdate(), start_month=start_month)
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        planning = queries.one_team_planning(team)
        team_quarter = figures.team_quarter(planning, quarter)
        if options["json"]:
            self.stdout.write(json.dumps(as_json(team, planning, team_quarter), indent=2))
        else:
            self.stdout.write(as_table(team, planning, team_quarter))


def as_json(team: Team, planning: queries.TeamPlanning, team_quarter: figures.TeamQuarter) -> dict:
    streams = {stream.pk: stream.name for stream in planning.streams}
    team_figures = team_quarter.figures
    return {
        "team": {"id": team.pk, "name": team.name, "slug": slugify(team.name)},
        "quarter": {
            "label": team_quarter.quarter.label,
            "name": str(team_quarter.quarter),
            "start": team_quarter.quarter.start.isoformat(),
            "end": team_quarter.quarter.end.isoformat(),
        },
        "clinicians": [
            {
                "id": row.clinician.pk,
                "username": row.clinician.username,
                "name": str(row.clinician),
                "plan": None
                if row.plan is None
                else {"version": row.plan.version, "effective_from": row.plan.effective_from.isoformat()},
                "absent_weeks": exact(row.absent_weeks),
                "choice_appointments_per_week": None
                if row.figures is None
                else exact(row.figures.choice_appointments_per_week),
                "core_target": None if row.figures is None else exact(row.figures.core_target),
                "core_target_whole": row.core_target_whole,
                "specific_targets": {}
                if row.figures is None
                else {streams[key]: exact(target) for key, target in row.figures.specific_targets.items()},
            }
            for row in team_quarter.clinicians
        ],
        "team_figures": {
            "choice_appointments_per_week": exact(
                sum((row.figures.choice_appointments_per_week for row in _planned(team_quarter)), Fraction(0))
            ),
            "core_targets_total": exact(team_figures.core_targets_total),
            "core_targets_whole_total": team_quarter.core_targets_whole_total,
            "specific_targets_total": {
                streams[key]: exact(total) for key, total in team_figures.specific_targets_total.items()
            },
            "referrals_per_week": exact(team_quarter.referrals.per_week),
            "referrals_source": team_quarter.referrals.source,
            "core_needed": exact(team_figures.core_needed),
            "balance_ratio": exact(team_figures.ratio),
            "balance": team_figures.balance.value,
            "balance_words": team_quarter.balance_words,
            "balance_reason": team_quarter.balance_reason,
            "choice_core_share": exact_share(team_figures.choice_core_share),
            "choice_core_share_is_usual": team_figures.share_is_usual,
        },
    }


def _planned(team_quarter: figures.TeamQuarter) -> list[figures.ClinicianQuarter]:
    return [row for row in team_quarter.clinicians if row.figures is not None]


def _one(value) -> str:
    return "" if value is None else capacity.one_decimal(value)


def as_table(team: Team, planning: queries.TeamPlanning, team_quarter: figures.TeamQuarter) -> str:
    streams = planning.streams
    headings = ["Clinician", "Choice a week", "Core target", "First Core slots", *(s.name for s in streams)]
    rows = []
    for row in team_quarter.clinicians:
        if row.figures is None:
            rows.append([str(row.clinician), "No agreed plan", "", "", *("" for _ in streams)])
            continue
        rows.append(
            [
                str(row.clinician),
                _one(row.figures.choice_appointments_per_week),
                _one(row.figures.core_target),
                str(row.core_target_whole),
                *(_one(row.figures.specific_targets.get(stream.pk, 0)) for stream in streams),
            ]
        )
    team_figures = team_quarter.figures
    rows.append(
        [
            "Team",
            _one(
                sum((row.figures.choice_appointments_per_week for row in _planned(team_quarter)), Fraction(0))
            ),
            _one(team_figures.core_targets_total),
            str(team_quarter.core_targets_whole_total),
            *(_one(team_figures.specific_targets_total.get(stream.pk, 0)) for stream in streams),
        ]
    )
    widths = [max(len(str(line[i])) for line in [headings, *rows]) for i in range(len(headings))]

    def line(cells: list[str]) -> str:
        first, *numbers = cells
        return "  ".join(
            [
                first.ljust(widths[0]),
                *(cell.rjust(width) for cell, width in zip(numbers, widths[1:], strict=True)),
            ]
        ).rstrip()

    referrals = team_quarter.referrals
    share = team_figures.choice_core_share
    out = [
        f"{team.name}: {team_quarter.quarter} ({team_quarter.quarter.label})",
        "",
        line(headings),
        line(["-" * width for width in widths]),
        *(line(cells) for cells in rows[:-1]),
        line(["-" * width for width in widths]),
        line(rows[-1]),
        "",
        "Accepted referrals a week: "
        + (
            f"{_one(referrals.per_week)} ({referrals.source})"
            if referrals.per_week is not None
            else "not entered"
        ),
        f"Core Partnerships needed a quarter: {_one(team_figures.core_needed) or 'not known'}",
        f"Balance ratio: {_one(team_figures.ratio) or 'not known'} "
        f"(in balance from {_one(team_figures.thresholds.balance_low)} "
        f"to {_one(team_figures.thresholds.balance_high)})",
        f"Balance: {team_quarter.balance_words}",
        team_quarter.balance_reason,
        "Planned time in Choice and Core: "
        + ("no time planned" if share is None else f"{_one(share * 100)}%")
        + ("" if share is None or team_figures.share_is_usual else " (outside the usual range)"),
    ]
    return "\n".join(out) + "\n"
