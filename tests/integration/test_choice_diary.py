"""The Choice diary: an accepted referral is offered at least two Choice dates and booked into one
in a single step; a Choice DNA leads to a re-invite; the look-ahead counts vacant Choice slots
against the Choice appointments the team will need."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diary import booking, choice
from diary.models import Appointment, AppointmentKind, AppointmentStatus, Slot, SlotKind, SlotStatus
from partnership.models import CaseState, CaseStep, StepKind
from tests.factories import CaseFactory, SlotFactory, VenueFactory

pytestmark = pytest.mark.django_db


def waiting_for_choice(team, **kwargs):
    defaults = {
        "state": CaseState.AWAITING_CHOICE,
        "choice_date": None,
        "choice_outcome": "",
        "accepted_on": timezone.localdate() - timedelta(weeks=2),
    }
    return CaseFactory(team=team, **(defaults | kwargs))


def choice_slots(team, count, *, first_in_days=3):
    return [
        SlotFactory(
            team=team, kind=SlotKind.CHOICE, starts_at=timezone.now() + timedelta(days=first_in_days + 7 * n)
        )
        for n in range(count)
    ]


def test_an_accepted_referral_is_offered_two_dates_and_booked_into_one_in_one_step(team, choice_clinician):
    case = waiting_for_choice(team)
    first, second, third = choice_slots(team, 3)

    appointment = choice.book_choice(
        case=case, offered_slot_ids=[first.pk, second.pk], slot_id=second.pk, by=choice_clinician
    )

    assert (appointment.kind, appointment.starts_at) == (AppointmentKind.CHOICE, second.starts_at)
    case.refresh_from_db()
    assert case.state == CaseState.CHOICE_BOOKED
    step = CaseStep.objects.get(case=case)
    assert step.kind == StepKind.BOOK_CHOICE
    assert [offer["slot"] for offer in step.data["offered"]] == [first.pk, second.pk]
    assert Slot.objects.get(pk=second.pk).status == SlotStatus.BOOKED
    assert Slot.objects.get(pk=first.pk).status == SlotStatus.VACANT
    assert [s.pk for s in choice.vacant_choice_slots(team)] == [first.pk, third.pk]


@pytest.mark.parametrize(
    ("offered", "booked", "message"),
    [
        ([0], 0, "at least two"),
        ([0, 1], 2, "one of the dates offered"),
    ],
)
def test_fewer_than_two_dates_or_a_date_not_offered_is_refused(
    team, choice_clinician, offered, booked, message
):
    case = waiting_for_choice(team)
    slots = choice_slots(team, 3)
    with pytest.raises(booking.BookingError, match=message):
        choice.book_choice(
            case=case,
            offered_slot_ids=[slots[i].pk for i in offered],
            slot_id=slots[booked].pk,
            by=choice_clinician,
        )
    assert not Appointment.objects.exists()
    assert not CaseStep.objects.exists()


def test_a_first_core_slot_is_not_a_choice_date(team, choice_clinician):
    case = waiting_for_choice(team)
    (slot,) = choice_slots(team, 1)
    core = SlotFactory(team=team, starts_at=timezone.now() + timedelta(days=5))
    with pytest.raises(booking.BookingError, match="not vacant Choice slots"):
        choice.book_choice(
            case=case, offered_slot_ids=[slot.pk, core.pk], slot_id=core.pk, by=choice_clinician
        )


def test_a_choice_slot_just_taken_is_refused(team, choice_clinician):
    first, second = choice_slots(team, 2)
    choice.book_choice(
        case=waiting_for_choice(team),
        offered_slot_ids=[first.pk, second.pk],
        slot_id=first.pk,
        by=choice_clinician,
    )
    with pytest.raises(choice.ChoiceSlotTaken, match="just taken"):
        choice.book_choice(
            case=waiting_for_choice(team),
            offered_slot_ids=[first.pk, second.pk],
            slot_id=first.pk,
            by=choice_clinician,
        )


def test_a_case_not_waiting_for_choice_is_not_booked(team, choice_clinician):
    case = CaseFactory(team=team)  # waiting for its first Core appointment
    first, second = choice_slots(team, 2)
    with pytest.raises(booking.BookingError, match="not possible"):
        choice.book_choice(
            case=case, offered_slot_ids=[first.pk, second.pk], slot_id=first.pk, by=choice_clinician
        )


def held_yesterday(appointment):
    """As if the appointment's day had come and gone (outcomes are recorded once it has started)."""
    yesterday = timezone.now() - timedelta(days=1)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=yesterday, ends_at=yesterday + timedelta(hours=1)
    )
    appointment.refresh_from_db()


def test_a_choice_dna_leads_to_a_re_invite_and_attendance_records_the_choice_date(team, choice_clinician):
    case = waiting_for_choice(team)
    slots = choice_slots(team, 4, first_in_days=1)
    appointment = choice.book_choice(
        case=case, offered_slot_ids=[slots[0].pk, slots[2].pk], slot_id=slots[0].pk, by=choice_clinician
    )
    held_yesterday(appointment)
    booking.record_outcome(appointment=appointment, outcome=AppointmentStatus.DNA, by=choice_clinician)
    case.refresh_from_db()
    assert case.state == CaseState.AWAITING_CHOICE  # invited again

    again = choice.book_choice(
        case=case, offered_slot_ids=[slots[2].pk, slots[3].pk], slot_id=slots[2].pk, by=choice_clinician
    )
    held_yesterday(again)
    booking.record_outcome(appointment=again, outcome=AppointmentStatus.ATTENDED, by=choice_clinician)
    case.refresh_from_db()
    assert (case.state, case.choice_date) == (
        CaseState.CHOICE_ATTENDED,
        timezone.localdate() - timedelta(days=1),
    )
    assert [s.kind for s in case.steps.all()] == [
        StepKind.BOOK_CHOICE,
        StepKind.CHOICE_DNA,
        StepKind.BOOK_CHOICE,
        StepKind.CHOICE_ATTENDED,
    ]


