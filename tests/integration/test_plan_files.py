"""A team lead brings job plans in from a spreadsheet and takes plans and targets out to one.

Imports are all or nothing: every problem is named by its row and column, and one bad row imports
nothing. Downloads open in Excel, carry the capacity page's figures, import again unchanged, and
never let a name run as a formula.
"""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.models import ClinicianProfile, Membership, Profession, Role, User
from planning import exports, imports, job_plans
from planning.models import Activity, JobPlan, JobPlanLine, PlanStatus
from planning.quarters import Quarter
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ReferralRateFactory,
    SpecificStreamFactory,
    TeamFactory,
)
from tests.factories.plans import agreed_plan_for, clinician_in

pytestmark = pytest.mark.django_db

Q1 = Quarter.parse("2027-Q1")  # April to June 2027
HEADINGS = [
    "Username",
    "First name",
    "Last name",
    "Email",
    "Profession",
    "Contracted hours",
    "Quarter",
    "Choice pattern",
    "Choice",
    "Core Partnership",
    "Team meeting",
    "Supervision",
    "Other",
]
# A full-time week: 7 + 10.5 + 2 + 1.5 + 16.5 = 37.5 hours.
SAM = ["sam.clinician", "Sam", "Clinician", "", "Mental health nurse", "37.5", "2027-Q1", "sessions"]
SAM += ["7", "10.5", "2", "1.5", "16.5"]
PRIYA = ["priya.patel", "Priya", "Patel", "priya.patel@nhs.net", "Clinical psychologist", "30", "2027-Q1", ""]
PRIYA += ["", "14", "2", "1.5", "12.5"]
LEE = ["lee.lead", "Lee", "Lead", "", "family_therapist", "37.5", "2027-Q1", "one a fortnight"]
LEE += ["3.5", "7", "2", "3", "22"]


def csv_upload(
    rows: list[list[str]], headings: list[str] = HEADINGS, name: str = "plans.csv"
) -> SimpleUploadedFile:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headings)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8-sig"), content_type="text/csv")


def xlsx_upload(rows: list[list], headings: list[str] = HEADINGS) -> SimpleUploadedFile:
    workbook = Workbook()
    workbook.active.append(headings)
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("plans.xlsx", out.getvalue())


def counts() -> tuple[int, int, int, int, int]:
    return (
        User.objects.count(),
        Membership.objects.count(),
        ClinicianProfile.objects.count(),
        JobPlan.objects.count(),
        JobPlanLine.objects.count(),
    )


def latest_plan(username: str, team) -> JobPlan:
    return JobPlan.objects.filter(clinician__username=username, team=team).order_by("-version").first()


def problems_of(team, upload, by, *, agree: bool = False) -> list[str]:
    with pytest.raises(imports.ImportProblems) as raised:
        imports.import_plans(team=team, uploaded_file=upload, agree=agree, by=by)
    return raised.value.errors


# --- Importing: all or nothing -----------------------------------------------------------------


def test_a_file_with_one_bad_row_imports_nothing_and_says_which_row_and_column(
    team, team_lead, choice_clinician
):
    before = counts()
    bad = list(PRIYA)
    bad[HEADINGS.index("Core Partnership")] = "fourteen"

    errors = problems_of(team, csv_upload([SAM, LEE, bad]), team_lead)

    assert errors == ['Row 4, column "Core Partnership": enter a number of hours, like 10.5']
    assert counts() == before
    assert not User.objects.filter(username="priya.patel").exists()


