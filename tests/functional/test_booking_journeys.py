"""A Choice clinician books the family's first Core appointment before they leave the room, with
the keyboard alone: opens the case, filters the diary, books a joint slot; loses a race to a
colleague and books one of the alternatives offered; marks a DNA and re-offers the lost slot.
axe-core checks every page state on the way."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import SkillLevel
from capa.templatetags.nhsuk import uk_date, uk_time
from diary.models import Appointment, AppointmentStatus, Slot
from tests.factories import (
    DEMO_PASSWORD,
    AppointmentFactory,
    CaseFactory,
    ClinicianSkillFactory,
    MembershipFactory,
    SkillFactory,
    SlotFactory,
    VenueFactory,
)
from tests.factories.diary import clinician_in, next_weekday_at
from tests.functional.conftest import axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def diary(team):
    """Riverside has joint Systemic slots for Owen and Ben; Eastgate has slots without Systemic."""
    systemic = SkillFactory(organisation=team.organisation, name="Systemic", level=SkillLevel.CORE)
    riverside = VenueFactory(team=team, name="Riverside Clinic")
    eastgate = VenueFactory(team=team, name="Eastgate Health Centre")
    owen = clinician_in(team)
    ben = clinician_in(team)
    for clinician in (owen, ben):
        ClinicianSkillFactory(profile=clinician.clinician_profile, skill=systemic)
    joint = [
        SlotFactory(
            team=team, venue=riverside, clinicians=[owen, ben], starts_at=next_weekday_at(10, weeks_ahead=w)
        )
        for w in range(1, 6)
    ]
    SlotFactory(team=team, venue=eastgate, starts_at=next_weekday_at(14, weeks_ahead=1))
    return {"systemic": systemic, "riverside": riverside, "joint": joint}


def check(page: Page) -> None:
    assert axe_violations(page) == []


def press(page: Page, locator) -> None:
    locator.focus()
    page.keyboard.press("Enter")


def tick(page: Page, label: str) -> None:
    page.get_by_label(label, exact=True).focus()
    page.keyboard.press("Space")


def test_a_choice_clinician_books_a_joint_slot_and_takes_an_alternative_when_beaten_to_it(
    page, browser, live_server, team, choice_clinician, diary
):
    log_in(page, "sam.clinician", DEMO_PASSWORD)
    page.goto(f"/cases/teams/{team.pk}/new/")
    check(page)
    for label, text in [
        ("Family reference", "NS4711"),
        ("Child's first name", "Amy"),
        ("Child's last name", "Lee"),
    ]:
        page.get_by_label(label, exact=True).focus()
        page.keyboard.type(text)
    born = page.get_by_role("group", name="Child's date of birth")
    for part, text in (("Day", "17"), ("Month", "5"), ("Year", "2015")):
        born.get_by_label(part, exact=True).focus()
        page.keyboard.type(text)
    referred = page.get_by_role("group", name="Referral date")
    for part, text in (("Day", "4"), ("Month", "1"), ("Year", "2026")):
        referred.get_by_label(part, exact=True).focus()
        page.keyboard.type(text)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Find a first Core Partnership slot")
    check(page)
    tick(page, "Systemic (core)")
    tick(page, "Riverside Clinic")
    tick(page, "Joint work: two clinicians together")
    results = page.locator("#results li")
    expect(results).to_have_count(5)
    expect(page.locator("#search-results")).not_to_contain_text("Eastgate")
    check(page)

    press(page, page.locator("#results").get_by_role("link").first)
    expect(page.get_by_role("button", name="Confirm the booking")).to_be_visible()
    check(page)

    # Meanwhile, in another browser, a colleague books the same slot for another family.
    first = diary["joint"][0]
    MembershipFactory(team=team, user__username="cara.colleague")
    other_family = CaseFactory(team=team)
    colleague = browser.new_context(base_url=live_server.url).new_page()
    log_in(colleague, "cara.colleague", DEMO_PASSWORD)
    colleague.goto(f"/diary/teams/{team.pk}/cases/{other_family.pk}/book/?slots={first.pk}")
    press(colleague, colleague.get_by_role("button", name="Confirm the booking"))
    expect(colleague.get_by_role("alert")).to_contain_text("appointment is booked")
    colleague.context.close()

    press(page, page.get_by_role("button", name="Confirm the booking"))
    expect(page.get_by_role("alert")).to_contain_text(
        "That slot was just taken. Here are the next free ones."
    )
    expect(page).to_have_title(re.compile(r"^Error: "))
    alternatives = page.get_by_role("button", name=re.compile(r"^Book "))
    assert alternatives.count() >= 3
    expect(page.get_by_role("link", name="Back to the search, with your filters kept")).to_have_attribute(
        "href", re.compile(f"venues={diary['riverside'].pk}")
    )
    check(page)

    press(page, alternatives.first)
    expect(page.get_by_role("alert")).to_contain_text("The first Core Partnership appointment is booked.")
    expect(page.get_by_role("alert")).to_be_focused()  # read out first, and where the keyboard goes on
    check(page)
    appointment = Appointment.objects.get(case__family_reference="NS4711")
    assert appointment.slots.get() == diary["joint"][1]


def test_a_dna_is_marked_and_re_offered(page, team, choice_clinician):
    clinician = clinician_in(team)
    past = timezone.now() - timedelta(days=1)
    slot = SlotFactory(team=team, clinicians=[clinician], status="booked")
    Slot.objects.filter(pk=slot.pk).update(starts_at=past, ends_at=past + timedelta(hours=1))
    appointment = AppointmentFactory(
        team=team, venue=slot.venue, starts_at=past, ends_at=past + timedelta(hours=1), slots=[slot]
    )
    log_in(page, "sam.clinician", DEMO_PASSWORD)
    page.goto(appointment.case.get_absolute_url())
    check(page)

    page.get_by_label("Did not attend (DNA)").focus()
    page.keyboard.press("Space")
    press(page, page.get_by_role("button", name="Record what happened"))
    expect(page.get_by_role("alert")).to_contain_text("recorded as did not attend")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.DNA

    press(page, page.get_by_role("button", name="Re-offer the lost slot"))
    expect(page.get_by_role("alert")).to_contain_text("The lost capacity is re-offered")
    assert Slot.objects.filter(reoffer_of=appointment).count() == 1
    check(page)


def test_no_results_and_the_slot_editor_are_accessible(page, team, choice_clinician):
    log_in(page, "sam.clinician", DEMO_PASSWORD)
    page.goto(f"/diary/teams/{team.pk}/search/?weekdays=1")
    expect(page.locator("#no-results")).to_be_visible()
    check(page)

    page.goto(f"/diary/teams/{team.pk}/clinicians/{choice_clinician.pk}/slots/")
    check(page)
    press(page, page.get_by_role("button", name="Put the slot in"))
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    check(page)
    page.goto(f"/diary/teams/{team.pk}/clinicians/{choice_clinician.pk}/slots/pattern/")
    check(page)


def test_a_date_typed_into_the_filters_keeps_every_box_and_searches_once_whole(
    page, team, choice_clinician, diary
):
    log_in(page, "sam.clinician", DEMO_PASSWORD)
    page.goto(f"/diary/teams/{team.pk}/search/")
    tick(page, "Joint work: two clinicians together")
    expect(page.locator("#results li")).to_have_count(5)
    later = timezone.localtime(diary["joint"][2].starts_at).date()

    since = page.get_by_role("group", name="From")
    since.get_by_label("Day", exact=True).focus()
    for text in (str(later.day), str(later.month), str(later.year)):
        page.keyboard.type(text)
        page.keyboard.press("Tab")  # leaving each box is a change: only a whole date searches
        page.wait_for_timeout(400)  # at a person's pace: any search sent has answered by now
        expect(page.locator("#search-results")).not_to_contain_text("There is a problem")

    assert [since.get_by_label(part, exact=True).input_value() for part in ("Day", "Month", "Year")] == [
        str(later.day),
        str(later.month),
        str(later.year),
    ]
    expect(page.locator("#results li")).to_have_count(3)  # the joint slots from the third week on
    expect(page.locator("#search-results")).not_to_contain_text("There is a problem")
    check(page)


def type_date(page: Page, group: str, day: date) -> None:
    """Into each box of the date, leaving it with Tab as a person would."""
    boxes = page.get_by_role("group", name=group, exact=True)
    for part, text in (("Day", str(day.day)), ("Month", str(day.month)), ("Year", str(day.year))):
        boxes.get_by_label(part, exact=True).focus()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(text)
        page.keyboard.press("Tab")


def test_a_filter_in_error_says_so_by_the_field_and_clears_without_losing_what_is_typed(
    page, team, choice_clinician, diary
):
    log_in(page, "sam.clinician", DEMO_PASSWORD)
    page.goto(f"/diary/teams/{team.pk}/search/")
    start = timezone.localdate() + timedelta(days=30)
    type_date(page, "From", start)
    type_date(page, "To", start - timedelta(days=7))

    to_group = page.locator("#id_date_to-group")
    expect(to_group.locator(".nhsuk-error-message")).to_contain_text("on or after the 'from' date")
    expect(page.locator("#search-results")).to_contain_text("There is a problem")
    to_date = page.get_by_role("group", name="To", exact=True)
    expect(to_date).to_have_accessible_description(re.compile("on or after"))
    check(page)

    # Moving "From" a year back clears the error. While that search runs, the user types on into
    # the "To" day box, which the answer swaps: what they typed stays, and so does the focus.
    typed = str((start - timedelta(days=7)).day % 28 + 1)  # not the day the search sends
    page.evaluate(
        """typed => document.body.addEventListener("htmx:beforeSwap", () => {
            document.getElementById("id_date_to_day").value = typed;
        }, {once: true})""",
        typed,
    )
    year = page.get_by_role("group", name="From", exact=True).get_by_label("Year", exact=True)
    year.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(str(start.year - 1))
    page.keyboard.press("Tab")  # to the "To" day box
    expect(to_group.locator(".nhsuk-error-message")).to_have_count(0)
    expect(to_group).not_to_have_class(re.compile("nhsuk-form-group--error"))
    expect(page.locator("#search-results")).not_to_contain_text("There is a problem")
    expect(page.locator("#id_date_to_day")).to_have_value(typed)
    expect(page.locator("#id_date_to_day")).to_be_focused()
    check(page)

    # Back to the later "From": the error returns by "To", whose day box, tabbed into, keeps its
    # text selected through the swap, so what is typed next replaces it.
    year.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(str(start.year))
    page.keyboard.press("Tab")
    expect(to_group.locator(".nhsuk-error-message")).to_contain_text("on or after the 'from' date")
    expect(page.locator("#id_date_to_day")).to_be_focused()
    page.keyboard.type("9")
    expect(page.locator("#id_date_to_day")).to_have_value("9")


def test_a_filter_corrected_the_moment_its_error_is_shown_has_the_error_cleared(
    page, team, choice_clinician, diary
):
    """A search sent while the answer before it settles (htmx gives a swapped element its old class
    for a moment) still names the fields shown in error, so its answer clears them."""
    log_in(page, "sam.clinician", DEMO_PASSWORD)
    page.goto(f"/diary/teams/{team.pk}/search/")
    start = timezone.localdate() + timedelta(days=30)
    type_date(page, "From", start)
    expect(page.locator("#no-results")).to_be_visible()  # the search for it has answered
    page.evaluate(
        """year => document.body.addEventListener("htmx:afterSwap", () => {
            const box = document.getElementById("id_date_to_year");
            box.value = year;
            box.dispatchEvent(new Event("change", {bubbles: true}));
        }, {once: true})""",
        str(start.year + 1),
    )
    type_date(page, "To", start - timedelta(days=7))  # wrong: corrected as soon as that is shown

    expect(page.locator("#id_date_to_year")).to_have_value(str(start.year + 1))
    expect(page.locator("#id_date_to-group .nhsuk-error-message")).to_have_count(0)
    expect(page.locator("#search-results")).not_to_contain_text("There is a problem")


def test_a_slot_removed_by_mistake_is_put_back_with_the_keyboard(page, team, choice_clinician):
    slot = SlotFactory(team=team, clinicians=[choice_clinician], starts_at=next_weekday_at(11, weeks_ahead=2))
    when = f"{uk_date(slot.starts_at)} at {uk_time(slot.starts_at)}"
    log_in(page, "sam.clinician", DEMO_PASSWORD)
    page.goto(f"/diary/teams/{team.pk}/clinicians/{choice_clinician.pk}/slots/")

    press(page, page.get_by_role("button", name=f"Remove the slot on {when}"))
    expect(page.get_by_role("alert")).to_contain_text(f"The slot on {when} is removed from the diary")
    expect(page.get_by_role("button", name=f"Remove the slot on {when}")).to_have_count(0)
    check(page)

    press(page, page.get_by_role("button", name=f"Put back the slot on {when}"))
    expect(page.get_by_role("alert")).to_contain_text(f"The slot on {when} is back in the diary, vacant")
    expect(page.get_by_role("button", name=f"Remove the slot on {when}")).to_be_visible()
    expect(page.get_by_role("heading", name="Removed slots still to come")).to_have_count(0)
    check(page)
