"""Choice clinicians booking the same slots at the same moment: real threads, each with its own
database connection, real transactions and row locks. Exactly one family gets each slot; nobody
gets half a joint booking; no two bookings deadlock."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection

from diary import booking
from diary.models import Appointment, AppointmentSlot, Slot, SlotStatus
from tests.factories import CaseFactory, SlotFactory, VenueFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db(transaction=True)


class Crowd:
    """N threads that live for the whole test (one database connection each) and, round after
    round, are released together by a barrier to run one action each."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.start = threading.Barrier(size + 1)
        self.done = threading.Barrier(size + 1)
        self.actions: list[Callable[[], object]] = []
        self.results: list[object] = [None] * size
        self.stop = False
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(size)]
        for thread in self.threads:
            thread.start()

    def _run(self, i: int) -> None:
        try:
            while True:
                self.start.wait(timeout=60)
                if self.stop:
                    return
                try:
                    self.results[i] = self.actions[i]()
                except Exception as error:  # noqa: BLE001 - the race's losers are part of the result
                    self.results[i] = error
                self.done.wait(timeout=60)
        finally:
            connection.close()

    def race(self, actions: list[Callable[[], object]]) -> list[object]:
        assert len(actions) == self.size
        self.actions = actions
        self.results = [None] * self.size
        self.start.wait(timeout=60)
        self.done.wait(timeout=120)
        return list(self.results)

    def close(self) -> None:
        self.stop = True
        self.start.wait(timeout=60)
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.fixture
def crowd_of():
    crowds = []

    def make(size: int) -> Crowd:
        crowds.append(Crowd(size))
        return crowds[-1]

    yield make
    for crowd in crowds:
        crowd.close()


def kinds(results: list[object]) -> Counter:
    return Counter(type(result).__name__ for result in results)


def test_fifty_clinicians_booking_one_slot_at_once_give_it_to_exactly_one_family(
    team, choice_clinician, crowd_of
):
    crowd = crowd_of(50)
    venue = VenueFactory(team=team)
    SlotFactory.create_batch(3, team=team, venue=venue)  # somewhere for the losers to go
    for _ in range(25):
        slot = SlotFactory(team=team, venue=venue)
        families = CaseFactory.create_batch(50, team=team, created_by=choice_clinician)

        results = crowd.race(
            [
                partial(booking.book_first_core, slot_ids=[slot.pk], case=case, by=choice_clinician)
                for case in families
            ]
        )

        assert kinds(results) == {"Appointment": 1, "SlotTaken": 49}, results
        assert all(len(r.alternatives) >= 3 for r in results if isinstance(r, booking.SlotTaken))
        assert AppointmentSlot.objects.filter(slot=slot, is_live=True).count() == 1


def test_joint_bookings_sharing_a_clinician_never_both_succeed_and_never_half(
    team, choice_clinician, crowd_of
):
    crowd = crowd_of(2)
    x, y, z = clinician_in(team), clinician_in(team), clinician_in(team)
    venue = VenueFactory(team=team)
    for _ in range(200):
        slot_y = SlotFactory(team=team, venue=venue, clinicians=[y])
        same_time = {"starts_at": slot_y.starts_at, "ends_at": slot_y.ends_at, "team": team, "venue": venue}
        slot_x, slot_z = SlotFactory(clinicians=[x], **same_time), SlotFactory(clinicians=[z], **same_time)
        first, second = CaseFactory(team=team), CaseFactory(team=team)

        results = crowd.race(
            [
                partial(
                    booking.book_first_core, slot_ids=[slot_x.pk, slot_y.pk], case=first, by=choice_clinician
                ),
                partial(
                    booking.book_first_core, slot_ids=[slot_y.pk, slot_z.pk], case=second, by=choice_clinician
                ),
            ]
        )

        assert kinds(results) == {"Appointment": 1, "SlotTaken": 1}, results
        (winner,) = [r for r in results if isinstance(r, Appointment)]
        booked = {s.pk for s in winner.slots.all()}
        now_booked = set(
            Slot.objects.filter(
                pk__in=[slot_x.pk, slot_y.pk, slot_z.pk], status=SlotStatus.BOOKED
            ).values_list("pk", flat=True)
        )
        assert now_booked == booked
        assert len(booked) == 2  # the winner has both clinicians; the loser's other slot is still vacant