def test_every_problem_in_the_file_is_listed_at_once_by_row_and_column(team, team_lead, choice_clinician):
    before = counts()
    wrong_profession = list(PRIYA)
    wrong_profession[4] = "Astronaut"
    new_person_with_mistakes = [
        "new.person",
        "New",
        "Person",
        "not-an-email",
        "Psychiatrist",
        "37.5",
        "spring",
        "weekly",
    ]
    new_person_with_mistakes += ["7", "-1", "200", "", ""]
    not_adding_up = list(LEE)
    not_adding_up[HEADINGS.index("Other")] = "23.25"
    too_precise = list(SAM)
    too_precise[0] = "Sam.Clinician"  # the same person as row 2: usernames match whatever the case
    too_precise[HEADINGS.index("Supervision")] = "1.555"

    errors = problems_of(
        team,
        csv_upload([SAM, wrong_profession, new_person_with_mistakes, not_adding_up, too_precise]),
        team_lead,
    )

    professions = ", ".join(Profession.labels)
    assert errors == [
        f'Row 3, column "Profession": enter one of these professions: {professions}',
        'Row 4, column "Email": enter an email address, like name@nhs.net',
        'Row 4, column "Quarter": enter the quarter the plan starts, like 2027-Q1',
        'Row 4, column "Choice pattern": enter sessions, one a week or one a fortnight',
        'Row 4, column "Core Partnership": hours cannot be negative.',
        'Row 4, column "Team meeting": hours must be 168 or fewer: there are 168 hours in a week.',
        "Row 5: the plan adds up to 38.75 hours a week, but Lee Lead is contracted for 37.5. "
        "Change the hours so they add up to 37.5.",
        'Row 6, column "Username": "Sam.Clinician" is already on row 2. Give each clinician one row',
        'Row 6, column "Supervision": enter hours to no more than 2 decimal places, like 10.25',
    ]
    assert counts() == before


def test_unknown_and_missing_columns_are_refused_before_any_row_is_read(team, team_lead):
    headings = [h for h in HEADINGS if h != "Quarter"] + ["Lunch", "choice"]
    rows = [[*SAM[:6], *SAM[7:], "1", "7"]]

    errors = problems_of(team, csv_upload(rows, headings=headings), team_lead)

    assert errors == [
        'Row 1, column "Lunch": capa does not know this column. Use the headings listed on the import '
        "page, or delete the column.",
        'Row 1, column "choice": this heading is in the file more than once. Keep one of these columns.',
        'Row 1: add a column headed "Quarter".',
    ]


def test_someone_of_another_organisation_cannot_be_taken_over_by_an_import(team, team_lead):
    elsewhere = TeamFactory(organisation=OrganisationFactory(name="Southshire NHS Trust"), name="Elsewhere")
    MembershipFactory(team=elsewhere, user__username="priya.patel", user__first_name="Priya")
    before = counts()

    errors = problems_of(team, csv_upload([PRIYA]), team_lead)

    assert errors == [
        'Row 2, column "Username": "priya.patel" is the username of someone in another organisation. '
        "Choose a different username"
    ]
    assert counts() == before


def test_an_administrators_account_is_not_imported_as_a_clinician(team, team_lead, admin):
    row = ["ada.admin", "Ada", "Admin", "ada@evil.example", "Other", "37.5", "2027-Q1", ""]
    row += ["", "37.5", "", "", ""]

    errors = problems_of(team, csv_upload([row]), team_lead)

    assert errors == [
        'Row 2, column "Username": "ada.admin" is an administrator\'s account, which cannot be imported '
        "as a clinician"
    ]
    admin.refresh_from_db()
    assert admin.email == "ada.admin@example.nhs.uk"


def test_a_colleague_from_another_team_of_the_trust_joins_this_team_as_a_clinician(
    team, other_team, team_lead, outsider
):
    row = ["otto.outsider", "Otto", "Outsider", "", "Social worker", "37.5", "2027-Q1", ""]
    row += ["", "10.5", "2", "1.5", "23.5"]

    imports.import_plans(team=team, uploaded_file=csv_upload([row]), agree=False, by=team_lead)

    assert set(Membership.objects.filter(user=outsider).values_list("team", "role")) == {
        (other_team.pk, Role.CLINICIAN),
        (team.pk, Role.CLINICIAN),
    }


# --- Importing: a good file ----------------------------------------------------------------------


