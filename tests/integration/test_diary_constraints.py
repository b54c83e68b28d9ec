"""The diary's tables refuse double bookings and half-made records, whatever writes them: the ORM
around the domain functions, bulk_create, or raw SQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from diary.models import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    ClinicianTime,
    Slot,
    SlotStatus,
    TeamSession,
)
from partnership.models import Case
from tests.constraints import assert_refused, refuses
from tests.factories import (
    AppointmentFactory,
    CaseFactory,
    SlotFactory,
    TeamSessionFactory,
)
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db


@refuses("diary_clinician_not_double_booked")
def test_a_clinician_cannot_hold_two_overlapping_slots_by_any_route(team):
    clinician = clinician_in(team)
    slot = SlotFactory(team=team, clinicians=[clinician])
    other = SlotFactory(team=team, clinicians=[], starts_at=slot.starts_at + timedelta(minutes=59))
    overlapping = (other.starts_at, other.starts_at + timedelta(hours=1))
    assert_refused(
        "diary_clinician_not_double_booked",
        lambda: ClinicianTime.objects.create(clinician=clinician, slot=other, during=overlapping),
    )
    assert_refused(
        "diary_clinician_not_double_booked",
        lambda: ClinicianTime.objects.bulk_create(
            [ClinicianTime(clinician=clinician, slot=other, during=overlapping)]
        ),
    )

    def raw_sql():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO diary_cliniciantime (clinician_id, slot_id, during, is_live) "
                "VALUES (%s, %s, tstzrange(%s, %s, '[)'), true)",
                [clinician.pk, other.pk, *overlapping],
            )

    assert_refused("diary_clinician_not_double_booked", raw_sql)


def test_back_to_back_slots_are_allowed_and_removed_slots_free_their_time(team):
    clinician = clinician_in(team)
    slot = SlotFactory(team=team, clinicians=[clinician])
    SlotFactory(
        team=team, clinicians=[clinician], starts_at=slot.ends_at, ends_at=slot.ends_at + timedelta(hours=1)
    )
    ClinicianTime.objects.filter(slot=slot).update(is_live=False)
    SlotFactory(team=team, clinicians=[clinician], starts_at=slot.starts_at, ends_at=slot.ends_at)


@refuses("diary_time_belongs_to_a_slot_or_a_team_session")
def test_clinician_time_belongs_to_exactly_one_diary_entry(team):
    slot = SlotFactory(team=team)
    session = TeamSessionFactory(team=team, starts_at=slot.starts_at + timedelta(days=1))
    time = ClinicianTime.objects.get(slot=slot)
    assert_refused(
        "diary_time_belongs_to_a_slot_or_a_team_session",
        lambda: ClinicianTime.objects.filter(pk=time.pk).update(team_session=session),
    )
    assert_refused(
        "diary_time_belongs_to_a_slot_or_a_team_session",
        lambda: ClinicianTime.objects.filter(pk=time.pk).update(slot=None),
    )


@refuses("diary_time_is_a_real_interval")
def test_clinician_time_is_a_real_interval(team):
    time = ClinicianTime.objects.get(slot=SlotFactory(team=team))
    assert_refused(
        "diary_time_is_a_real_interval",
        lambda: ClinicianTime.objects.filter(pk=time.pk).update(
            during=(time.during.lower, time.during.lower)
        ),
    )
    assert_refused(
        "diary_time_is_a_real_interval",
        lambda: ClinicianTime.objects.filter(pk=time.pk).update(during=(time.during.lower, None)),
    )


@refuses("diary_clinician_once_per_slot")
def test_a_clinician_is_listed_once_on_a_slot(team):
    slot = SlotFactory(team=team)
    time = ClinicianTime.objects.get(slot=slot)
    assert_refused(
        "diary_clinician_once_per_slot",
        lambda: ClinicianTime.objects.create(
            clinician=time.clinician, slot=slot, during=time.during, is_live=False
        ),
    )


@refuses("diary_clinician_once_per_team_session")
def test_a_clinician_is_listed_once_on_a_team_session(team):
    session = TeamSessionFactory(team=team)
    clinician = clinician_in(team)
    ClinicianTime.objects.create(
        clinician=clinician, team_session=session, during=(session.starts_at, session.ends_at)
    )
    assert_refused(
        "diary_clinician_once_per_team_session",
        lambda: ClinicianTime.objects.create(
            clinician=clinician,
            team_session=session,
            during=(session.starts_at, session.ends_at),
            is_live=False,
        ),
    )


@refuses("diary_slot_ends_after_it_starts")
def test_a_slot_ends_after_it_starts(team):
    slot = SlotFactory(team=team)
    assert_refused(
        "diary_slot_ends_after_it_starts",
        lambda: Slot.objects.filter(pk=slot.pk).update(ends_at=slot.starts_at),
    )


@refuses("diary_team_session_ends_after_it_starts")
def test_a_team_session_ends_after_it_starts(team):
    session = TeamSessionFactory(team=team)
    assert_refused(
        "diary_team_session_ends_after_it_starts",
        lambda: TeamSession.objects.filter(pk=session.pk).update(
            ends_at=session.starts_at - timedelta(minutes=1)
        ),
    )


@refuses("diary_appointment_ends_after_it_starts")
def test_an_appointment_ends_after_it_starts(team):
    appointment = AppointmentFactory(team=team)
    assert_refused(
        "diary_appointment_ends_after_it_starts",
        lambda: Appointment.objects.filter(pk=appointment.pk).update(ends_at=appointment.starts_at),
    )


@refuses("diary_slot_holds_one_live_booking")
def test_a_slot_holds_one_live_booking(team):
    appointment = AppointmentFactory(team=team)
    slot = appointment.slots.get()
    second = AppointmentFactory(
        team=team, slots=[], starts_at=appointment.starts_at, ends_at=appointment.ends_at
    )
    assert_refused(
        "diary_slot_holds_one_live_booking",
        lambda: AppointmentSlot.objects.bulk_create([AppointmentSlot(appointment=second, slot=slot)]),
    )
    AppointmentSlot.objects.filter(slot=slot).update(is_live=False)  # the first family cancelled
    AppointmentSlot.objects.create(appointment=second, slot=slot)


@refuses("diary_appointment_slot_once")
def test_an_appointment_lists_a_slot_once(team):
    appointment = AppointmentFactory(team=team)
    slot = appointment.slots.get()
    AppointmentSlot.objects.filter(appointment=appointment).update(is_live=False)
    assert_refused(
        "diary_appointment_slot_once",
        lambda: AppointmentSlot.objects.create(appointment=appointment, slot=slot, is_live=False),
    )


@refuses("diary_one_live_first_core_booking_per_case")
def test_a_family_has_one_live_first_core_booking(team):
    appointment = AppointmentFactory(team=team)
    assert_refused(
        "diary_one_live_first_core_booking_per_case",
        lambda: AppointmentFactory(team=team, case=appointment.case, slots=[]),
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.DNA, outcome_by=appointment.booked_by, outcome_at=timezone.now()
    )
    AppointmentFactory(team=team, case=appointment.case)  # after a DNA the family is booked again


@refuses("diary_outcome_says_who_and_when")
def test_an_outcome_says_who_and_when(team):
    appointment = AppointmentFactory(team=team)
    assert_refused(
        "diary_outcome_says_who_and_when",
        lambda: Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.ATTENDED),
    )
    assert_refused(
        "diary_outcome_says_who_and_when",
        lambda: Appointment.objects.filter(pk=appointment.pk).update(outcome_at=timezone.now()),
    )


@refuses("diary_only_cancellations_have_a_reason")
def test_only_cancellations_have_a_reason(team):
    appointment = AppointmentFactory(team=team)
    assert_refused(
        "diary_only_cancellations_have_a_reason",
        lambda: Appointment.objects.filter(pk=appointment.pk).update(cancel_reason="Moved away"),
    )


@refuses("diary_one_reoffer_per_lost_appointment")
def test_lost_capacity_is_reoffered_once(team):
    appointment = AppointmentFactory(team=team, dna=True)
    SlotFactory(team=team, reoffer_of=appointment)
    assert_refused(
        "diary_one_reoffer_per_lost_appointment",
        lambda: SlotFactory(team=team, reoffer_of=appointment),
    )


@refuses("case_one_episode_per_referral")
def test_one_episode_per_referral(team):
    case = CaseFactory(team=team)
    assert_refused(
        "case_one_episode_per_referral",
        lambda: CaseFactory(
            team=team, family_reference=case.family_reference, referral_date=case.referral_date
        ),
    )


@refuses("case_child_born_before_referral")
def test_the_child_is_born_before_the_referral(team):
    case = CaseFactory(team=team)
    assert_refused(
        "case_child_born_before_referral",
        lambda: Case.objects.filter(pk=case.pk).update(child_date_of_birth=date(2030, 1, 1)),
    )


@refuses("case_choice_after_referral")
def test_choice_comes_after_the_referral(team):
    case = CaseFactory(team=team)
    assert_refused(
        "case_choice_after_referral",
        lambda: Case.objects.filter(pk=case.pk).update(choice_date=case.referral_date - timedelta(days=1)),
    )


def test_a_removed_slot_is_not_vacant(team):
    slot = SlotFactory(team=team, status=SlotStatus.REMOVED)
    assert not slot.is_vacant
