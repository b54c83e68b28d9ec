"""Importing a team's clinicians and their job plans from a spreadsheet (CSV or Excel).

One row per clinician. Every cell of every row is checked before anything is written, and every
problem is reported with its row (as a spreadsheet numbers it: the headings are row 1) and column,
so a lead can fix the whole file at once. Then one transaction writes the people, their place in
the team, their profiles and a new plan version each: a file with one bad row imports nothing.

The columns are the ones `planning/exports.py` writes, so a downloaded file can be edited and
imported again; the figures the export adds (targets, plan status) are ignored here.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import reduce
from operator import or_

import pghistory
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max, Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import ClinicianProfile, Membership, Profession, Role, Team, User
from planning.job_plans import PlanHours, line_field_name, plan_problems
from planning.models import Activity, ChoicePattern, JobPlan, JobPlanLine, PlanStatus, SpecificStream
from planning.quarters import Quarter

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500  # clinicians in one file: larger than any CAMHS team (6-27 clinical FTE)
MAX_COLUMNS = 100
MAX_SCANNED_ROWS = 5000  # rows of a sheet read at all, blank or not
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024  # a 2 MB workbook that unzips to more is not a list of people
CONTRACTED_MIN, CONTRACTED_MAX = Decimal("0.5"), Decimal("60")  # ClinicianProfile's validators
HOURS_DECIMAL_PLACES = 2  # JobPlanLine and ClinicianProfile store hours to 2 decimal places

# The column headings, as the export writes them. Matching ignores case and extra spaces.
USERNAME = "Username"
FIRST_NAME = "First name"
LAST_NAME = "Last name"
EMAIL = "Email"
PROFESSION = "Profession"
CONTRACTED_HOURS = "Contracted hours"
QUARTER = "Quarter"
CHOICE_PATTERN = "Choice pattern"
PERSON_COLUMNS = (
    USERNAME,
    FIRST_NAME,
    LAST_NAME,
    EMAIL,
    PROFESSION,
    CONTRACTED_HOURS,
    QUARTER,
    CHOICE_PATTERN,
)
REQUIRED_COLUMNS = (USERNAME, FIRST_NAME, LAST_NAME, PROFESSION, CONTRACTED_HOURS, QUARTER)
HOURS_ACTIVITIES = tuple(activity for activity in Activity if activity != Activity.SPECIFIC)

# Figures the export adds after the plan's hours. They are worked out from the hours, so an
# import ignores them rather than refusing a file that was downloaded from capa.
PLAN_VERSION = "Plan version"
PLAN_STATUS = "Plan status"
CHOICE_A_WEEK = "Choice appointments a week"
CORE_TARGET = "Core target"
CORE_TARGET_WHOLE = "Core target (whole number)"
SPECIFIC_TARGET_PREFIX = "Specific target: "
PLANS_SHEET = "Plans and targets"
FIGURE_COLUMNS = (PLAN_VERSION, PLAN_STATUS, CHOICE_A_WEEK, CORE_TARGET, CORE_TARGET_WHOLE)

ACTIVITY_WORDS = {
    Activity.CHOICE: "Hours a week of Choice appointments.",
    Activity.CORE: "Hours a week of Core Partnership work.",
    Activity.TEAM_MEETING: "Hours a week in team meetings.",
    Activity.SUPERVISION: "Hours a week of supervision, given or received.",
    Activity.MANAGEMENT: "Hours a week of management.",
    Activity.CPD_RESEARCH: "Hours a week of CPD and research.",
    Activity.TRAVEL: "Hours a week of travel.",
    Activity.BIG_ADMIN: "Hours a week of big admin (reports, letters, meetings about a case).",
    Activity.OTHER: "Any other hours of the working week.",
}

CHOICE_PATTERN_WORDS = {
    ChoicePattern.SESSIONS: "sessions",
    ChoicePattern.ONE_A_WEEK: "one a week",
    ChoicePattern.ONE_A_FORTNIGHT: "one a fortnight",
}

# What a spreadsheet may run if a cell starts with one of these (CSV/formula injection). The export
# puts an apostrophe in front; the import takes it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

MESSAGES = {
    # The file as a whole
    "too_big": "The file is {size} MB. Files must be 2 MB or smaller: remove some rows or split the file.",
    "wrong_type": "The file must be a CSV file or an Excel workbook (.xlsx). "
    "Save it as one of those and upload it again.",
    "old_excel": "The file is an old Excel workbook (.xls). In Excel, save it as an Excel workbook "
    "(.xlsx) or as CSV UTF-8, and upload it again.",
    "not_utf8": 'The CSV file is not saved as UTF-8. In Excel, save it as "CSV UTF-8 (comma '
    'delimited)" and upload it again.',
    "bad_csv": "The CSV file could not be read ({detail}). Save it again from your spreadsheet and "
    "upload it.",
    "bad_workbook": "The file could not be opened as an Excel workbook. Open it in Excel, save it as an "
    "Excel workbook (.xlsx) and upload it again.",
    "empty": "The file is empty. Put the column headings on row 1 and one clinician on each row below.",
    "no_rows": "The file has column headings but no clinicians. Add one row for each clinician.",
    "too_many_rows": "The file has more than {limit} clinicians. Split it into files of up to {limit} rows.",
    "too_long": "The sheet has more than {limit} rows, even if some look empty. Copy the clinicians into "
    "a new workbook and upload that.",
    "too_wide": "Row 1: the file has more than {limit} columns. Delete the columns capa does not use.",
    # The headings
    "unknown_column": 'Row 1, column "{column}": capa does not know this column. Use the headings '
    "listed on the import page, or delete the column.",
    "duplicate_column": 'Row 1, column "{column}": this heading is in the file more than once. '
    "Keep one of these columns.",
    "missing_column": 'Row 1: add a column headed "{column}".',
    "unheaded_column": "Row 1, column {number}: this column has no heading but has values in it. "
    "Give it a heading or delete it.",
    "stream_clash": 'The Specific stream "{column}" has the same name as another column. Rename '
    "the stream before importing.",
    # One cell
    "required": "enter their {what}",
    "not_hours": "enter a number of hours, like 10.5",
    "too_precise": "enter hours to no more than 2 decimal places, like 10.25",
    "contracted": "enter the hours a week in their contract, from 0.5 to 60, like 37.5",
    "username": "a username may have only letters, numbers and @ . + - _ (150 characters at most)",
    "too_long_text": "this can be {limit} characters at most",
    "email": "enter an email address, like name@nhs.net",
    "profession": "enter one of these professions: {choices}",
    "quarter": "enter the quarter the plan starts, like 2027-Q1",
    "choice_pattern": "enter sessions, one a week or one a fortnight",
    "duplicate_username": '"{username}" is already on row {first}. Give each clinician one row',
    "other_organisation": '"{username}" is the username of someone in another organisation. '
    "Choose a different username",
    "administrator": '"{username}" is an administrator\'s account, which cannot be imported as a clinician',
    "ambiguous_username": 'more than one person has a username like "{username}". Write it '
    "exactly as it is in capa",
    # Writing
    "changed_meanwhile": "Someone changed these people or plans while the file was being imported, so "
    "nothing was imported. Upload the file again.",
    "busy": "Someone else is saving plans for these people. Nothing was imported: wait a minute and "
    "upload the file again.",
}


class ImportProblems(Exception):
    """Everything wrong with an uploaded file; nothing was imported."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} problem(s) with the file: nothing was imported")
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: int  # people new to capa
    updated: int  # people capa already knew
    plans: int  # plan versions saved, one a row
    agreed: bool

    @property
    def message(self) -> str:
        """What the lead is told after a successful import: 3 job plans saved as drafts (1 new
        person added to capa, 2 people updated)."""
        plans = "1 job plan" if self.plans == 1 else f"{self.plans} job plans"
        what = "saved and agreed" if self.agreed else "saved as drafts"
        return f"{plans} {what} ({_people(self.created)} added to capa, {_people(self.updated)} updated)."


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