def test_a_good_file_adds_new_people_and_saves_a_new_plan_version_for_everyone(
    team, team_lead, choice_clinician
):
    old = agreed_plan_for(choice_clinician, team, effective_from=date(2027, 1, 1), hours={"core": "37.5"})
    users, memberships, profiles, plans, lines = counts()

    result = imports.import_plans(
        team=team, uploaded_file=csv_upload([SAM, PRIYA, LEE]), agree=False, by=team_lead
    )

    assert (result.created, result.updated, result.plans, result.agreed) == (1, 2, 3, False)
    assert result.message == "3 job plans saved as drafts (1 person added to capa, 2 people updated)."
    # One new person, in the team, with a profile; three new plans of 5 + 4 + 5 lines.
    assert counts() == (users + 1, memberships + 1, profiles + 1, plans + 3, lines + 14)
    priya = User.objects.get(username="priya.patel")
    assert not priya.has_usable_password()
    assert (priya.first_name, priya.last_name, priya.email) == ("Priya", "Patel", "priya.patel@nhs.net")
    assert priya.clinician_profile.profession == Profession.CLINICAL_PSYCHOLOGIST
    assert priya.clinician_profile.contracted_hours_per_week == Decimal("30")
    assert Membership.objects.get(user=priya, team=team).role == Role.CLINICIAN
    assert Membership.objects.get(user=team_lead, team=team).role == Role.TEAM_LEAD  # a lead stays a lead

    sam = latest_plan("sam.clinician", team)
    assert (sam.version, sam.status, sam.effective_from, sam.created_by) == (
        2,
        PlanStatus.DRAFT,
        Q1.start,
        team_lead,
    )
    assert job_plans.plan_hours(sam) == {
        (Activity.CHOICE, None): Decimal("7"),
        (Activity.CORE, None): Decimal("10.5"),
        (Activity.TEAM_MEETING, None): Decimal("2"),
        (Activity.SUPERVISION, None): Decimal("1.5"),
        (Activity.OTHER, None): Decimal("16.5"),
    }
    assert latest_plan("priya.patel", team).version == 1
    assert latest_plan("lee.lead", team).choice_pattern == "one_a_fortnight"
    old.refresh_from_db()
    assert old.status == PlanStatus.AGREED  # drafts change nothing in force


def test_ticking_agree_puts_every_imported_plan_in_force_and_supersedes_the_one_agreed_before(
    team, team_lead, choice_clinician
):
    old = agreed_plan_for(choice_clinician, team, effective_from=Q1.start, hours={"core": "37.5"})
    assert job_plans.plan_in_force(clinician=choice_clinician, team=team, quarter_start=Q1.start) == old

    result = imports.import_plans(team=team, uploaded_file=csv_upload([SAM, PRIYA]), agree=True, by=team_lead)

    assert result.message == "2 job plans saved and agreed (1 person added to capa, 1 person updated)."
    old.refresh_from_db()
    assert old.status == PlanStatus.SUPERSEDED
    new = job_plans.plan_in_force(clinician=choice_clinician, team=team, quarter_start=Q1.start)
    assert (new.version, new.status, new.agreed_by) == (2, PlanStatus.AGREED, team_lead)
    assert new.agreed_at is not None
    priya = User.objects.get(username="priya.patel")
    assert job_plans.plan_in_force(clinician=priya, team=team, quarter_start=Q1.start).version == 1


def test_an_excel_workbook_imports_like_a_csv_file_with_numbers_as_numbers(team, team_lead, choice_clinician):
    stream = SpecificStreamFactory(team=team, name="Eating disorders", average_appointments=Decimal("20"))
    row = [*SAM[:5], 37.5, "2027-Q1", None, 7, 10.5, 2, 1.5, 13, 3.5]

    result = imports.import_plans(
        team=team,
        uploaded_file=xlsx_upload([row], headings=[*HEADINGS, "eating  DISORDERS"]),
        agree=False,
        by=team_lead,
    )

    assert result.plans == 1
    hours = job_plans.plan_hours(latest_plan("sam.clinician", team))
    assert hours[Activity.SPECIFIC, stream.pk] == Decimal("3.5")
    assert hours[Activity.OTHER, None] == Decimal("13")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "plans.csv",
            b"Username\n" + b"x" * (2 * 1024 * 1024),
            "The file is 2.1 MB. Files must be 2 MB or smaller",
        ),
        ("plans.pdf", b"%PDF-1.4", "The file must be a CSV file or an Excel workbook (.xlsx)"),
        ("plans.xls", b"\xd0\xcf\x11\xe0", "The file is an old Excel workbook (.xls)"),
        (
            "plans.csv",
            "Username,First name\nzoë,Zoë\n".encode("latin-1"),
            "The CSV file is not saved as UTF-8",
        ),
        ("plans.xlsx", b"not a zip file", "The file could not be opened as an Excel workbook"),
        ("plans.csv", b"", "The file is empty"),
        ("plans.csv", ",".join(HEADINGS).encode(), "The file has column headings but no clinicians"),
    ],
)
def test_files_that_are_too_big_or_not_spreadsheets_are_refused_with_a_reason(
    team, team_lead, name, content, message
):
    before = counts()

    errors = problems_of(team, SimpleUploadedFile(name, content), team_lead)

    assert len(errors) == 1
    assert errors[0].startswith(message)
    assert counts() == before


