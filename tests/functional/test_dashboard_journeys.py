"""An admin drills from the organisation to a team, to a clinician and to the slots they left
unbooked, with the keyboard alone, and downloads the team's quarter for Excel; the workbook opens
and its totals match the page. axe-core checks every page on the way."""

from __future__ import annotations

from datetime import time, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from diary.models import SlotStatus
from diary.slots import at
from planning.quarters import Quarter
from tests.factories import DEMO_PASSWORD, AppointmentFactory, SlotFactory
from tests.factories.diary import clinician_in
from tests.functional.conftest import axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page: Page) -> None:
    assert axe_violations(page) == []


def press(page: Page, locator) -> None:
    locator.focus()
    page.keyboard.press("Enter")


def test_an_admin_drills_down_to_the_unbooked_slots_and_exports_excel(page, team, admin):
    quarter = Quarter.containing(
        timezone.localdate(), start_month=team.organisation.financial_year_start_month
    ).previous()
    ana = clinician_in(team)
    ana.first_name, ana.last_name = "Ana", "Shah"
    ana.save()
    unbooked = SlotFactory(
        team=team, clinicians=[ana], starts_at=at(quarter.start + timedelta(days=9), time(10))
    )
    booked = SlotFactory(
        team=team,
        clinicians=[ana],
        starts_at=at(quarter.start + timedelta(days=16), time(10)),
        status=SlotStatus.BOOKED,
    )
    AppointmentFactory(team=team, starts_at=booked.starts_at, slots=[booked], attended=True)

    log_in(page, "ada.admin", DEMO_PASSWORD)
    page.goto(f"/dashboard/?quarter={quarter.label}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quarterly activity by team")
    check(page)

    press(page, page.locator("#teams").get_by_role("link", name=team.name, exact=True))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quarterly activity")
    expect(page.locator("#figure-left-unbooked")).to_contain_text("1")
    check(page)

    press(page, page.locator("#clinician-table").get_by_role("link", name="Ana Shah", exact=True))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana Shah")
    check(page)
    page.go_back()

    press(page, page.locator("#figure-left-unbooked"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Left unbooked")
    expect(page.locator("#slots-behind tbody tr")).to_have_count(1)
    check(page)
    from capa.templatetags.nhsuk import uk_date

    expect(page.locator("#slots-behind")).to_contain_text(uk_date(unbooked.starts_at))

    for path in (
        f"/dashboard/teams/{team.pk}/waits/?quarter={quarter.label}&wait=choice_to_first_core",
        f"/dashboard/teams/{team.pk}/cases/?quarter={quarter.label}&what=accepted",
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check(page)

    page.goto(f"/dashboard/teams/{team.pk}/?quarter={quarter.label}")
    shown = {
        "offered": int(page.locator("#figure-offered").inner_text().split()[0]),
        "left unbooked": int(page.locator("#figure-left-unbooked").inner_text().split()[0]),
    }
    with page.expect_download() as download:
        press(page, page.get_by_role("link", name="Download for Excel"))
    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    text = " ".join(
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell
    )
    assert quarter.label in text
    assert team.name in text
    # The clinicians sheet's team row holds the same totals as the page.
    rows = list(workbook["Clinicians"].iter_rows(values_only=True))
    header, team_row = rows[0], rows[-1]
    assert team_row[header.index("Slots offered")] == shown["offered"] == 2
    assert team_row[header.index("Left unbooked")] == shown["left unbooked"] == 1
