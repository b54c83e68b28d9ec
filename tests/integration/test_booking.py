"""A Choice clinician books a family's first Core appointment before they leave; outcomes and
re-offers keep the capacity the team promised."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from diary import booking, outbox, search
from diary.models import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    ClinicianTime,
    OutboxEmail,
    OutboxStatus,
    Slot,
    SlotStatus,
)
from partnership.models import CaseState
from tests.factories import CaseFactory, SlotFactory, VenueFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db


def vacant(team):
    return {r.slot_ids for r in search.search(search.Filters(team=team), limit=100)}


def test_a_booked_slot_leaves_the_diary_and_returns_when_the_family_cancels(team, choice_clinician):
    slot = SlotFactory(team=team, starts_at=timezone.now() + timedelta(days=10))
    case = CaseFactory(team=team)
    assert str(slot.pk) in vacant(team)

    appointment = booking.book_first_core(slot_ids=[slot.pk], case=case, by=choice_clinician)
    assert str(slot.pk) not in vacant(team)
    assert (appointment.starts_at, appointment.venue) == (slot.starts_at, slot.venue)
    assert OutboxEmail.objects.filter(about=f"appointment:{appointment.pk}").count() == 1

    booking.record_outcome(
        appointment=appointment,
        outcome=AppointmentStatus.CANCELLED_BY_FAMILY,
        reason="Holiday",
        by=choice_clinician,
    )
    assert str(slot.pk) in vacant(team)
    appointment.refresh_from_db()
    assert (appointment.cancel_reason, appointment.outcome_by) == ("Holiday", choice_clinician)


def test_a_double_submit_returns_the_same_booking(team, choice_clinician):
    slot = SlotFactory(team=team)
    case = CaseFactory(team=team)
    first = booking.book_first_core(slot_ids=[slot.pk], case=case, by=choice_clinician)
    again = booking.book_first_core(slot_ids=[slot.pk], case=case, by=choice_clinician)
    assert first.pk == again.pk
    assert Appointment.objects.count() == 1


def test_a_family_with_a_first_core_appointment_is_not_booked_twice(team, choice_clinician):
    case = CaseFactory(team=team)
    booking.book_first_core(slot_ids=[SlotFactory(team=team).pk], case=case, by=choice_clinician)
    with pytest.raises(booking.BookingError, match="already has a first Core appointment"):
        booking.book_first_core(slot_ids=[SlotFactory(team=team).pk], case=case, by=choice_clinician)


def test_a_slot_just_taken_raises_slot_taken_with_at_least_three_alternatives(team, choice_clinician):
    venue = VenueFactory(team=team)
    slot = SlotFactory(team=team, venue=venue)
    others = [SlotFactory(team=team, venue=venue) for _ in range(4)]
    booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)

    with pytest.raises(booking.SlotTaken) as taken:
        booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)
    alternatives = taken.value.alternatives
    assert len(alternatives) >= 3
    assert {r.slots[0].pk for r in alternatives} <= {s.pk for s in others}
    assert [r.starts_at for r in alternatives] == sorted(r.starts_at for r in alternatives)


def test_a_joint_booking_takes_both_clinicians_slots_or_neither(team, choice_clinician):
    x, y = clinician_in(team), clinician_in(team)
    venue = VenueFactory(team=team)
    slot_x = SlotFactory(team=team, venue=venue, clinicians=[x])
    slot_y = SlotFactory(
        team=team, venue=venue, clinicians=[y], starts_at=slot_x.starts_at, ends_at=slot_x.ends_at
    )
    booking.book_first_core(slot_ids=[slot_y.pk], case=CaseFactory(team=team), by=choice_clinician)

    with pytest.raises(booking.SlotTaken):
        booking.book_first_core(
            slot_ids=[slot_x.pk, slot_y.pk], case=CaseFactory(team=team), by=choice_clinician
        )
    slot_x.refresh_from_db()
    assert slot_x.status == SlotStatus.VACANT  # never half a booking


def test_slots_at_different_times_cannot_be_booked_as_one_joint_appointment(team, choice_clinician):
    first, second = SlotFactory(team=team), SlotFactory(team=team)
    with pytest.raises(booking.BookingError, match="cannot be booked together"):
        booking.book_first_core(
            slot_ids=[first.pk, second.pk], case=CaseFactory(team=team), by=choice_clinician
        )


def test_a_dna_is_re_offered_once_at_the_clinicians_next_free_time_in_the_same_pattern(
    team, choice_clinician
):
    clinician = clinician_in(team)
    slot = SlotFactory(team=team, clinicians=[clinician], starts_at=timezone.now() + timedelta(minutes=1))
    appointment = booking.book_first_core(
        slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician
    )
    with pytest.raises(booking.BookingError, match="once it has started"):
        booking.record_outcome(appointment=appointment, outcome=AppointmentStatus.DNA, by=choice_clinician)
    a_week_ago = (slot.starts_at - timedelta(days=7), slot.ends_at - timedelta(days=7))
    Slot.objects.filter(pk=slot.pk).update(starts_at=a_week_ago[0], ends_at=a_week_ago[1])
    ClinicianTime.objects.filter(slot=slot).update(during=a_week_ago)
    appointment.refresh_from_db()
    appointment.starts_at = slot.starts_at - timedelta(days=7)
    appointment.save(update_fields=["starts_at"])

    booking.record_outcome(appointment=appointment, outcome=AppointmentStatus.DNA, by=choice_clinician)
    reoffered = booking.reoffer(appointment=appointment, by=choice_clinician)
    local = timezone.localtime(reoffered.starts_at)
    original = timezone.localtime(appointment.starts_at)
    assert (local.weekday(), local.time(), reoffered.venue) == (
        original.weekday(),
        original.time(),
        slot.venue,
    )
    assert reoffered.starts_at > timezone.now()
    assert reoffered.reoffer_of == appointment
    with pytest.raises(booking.BookingError, match="already been re-offered"):
        booking.reoffer(appointment=appointment, by=choice_clinician)
    # The family can be booked again after a DNA.
    again = booking.book_first_core(slot_ids=[reoffered.pk], case=appointment.case, by=choice_clinician)
    assert again.status == AppointmentStatus.BOOKED


def test_a_late_cancellation_loses_the_slot_and_can_be_re_offered(team, choice_clinician):
    slot = SlotFactory(team=team, starts_at=timezone.now() + timedelta(hours=3))
    appointment = booking.book_first_core(
        slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician
    )
    booking.record_outcome(
        appointment=appointment, outcome=AppointmentStatus.CANCELLED_BY_SERVICE, by=choice_clinician
    )
    slot.refresh_from_db()
    assert slot.status == SlotStatus.LOST
    appointment.refresh_from_db()
    assert booking.can_reoffer(appointment)


def test_an_outcome_is_recorded_once(team, choice_clinician):
    slot = SlotFactory(team=team)
    appointment = booking.book_first_core(
        slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician
    )
    booking.record_outcome(
        appointment=appointment, outcome=AppointmentStatus.CANCELLED_BY_FAMILY, by=choice_clinician
    )
    with pytest.raises(booking.BookingError, match="already has an outcome"):
        booking.record_outcome(
            appointment=appointment, outcome=AppointmentStatus.ATTENDED, by=choice_clinician
        )


def test_the_outbox_retries_with_backoff_and_gives_up_as_stuck(settings):
    from tests.factories import OutboxEmailFactory

    settings.EMAIL_BACKEND = "tests.integration.test_booking.FailingBackend"
    email = OutboxEmailFactory()
    now = timezone.now()
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        outbox.drain(now=now)
        email.refresh_from_db()
        assert email.attempts == attempt
        now = email.next_attempt_at
    assert email.status == OutboxStatus.STUCK
    assert "SMTP is down" in email.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    fresh = OutboxEmailFactory()
    assert outbox.drain() == 1
    fresh.refresh_from_db()
    assert fresh.status == OutboxStatus.SENT


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("SMTP is down")


def test_the_database_refuses_a_second_booking_even_when_the_slot_looks_vacant(team, choice_clinician):
    """If the slot's status ever disagreed with its bookings, the partial unique constraint would
    still refuse the second family: the lock makes losing polite, the constraint makes it certain."""
    slot = SlotFactory(team=team)
    first = booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)
    Slot.objects.filter(pk=slot.pk).update(status=SlotStatus.VACANT)  # the drift, written by hand

    with pytest.raises(booking.SlotTaken):
        booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)
    assert list(AppointmentSlot.objects.filter(slot=slot, is_live=True)) == list(first.slot_links.all())


@pytest.mark.django_db(transaction=True)
def test_a_refused_second_booking_leaves_nothing_behind_when_the_booking_is_the_whole_transaction(
    team, choice_clinician
):
    """As in production (no test transaction around it): the constraint's refusal rolls back the
    whole booking, with no savepoint inside it, and the family is still waiting."""
    slot = SlotFactory(team=team)
    booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)
    Slot.objects.filter(pk=slot.pk).update(status=SlotStatus.VACANT)  # the drift, written by hand
    second = CaseFactory(team=team)
    appointments, outbox_rows = Appointment.objects.count(), OutboxEmail.objects.count()

    with pytest.raises(booking.SlotTaken):
        booking.book_first_core(slot_ids=[slot.pk], case=second, by=choice_clinician)
    second.refresh_from_db()
    assert second.state == CaseState.AWAITING_FIRST_CORE
    assert not second.steps.exists()
    assert (Appointment.objects.count(), OutboxEmail.objects.count()) == (appointments, outbox_rows)
    assert AppointmentSlot.objects.filter(slot=slot, is_live=True).count() == 1


def test_another_teams_slot_cannot_be_booked_or_seen_through_a_made_up_id(team, other_team, choice_clinician):
    theirs = SlotFactory(team=other_team)
    with pytest.raises(booking.BookingError, match="cannot be booked together"):
        booking.book_first_core(
            slot_ids=[theirs.pk, 999999], case=CaseFactory(team=team), by=choice_clinician
        )
    with pytest.raises(booking.BookingError):
        booking.book_first_core(slot_ids=[theirs.pk], case=CaseFactory(team=team), by=choice_clinician)
    theirs.refresh_from_db()
    assert theirs.status == SlotStatus.VACANT


def test_a_slot_that_has_started_cannot_be_booked(team, choice_clinician):
    slot = SlotFactory(team=team)
    Slot.objects.filter(pk=slot.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(booking.BookingError, match="already started"):
        booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)


def test_a_lost_slot_rebooked_and_lost_again_is_re_offered_once_for_each_family(team, choice_clinician):
    slot = SlotFactory(team=team, starts_at=timezone.now() + timedelta(days=3))
    first = booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)
    booking.record_outcome(
        appointment=first, outcome=AppointmentStatus.CANCELLED_BY_FAMILY, reason="Ill", by=choice_clinician
    )
    first.refresh_from_db()
    assert not booking.can_reoffer(first)  # cancelled with notice: the slot went back to the diary

    second = booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)
    Appointment.objects.filter(pk=second.pk).update(starts_at=timezone.now() + timedelta(hours=2))
    booking.record_outcome(
        appointment=second, outcome=AppointmentStatus.CANCELLED_BY_SERVICE, reason="Sick", by=choice_clinician
    )
    second.refresh_from_db()
    first.refresh_from_db()
    assert booking.can_reoffer(second)
    assert not booking.can_reoffer(first)


def test_an_appointment_that_has_started_is_attended_or_missed_not_cancelled(team, choice_clinician):
    slot = SlotFactory(team=team)
    appointment = booking.book_first_core(
        slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician
    )
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(booking.BookingError, match="has started"):
        booking.record_outcome(
            appointment=appointment,
            outcome=AppointmentStatus.CANCELLED_BY_FAMILY,
            reason="x",
            by=choice_clinician,
        )


def test_a_booking_nudges_the_worker_once_after_commit_whatever_it_queued(
    team, choice_clinician, monkeypatch, django_capture_on_commit_callbacks
):
    from diary import outbox as outbox_module
    from tests.factories.diary import clinician_in as member

    nudges = []
    monkeypatch.setattr(outbox_module, "nudge_worker", lambda: nudges.append(1))
    venue = VenueFactory(team=team)
    slot_x = SlotFactory(team=team, venue=venue, clinicians=[member(team)])
    slot_y = SlotFactory(
        team=team, venue=venue, clinicians=[member(team)], starts_at=slot_x.starts_at, ends_at=slot_x.ends_at
    )
    with pytest.raises(booking.BookingError):  # rolled back: no nudge, and none left pending
        booking.book_first_core(
            slot_ids=[slot_x.pk, 999999], case=CaseFactory(team=team), by=choice_clinician
        )
    with django_capture_on_commit_callbacks(execute=True):
        appointment = booking.book_first_core(
            slot_ids=[slot_x.pk, slot_y.pk], case=CaseFactory(team=team), by=choice_clinician
        )
    assert OutboxEmail.objects.filter(about=f"appointment:{appointment.pk}").count() == 2
    assert nudges == [1]


def test_a_joint_booking_writes_the_step_and_tells_each_clinician(team, choice_clinician):
    from django.conf import settings
    from django.urls import reverse

    from capa.templatetags.nhsuk import uk_datetime
    from partnership.models import CaseStep, StepKind

    owen, ben = clinician_in(team), clinician_in(team)
    venue = VenueFactory(team=team, name="Riverside Clinic")
    slot = SlotFactory(team=team, venue=venue, clinicians=[owen, ben])
    case = CaseFactory(team=team)

    appointment = booking.book_first_core(slot_ids=[slot.pk], case=case, by=choice_clinician)

    assert case.state == CaseState.FIRST_CORE_BOOKED  # the caller's object, as saved
    appointment.refresh_from_db()
    assert (appointment.booked_by, appointment.venue, appointment.status) == (
        choice_clinician,
        venue,
        AppointmentStatus.BOOKED,
    )
    step = CaseStep.objects.get(case=case)
    assert (step.kind, step.from_state, step.to_state, step.by, step.data) == (
        StepKind.BOOK_FIRST_CORE,
        CaseState.AWAITING_FIRST_CORE,
        CaseState.FIRST_CORE_BOOKED,
        choice_clinician,
        {"appointment": appointment.pk},
    )
    emails = {e.to: e for e in OutboxEmail.objects.filter(about=f"appointment:{appointment.pk}")}
    assert set(emails) == {owen.email, ben.email}
    when = uk_datetime(slot.starts_at)
    link = settings.CAPA_BASE_URL + reverse("partnership:case-detail", args=[team.pk, case.pk])
    for clinician in (owen, ben):
        email = emails[clinician.email]
        assert email.subject == f"New first Core Partnership appointment, {when}"
        assert email.body == (
            f"Dear {clinician.first_name},\n\n"
            f"A family (reference {case.family_reference}) has been booked into your first Core "
            f"Partnership slot on {when} at Riverside Clinic.\n\n"
            f"See the case: {link}\n\ncapa"
        )
        assert email.status == OutboxStatus.PENDING
