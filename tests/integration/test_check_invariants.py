"""`manage.py check_invariants` is clean on data written through capa, and names each kind of
breach when rows are written around it (with the constraint that would refuse them dropped, inside
the test's own transaction)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from dashboard import quarterly
from diary import booking
from diary.models import AppointmentSlot, AppointmentStatus, ClinicianTime
from partnership import cases
from tests.factories import PublicationRunFactory, SlotFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db


def family(team, by, reference: str):
    """A case opened at the end of Choice the way capa opens one, with the steps of its journey."""
    today = timezone.localdate()
    return cases.open_case(
        team=team,
        family_reference=reference,
        child_first_name="Amira",
        child_last_name="Khan",
        child_date_of_birth=today - timedelta(days=9 * 365),
        referral_date=today - timedelta(days=30),
        choice_date=today,
        by=by,
    )


@pytest.fixture
def diary(team, choice_clinician):
    """A joint booking, a single booking later cancelled, and a vacant slot."""
    soon = timezone.now() + timedelta(days=14)
    x, y = clinician_in(team), clinician_in(team)
    joint = SlotFactory(team=team, starts_at=soon, clinicians=[x, y])
    single = SlotFactory(team=team, starts_at=soon + timedelta(hours=2), clinicians=[x])
    vacant = SlotFactory(team=team, starts_at=soon + timedelta(days=1), clinicians=[y])
    joint_booking = booking.book_first_core(
        slot_ids=[joint.pk], case=family(team, choice_clinician, "F1"), by=choice_clinician
    )
    cancelled = booking.book_first_core(
        slot_ids=[single.pk], case=family(team, choice_clinician, "F2"), by=choice_clinician
    )
    booking.record_outcome(
        appointment=cancelled,
        outcome=AppointmentStatus.CANCELLED_BY_FAMILY,
        reason="Ill",
        by=choice_clinician,
    )
    return {"joint": joint, "single": single, "vacant": vacant, "booking": joint_booking, "x": x}


def check(*only: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("check_invariants", *[f"--only={name}" for name in only], stdout=out)
    return out.getvalue()


def broken(*only: str) -> str:
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("check_invariants", *[f"--only={name}" for name in only], stdout=out)
    return out.getvalue() + str(refused.value)


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_data_written_through_capa_keeps_every_invariant(diary):
    report = check()
    assert "All 6 invariants hold." in report
    assert "BROKEN" not in report


def test_an_overlap_written_around_the_constraint_is_reported(diary):
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending, so the table can be altered
    sql("ALTER TABLE diary_cliniciantime DROP CONSTRAINT diary_clinician_not_double_booked")
    vacant = diary["vacant"]
    sql(
        "INSERT INTO diary_cliniciantime (clinician_id, during, slot_id, is_live) "
        "VALUES (%s, tstzrange(%s, %s), %s, true)",
        [diary["x"].pk, diary["joint"].starts_at, diary["joint"].ends_at, vacant.pk],
    )
    report = broken("no double booking")
    assert f"clinician {diary['x'].pk}: time" in report
    assert "1 of 1 invariants broken: no double booking" in report


def test_a_slot_whose_time_moved_is_reported(diary):
    sql(
        "UPDATE diary_cliniciantime SET during = tstzrange(lower(during) + interval '1 day', "
        "upper(during) + interval '1 day') WHERE slot_id = %s",
        [diary["vacant"].pk],
    )
    report = broken("slots hold their time")
    assert (
        f"slot {diary['vacant'].pk} (vacant, 1 clinician(s)) holds 1 live time row(s), 1 of them at" in report
    )


def test_half_a_joint_booking_is_reported(diary):
    second = SlotFactory(team=diary["joint"].team, starts_at=diary["joint"].starts_at + timedelta(days=3))
    AppointmentSlot.objects.bulk_create(
        [AppointmentSlot(appointment=diary["booking"], slot=second, is_live=False)]
    )
    report = broken("no half bookings")
    assert f"appointment {diary['booking'].pk} (booked) holds 1 of its 2 slot(s)" in report


def test_a_booked_slot_without_its_booking_is_reported(diary):
    AppointmentSlot.objects.filter(slot=diary["joint"]).update(is_live=False)
    report = broken("no half bookings")
    assert f"slot {diary['joint'].pk} is booked with 0 live booking(s)" in report


def test_a_completed_run_missing_targets_is_reported(team):
    run = PublicationRunFactory(organisation=team.organisation, completed=True, total=3)
    assert f"publication run {run.pk} is completed with 3 of 3 done and 0 targets" in broken(
        "unique targets and runs"
    )


def test_a_case_moved_without_its_step_is_reported(diary):
    case = diary["booking"].case
    sql("UPDATE partnership_case SET state = 'in_partnership' WHERE id = %s", [case.pk])
    assert f"case {case.pk} is in_partnership but its steps lead to first_core_booked" in broken(
        "case states"
    )


def test_a_dashboard_figure_that_disagrees_with_the_recount_is_reported(diary, monkeypatch):
    real = quarterly.activities

    def off_by_one(teams, quarters, **kwargs):
        found = real(teams, quarters, **kwargs)
        from dataclasses import replace

        key = next(iter(found))
        found[key] = replace(found[key], accepted_referrals=found[key].accepted_referrals + 1)
        return found

    monkeypatch.setattr(quarterly, "activities", off_by_one)
    assert "accepted referrals is" in broken("dashboards")


def test_a_stored_summary_that_disagrees_with_the_recount_is_reported(diary):
    """Its figures edited behind its back: nothing it counts changed, so it would be shown."""
    from dashboard.models import Summary

    call_command("check_invariants", "--only=dashboards", stdout=StringIO())  # worked out, stored, right
    assert Summary.objects.exists()
    for row in Summary.objects.all():
        row.figures["accepted_referrals"] += 1
        row.save(update_fields=["figures"])
    assert "accepted referrals is" in broken("dashboards")


def test_a_removed_slot_still_holding_time_is_reported(diary):
    """Removed by a write that skipped `diary/slots.py`, which would have freed its time."""
    vacant = diary["vacant"]
    vacant.status = "removed"
    vacant.save(update_fields=["status"])
    assert ClinicianTime.objects.filter(slot=vacant, is_live=True).exists()
    assert f"slot {vacant.pk} (removed, 1 clinician(s)) holds 1 live time row(s)" in broken(
        "slots hold their time"
    )