# --- Columns -------------------------------------------------------------------------------------


def heading_key(text: str) -> str:
    """How headings are compared: case and spacing do not matter ("core  partnership" matches)."""
    return " ".join(str(text).split()).casefold()


def plan_columns(streams: Iterable[SpecificStream]) -> list[tuple[str, tuple[str, int | None]]]:
    """The hours columns in order: each activity but Specific by its label, then each active
    Specific stream by its name; each with the plan line it fills."""
    columns: list[tuple[str, tuple[str, int | None]]] = [
        (str(activity.label), (activity.value, None)) for activity in HOURS_ACTIVITIES
    ]
    columns.extend((stream.name, (Activity.SPECIFIC.value, stream.pk)) for stream in streams)
    return columns


@dataclass(frozen=True)
class ColumnGuide:
    heading: str
    what_goes_in_it: str
    required: bool


def column_guide(team: Team) -> list[ColumnGuide]:
    """The columns an import takes, in words, for the import page."""
    professions = ", ".join(str(label) for label in Profession.labels)
    guide = [
        ColumnGuide(USERNAME, "What they log in with. A new username adds a new person to capa.", True),
        ColumnGuide(FIRST_NAME, "Their first name.", True),
        ColumnGuide(LAST_NAME, "Their last name.", True),
        ColumnGuide(EMAIL, "Their work email address. Leave it empty to keep the one capa has.", False),
        ColumnGuide(PROFESSION, f"One of: {professions}.", True),
        ColumnGuide(CONTRACTED_HOURS, "Hours a week in their contract, like 37.5 for full time.", True),
        ColumnGuide(QUARTER, "The quarter the plan applies from, like 2027-Q1.", True),
        ColumnGuide(
            CHOICE_PATTERN,
            "How their Choice time is planned: sessions, one a week or one a fortnight. "
            "Empty means sessions.",
            False,
        ),
    ]
    streams = SpecificStream.objects.filter(team=team, is_active=True).order_by("name")
    for heading, (activity, stream) in plan_columns(streams):
        what = (
            f"Hours a week of Specific Partnership in the {heading} stream."
            if stream is not None
            else ACTIVITY_WORDS[activity]
        )
        guide.append(ColumnGuide(heading, f"{what} Empty means 0.", False))
    return guide