def test_a_file_of_more_than_500_clinicians_is_refused(team, team_lead):
    rows = [[f"person{n}", *SAM[1:]] for n in range(501)]

    assert problems_of(team, csv_upload(rows), team_lead) == [
        "The file has more than 500 clinicians. Split it into files of up to 500 rows."
    ]


def test_an_import_of_30_clinicians_costs_the_same_queries_as_one_of_3(team, team_lead):
    def queries_to_import(first: int, count: int) -> int:
        rows = [
            [f"person{n}", "Pat", f"Person{n}", "", "Psychiatrist", "37.5", "2027-Q1", "", "7", "30.5"]
            for n in range(first, first + count)
        ]
        upload = csv_upload(rows, headings=HEADINGS[:10])
        with CaptureQueriesContext(connection) as queries:
            imports.import_plans(team=team, uploaded_file=upload, agree=True, by=team_lead)
        return len(queries)

    # 12 each: the team's streams; (the transaction, a savepoint inside a test); the lock timeout;
    # lock the people capa knows; their roles; add people; their places in the team; read and add
    # profiles; latest plan versions; plans; their lines; (commit, here a savepoint's release).
    assert queries_to_import(0, 3) == queries_to_import(100, 30)


@pytest.mark.django_db(transaction=True)
def test_an_import_and_a_lead_saving_the_same_plan_at_once_make_consecutive_versions(
    team, team_lead, choice_clinician
):
    week = {(Activity.CORE, None): Decimal("10.5"), (Activity.OTHER, None): Decimal("27")}
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def run(i, action):
        try:
            barrier.wait()
            outcomes[i] = action()
        except Exception as error:  # noqa: BLE001 - a loser would be part of the outcome
            outcomes[i] = error
        finally:
            connection.close()

    actions = [
        lambda: imports.import_plans(team=team, uploaded_file=csv_upload([SAM]), agree=False, by=team_lead),
        lambda: job_plans.save_plan(
            clinician=choice_clinician, team=team, effective_from=Q1.start, hours=week, by=team_lead
        ),
    ]
    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert isinstance(outcomes[0], imports.ImportResult), outcomes
    assert isinstance(outcomes[1], JobPlan), outcomes
    versions = JobPlan.objects.filter(clinician=choice_clinician, team=team).values_list("version", flat=True)
    assert sorted(versions) == [1, 2]


# --- Downloading ---------------------------------------------------------------------------------


@pytest.fixture
def planned_team(team, team_lead, choice_clinician):
    """Sam: 11 Core hours (66/7 = 9.4 new Core Partnerships a quarter); Lee, the lead: 10.5 (9);
    1 accepted referral a week from 2027-Q1."""
    stream = SpecificStreamFactory(team=team, name="Psychotherapy")  # 0.25 a quarter per weekly session
    agreed_plan_for(
        choice_clinician,
        team,
        effective_from=Q1.start,
        hours={"choice": "7", "core": "11", "team_meeting": "2", "other": "14"},
        streams={stream: "3.5"},
    )
    agreed_plan_for(team_lead, team, effective_from=Q1.start, hours={"core": "10.5", "management": "27"})
    ReferralRateFactory(team=team, quarter_start=Q1.start, referrals_per_week=Decimal("1"))
    return team


