"""The diary's tables refuse double bookings and half-made records, whatever writes them: the ORM
around the domain functions, bulk_create, or raw SQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from diary.models import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    ClinicianTime,
    PublicationRun,
    QuarterTarget,
    ReminderSent,
    Slot,
    SlotStatus,
    TeamSession,
)
from partnership.models import Case
from tests.constraints import assert_refused, refuses
from tests.factories import (
    AppointmentFactory,
    CaseFactory,
    PublicationRunFactory,
    QuarterTargetFactory,
    ReminderSentFactory,
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


# --- Publishing quarterly targets -----------------------------------------------------------------


@refuses("diary_one_publication_run_per_quarter")
def test_an_organisation_publishes_each_quarter_in_one_run(organisation):
    run = PublicationRunFactory(organisation=organisation)
    assert_refused(
        "diary_one_publication_run_per_quarter",
        lambda: PublicationRun.objects.create(organisation=organisation, quarter_start=run.quarter_start),
    )
    assert_refused(
        "diary_one_publication_run_per_quarter",
        lambda: PublicationRun.objects.bulk_create(
            [PublicationRun(organisation=organisation, quarter_start=run.quarter_start)]
        ),
    )
    later = PublicationRunFactory(organisation=organisation)
    assert_refused(
        "diary_one_publication_run_per_quarter",
        lambda: PublicationRun.objects.filter(pk=later.pk).update(quarter_start=run.quarter_start),
    )


@refuses("diary_publication_done_of_total")
def test_a_run_never_counts_more_clinicians_done_than_it_has(organisation):
    run = PublicationRunFactory(organisation=organisation, total=3, done=3)
    assert_refused(
        "diary_publication_done_of_total",
        lambda: PublicationRun.objects.filter(pk=run.pk).update(done=F("done") + 1),
    )

    def raw_sql():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE diary_publicationrun SET total = 2 WHERE id = %s", [run.pk])

    assert_refused("diary_publication_done_of_total", raw_sql)


@refuses("diary_publication_finished_when_completed")
def test_a_run_is_finished_exactly_when_it_is_completed(organisation):
    running = PublicationRunFactory(organisation=organisation)
    completed = PublicationRunFactory(organisation=organisation, completed=True)
    assert_refused(
        "diary_publication_finished_when_completed",
        lambda: PublicationRun.objects.filter(pk=running.pk).update(status=PublicationRun.Status.COMPLETED),
    )
    assert_refused(
        "diary_publication_finished_when_completed",
        lambda: PublicationRun.objects.filter(pk=running.pk).update(finished_at=timezone.now()),
    )
    assert_refused(
        "diary_publication_finished_when_completed",
        lambda: PublicationRun.objects.filter(pk=completed.pk).update(finished_at=None),
    )


@refuses("diary_one_target_per_clinician_and_quarter")
def test_a_clinician_has_one_target_per_team_and_quarter(organisation):
    target = QuarterTargetFactory(run__organisation=organisation)
    again = QuarterTarget(
        run=target.run, team=target.team, clinician=target.clinician, quarter_start=target.quarter_start
    )
    assert_refused(
        "diary_one_target_per_clinician_and_quarter", lambda: QuarterTarget.objects.bulk_create([again])
    )

    def raw_sql():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO diary_quartertarget (run_id, team_id, clinician_id, quarter_start, "
                "exact_target, published_at) VALUES (%s, %s, %s, %s, '', now())",
                [target.run_id, target.team_id, target.clinician_id, target.quarter_start],
            )

    assert_refused("diary_one_target_per_clinician_and_quarter", raw_sql)


@refuses("diary_target_comes_from_a_plan")
def test_a_target_comes_from_an_agreed_plan_and_no_plan_means_no_target(organisation):
    planned = QuarterTargetFactory(run__organisation=organisation)
    planless = QuarterTargetFactory(run=planned.run, without_plan=True)
    assert_refused(
        "diary_target_comes_from_a_plan",
        lambda: QuarterTarget.objects.filter(pk=planned.pk).update(plan=None),
    )
    assert_refused(
        "diary_target_comes_from_a_plan",
        lambda: QuarterTarget.objects.filter(pk=planless.pk).update(target=5),
    )


@refuses("diary_reminder_once_per_point")
def test_each_reminder_point_reaches_a_person_once():
    sent = ReminderSentFactory()
    again = ReminderSent(
        user=sent.user, quarter_start=sent.quarter_start, days_before=sent.days_before, kind=sent.kind
    )
    assert_refused("diary_reminder_once_per_point", lambda: ReminderSent.objects.bulk_create([again]))
    # The lead's summary at the same point is a different reminder.
    ReminderSent.objects.create(
        user=sent.user, quarter_start=sent.quarter_start, days_before=sent.days_before, kind="lead"
    )


@refuses("diary_slot_has_one_or_two_clinicians")
def test_a_slot_has_one_or_two_clinicians(team):
    slot = SlotFactory(team=team)
    for count in (0, 3):
        assert_refused(
            "diary_slot_has_one_or_two_clinicians",
            lambda count=count: Slot.objects.filter(pk=slot.pk).update(clinician_count=count),
        )
