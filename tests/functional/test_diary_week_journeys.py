"""A team lead puts a team meeting in the diary with the keyboard alone: is told what is missing,
is told who it clashes with, fixes it, and sees the meeting in the team's week. axe-core checks
the week view and the session form, clean and with errors."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import Page, expect

from diary import slots
from diary.models import ClinicianTime, TeamSession
from tests.factories import (
    DEMO_PASSWORD,
    ClinicianProfileFactory,
    MembershipFactory,
    SlotFactory,
    VenueFactory,
)
from tests.factories.diary import next_weekday_at
from tests.functional.conftest import axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tom(team):
    membership = MembershipFactory(
        team=team, user__username="tom.baker", user__first_name="Tom", user__last_name="Baker"
    )
    ClinicianProfileFactory(user=membership.user)
    return membership.user


def type_into(page: Page, label: str, text: str) -> None:
    """Move to a box and replace what is in it, as a keyboard user does."""
    box = page.get_by_label(label, exact=True)
    box.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def tick(page: Page, label: str) -> None:
    page.get_by_label(label, exact=True).focus()
    page.keyboard.press("Space")


def submit(page: Page, name: str | re.Pattern) -> None:
    page.get_by_role("button", name=name).focus()
    page.keyboard.press("Enter")


def test_a_lead_puts_in_a_team_meeting_by_keyboard_and_sees_it_in_the_week(
    page, team, team_lead, choice_clinician, tom
):
    tuesday = next_weekday_at(13).date()
    venue = VenueFactory(team=team, name="Riverside Clinic")
    # Tom already has a slot at 13:30 that Tuesday: the meeting cannot go over it.
    SlotFactory(
        team=team,
        venue=venue,
        starts_at=slots.at(tuesday, time(13, 30)),
        ends_at=slots.at(tuesday, time(14, 30)),
        clinicians=[tom],
    )
    log_in(page, "lee.lead", DEMO_PASSWORD)
    page.goto(f"/diary/teams/{team.pk}/week/?week={tuesday.isoformat()}")
    week = page.get_by_role("table", name=re.compile("Diary for the week beginning"))
    expect(week.get_by_role("row", name=re.compile("^Tom Baker"))).to_contain_text("Vacant first Core slot")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Put in a team session").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Put in a team session")
    assert axe_violations(page) == []

    # Sent with nothing filled in: every missing answer is listed, and sits by its box.
    submit(page, "Put the session in")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Choose what kind of session it is")
    expect(summary).to_contain_text("Choose at least one clinician who attends")
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert axe_violations(page) == []

    tick(page, "Team meeting")
    type_into(page, "Title (optional)", "Team business meeting")
    type_into(page, "Day", str(tuesday.day))
    type_into(page, "Month", str(tuesday.month))
    type_into(page, "Year", str(tuesday.year))
    type_into(page, "Starts at", "13:00")
    type_into(page, "Ends at", "14:00")
    page.get_by_label("Venue (optional)").focus()
    page.get_by_label("Venue (optional)").select_option(label="Riverside Clinic")
    tick(page, "Tom Baker")
    tick(page, "Sam Clinician")
    submit(page, "Put the session in")

    # Tom's slot clashes: the form comes back with what was typed and the clash by the clinicians.
    expect(page.get_by_role("alert")).to_contain_text(
        f"Tom Baker has a slot at 13:30 on {tuesday:%a} {tuesday.day} {tuesday:%b %Y}"
    )
    expect(page.get_by_label("Title (optional)")).to_have_value("Team business meeting")
    assert not TeamSession.objects.exists()
    assert axe_violations(page) == []

    tick(page, "Tom Baker")  # untick him: he keeps his slot
    submit(page, "Put the session in")

    expect(page.get_by_role("alert")).to_contain_text("Team business meeting on")
    expect(page).to_have_url(re.compile(rf"/week/\?week={(tuesday - timedelta(days=1)).isoformat()}$"))
    week = page.get_by_role("table", name=re.compile("Diary for the week beginning"))
    expect(week.get_by_role("row", name=re.compile("^Sam Clinician"))).to_contain_text(
        "Team business meeting"
    )
    expect(week.get_by_role("row", name=re.compile("^Tom Baker"))).not_to_contain_text(
        "Team business meeting"
    )
    session = TeamSession.objects.get()
    assert list(ClinicianTime.objects.filter(team_session=session).values_list("clinician", flat=True)) == [
        choice_clinician.pk
    ]
    assert axe_violations(page) == []

    # Cancelling it asks first, on a page of its own.
    submit(page, re.compile("^Cancel Team business meeting on"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel Team business meeting?")
    assert axe_violations(page) == []
    submit(page, "Yes, cancel Team business meeting")
    expect(page.get_by_role("alert")).to_contain_text("is cancelled: the clinicians' time is free again")
    session.refresh_from_db()
    assert session.is_cancelled


def test_a_clinician_finds_their_calendar_address_and_resets_it(page, live_server, choice_clinician):
    log_in(page, "sam.clinician", DEMO_PASSWORD)
    page.goto("/diary/calendar/")
    address = page.get_by_label("Your calendar address").input_value()
    assert address.startswith(f"{live_server.url}/diary/calendar/")
    assert axe_violations(page) == []

    submit(page, "Reset my calendar address")  # a link that looks like a button: it asks first
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your calendar address?")
    assert axe_violations(page) == []
    submit(page, "Yes, reset my calendar address")

    expect(page.get_by_role("alert")).to_contain_text("the old one no longer works")
    assert page.get_by_label("Your calendar address").input_value() != address
    assert page.request.get(address).status == 404
    assert axe_violations(page) == []