def sheet_rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_the_workbook_has_a_cover_the_plans_with_their_targets_and_the_team_figures(planned_team, team_lead):
    exported = exports.export_plans(
        team=planned_team,
        quarter=Q1,
        file_format="xlsx",
        by=team_lead,
        now=datetime(2027, 7, 1, 12, 30, tzinfo=UTC),
    )
    assert exported.filename == "riverside-camhs-job-plans-2027-Q1.xlsx"

    workbook = load_workbook(io.BytesIO(exported.content))
    assert workbook.sheetnames == ["Cover", "Plans and targets", "Team"]
    cover = dict(row[:2] for row in sheet_rows(workbook["Cover"]) if row[0])
    assert cover["Team"] == "Riverside CAMHS"
    assert (cover["Quarter"], cover["Quarter code"]) == ("Q1 2027/28 (Apr to Jun 2027)", "2027-Q1")
    assert cover["Generated at"] == "Thu 1 Jul 2027, 13:30"  # London summer time
    assert cover["Generated by"] == "Lee Lead"

    plans = workbook["Plans and targets"]
    assert plans.freeze_panes == "B2"
    assert plans["A1"].font.bold
    headings, *rows = sheet_rows(plans)
    by_username = {row[0]: dict(zip(headings, row, strict=True)) for row in rows}
    sam = by_username["sam.clinician"]
    assert sam["Core Partnership"] == 11
    assert sam["Psychotherapy"] == 3.5
    assert (sam["Plan version"], sam["Plan status"]) == (1, "Agreed, in force")
    assert sam["Choice appointments a week"] == 4  # 7 hours / 3.5 x 2
    assert sam["Core target"] == 9.4
    assert sam["Core target (whole number)"] == 9  # 9, 9, 10, 10 over the year
    assert sam["Specific target: Psychotherapy"] == 0.3  # 1 weekly session x 0.25 = 0.25, printed 0.3
    assert by_username["lee.lead"]["Core target"] == 9
    core_column = headings.index("Core target") + 1
    assert plans.cell(row=2, column=core_column).number_format == "0.0"

    team = {row[0]: row[1] for row in sheet_rows(workbook["Team"])[1:]}
    assert team["Core target: new Core Partnerships a quarter"] == 18.4  # 66/7 + 9 = 129/7
    assert team["Core target: whole numbers (first Core slots)"] == 18
    assert team["Accepted referrals a week"] == 1
    assert team["Core Partnerships needed a quarter"] == 8.6  # 1 x 13 x 0.66
    assert team["Balance ratio"] == 18.4
    assert team["Balance"] == "Spare Core capacity"
    # Choice and Core are 7 + 11 + 10.5 = 28.5 of the 75 hours planned: 38%.
    assert team["Planned time in Choice and Core"] == pytest.approx(0.38)


def test_whole_number_targets_keep_the_years_total_so_a_later_quarter_gets_the_extra_slot(
    planned_team, team_lead
):
    workbook = load_workbook(
        io.BytesIO(
            exports.export_plans(
                team=planned_team, quarter=Quarter.parse("2027-Q4"), file_format="xlsx", by=team_lead
            ).content
        )
    )
    headings, *rows = sheet_rows(workbook["Plans and targets"])
    sam = dict(zip(headings, next(row for row in rows if row[0] == "sam.clinician"), strict=True))
    assert (sam["Core target"], sam["Core target (whole number)"]) == (9.4, 10)


