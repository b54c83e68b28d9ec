"""The diary's pages: opening a case at the end of Choice, booking, the 409 page, outcomes and
re-offers, and a clinician's slots."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diary import booking, slots
from diary.models import Appointment, AppointmentStatus, ClinicianTime, OutboxEmail, Slot, SlotStatus
from partnership.models import Case
from tests.factories import CaseFactory, MembershipFactory, SlotFactory, VenueFactory
from tests.factories.diary import clinician_in, next_weekday_at

pytestmark = pytest.mark.django_db


def test_a_case_opened_at_the_end_of_choice_goes_straight_to_the_search(client, team, choice_clinician):
    client.force_login(choice_clinician)
    url = reverse("partnership:case-new", args=[team.pk])
    bad = client.post(
        url,
        {
            "family_reference": "NS1",
            "child_first_name": "Amy",
            "child_last_name": "Lee",
            "child_date_of_birth_day": "31",
            "child_date_of_birth_month": "2",
            "child_date_of_birth_year": "2015",
            "referral_date_day": "4",
            "referral_date_month": "1",
            "referral_date_year": "2027",
        },
    )
    assert bad.status_code == 400
    assert "Date must be a real date" in bad.content.decode()
    assert not Case.objects.exists()

    good = client.post(
        url,
        {
            "family_reference": "NS1",
            "child_first_name": "Amy",
            "child_last_name": "Lee",
            "child_date_of_birth_day": "17",
            "child_date_of_birth_month": "5",
            "child_date_of_birth_year": "2015",
            "referral_date_day": "4",
            "referral_date_month": "1",
            "referral_date_year": "2026",
        },
    )
    case = Case.objects.get()
    assert good["Location"] == reverse("diary:search", args=[team.pk]) + f"?case={case.pk}"
    assert (case.child_date_of_birth, case.created_by) == (date(2015, 5, 17), choice_clinician)


def test_booking_from_the_search_shows_the_appointment_on_the_case(client, team, choice_clinician):
    slot = SlotFactory(team=team)
    case = CaseFactory(team=team)
    client.force_login(choice_clinician)
    search = client.get(reverse("diary:search", args=[team.pk]), {"case": case.pk}).content.decode()
    assert f"slots={slot.pk}" in search

    confirm = client.get(reverse("diary:book", args=[team.pk, case.pk]), {"slots": slot.pk})
    assert "Confirm the booking" in confirm.content.decode()
    response = client.post(reverse("diary:book", args=[team.pk, case.pk]), {"slots": slot.pk, "filters": ""})
    assert response.status_code == 302
    appointment = Appointment.objects.get(case=case)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Booked" in page
    assert str(slot.venue) in page
    assert OutboxEmail.objects.filter(about=f"appointment:{appointment.pk}").exists()


def test_a_slot_just_taken_answers_409_with_alternatives_and_the_filters_kept(client, team, choice_clinician):
    venue = VenueFactory(team=team)
    slot = SlotFactory(team=team, venue=venue)
    SlotFactory.create_batch(4, team=team, venue=venue)
    booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)
    client.force_login(choice_clinician)
    case = CaseFactory(team=team)

    response = client.post(
        reverse("diary:book", args=[team.pk, case.pk]), {"slots": slot.pk, "filters": f"venues={venue.pk}"}
    )
    text = response.content.decode()
    assert response.status_code == 409
    assert "That slot was just taken. Here are the next free ones." in text
    assert text.count('name="slots"') >= 3
    assert f"venues={venue.pk}" in text
    assert not Appointment.objects.filter(case=case).exists()


def test_a_dna_is_marked_and_re_offered_from_the_case(client, team, choice_clinician):
    clinician = clinician_in(team)
    slot = SlotFactory(team=team, clinicians=[clinician])
    appointment = booking.book_first_core(
        slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician
    )
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    client.force_login(choice_clinician)

    client.post(reverse("diary:outcome", args=[team.pk, appointment.pk]), {"outcome": AppointmentStatus.DNA})
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.DNA
    assert "Re-offer the lost slot" in client.get(appointment.case.get_absolute_url()).content.decode()

    client.post(reverse("diary:reoffer", args=[team.pk, appointment.pk]))
    assert Slot.objects.filter(reoffer_of=appointment, status=SlotStatus.VACANT).count() == 1
    assert "Re-offer the lost slot" not in client.get(appointment.case.get_absolute_url()).content.decode()


def test_a_cancellation_needs_a_reason(client, team, choice_clinician):
    slot = SlotFactory(team=team)
    appointment = booking.book_first_core(
        slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician
    )
    client.force_login(choice_clinician)
    response = client.post(
        reverse("diary:outcome", args=[team.pk, appointment.pk]),
        {"outcome": AppointmentStatus.CANCELLED_BY_FAMILY},
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    # The form again, the error next to the reason box and the choice kept.
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'id="outcome-reason-error"[^>]*>.*Enter the reason for the cancellation', page, re.S)
    assert re.search(r'value="cancelled_by_family"[^>]*checked', page)


def test_a_too_long_reason_says_so_once_and_keeps_the_text(client, team, choice_clinician):
    appointment = booking.book_first_core(
        slot_ids=[SlotFactory(team=team).pk], case=CaseFactory(team=team), by=choice_clinician
    )
    client.force_login(choice_clinician)
    reason = "Family moved away. " * 30
    response = client.post(
        reverse("diary:outcome", args=[team.pk, appointment.pk]),
        {"outcome": AppointmentStatus.CANCELLED_BY_FAMILY, "reason": reason},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "at most 500 characters" in page
    assert "Enter the reason for the cancellation" not in page
    assert reason.strip() in page


def test_a_clinician_puts_in_a_slot_and_sees_it_against_the_target(client, team, choice_clinician):
    venue = VenueFactory(team=team)
    client.force_login(choice_clinician)
    url = reverse("diary:clinician-slots", args=[team.pk, choice_clinician.pk])
    day = timezone.localdate() + timedelta(days=10)
    response = client.post(
        url,
        {
            "day_day": day.day,
            "day_month": day.month,
            "day_year": day.year,
            "starts": "10:00",
            "ends": "9:00",
            "venue": venue.pk,
        },
    )
    assert response.status_code == 400
    assert "The slot must end after it starts" in response.content.decode()

    client.post(
        url,
        {
            "day_day": day.day,
            "day_month": day.month,
            "day_year": day.year,
            "starts": "10:00",
            "ends": "11:00",
            "venue": venue.pk,
        },
    )
    assert ClinicianTime.objects.filter(clinician=choice_clinician, is_live=True).count() == 1
    assert "Upcoming slots" in client.get(url).content.decode()


def pattern_form(venue, **changes) -> dict:
    """The pattern form as posted, by default Mondays 10:00 to 11:00 from 1 April to 30 June 2027
    (13 Mondays, two of them the May bank holidays), with any field changed."""
    return {
        "weekday": "0",
        "starts": "10:00",
        "ends": "11:00",
        "first_day_day": "1",
        "first_day_month": "4",
        "first_day_year": "2027",
        "last_day_day": "30",
        "last_day_month": "6",
        "last_day_year": "2027",
        "every_weeks": "1",
        "venue": venue.pk,
        **changes,
    }


@pytest.mark.usefixtures("before_2027")  # its dates are in 2027
def test_a_pattern_is_previewed_then_saved_all_at_once(client, team, choice_clinician):
    venue = VenueFactory(team=team)
    client.force_login(choice_clinician)
    url = reverse("diary:pattern", args=[team.pk, choice_clinician.pk])
    data = pattern_form(venue)
    preview = client.post(url, {**data, "action": "preview"}).content.decode()
    assert "11 slots to put in; 2 dates skipped" in preview
    assert "bank holiday" in preview
    assert not Slot.objects.exists()

    client.post(url, {**data, "action": "save", "previewed": previewed(preview)})
    assert Slot.objects.filter(team=team).count() == 11


def previewed(page: str) -> str:
    return re.search(r'name="previewed" value="([0-9a-f]+)"', page).group(1)


@pytest.mark.usefixtures("before_2027")  # its dates are in 2027
def test_a_pattern_changed_after_its_preview_is_previewed_again_not_saved(client, team, choice_clinician):
    venue = VenueFactory(team=team)
    client.force_login(choice_clinician)
    url = reverse("diary:pattern", args=[team.pk, choice_clinician.pk])
    data = pattern_form(venue, starts="14:00", ends="15:00")
    preview = client.post(url, {**data, "action": "preview"}).content.decode()
    assert "11 slots to put in; 2 dates skipped" in preview  # the two May bank holidays

    # The "To" date changed after the preview: the 15 dates now meant were never shown.
    again = client.post(
        url,
        {
            **data,
            "last_day_day": "31",
            "last_day_month": "7",
            "action": "save",
            "previewed": previewed(preview),
        },
    )
    assert not Slot.objects.exists()
    page = again.content.decode()
    assert "The pattern has changed since the preview" in page
    assert "15 slots to put in" in page

    client.post(
        url,
        {**data, "last_day_day": "31", "last_day_month": "7", "action": "save", "previewed": previewed(page)},
    )
    assert Slot.objects.filter(team=team).count() == 15


def test_a_clinician_cannot_remove_a_colleagues_slot_but_a_lead_can(
    client, team, choice_clinician, team_lead
):
    slot = SlotFactory(team=team, clinicians=[clinician_in(team)])
    client.force_login(choice_clinician)
    assert client.post(reverse("diary:slot-remove", args=[team.pk, slot.pk])).status_code == 403
    slot.refresh_from_db()
    assert slot.status == SlotStatus.VACANT

    client.force_login(team_lead)
    client.post(reverse("diary:slot-remove", args=[team.pk, slot.pk]))
    slot.refresh_from_db()
    assert slot.status == SlotStatus.REMOVED


def test_a_clinicians_slots_page_runs_the_same_queries_for_2_and_20_slots_upcoming_and_removed(
    client, team, choice_clinician
):
    client.force_login(choice_clinician)
    url = reverse("diary:clinician-slots", args=[team.pk, choice_clinician.pk])
    colleague = clinician_in(team)

    def some_slots(count: int, first_week: int) -> None:
        for week in range(first_week, first_week + count):
            starts_at = next_weekday_at(9, weeks_ahead=week)
            SlotFactory(team=team, clinicians=[choice_clinician, colleague], starts_at=starts_at)
            removed = SlotFactory(
                team=team, clinicians=[choice_clinician], starts_at=starts_at.replace(hour=14)
            )
            slots.remove_slot(slot=removed, by=choice_clinician)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    some_slots(1, first_week=1)
    with_2 = queries()
    some_slots(9, first_week=2)
    assert queries() == with_2


def test_a_slot_removed_by_mistake_is_put_back_from_the_clinicians_slots_by_whoever_may_remove_it(
    client, team, other_team, choice_clinician, team_lead
):
    colleague = clinician_in(team)
    slot = SlotFactory(team=team, clinicians=[colleague])
    slots_page = reverse("diary:clinician-slots", args=[team.pk, colleague.pk])
    put_back = reverse("diary:slot-put-back", args=[team.pk, slot.pk])
    client.force_login(team_lead)
    removed = client.post(reverse("diary:slot-remove", args=[team.pk, slot.pk]), follow=True)
    text = removed.content.decode()
    assert removed.redirect_chain == [(slots_page, 302)]
    assert "Removed slots still to come" in text
    assert f'action="{put_back}"' in text
    assert "it can be put back from the removed slots below" in text

    client.force_login(choice_clinician)  # not theirs, not a lead
    assert client.post(put_back).status_code == 403
    client.force_login(MembershipFactory(team=other_team, team_lead=True).user)
    assert client.post(put_back).status_code == 404
    slot.refresh_from_db()
    assert slot.status == SlotStatus.REMOVED

    client.force_login(team_lead)
    back = client.post(put_back, follow=True)
    slot.refresh_from_db()
    assert slot.status == SlotStatus.VACANT
    assert ClinicianTime.objects.filter(slot=slot, is_live=True).count() == 1
    assert "is back in the diary, vacant" in back.content.decode()
    assert "Removed slots still to come" not in back.content.decode()
    again = client.post(put_back, follow=True)
    assert "The slot is in the diary already." in again.content.decode()


def test_another_teams_case_is_404(client, team, outsider):
    case = CaseFactory(team=team)
    client.force_login(outsider)
    assert client.get(case.get_absolute_url()).status_code == 404
    assert client.post(reverse("diary:book", args=[team.pk, case.pk]), {"slots": "1"}).status_code == 404


def test_opening_a_childs_case_or_letter_is_logged(client, team, choice_clinician):
    from partnership.models import CaseView
    from tests.factories import AppointmentFactory

    appointment = AppointmentFactory(team=team)
    client.force_login(choice_clinician)
    client.get(appointment.case.get_absolute_url())
    client.get(reverse("diary:letter", args=[team.pk, appointment.pk]))
    assert list(CaseView.objects.filter(case=appointment.case).values_list("viewed_by", "what")) == [
        (choice_clinician.pk, "appointment letter"),
        (choice_clinician.pk, "case"),
    ]


def test_the_search_offers_no_book_button_for_a_family_not_waiting_for_first_core(
    client, team, choice_clinician
):
    SlotFactory(team=team)
    waiting = CaseFactory(team=team)
    booked = CaseFactory(team=team)
    booking.book_first_core(slot_ids=[SlotFactory(team=team).pk], case=booked, by=choice_clinician)
    client.force_login(choice_clinician)
    search = reverse("diary:search", args=[team.pk])

    assert ">Book " in client.get(f"{search}?case={waiting.pk}").content.decode()
    page = client.get(f"{search}?case={booked.pk}").content.decode()
    assert ">Book " not in page
    assert "is not waiting for a first Core appointment: the case is first Core booked" in page


def test_alternatives_outside_the_filters_chosen_are_shown_apart_after_those_within(
    client, team, choice_clinician
):
    chosen, elsewhere = VenueFactory(team=team), VenueFactory(team=team)
    slot = SlotFactory(team=team, venue=chosen)
    within = SlotFactory(team=team, venue=chosen)
    outside = SlotFactory.create_batch(3, team=team, venue=elsewhere)
    booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)
    client.force_login(choice_clinician)

    response = client.post(
        reverse("diary:book", args=[team.pk, CaseFactory(team=team).pk]),
        {"slots": slot.pk, "filters": f"venues={chosen.pk}"},
    )
    text = response.content.decode()
    assert response.status_code == 409
    heading = text.index("More free slots, outside the filters you chose")
    assert text.index(f'value="{within.pk}"') < heading
    assert all(text.index(f'value="{other.pk}"') > heading for other in outside[:2])


def test_the_confirm_page_says_why_a_slot_cannot_be_booked_instead_of_offering_to_confirm(
    client, team, choice_clinician
):
    case = CaseFactory(team=team)
    free, taken, started = SlotFactory(team=team), SlotFactory(team=team), SlotFactory(team=team)
    booking.book_first_core(slot_ids=[taken.pk], case=CaseFactory(team=team), by=choice_clinician)
    Slot.objects.filter(pk=started.pk).update(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now()
    )
    client.force_login(choice_clinician)
    book = reverse("diary:book", args=[team.pk, case.pk])

    def page(slot):
        return client.get(book, {"slots": slot.pk}).content.decode()

    assert "Confirm the booking" in page(free)
    assert "This cannot be booked" not in page(free)
    for slot, why in ((taken, "no longer free"), (started, "already started")):
        text = page(slot)
        assert "Confirm the booking" not in text
        assert why in text


@pytest.mark.usefixtures("before_2027")  # its dates are in 2027
def test_a_pattern_preview_that_clashes_says_none_can_go_in_and_offers_no_save(
    client, team, choice_clinician
):
    venue = VenueFactory(team=team)
    client.force_login(choice_clinician)
    url = reverse("diary:pattern", args=[team.pk, choice_clinician.pk])
    # Tuesdays 6 to 20 April: three dates.
    data = pattern_form(venue, weekday="1", first_day_day="6", last_day_day="20", last_day_month="4")
    page = client.post(url, {**data, "action": "preview"}).content.decode()
    client.post(url, {**data, "action": "save", "previewed": previewed(page)})
    assert Slot.objects.count() == 3

    again = client.post(url, {**data, "action": "preview"}).content.decode()
    assert "3 dates in the pattern; 3 clashes with something already in the diary, so none can go in" in again
    assert "Put these" not in again


def test_the_appointment_letter_gives_the_teams_phone_number_for_changes(client, team, choice_clinician):
    appointment = booking.book_first_core(
        slot_ids=[SlotFactory(team=team).pk], case=CaseFactory(team=team), by=choice_clinician
    )
    client.force_login(choice_clinician)
    letter = reverse("diary:letter", args=[team.pk, appointment.pk])
    assert "please tell us as soon as you can" in client.get(letter).content.decode()

    team.phone = "01632 960123"
    team.save()
    assert (
        'please call us on <strong class="capa-nowrap">01632 960123</strong>'
        in client.get(letter).content.decode()
    )


def test_a_cancelled_appointment_has_no_letter_to_print(client, team, choice_clinician):
    appointment = booking.book_first_core(
        slot_ids=[SlotFactory(team=team).pk], case=CaseFactory(team=team), by=choice_clinician
    )
    booking.record_outcome(
        appointment=appointment,
        outcome=AppointmentStatus.CANCELLED_BY_FAMILY,
        reason="Moved away",
        by=choice_clinician,
    )
    client.force_login(choice_clinician)
    letter = reverse("diary:letter", args=[team.pk, appointment.pk])

    page = client.get(letter).content.decode()
    assert "No letter for this appointment" in page
    assert "cancelled by the family" in page
    assert "your first Partnership appointment is" not in page
    assert letter not in client.get(appointment.case.get_absolute_url()).content.decode()


def test_a_re_offer_whose_time_passed_unbooked_says_so_not_vacant(client, team, choice_clinician):
    clinician = clinician_in(team)
    appointment = booking.book_first_core(
        slot_ids=[SlotFactory(team=team, clinicians=[clinician]).pk],
        case=CaseFactory(team=team),
        by=choice_clinician,
    )
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=timezone.now() - timedelta(days=20))
    appointment.refresh_from_db()
    booking.record_outcome(appointment=appointment, outcome=AppointmentStatus.DNA, by=choice_clinician)
    reoffered = booking.reoffer(appointment=appointment, by=choice_clinician)
    client.force_login(choice_clinician)
    case_page = appointment.case.get_absolute_url()
    assert "(vacant)" in client.get(case_page).content.decode()

    Slot.objects.filter(pk=reoffered.pk).update(
        starts_at=timezone.now() - timedelta(days=1), ends_at=timezone.now() - timedelta(days=1, hours=-1)
    )
    page = client.get(case_page).content.decode()
    assert "(not booked before it came)" in page
    assert "(vacant)" not in page


def test_recording_an_outcome_twice_says_it_is_recorded_and_offers_no_form_again(
    client, team, choice_clinician
):
    appointment = booking.book_first_core(
        slot_ids=[SlotFactory(team=team).pk], case=CaseFactory(team=team), by=choice_clinician
    )
    client.force_login(choice_clinician)
    url = reverse("diary:outcome", args=[team.pk, appointment.pk])
    cancel = {"outcome": AppointmentStatus.CANCELLED_BY_FAMILY, "reason": "Unwell"}
    assert client.post(url, cancel).status_code == 302

    again = client.post(url, cancel)
    page = again.content.decode()
    assert again.status_code == 400
    assert "This appointment already has an outcome: cancelled by the family." in page
    assert "It is recorded as cancelled by the family" in page
    assert "Record what happened</button>" not in page
