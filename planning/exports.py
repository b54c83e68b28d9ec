"""Downloading a team's job plans and targets for a quarter, as an Excel workbook or a CSV file.

The clinician table starts with the columns an import takes (`planning/imports.py`), in the same
format, so a downloaded file can be edited and imported again; the figures after them are ignored
on import. The figures are the capacity page's: `planning.figures.team_quarter`.

Every text cell that a spreadsheet could run as a formula (it starts with = + - @, a tab or a
carriage return) gets a leading apostrophe, in both formats: a name typed into capa must never
become a formula on a lead's computer.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.text import slugify

from accounts.models import Team, User
from planning import capacity, figures, job_plans, queries
from planning.imports import (
    CHOICE_A_WEEK,
    CHOICE_PATTERN_WORDS,
    CONTRACTED_HOURS,
    CORE_TARGET,
    CORE_TARGET_WHOLE,
    FORMULA_STARTS,
    PERSON_COLUMNS,
    PLAN_STATUS,
    PLAN_VERSION,
    PLANS_SHEET,
    SPECIFIC_TARGET_PREFIX,
    plan_columns,
)
from planning.job_plans import PlanHours
from planning.models import JobPlan, JobPlanLine, PlanStatus
from planning.quarters import Quarter

FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
HOURS_FORMAT = "0.0#"  # 10.5, 7.0, 10.25
ONE_DECIMAL_FORMAT = "0.0"
WHOLE_FORMAT = "0"
PERCENT_FORMAT = "0.0%"
NO_PLAN = "No plan yet"

Cell = str | int | Decimal | None


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


@dataclass(frozen=True)
class Table:
    headings: list[str]
    rows: list[list[Cell]]
    formats: list[str | None]  # a number format for each column, None for text


def export_plans(
    *, team: Team, quarter: Quarter, file_format: str, by: User, now: datetime | None = None
) -> ExportFile:
    """The team's plans and targets for the quarter as an .xlsx or .csv file (ValueError for any
    other format)."""
    if file_format not in FORMATS:
        raise ValueError(f"no export format {file_format!r}")
    planning = queries.one_team_planning(team)
    team_quarter = figures.team_quarter(planning, quarter)
    table = clinician_table(planning, team_quarter)
    if file_format == "csv":
        content = csv_bytes(table)
    else:
        content = workbook_bytes(
            table, team=team, team_quarter=team_quarter, planning=planning, by=by, now=now or timezone.now()
        )
    return ExportFile(
        content=content,
        content_type=CONTENT_TYPES[file_format],
        filename=f"{slugify(team.name) or 'team'}-job-plans-{quarter.label}.{file_format}",
    )


# --- The clinician table -----------------------------------------------------------------------


def clinician_table(planning: queries.TeamPlanning, team_quarter: figures.TeamQuarter) -> Table:
    """One row per clinician: the import's columns, then the plan's version and status and what it
    gives this quarter. A clinician with no agreed plan in force shows their latest plan's hours (a
    draft, or one agreed from a later quarter) so the file works as a template, without targets."""
    streams = planning.streams
    hours_columns = plan_columns(streams)
    headings = [
        *PERSON_COLUMNS,
        *(heading for heading, _ in hours_columns),
        PLAN_VERSION,
        PLAN_STATUS,
        CHOICE_A_WEEK,
        CORE_TARGET,
        CORE_TARGET_WHOLE,
        *(f"{SPECIFIC_TARGET_PREFIX}{stream.name}" for stream in streams),
    ]
    formats: list[str | None] = [None] * len(PERSON_COLUMNS)
    formats[PERSON_COLUMNS.index(CONTRACTED_HOURS)] = HOURS_FORMAT
    formats += [HOURS_FORMAT] * len(hours_columns)
    formats += [WHOLE_FORMAT, None, ONE_DECIMAL_FORMAT, ONE_DECIMAL_FORMAT, WHOLE_FORMAT]
    formats += [ONE_DECIMAL_FORMAT] * len(streams)

    latest = _latest_plans(
        planning.team, [row.clinician.pk for row in team_quarter.clinicians if row.plan is None]
    )
    rows = []
    for row in team_quarter.clinicians:
        clinician = row.clinician
        profile = clinician.clinician_profile
        if row.plan is not None:
            plan, hours = row.plan, job_plans.plan_hours(row.plan)  # lines prefetched by the query
        else:
            plan, hours = latest.get(clinician.pk, (None, {}))
        cells: list[Cell] = [
            clinician.username,
            clinician.first_name,
            clinician.last_name,
            clinician.email,
            profile.get_profession_display(),
            profile.contracted_hours_per_week,
            team_quarter.quarter.label,
            "" if plan is None else CHOICE_PATTERN_WORDS.get(plan.choice_pattern, ""),
        ]
        cells += [None if plan is None else hours.get(line, Decimal(0)) for _, line in hours_columns]
        cells += [
            None if plan is None else plan.version,
            _status(row.plan, plan, planning),
            None if row.figures is None else one_decimal(row.figures.choice_appointments_per_week),
            None if row.figures is None else one_decimal(row.figures.core_target),
            row.core_target_whole,
        ]
        cells += [
            None if row.figures is None else one_decimal(row.figures.specific_targets.get(stream.pk, 0))
            for stream in streams
        ]
        rows.append(cells)
    return Table(headings=headings, rows=rows, formats=formats)


def _latest_plans(team: Team, clinician_ids: list[int]) -> dict[int, tuple[JobPlan, PlanHours]]:
    """Each clinician's newest plan version in the team and its hours (2 queries, or none when
    everyone has a plan in force)."""
    if not clinician_ids:
        return {}
    plans = {
        plan.pk: plan
        for plan in JobPlan.objects.filter(team=team, clinician_id__in=clinician_ids)
        .order_by("clinician_id", "-version")
        .distinct("clinician_id")
    }
    hours: dict[int, PlanHours] = {pk: {} for pk in plans}
    for line in JobPlanLine.objects.filter(plan_id__in=plans):
        hours[line.plan_id][line.activity, line.specific_stream_id] = line.hours_per_week
    return {plan.clinician_id: (plan, hours[pk]) for pk, plan in plans.items()}


def _status(in_force: JobPlan | None, shown: JobPlan | None, planning: queries.TeamPlanning) -> str:
    if in_force is not None:
        return "Agreed, in force"
    if shown is None:
        return NO_PLAN
    if shown.status == PlanStatus.AGREED:
        starts = planning.quarter_containing(shown.effective_from).label
        return f"Agreed from {starts}, not in force yet"
    return f"{shown.get_status_display()}, not in force"


def one_decimal(value: Fraction | Decimal | int | None) -> Decimal | None:
    """A figure rounded to one decimal place, as a number (66/7 -> 9.4), as the page prints it."""
    return None if value is None else Decimal(capacity.one_decimal(value))


def guard(value: Cell) -> Cell:
    """A text cell that a spreadsheet would run as a formula, made plain text by an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