def test_the_look_ahead_equals_a_hand_count_and_flags_a_shortfall(team, other_team):
    now = timezone.now()
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    # Vacant Choice slots: 3 inside the six weeks, 1 after them, 1 in the past, 1 booked, 1
    # removed, 1 first Core, 1 another team's.
    for days in (1, 10, 40):
        SlotFactory(team=team, kind=SlotKind.CHOICE, starts_at=now + timedelta(days=days))
    SlotFactory(team=team, kind=SlotKind.CHOICE, starts_at=now + timedelta(days=43))
    SlotFactory(team=team, kind=SlotKind.CHOICE, starts_at=now - timedelta(days=2))
    SlotFactory(team=team, kind=SlotKind.CHOICE, starts_at=now + timedelta(days=4), status=SlotStatus.BOOKED)
    SlotFactory(team=team, kind=SlotKind.CHOICE, starts_at=now + timedelta(days=5), status=SlotStatus.REMOVED)
    SlotFactory(team=team, starts_at=now + timedelta(days=6))
    SlotFactory(team=other_team, kind=SlotKind.CHOICE, starts_at=now + timedelta(days=6))
    # Accepted this week: 1 (still waiting) ; earlier and not booked: 2 ; earlier and booked: 1.
    waiting_for_choice(team, accepted_on=monday)
    waiting_for_choice(team, accepted_on=monday - timedelta(days=10))
    waiting_for_choice(team, accepted_on=monday - timedelta(days=20))
    waiting_for_choice(team, accepted_on=monday - timedelta(days=20), state=CaseState.CHOICE_BOOKED)

    ahead = choice.look_ahead(team, weeks=6)

    assert (ahead.vacant_slots, ahead.accepted_this_week, ahead.waiting_unbooked) == (3, 1, 2)
    assert ahead.needed == 1 * 6 + 2
    assert (ahead.shortfall, ahead.is_short) == (5, True)


def test_choice_slots_are_put_in_from_the_slot_page(client, team, choice_clinician):
    venue = VenueFactory(team=team)
    client.force_login(choice_clinician)
    day = timezone.localdate() + timedelta(days=14)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    response = client.post(
        reverse("diary:clinician-slots", args=[team.pk, choice_clinician.pk]),
        {
            "kind": SlotKind.CHOICE,
            "day_day": day.day,
            "day_month": day.month,
            "day_year": day.year,
            "starts": "10:00",
            "ends": "11:30",
            "venue": venue.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Slot.objects.get().kind == SlotKind.CHOICE


def book_url(case):
    return reverse("diary:choice-book", args=[case.team_id, case.pk])


def test_the_choice_page_books_the_date_taken_and_records_the_dates_offered(client, team, choice_clinician):
    case = waiting_for_choice(team)
    first, second = choice_slots(team, 2)
    client.force_login(choice_clinician)
    page = client.get(book_url(case))
    assert page.status_code == 200
    assert "Choice slots in the next 6 weeks" in page.content.decode()

    response = client.post(book_url(case), {"offered": [first.pk, second.pk], "booked": first.pk})
    assert response.status_code == 302
    assert Appointment.objects.get(case=case).starts_at == first.starts_at


@pytest.mark.parametrize(
    "post",
    [
        {},
        {"offered": ["1"], "booked": "1"},
        {"offered": ["x", "2"], "booked": "2"},
        {"offered": ["²", "1"], "booked": "²"},
        {"booked": "999999"},
    ],
)
def test_bad_choice_posts_are_refused_and_write_nothing(client, team, choice_clinician, post):
    case = waiting_for_choice(team)
    choice_slots(team, 2)
    client.force_login(choice_clinician)
    response = client.post(book_url(case), post)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not Appointment.objects.exists()
    assert not CaseStep.objects.exists()


def test_a_choice_slot_taken_meanwhile_is_a_409_with_the_dates_left(client, team, choice_clinician):
    first, second, third = choice_slots(team, 3)
    choice.book_choice(
        case=waiting_for_choice(team),
        offered_slot_ids=[first.pk, second.pk],
        slot_id=first.pk,
        by=choice_clinician,
    )
    case = waiting_for_choice(team)
    client.force_login(choice_clinician)
    response = client.post(book_url(case), {"offered": [first.pk, second.pk], "booked": first.pk})
    assert response.status_code == 409
    body = response.content.decode()
    assert "just taken" in body
    assert f'value="{second.pk}"' in body
    assert f'value="{third.pk}"' in body


def test_the_capacity_page_shows_the_choice_look_ahead(client, team, team_lead):
    waiting_for_choice(team)
    client.force_login(team_lead)
    body = client.get(reverse("planning:team-capacity", args=[team.pk])).content.decode()
    assert "Not enough Choice slots" in body
