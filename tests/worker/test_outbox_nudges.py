"""Bookings nudge a real worker through a real Redis to send their emails at once, and a burst of
them shares drains (a drain is not sent again while one sent has not started): with no beat to
sweep up, every email of a burst still goes within seconds, whenever its booking committed
against the drains the worker was running."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.db import connection

from diary import booking
from diary.models import OutboxEmail, OutboxStatus
from tests.factories import CaseFactory, SlotFactory
from tests.factories.diary import clinician_in
from tests.worker.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

BOOKERS = 4
BOOKINGS_EACH = 10
PROMPTLY = 15  # seconds for the last email of the burst to go; the beat's sweep would take 60


def test_every_email_of_a_burst_of_bookings_goes_at_once_without_the_beat(celery, team, choice_clinician):
    worker = celery.worker()
    clinicians = [clinician_in(team) for _ in range(BOOKERS)]
    bookings = [
        [
            (SlotFactory(team=team, clinicians=[clinician]), CaseFactory(team=team))
            for _ in range(BOOKINGS_EACH)
        ]
        for clinician in clinicians
    ]
    failures: list[BaseException] = []

    def book(mine) -> None:
        try:
            for slot, case in mine:
                booking.book_first_core(slot_ids=[slot.pk], case=case, by=choice_clinician)
                time.sleep(0.005)  # a little apart, so drains start while others are booking
        except BaseException as error:  # noqa: BLE001  (reported by the test below)
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(mine,)) for mine in bookings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    written = BOOKERS * BOOKINGS_EACH

    def all_sent() -> bool:
        return OutboxEmail.objects.filter(status=OutboxStatus.SENT).count() == written

    wait_for(all_sent, timeout=PROMPTLY, interval=0.2, what=f"the {written} emails to go")
    drains = len(re.findall(r"Task diary\.tasks\.drain_outbox\[[^]]+\] received", worker.output()))
    print(f"{written} bookings, {drains} drains")
    assert OutboxEmail.objects.exclude(status=OutboxStatus.SENT).count() == 0
    assert 1 <= drains < written  # shared: a nudge each would be one drain a booking