def test_the_csv_download_is_the_clinician_table_in_utf8_with_a_byte_order_mark(
    planned_team, team_lead, client
):
    client.force_login(team_lead)

    response = client.get(
        reverse("planning:plans-export", args=[planned_team.pk, "csv"]), {"quarter": "2027-Q1"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="riverside-camhs-job-plans-2027-Q1.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    sam = next(row for row in rows if row["Username"] == "sam.clinician")
    assert (sam["Core Partnership"], sam["Contracted hours"], sam["Quarter"]) == ("11", "37.5", "2027-Q1")
    assert (sam["Core target"], sam["Core target (whole number)"]) == ("9.4", "9")


def table_without_versions(team, by) -> list[dict[str, str]]:
    content = exports.export_plans(team=team, quarter=Q1, file_format="csv", by=by).content
    rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    return [{heading: value for heading, value in row.items() if heading != "Plan version"} for row in rows]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_downloaded_file_imports_again_as_the_same_plans(
    planned_team, team_lead, choice_clinician, file_format
):
    downloaded = exports.export_plans(team=planned_team, quarter=Q1, file_format=file_format, by=team_lead)
    hours_before = {
        user.username: job_plans.plan_hours(latest_plan(user.username, planned_team))
        for user in (choice_clinician, team_lead)
    }
    table_before = table_without_versions(planned_team, team_lead)

    result = imports.import_plans(
        team=planned_team,
        uploaded_file=SimpleUploadedFile(downloaded.filename, downloaded.content),
        agree=True,
        by=team_lead,
    )

    assert (result.created, result.updated, result.plans) == (0, 2, 2)
    for username, hours in hours_before.items():
        plan = latest_plan(username, planned_team)
        assert (plan.version, plan.status) == (2, PlanStatus.AGREED)
        assert job_plans.plan_hours(plan) == hours
    assert table_without_versions(planned_team, team_lead) == table_before


def test_names_that_look_like_formulas_download_as_plain_text_and_import_back_unchanged(team, team_lead):
    mallory = clinician_in(
        team, username="mallory", first_name='=HYPERLINK("http://x","Hi")', last_name="@SUM(A1)"
    )
    agreed_plan_for(mallory, team, effective_from=Q1.start, hours={"core": "37.5"})
    agreed_plan_for(team_lead, team, effective_from=Q1.start, hours={"core": "37.5"})

    as_csv = exports.export_plans(team=team, quarter=Q1, file_format="csv", by=team_lead).content
    rows = list(csv.DictReader(io.StringIO(as_csv.decode("utf-8-sig"))))
    row = next(row for row in rows if row["Username"] == "mallory")
    assert (row["First name"], row["Last name"]) == ('\'=HYPERLINK("http://x","Hi")', "'@SUM(A1)")

    as_xlsx = exports.export_plans(team=team, quarter=Q1, file_format="xlsx", by=team_lead).content
    sheet = load_workbook(io.BytesIO(as_xlsx))["Plans and targets"]
    cells = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "mallory")
    assert cells[1].value == '\'=HYPERLINK("http://x","Hi")'
    assert cells[1].data_type == "s"  # text, never a formula
    assert cells[2].value == "'@SUM(A1)"

    imports.import_plans(
        team=team, uploaded_file=SimpleUploadedFile("p.csv", as_csv), agree=False, by=team_lead
    )
    mallory.refresh_from_db()
    assert (mallory.first_name, mallory.last_name) == ('=HYPERLINK("http://x","Hi")', "@SUM(A1)")


# --- The pages -----------------------------------------------------------------------------------


def test_the_import_page_lists_every_problem_in_the_error_summary_and_keeps_nothing(client, team, team_lead):
    client.force_login(team_lead)
    url = reverse("planning:plans-import", args=[team.pk])
    bad = list(PRIYA)
    bad[HEADINGS.index("Contracted hours")] = "75"
    before = counts()

    response = client.post(url, {"file": csv_upload([SAM, bad]), "agree": "on"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Row 3, column &quot;Contracted hours&quot;: enter the hours a week in their contract" in page
    assert 'enctype="multipart/form-data"' in page
    assert counts() == before


def test_the_import_page_sends_the_lead_to_capacity_with_what_was_imported(
    client, team, team_lead, choice_clinician
):
    client.force_login(team_lead)
    page = client.get(reverse("planning:plans-import", args=[team.pk])).content.decode()
    assert "Core Partnership" in page  # the column guide
    assert reverse("planning:plans-export", args=[team.pk, "csv"]) in page

    response = client.post(
        reverse("planning:plans-import", args=[team.pk]), {"file": csv_upload([SAM, LEE])}, follow=True
    )

    assert response.redirect_chain == [(reverse("planning:team-capacity", args=[team.pk]), 302)]
    assert (
        "2 job plans saved as drafts (0 people added to capa, 2 people updated)." in response.content.decode()
    )


@pytest.mark.parametrize(
    ("persona", "import_status", "post_status", "export_status"),
    [
        ("clinician", 403, 403, 403),
        ("outsider", 404, 404, 404),
        ("admin", 403, 403, 200),
        ("team_lead", 200, 302, 200),
    ],
)
def test_only_the_teams_leads_import_and_only_leads_and_admins_download(
    client, team, request, persona, import_status, post_status, export_status
):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("planning:plans-import", args=[team.pk])
    plans = JobPlan.objects.count()

    assert client.get(url).status_code == import_status
    assert client.post(url, {"file": csv_upload([SAM])}).status_code == post_status
    assert JobPlan.objects.count() == plans + (1 if persona == "team_lead" else 0)
    assert client.get(reverse("planning:plans-export", args=[team.pk, "xlsx"])).status_code == export_status


def test_a_download_for_a_quarter_that_does_not_exist_is_a_clear_400_and_other_formats_404(
    client, team, team_lead
):
    client.force_login(team_lead)

    bad = client.get(reverse("planning:plans-export", args=[team.pk, "xlsx"]), {"quarter": "2027-Q5"})
    assert bad.status_code == 400
    assert bad.content.decode() == '"2027-Q5" is not a quarter. Name the quarter like 2027-Q1.'
    assert client.get(reverse("planning:plans-export", args=[team.pk, "pdf"])).status_code == 404
