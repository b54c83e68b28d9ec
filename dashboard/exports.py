"""The dashboards' tables as CSV files and formatted Excel workbooks (issue 8, item 4).

Tables are plain rows (ints, Decimals, text); shares are percentages with one decimal place
(in the workbook they are fractions shown with a percentage format). Text cells are guarded
against formulas as in `planning.exports`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils import timezone

from accounts.models import Team
from dashboard.quarterly import TeamActivity, last_quarters, totals
from dashboard.summary import activities
from planning.exports import guard
from planning.quarters import Quarter

Cell = str | int | Decimal | None
PERCENT = "percent"  # a column of percentages (0-100 in CSV, fraction with % format in xlsx)
DECIMAL = "0.0"
WHOLE = "0"
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class Table:
    name: str  # short, for ?table=
    title: str  # the sheet's name
    headings: list[str]
    rows: list[list[Cell]]
    formats: list[str | None]  # WHOLE, DECIMAL, PERCENT, another number format, or None (text)
    has_total: bool = False  # the last row is a total


@dataclass(frozen=True)
class Cover:
    title: str
    scope: str  # the organisation, or the team and its organisation
    quarter: Quarter
    by: str
    now: datetime
    filters: list[tuple[str, str]] = field(default_factory=list)


def _dec(value: Fraction | float | int | None, places: str = "0.1") -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _pct(value: Fraction | None) -> Decimal | None:
    return None if value is None else _dec(value * 100)


SLOT_COLUMNS = [
    ("offered", "Slots offered"),
    ("booked", "Booked"),
    ("attended", "Attended"),
    ("dna", "DNA"),
    ("cancelled", "Cancelled"),
    ("reoffered", "Re-offered"),
    ("left_unbooked", "Left unbooked"),
    ("lost", "Lost"),
]

TEAM_COLUMNS: list[tuple[str, str | None]] = [
    ("Team", None),
    ("Target", WHOLE),
    *[(heading, WHOLE) for _, heading in SLOT_COLUMNS],
    ("New Core Partnerships", WHOLE),
    ("Accepted referrals", WHOLE),
    ("Choice used", WHOLE),
    ("Referral to Choice median (weeks)", DECIMAL),
    ("Referral to Choice 90th percentile (weeks)", DECIMAL),
    ("Referral to Choice within 4 weeks (%)", PERCENT),
    ("Referral to Choice within 6 weeks (%)", PERCENT),
    ("Choice to first Core median (weeks)", DECIMAL),
    ("Choice to first Core 90th percentile (weeks)", DECIMAL),
    ("Choice to first Core within 4 weeks (%)", PERCENT),
    ("Choice to first Core within 6 weeks (%)", PERCENT),
    ("Transfer rate (%)", PERCENT),
    ("Choice DNA rate (%)", PERCENT),
    ("First Core DNA rate (%)", PERCENT),
    ("Mean appointments per closed Core case", DECIMAL),
    ("Balance ratio", "0.00"),
]
COUNTED = 1 + len(SLOT_COLUMNS) + 3  # target, the slots, new Core, accepted, Choice used


def _slot_cells(slots) -> list[Cell]:
    return [getattr(slots, name) for name, _ in SLOT_COLUMNS]


def _team_row(a: TeamActivity) -> list[Cell]:
    r2c, c2c = a.referral_to_choice, a.choice_to_first_core
    return [
        a.team.name,
        a.target,
        *_slot_cells(a.slots),
        a.new_core_partnerships,
        a.accepted_referrals,
        a.choice_used,
        _dec(r2c.median_weeks),
        _dec(r2c.p90_weeks),
        _pct(r2c.share_within(4)),
        _pct(r2c.share_within(6)),
        _dec(c2c.median_weeks),
        _dec(c2c.p90_weeks),
        _pct(c2c.share_within(4)),
        _pct(c2c.share_within(6)),
        _pct(a.transfer_rate),
        _pct(a.choice_dna_rate),
        _pct(a.first_core_dna_rate),
        _dec(a.mean_appointments_per_closed_core_case),
        _dec(a.balance_ratio, "0.01"),
    ]


def organisation_teams_table(team_activities: Sequence[TeamActivity]) -> Table:
    """One row per team and an organisation total (counts only; waits and rates are per team)."""
    rows = [_team_row(a) for a in team_activities]
    total = totals(team_activities)
    rows.append(
        [
            "Organisation total",
            total["target"],
            *_slot_cells(total["slots"]),
            total["new_core_partnerships"],
            total["accepted_referrals"],
            total["choice_used"],
            *[None] * (len(TEAM_COLUMNS) - 1 - COUNTED),
        ]
    )
    return Table(
        name="teams",
        title="Teams",
        headings=[h for h, _ in TEAM_COLUMNS],
        rows=rows,
        formats=[f for _, f in TEAM_COLUMNS],
        has_total=True,
    )


def organisation_tables(teams: Sequence[Team], quarter: Quarter) -> list[Table]:
    found = activities(list(teams), [quarter])
    return [organisation_teams_table([found[(t.id, quarter)] for t in teams])]


def clinicians_table(a: TeamActivity) -> Table:
    headings = ["Clinician", "Target", *[h for _, h in SLOT_COLUMNS], "New Core Partnerships"]
    rows: list[list[Cell]] = [
        [str(c.clinician), c.target, *_slot_cells(c.slots), c.new_core_partnerships] for c in a.clinicians
    ]
    # The team's own figures: a joint slot and a case with two Core clinicians count once.
    rows.append(["Team total", a.target, *_slot_cells(a.slots), a.new_core_partnerships])
    return Table(
        name="clinicians",
        title="Clinicians",
        headings=headings,
        rows=rows,
        formats=[None] + [WHOLE] * (len(headings) - 1),
        has_total=True,
    )


def measures_table(a: TeamActivity) -> Table:
    row = _team_row(a)
    rows = [[heading, value] for (heading, _), value in zip(TEAM_COLUMNS[1:], row[1:], strict=True)]
    rows += [
        ["Choice slots offered", a.choice_offered],
        ["Choice missed", a.choice_missed],
        ["Choice share of Core (%)", _pct(a.choice_core_share)],
    ]
    return Table(
        name="measures", title="Measures", headings=["Measure", "Value"], rows=rows, formats=[None, None]
    )


TREND_COLUMNS = [
    ("Quarter", None),
    ("Target", WHOLE),
    ("Slots offered", WHOLE),
    ("Attended", WHOLE),
    ("DNA", WHOLE),
    ("Left unbooked", WHOLE),
    ("New Core Partnerships", WHOLE),
]


def trend_table(trend: Sequence[TeamActivity]) -> Table:
    rows: list[list[Cell]] = [
        [
            a.quarter.label,
            a.target,
            a.slots.offered,
            a.slots.attended,
            a.slots.dna,
            a.slots.left_unbooked,
            a.new_core_partnerships,
        ]
        for a in trend
    ]
    return Table(
        name="trend",
        title="Trend",
        headings=[h for h, _ in TREND_COLUMNS],
        rows=rows,
        formats=[f for _, f in TREND_COLUMNS],
    )


def team_tables(team: Team, quarter: Quarter) -> list[Table]:
    quarters = last_quarters(quarter, 8)
    found = activities([team], quarters)
    current = found[(team.id, quarter)]
    return [
        clinicians_table(current),
        measures_table(current),
        trend_table([found[(team.id, q)] for q in quarters]),
    ]


# --- CSV -----------------------------------------------------------------------------------------


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(guard(value))


def csv_bytes(table: Table) -> bytes:
    """One table as CSV, UTF-8 with a byte order mark so that Excel opens it right."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([guard(h) for h in table.headings])
    for row in table.rows:
        writer.writerow([_csv_text(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


# --- Excel ---------------------------------------------------------------------------------------


def uk_datetime(when: datetime) -> str:
    return timezone.localtime(when).strftime("%d/%m/%Y %H:%M")


def _text(value: Cell) -> Cell:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = guard(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _cover_sheet(sheet, cover: Cover, tables: Sequence[Table]) -> None:
    from openpyxl.styles import Font

    sheet.title = "Cover"
    sheet.append([_text(cover.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    lines = [
        ("Scope", cover.scope),
        ("Quarter", str(cover.quarter)),
        ("Quarter code", cover.quarter.label),
        *cover.filters,
        ("Generated on", uk_datetime(cover.now)),
        ("Generated by", cover.by),
        ("Sheets", ", ".join(t.title for t in tables)),
    ]
    for label, value in lines:
        sheet.append([_text(label), _text(value)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 60


def _table_sheet(sheet, table: Table) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet.title = table.title[:31]
    sheet.append([_text(h) for h in table.headings])
    for row in table.rows:
        cells = []
        for value, fmt in zip(row, table.formats, strict=True):
            if fmt == PERCENT and isinstance(value, Decimal):
                value = value / 100
            cells.append(_text(value))
        sheet.append(cells)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B2"
    if table.has_total:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for index, (heading, fmt) in enumerate(zip(table.headings, table.formats, strict=True), 1):
        letter = get_column_letter(index)
        longest = max([len(heading) // 2, *(len(_csv_text(r[index - 1])) for r in table.rows)])
        sheet.column_dimensions[letter].width = min(max(longest + 2, 10), 40)
        number_format = "0.0%" if fmt == PERCENT else fmt
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format


def workbook_bytes(tables: Sequence[Table], cover: Cover) -> bytes:
    """A cover sheet, then one formatted sheet per table."""
    from openpyxl import Workbook

    workbook = Workbook()
    _cover_sheet(workbook.active, cover, tables)
    for table in tables:
        _table_sheet(workbook.create_sheet(), table)
    workbook.properties.creator = "capa"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