# --- Reading the file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet shows it: the headings are row 1
    cells: list[str]


def read_table(uploaded_file: UploadedFile) -> tuple[list[str], list[Row]]:
    """The headings and the non-empty rows of a CSV file or the first (or "Plans and targets")
    sheet of an Excel workbook, every cell as text. Raises ImportProblems for a file that cannot
    be read at all."""
    size = uploaded_file.size or 0
    if size > MAX_BYTES:
        raise ImportProblems([MESSAGES["too_big"].format(size=_megabytes(size))])
    name = (uploaded_file.name or "").lower()
    uploaded_file.seek(0)
    data = uploaded_file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportProblems([MESSAGES["too_big"].format(size=_megabytes(len(data)))])
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(data)
    elif name.endswith(".csv"):
        rows = _csv_rows(data)
    elif name.endswith(".xls"):
        raise ImportProblems([MESSAGES["old_excel"]])
    else:
        raise ImportProblems([MESSAGES["wrong_type"]])
    return _headings_and_rows(rows)


def _megabytes(size: int) -> str:
    """2,097,161 bytes as 2.1: rounded up, so a file just over the limit never reads as 2.0 MB."""
    return f"{math.ceil(size * 10 / 1024 / 1024) / 10:.1f}"


def _csv_rows(data: bytes) -> list[list[str]]:
    if data.startswith(b"PK\x03\x04"):  # a workbook renamed to .csv
        raise ImportProblems([MESSAGES["wrong_type"]])
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError:
        raise ImportProblems([MESSAGES["not_utf8"]]) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        raise ImportProblems([MESSAGES["bad_csv"].format(detail=error)]) from None
    if len(rows) > MAX_SCANNED_ROWS:
        raise ImportProblems([MESSAGES["too_long"].format(limit=f"{MAX_SCANNED_ROWS:,}")])
    return rows


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # only imports need it, and it is slow to import

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportProblems([MESSAGES["bad_workbook"]]) from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise ImportProblems([MESSAGES["bad_workbook"]])
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, InvalidFileException...) for a broken file
        raise ImportProblems([MESSAGES["bad_workbook"]]) from None
    rows = []
    try:
        # A workbook downloaded from capa opens on its cover sheet; the plans are on their own sheet.
        names = workbook.sheetnames
        sheet = workbook[PLANS_SHEET] if PLANS_SHEET in names else workbook.worksheets[0]
        for values in sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True):
            if len(rows) >= MAX_SCANNED_ROWS:
                raise ImportProblems([MESSAGES["too_long"].format(limit=f"{MAX_SCANNED_ROWS:,}")])
            rows.append([_cell_text(value) for value in values])
    finally:
        workbook.close()
    return rows