def test_the_same_joint_booking_in_opposite_orders_never_deadlocks(team, choice_clinician, crowd_of):
    crowd = crowd_of(2)
    x, y = clinician_in(team), clinician_in(team)
    venue = VenueFactory(team=team)
    for _ in range(500):
        slot_x = SlotFactory(team=team, venue=venue, clinicians=[x])
        slot_y = SlotFactory(
            team=team, venue=venue, clinicians=[y], starts_at=slot_x.starts_at, ends_at=slot_x.ends_at
        )
        first, second = CaseFactory(team=team), CaseFactory(team=team)

        results = crowd.race(
            [
                partial(
                    booking.book_first_core, slot_ids=[slot_x.pk, slot_y.pk], case=first, by=choice_clinician
                ),
                partial(
                    booking.book_first_core, slot_ids=[slot_y.pk, slot_x.pk], case=second, by=choice_clinician
                ),
            ]
        )

        # A deadlock or a lock timeout would surface as OperationalError here.
        assert kinds(results) == {"Appointment": 1, "SlotTaken": 1}, results


def test_a_booking_that_waits_too_long_for_a_busy_slot_is_told_so_and_changes_nothing(team, choice_clinician):
    from django.db import transaction

    from diary.locking import BUSY

    slot = SlotFactory(team=team)
    holding, release = threading.Event(), threading.Event()

    def hold_the_slot():
        try:
            with transaction.atomic():
                Slot.objects.select_for_update().get(pk=slot.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_slot)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        with pytest.raises(booking.DiaryBusy, match=BUSY):
            booking.book_first_core(slot_ids=[slot.pk], case=CaseFactory(team=team), by=choice_clinician)
    finally:
        release.set()
        holder.join(timeout=30)
    assert not Appointment.objects.exists()


def test_a_rebooking_that_waits_for_the_familys_cancellation_books_once_it_commits(
    team, choice_clinician, monkeypatch
):
    """The booking's locking statement reads its snapshot before it waits for the case's lock; the
    cancellation it waits for commits meanwhile. It must book, not refuse on what it saw before."""
    from django.db import connection as this_connection

    from diary import outbox
    from diary.models import AppointmentStatus
    from partnership.models import Case, CaseState

    case = CaseFactory(team=team)
    first = booking.book_first_core(slot_ids=[SlotFactory(team=team).pk], case=case, by=choice_clinician)
    later = SlotFactory(team=team)
    cancelling, release = threading.Event(), threading.Event()
    send_notice = outbox.queue_cancellation_notice

    def notice_then_hold(appointment):  # inside record_outcome's transaction: case and slot locked
        send_notice(appointment)
        if threading.current_thread().name == "cancel":
            cancelling.set()
            release.wait(timeout=30)

    monkeypatch.setattr(outbox, "queue_cancellation_notice", notice_then_hold)
    results: dict[str, object] = {}

    def run(name, action):
        try:
            results[name] = action()
        except Exception as error:  # noqa: BLE001 - reported by the assertions below
            results[name] = error
        finally:
            connection.close()

    cancel = threading.Thread(
        name="cancel",
        target=run,
        args=(
            "cancel",
            lambda: booking.record_outcome(
                appointment=first,
                outcome=AppointmentStatus.CANCELLED_BY_FAMILY,
                reason="Ill",
                by=choice_clinician,
            ),
        ),
    )
    rebook = threading.Thread(
        target=run,
        args=(
            "rebook",
            lambda: booking.book_first_core(
                slot_ids=[later.pk], case=Case.objects.get(pk=case.pk), by=choice_clinician
            ),
        ),
    )
    cancel.start()
    assert cancelling.wait(timeout=10)
    rebook.start()
    try:
        with this_connection.cursor() as cursor:  # the rebooking is waiting for the case's lock
            for _ in range(500):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.01)
            else:
                pytest.fail("the rebooking never waited for the cancellation's lock")
    finally:
        release.set()
        cancel.join(timeout=30)
        rebook.join(timeout=30)

    assert isinstance(results["cancel"], Appointment), results["cancel"]
    assert isinstance(results["rebook"], Appointment), results["rebook"]
    assert list(results["rebook"].slots.values_list("pk", flat=True)) == [later.pk]
    assert Case.objects.get(pk=case.pk).state == CaseState.FIRST_CORE_BOOKED
