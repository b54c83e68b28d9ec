"""Clinicians put their vacant first Core slots in the diary: one at a time or as a pattern, never
on a bank holiday or an absence, never overlapping, all or nothing."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership
from capa import invariants
from diary import booking, slots
from diary.models import AppointmentStatus, ClinicianTime, Slot, SlotStatus
from planning.quarters import Quarter
from tests.factories import AbsenceFactory, CaseFactory, SlotFactory, VenueFactory
from tests.factories.diary import clinician_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("before_2027")]
Q1_2027 = Quarter(2027, 1)  # April to June 2027: early May (3rd) and spring (31st) bank holidays


def mondays_of_q1():
    return slots.pattern_days(weekday=0, first_day=Q1_2027.start, last_day=Q1_2027.end)


def test_a_pattern_over_a_quarter_skips_the_bank_holidays(team, team_lead):
    clinician, venue = clinician_in(team), VenueFactory(team=team)
    made, preview = slots.put_in_pattern(
        team=team,
        clinicians=[clinician],
        venue=venue,
        days=mondays_of_q1(),
        start=time(10),
        end=time(11),
        by=team_lead,
    )
    assert [s.day for s in preview.skipped] == [date(2027, 5, 3), date(2027, 5, 31)]
    assert "bank holiday" in preview.skipped[0].reason
    assert len(made) == len(mondays_of_q1()) - 2 == 11
    assert all(timezone.localtime(s.starts_at).time() == time(10) for s in made)


def test_a_pattern_skips_the_clinicians_absence(team, team_lead):
    clinician = clinician_in(team)
    AbsenceFactory(team=team, clinician=clinician, starts_on=date(2027, 6, 1), ends_on=None)
    preview = slots.preview_pattern(
        team=team, clinicians=[clinician], days=mondays_of_q1(), start=time(10), end=time(11)
    )
    assert {s.day for s in preview.skipped} >= {date(2027, 6, 7), date(2027, 6, 14), date(2027, 6, 28)}
    assert "away" in preview.skipped[-1].reason


def one_slot_on(day: date) -> list[slots.SlotTimes]:
    return [slots.SlotTimes(slots.at(day, time(10)), slots.at(day, time(11)))]


def test_one_slot_on_a_bank_holiday_is_refused_and_creates_nothing(team, team_lead):
    clinician, venue = clinician_in(team), VenueFactory(team=team)
    with pytest.raises(slots.SlotError, match="Mon 3 May 2027, bank holiday") as refused:
        slots.put_in_slots(
            team=team, clinicians=[clinician], venue=venue, times=one_slot_on(date(2027, 5, 3)), by=team_lead
        )
    assert refused.value.field == "day"
    assert not Slot.objects.exists()


def test_one_joint_slot_in_either_clinicians_absence_is_refused(team, team_lead):
    clinician, colleague, venue = clinician_in(team), clinician_in(team), VenueFactory(team=team)
    AbsenceFactory(team=team, clinician=colleague, starts_on=date(2027, 6, 1), ends_on=date(2027, 6, 30))
    with pytest.raises(slots.SlotError, match=f"{colleague} away"):
        slots.put_in_slots(
            team=team,
            clinicians=[clinician, colleague],
            venue=venue,
            times=one_slot_on(date(2027, 6, 7)),
            by=team_lead,
        )
    assert not Slot.objects.exists()
    made = slots.put_in_slots(
        team=team,
        clinicians=[clinician, colleague],
        venue=venue,
        times=one_slot_on(date(2027, 7, 5)),
        by=team_lead,
    )
    assert len(made) == 1


def test_an_overlapping_pattern_is_refused_with_the_dates_listed_and_creates_nothing(team, team_lead):
    clinician, venue = clinician_in(team), VenueFactory(team=team)
    slots.put_in_slots(
        team=team,
        clinicians=[clinician],
        venue=venue,
        times=[
            slots.SlotTimes(
                slots.at(date(2027, 4, 12), time(10, 30)), slots.at(date(2027, 4, 12), time(11, 30))
            )
        ],
        by=team_lead,
    )
    before = (Slot.objects.count(), ClinicianTime.objects.count())
    with pytest.raises(slots.SlotError, match="Mon 12 Apr 2027 at 10:00") as refused:
        slots.put_in_pattern(
            team=team,
            clinicians=[clinician],
            venue=venue,
            days=mondays_of_q1(),
            start=time(10),
            end=time(11),
            by=team_lead,
        )
    assert len(refused.value.clashes) == 1
    assert (Slot.objects.count(), ClinicianTime.objects.count()) == before


def test_back_to_back_is_allowed_and_a_one_minute_overlap_is_not(team, team_lead):
    clinician, venue = clinician_in(team), VenueFactory(team=team)
    day = date(2027, 4, 13)

    def put_in(start, end):
        return slots.put_in_slots(
            team=team,
            clinicians=[clinician],
            venue=venue,
            times=[slots.SlotTimes(slots.at(day, start), slots.at(day, end))],
            by=team_lead,
        )

    put_in(time(10), time(11))
    put_in(time(11), time(12))
    with pytest.raises(slots.SlotError, match="clash"):
        put_in(time(11, 59), time(13))


@pytest.mark.parametrize("day", [date(2027, 3, 28), date(2027, 10, 31)])
def test_slots_on_the_2027_clock_change_days_keep_their_wall_clock_times(team, team_lead, day):
    clinician, venue = clinician_in(team), VenueFactory(team=team)
    (slot,) = slots.put_in_slots(
        team=team,
        clinicians=[clinician],
        venue=venue,
        times=[slots.SlotTimes(slots.at(day, time(10)), slots.at(day, time(11)))],
        by=team_lead,
    )
    slot.refresh_from_db()
    assert timezone.localtime(slot.starts_at).time() == time(10)
    assert slot.ends_at - slot.starts_at == timedelta(hours=1)


def test_only_a_vacant_slot_can_be_removed_and_its_time_is_freed(team, team_lead):
    slot = SlotFactory(team=team)
    slots.remove_slot(slot=slot, by=team_lead)
    slot.refresh_from_db()
    assert slot.status == SlotStatus.REMOVED
    assert not ClinicianTime.objects.filter(slot=slot, is_live=True).exists()
    with pytest.raises(slots.SlotError, match="Only a vacant slot"):
        slots.remove_slot(slot=slot, by=team_lead)


def test_a_removed_slot_is_put_back_vacant_while_its_time_is_still_to_come_and_free(team, team_lead):
    clinician = clinician_in(team)
    slot = SlotFactory(team=team, clinicians=[clinician])
    slots.remove_slot(slot=slot, by=team_lead)
    slots.put_back(slot=slot, by=team_lead)
    slot.refresh_from_db()
    assert slot.status == SlotStatus.VACANT
    assert list(ClinicianTime.objects.filter(slot=slot).values_list("is_live", flat=True)) == [True]
    with pytest.raises(slots.SlotError, match="in the diary already"):
        slots.put_back(slot=slot, by=team_lead)

    # Its time taken since by another slot of the clinician's: refused, the dates named, nothing changed.
    slots.remove_slot(slot=slot, by=team_lead)
    SlotFactory(
        team=team,
        clinicians=[clinician],
        starts_at=slot.starts_at + timedelta(minutes=30),
        ends_at=slot.ends_at + timedelta(minutes=30),
    )
    with pytest.raises(slots.SlotError, match="clash with something already in the diary") as refused:
        slots.put_back(slot=slot, by=team_lead)
    assert refused.value.clashes == [slot.starts_at]
    slot.refresh_from_db()
    assert slot.status == SlotStatus.REMOVED
    assert not ClinicianTime.objects.filter(slot=slot, is_live=True).exists()


def test_a_joint_slot_is_put_back_with_both_clinicians_time(team, team_lead):
    pair = [clinician_in(team), clinician_in(team)]
    slot = SlotFactory(team=team, clinicians=pair)
    slots.remove_slot(slot=slot, by=team_lead)
    slots.put_back(slot=slot, by=team_lead)
    assert set(ClinicianTime.objects.filter(slot=slot, is_live=True).values_list("clinician", flat=True)) == {
        clinician.pk for clinician in pair
    }
    assert all(invariant.holds for invariant in invariants.check(only=["slots hold their time"]))


def test_a_clash_only_the_constraint_sees_is_refused_as_a_clash_not_a_server_error(
    team, team_lead, monkeypatch
):
    """The backstop for a writer that skipped the diary locks: the exclusion constraint fires."""
    clinician = clinician_in(team)
    slot = SlotFactory(team=team, clinicians=[clinician])
    slots.remove_slot(slot=slot, by=team_lead)
    SlotFactory(team=team, clinicians=[clinician], starts_at=slot.starts_at, ends_at=slot.ends_at)
    monkeypatch.setattr(slots, "clashes_with_diary", lambda **_: [])
    with pytest.raises(slots.SlotError, match="clash with something already in the diary"):
        slots.put_back(slot=slot, by=team_lead)
    slot.refresh_from_db()
    assert slot.status == SlotStatus.REMOVED


def test_a_removed_slot_whose_time_has_passed_or_whose_clinician_left_stays_removed(team, team_lead):
    clinician = clinician_in(team)
    passed, leaving = SlotFactory(team=team, clinicians=[clinician]), SlotFactory(team=team)
    for slot in (passed, leaving):
        slots.remove_slot(slot=slot, by=team_lead)
    Slot.objects.filter(pk=passed.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    with pytest.raises(slots.SlotError, match="time has passed"):
        slots.put_back(slot=passed, by=team_lead)
    leaver = ClinicianTime.objects.get(slot=leaving).clinician
    Membership.objects.filter(user=leaver, team=team).delete()
    with pytest.raises(slots.SlotError, match="team's own clinicians"):
        slots.put_back(slot=leaving, by=team_lead)
    assert set(Slot.objects.filter(pk__in=[passed.pk, leaving.pk]).values_list("status", flat=True)) == {
        SlotStatus.REMOVED
    }


def test_a_removed_re_offer_is_not_put_back_once_the_lost_appointment_is_re_offered_again(
    team, team_lead, choice_clinician
):
    slot = SlotFactory(team=team, starts_at=timezone.now() + timedelta(hours=3))
    lost = booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)
    booking.record_outcome(appointment=lost, outcome=AppointmentStatus.CANCELLED_BY_SERVICE, by=team_lead)
    first = booking.reoffer(appointment=lost, by=team_lead)
    slots.remove_slot(slot=first, by=team_lead)
    booking.reoffer(appointment=lost, by=team_lead)
    with pytest.raises(slots.SlotError, match="re-offered in another slot since"):
        slots.put_back(slot=first, by=team_lead)
    first.refresh_from_db()
    assert first.status == SlotStatus.REMOVED


def test_slots_in_the_past_or_of_silly_lengths_are_refused(team, team_lead):
    clinician, venue = clinician_in(team), VenueFactory(team=team)
    now = timezone.now()
    for start, end, message in [
        (now - timedelta(hours=2), now - timedelta(hours=1), "in the future"),
        (now + timedelta(days=1), now + timedelta(days=1, minutes=10), "at least 15 minutes"),
        (now + timedelta(days=1), now + timedelta(days=1, hours=5), "4 hours or shorter"),
    ]:
        with pytest.raises(slots.SlotError, match=message):
            slots.put_in_slots(
                team=team,
                clinicians=[clinician],
                venue=venue,
                times=[slots.SlotTimes(start, end)],
                by=team_lead,
            )


def test_a_pattern_starting_in_the_past_skips_the_past_days(team):
    clinician = clinician_in(team)
    today = timezone.localdate()
    days = [today - timedelta(days=7), today + timedelta(days=7)]
    preview = slots.preview_pattern(
        team=team, clinicians=[clinician], days=days, start=time(10), end=time(11)
    )
    assert [s.reason for s in preview.skipped][:1] == ["in the past"]
    assert len(preview.slots) <= 1


def test_slots_go_only_in_the_teams_own_clinicians_diaries(team, other_team, team_lead):
    from tests.factories.diary import clinician_in as member

    with pytest.raises(slots.SlotError, match="team's own clinicians"):
        slots.put_in_slots(
            team=team,
            clinicians=[member(other_team)],
            venue=VenueFactory(team=team),
            times=[
                slots.SlotTimes(
                    timezone.now() + timedelta(days=2), timezone.now() + timedelta(days=2, hours=1)
                )
            ],
            by=team_lead,
        )


def test_a_pattern_previewed_for_one_venue_kind_or_colleague_is_not_saved_for_another(team, team_lead):
    from diary.models import SlotKind

    clinician, colleague = clinician_in(team), clinician_in(team)
    riverside, school = VenueFactory(team=team), VenueFactory(team=team)
    pattern = {"team": team, "days": mondays_of_q1(), "start": time(16), "end": time(17)}
    seen = slots.preview_pattern(clinicians=[clinician], venue=riverside, kind=SlotKind.FIRST_CORE, **pattern)

    for changed in (
        {"clinicians": [clinician], "venue": school, "kind": SlotKind.FIRST_CORE},
        {"clinicians": [clinician], "venue": riverside, "kind": SlotKind.CHOICE},
        {"clinicians": [clinician, colleague], "venue": riverside, "kind": SlotKind.FIRST_CORE},
    ):
        with pytest.raises(slots.SlotError, match="changed since the preview"):
            slots.put_in_pattern(**pattern, **changed, by=team_lead, previewed=seen.fingerprint)
    assert not Slot.objects.exists()

    made, _ = slots.put_in_pattern(
        **pattern,
        clinicians=[clinician],
        venue=riverside,
        kind=SlotKind.FIRST_CORE,
        by=team_lead,
        previewed=seen.fingerprint,
    )
    assert len(made) == 11