def _cell_text(value: object) -> str:
    """A workbook cell as the text a person would type: 10.5 not 10.500000001, 37 not 37.0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        number = Decimal(repr(value))
        return f"{number.normalize():f}" if number == number.to_integral_value() else f"{number:f}"
    if isinstance(value, int | Decimal):
        return f"{value}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _headings_and_rows(rows: Iterable[list[str]]) -> tuple[list[str], list[Row]]:
    rows = iter(rows)
    headings = next(rows, None)
    if headings is None:
        raise ImportProblems([MESSAGES["empty"]])
    headings = [cell.strip() for cell in headings]
    while headings and not headings[-1]:
        headings.pop()
    if not headings:
        raise ImportProblems([MESSAGES["empty"]])
    if len(headings) > MAX_COLUMNS:
        raise ImportProblems([MESSAGES["too_wide"].format(limit=MAX_COLUMNS)])
    found = []
    for number, cells in enumerate(rows, start=2):
        cells = [cell.strip() for cell in cells]
        if not any(cells):  # blank rows between and after the clinicians are not mistakes
            continue
        found.append(Row(number=number, cells=cells))
        if len(found) > MAX_ROWS:
            raise ImportProblems([MESSAGES["too_many_rows"].format(limit=MAX_ROWS)])
    if not found:
        raise ImportProblems([MESSAGES["no_rows"]])
    return headings, found


# --- Checking the headings and the rows -----------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """Where each known column is in the file, and its heading as the file writes it."""

    person: dict[str, int]  # PERSON_COLUMNS heading -> index
    hours: dict[tuple[str, int | None], int]  # plan line -> index
    headings: list[str]

    def heading(self, index: int) -> str:
        return self.headings[index]


def match_columns(headings: list[str], rows: list[Row], streams: list[SpecificStream]) -> Columns:
    """Which column is which. Raises ImportProblems for unknown, repeated, unheaded or missing
    columns: without the right columns no row can be checked."""
    known: dict[str, tuple[str, object]] = {heading_key(name): ("person", name) for name in PERSON_COLUMNS}
    problems = []
    for heading, line in plan_columns(streams):
        if heading_key(heading) in known:
            problems.append(MESSAGES["stream_clash"].format(column=heading))
            continue
        known[heading_key(heading)] = ("hours", line)
    ignored = {heading_key(name) for name in FIGURE_COLUMNS}
    person: dict[str, int] = {}
    hours: dict[tuple[str, int | None], int] = {}
    seen: set[str] = set()
    for index, heading in enumerate(headings):
        key = heading_key(heading)
        if not key:
            if any(index < len(row.cells) and row.cells[index] for row in rows):
                problems.append(MESSAGES["unheaded_column"].format(number=index + 1))
            continue
        if key in seen:
            problems.append(MESSAGES["duplicate_column"].format(column=heading))
            continue
        seen.add(key)
        if key in ignored or key.startswith(heading_key(SPECIFIC_TARGET_PREFIX)):
            continue
        if key not in known:
            problems.append(MESSAGES["unknown_column"].format(column=heading))
            continue
        kind, what = known[key]
        if kind == "person":
            person[what] = index
        else:
            hours[what] = index
    problems.extend(
        MESSAGES["missing_column"].format(column=name) for name in REQUIRED_COLUMNS if name not in person
    )
    if problems:
        raise ImportProblems(problems)
    return Columns(person=person, hours=hours, headings=headings)


@dataclass(frozen=True)
class ClinicianRow:
    """One row of the file, checked: a person and their week."""

    number: int
    username: str
    first_name: str
    last_name: str
    email: str
    profession: str
    contracted_hours: Decimal
    quarter: Quarter
    choice_pattern: str
    hours: PlanHours


@dataclass(frozen=True)
class Problem:
    row: int
    column: int  # -1 for the row as a whole, after its cells
    message: str

    def __str__(self) -> str:
        return self.message


class _RowChecker:
    """Checks one row's cells, collecting a problem for each wrong one."""

    def __init__(self, row: Row, columns: Columns, problems: list[Problem]) -> None:
        self.row, self.columns, self.problems = row, columns, problems

    def problem(self, index: int, message: str) -> None:
        heading = self.columns.heading(index)
        self.problems.append(
            Problem(self.row.number, index, f'Row {self.row.number}, column "{heading}": {message}')
        )

    def cell(self, index: int) -> str:
        value = self.row.cells[index] if index < len(self.row.cells) else ""
        if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
            return value[1:]  # the apostrophe the export adds against formula injection
        return value

    def text(self, name: str, *, required: bool, limit: int) -> str:
        index = self.columns.person.get(name)
        value = "" if index is None else self.cell(index)
        if index is not None and required and not value:
            self.problem(index, MESSAGES["required"].format(what=name.lower()))
        elif index is not None and len(value) > limit:
            self.problem(index, MESSAGES["too_long_text"].format(limit=limit))
        return value

    def number(self, index: int) -> Decimal | None:
        """The hours in a cell (empty is 0), or None after noting what is wrong with them."""
        value = self.cell(index)
        if not value:
            return Decimal(0)
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.problem(index, MESSAGES["not_hours"])
            return None
        if number.normalize().as_tuple().exponent < -HOURS_DECIMAL_PLACES:
            self.problem(index, MESSAGES["too_precise"])
            return None
        return number