# --- CSV -----------------------------------------------------------------------------------------


def csv_bytes(table: Table) -> bytes:
    """The clinician table as CSV, UTF-8 with a byte order mark so that Excel reads names right."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([guard(heading) for heading in table.headings])
    for row in table.rows:
        writer.writerow([_csv_text(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"  # 37.50 -> 37.5, 0.00 -> 0
    return str(guard(value))


# --- Excel ---------------------------------------------------------------------------------------


def workbook_bytes(
    table: Table,
    *,
    team: Team,
    team_quarter: figures.TeamQuarter,
    planning: queries.TeamPlanning,
    by: User,
    now: datetime,
) -> bytes:
    """A workbook of three sheets: a cover, the clinician table, and the team's figures."""
    from openpyxl import Workbook  # only exports need it, and it is slow to import

    workbook = Workbook()
    _cover_sheet(workbook.active, team=team, quarter=team_quarter.quarter, by=by, now=now)
    _table_sheet(workbook.create_sheet(PLANS_SHEET), table)
    _team_sheet(workbook.create_sheet("Team"), team_quarter=team_quarter, planning=planning, table=table)
    workbook.properties.creator = "capa"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _text(value: Cell) -> Cell:
    """A value as a workbook cell: guarded, and without the control characters xlsx cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = guard(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _bold_headings(sheet, row: int = 1) -> None:
    from openpyxl.styles import Alignment, Font

    for cell in sheet[row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _cover_sheet(sheet, *, team: Team, quarter: Quarter, by: User, now: datetime) -> None:
    from openpyxl.styles import Font

    sheet.title = "Cover"
    sheet.append([_text("Job plans and targets")])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    for label, value in [
        ("Team", team.name),
        ("Organisation", team.organisation.name),
        ("Quarter", str(quarter)),
        ("Quarter code", quarter.label),
        ("Generated at", format_date(timezone.localtime(now), settings.DATETIME_FORMAT)),
        ("Generated by", str(by)),
    ]:
        sheet.append([_text(label), _text(value)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.append([])
    for note in [
        f'"{PLANS_SHEET}" has one row per clinician: their plan\'s hours a week and the targets '
        "it gives this quarter.",
        "Targets come from the agreed plan in force for the quarter; a clinician without one shows "
        "their latest plan's hours and no targets.",
        f'To change plans, edit the hours on "{PLANS_SHEET}" and import the sheet in capa. '
        "The figures after the hours are worked out again, so changing them has no effect.",
        '"Team" has the team\'s totals and whether it is in balance.',
    ]:
        sheet.append([_text(note)])
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 60


def _table_sheet(sheet, table: Table) -> None:
    from openpyxl.utils import get_column_letter

    sheet.append([_text(heading) for heading in table.headings])
    for row in table.rows:
        sheet.append([_text(value) for value in row])
    _bold_headings(sheet)
    sheet.freeze_panes = "B2"  # the headings and each row's username stay in view
    sheet.auto_filter.ref = sheet.dimensions
    for index, (heading, number_format) in enumerate(zip(table.headings, table.formats, strict=True), 1):
        letter = get_column_letter(index)
        longest = max([len(heading) // 2, *(len(_csv_text(row[index - 1])) for row in table.rows)], default=8)
        sheet.column_dimensions[letter].width = min(max(longest + 2, 10), 40)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format


def _team_sheet(
    sheet, *, team_quarter: figures.TeamQuarter, planning: queries.TeamPlanning, table: Table
) -> None:
    from openpyxl.styles import Alignment

    team = team_quarter.figures
    in_force = [row for row in team_quarter.clinicians if row.figures is not None]
    lines: list[tuple[str, Cell, str | None, str]] = [
        ("Clinicians", len(team_quarter.clinicians), WHOLE_FORMAT, ""),
        ("Clinicians with an agreed plan in force", len(in_force), WHOLE_FORMAT, ""),
    ]
    # Hours a week by activity, added up over the plans in force (the table's rows, in order).
    first = len(PERSON_COLUMNS)
    for offset, (heading, _) in enumerate(plan_columns(planning.streams)):
        total = sum(
            (
                cells[first + offset]
                for cells, row in zip(table.rows, team_quarter.clinicians, strict=True)
                if row.plan is not None
            ),
            Decimal(0),
        )
        lines.append((f"{heading}: hours a week", total, HOURS_FORMAT, "In the plans in force."))
    choice_total = sum((row.figures.choice_appointments_per_week for row in in_force), Fraction(0))
    lines += [
        ("Choice appointments a week", one_decimal(choice_total), ONE_DECIMAL_FORMAT, ""),
        (
            "Core target: new Core Partnerships a quarter",
            one_decimal(team.core_targets_total),
            ONE_DECIMAL_FORMAT,
            "",
        ),
        (
            "Core target: whole numbers (first Core slots)",
            team_quarter.core_targets_whole_total,
            WHOLE_FORMAT,
            "Whole numbers keep the year's total across the four quarters.",
        ),
    ]
    for stream in planning.streams:
        lines.append(
            (
                f"{SPECIFIC_TARGET_PREFIX}{stream.name}",
                one_decimal(team.specific_targets_total.get(stream.pk, Fraction(0))),
                ONE_DECIMAL_FORMAT,
                "New cases a quarter.",
            )
        )
    referrals = team_quarter.referrals
    lines.append(
        (
            "Accepted referrals a week",
            referrals.per_week if referrals.per_week is not None else "Not entered",
            HOURS_FORMAT,
            f"The figure was {referrals.source}." if referrals.per_week is not None else "",
        )
    )
    if team.choice is not None:
        difference = team.choice.difference
        lines.append(
            (
                "Choice appointments spare (+) or short (-) a week",
                one_decimal(difference),
                ONE_DECIMAL_FORMAT,
                "Enough for every family." if team.choice.is_enough else "A wait for Choice will build.",
            )
        )
    lines += [
        (
            "Core Partnerships needed a quarter",
            one_decimal(team.core_needed) if team.core_needed is not None else "Not known",
            ONE_DECIMAL_FORMAT,
            f"Referrals a week x 13 weeks x {capacity.one_decimal(team.transfer_rate * 100)}% go on to Core.",
        ),
        (
            "Balance ratio",
            one_decimal(team.ratio) if team.ratio is not None else "Not known",
            ONE_DECIMAL_FORMAT,
            f"In balance from {capacity.one_decimal(team.thresholds.balance_low)} to "
            f"{capacity.one_decimal(team.thresholds.balance_high)}.",
        ),
        ("Balance", team_quarter.balance_words, None, team_quarter.balance_reason),
        (
            "Planned time in Choice and Core",
            _share(team.choice_core_share) if team.choice_core_share is not None else "No time planned",
            PERCENT_FORMAT,
            f"Teams manage {capacity.one_decimal(team.thresholds.share_low * 100)}% to "
            f"{capacity.one_decimal(team.thresholds.share_high * 100)}%"
            + (
                "."
                if team.share_is_usual or team.choice_core_share is None
                else ": this is outside that range."
            ),
        ),
    ]
    sheet.append(["Figure", "Value", "Notes"])
    _bold_headings(sheet)
    for label, value, number_format, note in lines:
        sheet.append([_text(label), _text(value), _text(note)])
        cell = sheet.cell(row=sheet.max_row, column=2)
        if number_format and not isinstance(value, str):
            cell.number_format = number_format
        sheet.cell(row=sheet.max_row, column=3).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 24
    sheet.column_dimensions["C"].width = 90


def _share(share: Fraction) -> Decimal:
    """35.3% as 0.353, for a percentage cell."""
    return Decimal(capacity.one_decimal(share * 100)) / 100
