"""A family's journey through the team with the keyboard alone: a referral is recorded and
accepted, offered two Choice dates and booked into one; Choice is attended, Core Partnership
agreed and the first Core appointment booked from the Partnership diary before the family leaves.
axe-core checks every page state on the way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from diary.models import Appointment, AppointmentKind, SlotKind
from partnership.models import Case, CaseState
from tests.factories import DEMO_PASSWORD, SlotFactory, VenueFactory
from tests.factories.diary import clinician_in, next_weekday_at
from tests.functional.conftest import axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page: Page) -> None:
    assert axe_violations(page) == []


def press(page: Page, locator) -> None:
    locator.focus()
    page.keyboard.press("Enter")


def choose(page: Page, label: str) -> None:
    page.get_by_label(label, exact=True).focus()
    page.keyboard.press("Space")


def type_into(page: Page, label: str, text: str) -> None:
    page.get_by_label(label, exact=True).focus()
    page.keyboard.type(text)


def type_date(page: Page, group: str, day) -> None:
    fields = page.get_by_role("group", name=group)
    for part, text in (("Day", day.day), ("Month", day.month), ("Year", day.year)):
        fields.get_by_label(part, exact=True).focus()
        page.keyboard.type(str(text))


def test_a_referral_goes_through_choice_to_a_booked_first_core_appointment(page, team, choice_clinician):
    venue = VenueFactory(team=team, name="Riverside Clinic")
    core_clinician = clinician_in(team)
    choice_slots = [
        SlotFactory(
            team=team, kind=SlotKind.CHOICE, venue=venue, clinicians=[choice_clinician],
            starts_at=next_weekday_at(10, weeks_ahead=weeks),
        )
        for weeks in (1, 2, 3)
    ]  # fmt: skip
    first_core = SlotFactory(
        team=team, venue=venue, clinicians=[core_clinician], starts_at=next_weekday_at(14, weeks_ahead=3)
    )

    log_in(page, "sam.clinician", DEMO_PASSWORD)
    page.goto(f"/cases/teams/{team.pk}/")
    check(page)
    press(page, page.get_by_role("link", name="Record a referral"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record a referral")
    check(page)
    type_into(page, "Family reference", "RX2001")
    type_into(page, "Child's first name", "Maya")
    type_into(page, "Child's last name", "Patel")
    type_date(page, "Child's date of birth", timezone.localdate().replace(year=2014))
    type_into(page, "NHS number (optional)", "943 476 5919")
    type_date(page, "Referral date", timezone.localdate() - timedelta(days=3))
    type_into(page, "Referred by", "GP, Riverside Surgery")
    press(page, page.get_by_role("button", name="Record the referral"))
    expect(page.get_by_role("alert")).to_contain_text("The referral for Maya Patel is recorded")
    check(page)

    choose(page, "Referral accepted")
    press(page, page.get_by_role("button", name="Record it"))
    expect(page.get_by_role("alert")).to_contain_text("Recorded: referral accepted.")
    check(page)

    press(page, page.get_by_role("link", name="Offer and book Choice dates"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Offer Choice dates")
    check(page)
    first, second = choice_slots[0], choice_slots[1]
    for slot in (first, second):
        page.locator(f"#offered-{slot.pk}").focus()
        page.keyboard.press("Space")
    page.locator(f"#booked-{second.pk}").focus()
    page.keyboard.press("Space")
    press(page, page.get_by_role("button", name="Book the Choice appointment"))
    expect(page.get_by_role("alert")).to_contain_text("The Choice appointment is booked")
    check(page)
    case = Case.objects.get(family_reference="RX2001")
    assert case.state == CaseState.CHOICE_BOOKED

    # The day of Choice comes: the appointment has started when the clinician records it.
    choice = Appointment.objects.get(case=case, kind=AppointmentKind.CHOICE)
    started = timezone.now() - timedelta(minutes=80)
    Appointment.objects.filter(pk=choice.pk).update(starts_at=started, ends_at=started + timedelta(hours=1))
    page.reload()
    choose(page, "Attended")
    press(page, page.get_by_role("button", name="Record what happened"))
    expect(page.get_by_role("alert")).to_contain_text("recorded as attended")
    check(page)

    choose(page, "Choice outcome: Core Partnership")
    press(page, page.get_by_role("button", name="Record it"))
    expect(page.get_by_role("alert")).to_contain_text("Recorded: Choice outcome: Core Partnership.")
    check(page)

    press(page, page.get_by_role("link", name="Find a first Core slot"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Find a first Core Partnership slot")
    press(page, page.locator("#results").get_by_role("link").first)
    press(page, page.get_by_role("button", name="Confirm the booking"))
    expect(page.get_by_role("alert")).to_contain_text("The first Core Partnership appointment is booked.")
    check(page)

    case.refresh_from_db()
    assert case.state == CaseState.FIRST_CORE_BOOKED
    assert Appointment.objects.get(case=case, kind=AppointmentKind.FIRST_CORE).slots.get() == first_core
    assert list(case.steps.values_list("kind", flat=True)) == [
        "accept",
        "book_choice",
        "choice_attended",
        "to_core",
        "book_first_core",
    ]


def test_a_key_worker_sees_the_family_writes_the_care_plan_reviews_and_lets_go(page, team, choice_clinician):
    """First Core attended -> care plan letter (sent) -> review -> Let Go, keyboard only."""
    from diary.models import AppointmentStatus
    from tests.factories import AppointmentFactory

    started = timezone.now() - timedelta(minutes=70)
    slot = SlotFactory(team=team, clinicians=[choice_clinician], status="booked")
    first_core = AppointmentFactory(team=team, venue=slot.venue, starts_at=started, slots=[slot])
    case = first_core.case
    Case.objects.filter(pk=case.pk).update(goals="Sleep through the night\nBack at school full time")

    log_in(page, "sam.clinician", DEMO_PASSWORD)
    page.goto(case.get_absolute_url())
    choose(page, "Attended")
    press(page, page.get_by_role("button", name="Record what happened"))
    expect(page.get_by_role("alert")).to_contain_text("recorded as attended")
    expect(page.locator("#workers")).to_be_visible()
    check(page)
    case.refresh_from_db()
    assert case.state == CaseState.IN_PARTNERSHIP
    assert first_core.__class__.objects.get(pk=first_core.pk).status == AppointmentStatus.ATTENDED

    press(page, page.get_by_role("link", name="Write a care plan letter"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Care plan letter for")
    check(page)
    type_into(page, "Formulation", "Worry about school keeps the sleep problem going.")
    type_into(page, "Risk plan", "No current risk. Call the duty line if that changes.")
    type_date(page, "Review date", timezone.localdate() + timedelta(weeks=6))
    press(page, page.get_by_role("button", name="Write the letter"))
    expect(page.get_by_role("button", name="Record that it was sent")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Back at school full time")
    check(page)
    press(page, page.get_by_role("button", name="Record that it was sent"))
    expect(page.get_by_role("alert")).to_be_visible()
    check(page)

    page.goto(case.get_absolute_url())
    press(page, page.get_by_role("link", name="Record a review"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check(page)
    type_into(page, "What was reviewed", "Sleeping better; back at school three days a week.")
    press(page, page.get_by_role("button", name="Record the review"))
    expect(page.get_by_role("alert")).to_be_visible()
    check(page)

    page.goto(case.get_absolute_url())
    choose(page, "Let Go")
    type_into(page, "Reason or notes", "Goals met")
    press(page, page.get_by_role("button", name="Record it"))
    expect(page.get_by_role("alert")).to_contain_text("Recorded: Let Go.")
    check(page)

    case.refresh_from_db()
    assert (case.state, case.close_reason) == (CaseState.LET_GO, "Goals met")
    assert case.letters.get().sent_at is not None
    assert case.reviews.count() == 1
    assert list(case.steps.values_list("kind", flat=True))[-3:] == ["first_core_attended", "review", "let_go"]