def _choice(value: str, options: dict[str, str]) -> str | None:
    return options.get(heading_key(value))


PROFESSIONS = {heading_key(value): value for value in Profession.values} | {
    heading_key(label): value for value, label in Profession.choices
}
CHOICE_PATTERNS = (
    {heading_key(value): value for value in ChoicePattern.values}
    | {heading_key(value.replace("_", " ")): value for value in ChoicePattern.values}
    | {heading_key(label): value for value, label in ChoicePattern.choices}
    | {heading_key(words): value for value, words in CHOICE_PATTERN_WORDS.items()}
    | {"in sessions": ChoicePattern.SESSIONS.value}
)


def check_row(
    row: Row, columns: Columns, *, start_month: int, problems: list[Problem]
) -> ClinicianRow | None:
    """One row as a person and a week, or None after adding its problems to `problems`."""
    before = len(problems)
    check = _RowChecker(row, columns, problems)
    person = columns.person
    username = check.text(USERNAME, required=True, limit=150)
    if username and len(username) <= 150:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            check.problem(person[USERNAME], MESSAGES["username"])
    first_name = check.text(FIRST_NAME, required=True, limit=150)
    last_name = check.text(LAST_NAME, required=True, limit=150)
    email = check.text(EMAIL, required=False, limit=254)
    if email and len(email) <= 254:
        try:
            validate_email(email)
        except ValidationError:
            check.problem(person[EMAIL], MESSAGES["email"])

    profession = _choice(check.cell(person[PROFESSION]), PROFESSIONS)
    if profession is None:
        choices = ", ".join(str(label) for label in Profession.labels)
        check.problem(person[PROFESSION], MESSAGES["profession"].format(choices=choices))

    contracted = None
    if not check.cell(person[CONTRACTED_HOURS]):
        check.problem(person[CONTRACTED_HOURS], MESSAGES["contracted"])
    else:
        contracted = check.number(person[CONTRACTED_HOURS])
        if contracted is not None and not CONTRACTED_MIN <= contracted <= CONTRACTED_MAX:
            check.problem(person[CONTRACTED_HOURS], MESSAGES["contracted"])
            contracted = None

    quarter = None
    try:
        quarter = Quarter.parse(check.cell(person[QUARTER]), start_month=start_month)
    except ValueError:
        check.problem(person[QUARTER], MESSAGES["quarter"])

    pattern: str | None = ChoicePattern.SESSIONS.value
    if CHOICE_PATTERN in person and check.cell(person[CHOICE_PATTERN]):
        pattern = _choice(check.cell(person[CHOICE_PATTERN]), CHOICE_PATTERNS)
        if pattern is None:
            check.problem(person[CHOICE_PATTERN], MESSAGES["choice_pattern"])

    hours: PlanHours = {}
    for line, index in columns.hours.items():
        value = check.number(index)
        if value is not None:
            hours[line] = value
    if len(hours) == len(columns.hours) and contracted is not None:
        # The same rules as a plan typed on the page: no negative or impossible line, and a total
        # equal to the contracted hours.
        by_field = {line_field_name(*line): index for line, index in columns.hours.items()}
        for found in plan_problems(
            hours=hours, contracted_hours=contracted, clinician_name=f"{first_name} {last_name}".strip()
        ):
            message = found.message[0].lower() + found.message[1:]
            if found.field in by_field:
                check.problem(by_field[found.field], message)
            else:
                problems.append(Problem(row.number, -1, f"Row {row.number}: {message}"))
    if len(problems) > before:
        return None
    return ClinicianRow(
        number=row.number,
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        profession=profession,
        contracted_hours=contracted,
        quarter=quarter,
        choice_pattern=pattern,
        hours=hours,
    )


def _check_duplicates(rows: list[Row], columns: Columns, problems: list[Problem]) -> None:
    index = columns.person[USERNAME]
    first_row: dict[str, int] = {}
    for row in rows:
        username = _RowChecker(row, columns, problems).cell(index)
        if not username:
            continue
        key = username.lower()
        if key in first_row:
            _RowChecker(row, columns, problems).problem(
                index, MESSAGES["duplicate_username"].format(username=username, first=first_row[key])
            )
        else:
            first_row[key] = row.number


# --- Importing -----------------------------------------------------------------------------------


def import_plans(*, team: Team, uploaded_file: UploadedFile, agree: bool, by: User) -> ImportResult:
    """Add or update the team's clinicians from a CSV or Excel file and save a new plan version for
    each (agreed too if `agree`). Raises ImportProblems listing every problem; then nothing is
    written."""
    headings, rows = read_table(uploaded_file)
    streams = list(SpecificStream.objects.filter(team=team, is_active=True).order_by("name"))
    columns = match_columns(headings, rows, streams)
    start_month = team.organisation.financial_year_start_month
    problems: list[Problem] = []
    checked = [check_row(row, columns, start_month=start_month, problems=problems) for row in rows]
    _check_duplicates(rows, columns, problems)
    try:
        with pghistory.context(import_file=uploaded_file.name or ""):
            return _write(
                team=team,
                columns=columns,
                rows=[row for row in checked if row is not None],
                problems=problems,
                agree=agree,
                by=by,
            )
    except IntegrityError:  # a username taken, or a plan agreed, by someone else at the same moment
        raise ImportProblems([MESSAGES["changed_meanwhile"]]) from None
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) == "55P03":  # lock_not_available
            raise ImportProblems([MESSAGES["busy"]]) from None
        raise


def _sorted_messages(problems: list[Problem]) -> list[str]:
    return [problem.message for problem in sorted(problems, key=lambda p: (p.row, p.column < 0, p.column))]


@transaction.atomic(durable=True)
def _write(
    *,
    team: Team,
    columns: Columns,
    rows: list[ClinicianRow],
    problems: list[Problem],
    agree: bool,
    by: User,
) -> ImportResult:
    """Check the people against capa (under lock), then write everything or nothing."""
    with connection.cursor() as cursor:  # a busy row must give a clear answer, not a hang
        cursor.execute("SET LOCAL lock_timeout = '3s'")
    # Lock the people already in capa, in primary-key order, as `save_plan` locks one: their plan
    # versions stay consecutive however many leads save at once.
    existing = list(
        User.objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=sorted({row.username.lower() for row in rows}))
        .select_for_update()
        .order_by("pk")
    )
    by_name: dict[str, list[User]] = {}
    for user in existing:
        by_name.setdefault(user.username.lower(), []).append(user)
    # Where each of them works: (team id or None for an admin, the organisation of the role).
    memberships: dict[int, list[tuple[int | None, int]]] = {}
    for user_id, team_id, team_organisation_id, organisation_id in Membership.objects.filter(
        user__in=existing
    ).values_list("user_id", "team_id", "team__organisation_id", "organisation_id"):
        memberships.setdefault(user_id, []).append((team_id, team_organisation_id or organisation_id))

    username_index = columns.person[USERNAME]
    users: dict[int, User | None] = {}  # row number -> the person capa already knows, if any
    for row in rows:
        matches = by_name.get(row.username.lower(), [])
        exact = [user for user in matches if user.username == row.username]
        user = exact[0] if exact else (matches[0] if len(matches) == 1 else None)
        if matches and user is None:
            problem = MESSAGES["ambiguous_username"].format(username=row.username)
        elif user is not None:
            problem = _cannot_import(user, memberships.get(user.pk, []), team)
        else:
            problem = None
        if problem:
            heading = columns.heading(username_index)
            problems.append(
                Problem(row.number, username_index, f'Row {row.number}, column "{heading}": {problem}')
            )
        users[row.number] = user
    if problems:
        raise ImportProblems(_sorted_messages(problems))

    # People: new ones with no password (they are given one by an admin), the rest brought up to date.
    new_users = []
    changed_users = []
    for row in rows:
        user = users[row.number]
        if user is None:
            user = User(
                username=row.username, first_name=row.first_name, last_name=row.last_name, email=row.email
            )
            user.set_unusable_password()
            new_users.append(user)
            users[row.number] = user
        else:
            before = (user.first_name, user.last_name, user.email)
            user.first_name, user.last_name = row.first_name, row.last_name
            user.email = row.email or user.email
            if (user.first_name, user.last_name, user.email) != before:
                changed_users.append(user)
    User.objects.bulk_create(new_users)
    User.objects.bulk_update(changed_users, ["first_name", "last_name", "email"])

    # Their place in the team: a clinician, unless they already have a role here (a lead stays one).
    in_team = {user_id for user_id, places in memberships.items() if any(t == team.pk for t, _ in places)}
    Membership.objects.bulk_create(
        Membership(user=users[row.number], team=team, role=Role.CLINICIAN)
        for row in rows
        if users[row.number].pk not in in_team
    )

    # Profiles.
    profiles = {profile.user_id: profile for profile in ClinicianProfile.objects.filter(user__in=existing)}
    new_profiles, changed_profiles = [], []
    for row in rows:
        user = users[row.number]
        profile = profiles.get(user.pk)
        if profile is None:
            new_profiles.append(
                ClinicianProfile(
                    user=user, profession=row.profession, contracted_hours_per_week=row.contracted_hours
                )
            )
        elif (profile.profession, profile.contracted_hours_per_week) != (
            row.profession,
            row.contracted_hours,
        ):
            profile.profession, profile.contracted_hours_per_week = row.profession, row.contracted_hours
            changed_profiles.append(profile)
    ClinicianProfile.objects.bulk_create(new_profiles)
    ClinicianProfile.objects.bulk_update(changed_profiles, ["profession", "contracted_hours_per_week"])

    # A new plan version each, numbered on from the latest (the people are locked, see above).
    latest = dict(
        JobPlan.objects.filter(team=team, clinician__in=existing)
        .values("clinician_id")
        .annotate(latest=Max("version"))
        .values_list("clinician_id", "latest")
    )
    now = timezone.now()
    if agree and existing:
        # As `agree_plan`: a plan agreed earlier for the same quarter is superseded by the new one.
        same_quarter = [
            Q(clinician=users[row.number], effective_from=row.quarter.start)
            for row in rows
            if users[row.number].pk in latest
        ]
        if same_quarter:
            JobPlan.objects.filter(team=team, status=PlanStatus.AGREED).filter(
                reduce(or_, same_quarter)
            ).update(status=PlanStatus.SUPERSEDED)
    plans = JobPlan.objects.bulk_create(
        JobPlan(
            clinician=users[row.number],
            team=team,
            version=latest.get(users[row.number].pk, 0) + 1,
            effective_from=row.quarter.start,
            choice_pattern=row.choice_pattern,
            created_by=by,
            status=PlanStatus.AGREED if agree else PlanStatus.DRAFT,
            agreed_by=by if agree else None,
            agreed_at=now if agree else None,
        )
        for row in rows
    )
    JobPlanLine.objects.bulk_create(
        JobPlanLine(plan=plan, activity=activity, specific_stream_id=stream, hours_per_week=value)
        for plan, row in zip(plans, rows, strict=True)
        for (activity, stream), value in row.hours.items()
        if value > 0
    )
    return ImportResult(
        created=len(new_users), updated=len(rows) - len(new_users), plans=len(plans), agreed=agree
    )


def _cannot_import(user: User, places: list[tuple[int | None, int]], team: Team) -> str | None:
    """Why a person capa already knows may not be imported into the team, or None if they may.

    Someone of another organisation is not this lead's to change; nor is an administrator's
    account (their name and email address matter to the whole organisation) unless they are
    already in the team."""
    if any(organisation != team.organisation_id for _, organisation in places):
        return MESSAGES["other_organisation"].format(username=user.username)
    in_team = any(team_id == team.pk for team_id, _ in places)
    if (user.is_staff or user.is_superuser) and not in_team:
        return MESSAGES["administrator"].format(username=user.username)
    return None
