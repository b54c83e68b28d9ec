"""Redis is a broker only: with it stopped, booking a slot and saving a job plan still succeed
straight away, and the booking's email waits in the outbox until the beat's every-minute drain
sends it once Redis is back."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.utils import timezone

from diary import booking
from diary.models import OutboxEmail, OutboxStatus
from planning import job_plans
from planning.models import Activity, JobPlan
from tests.factories import CaseFactory, SlotFactory
from tests.worker.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

AT_ONCE = 2.0  # seconds: what a person at a screen still calls "at once"
BEAT_EVERY = 60  # seconds between the beat's drain-outbox sends (capa/celery.py)
MARGIN = 15  # seconds for the worker to reconnect to Redis and send the mail


def timed(action):
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def book_a_slot(team, clinician):
    slot = SlotFactory(team=team, clinicians=[clinician])
    case = CaseFactory(team=team)
    return lambda: booking.book_first_core(slot_ids=[slot.pk], case=case, by=clinician)


def save_a_plan(team, clinician, lead):
    hours = {(Activity.CORE, None): Decimal("10.5"), (Activity.OTHER, None): Decimal("27")}
    return lambda: job_plans.save_plan(
        clinician=clinician,
        team=team,
        effective_from=timezone.localdate().replace(day=1),
        hours=hours,
        by=lead,
    )


def test_with_redis_stopped_saving_a_job_plan_succeeds_at_once(broker, team, choice_clinician, team_lead):
    save = save_a_plan(team, choice_clinician, team_lead)
    broker.stop()

    plan, seconds = timed(save)

    broker.start()
    assert JobPlan.objects.filter(pk=plan.pk, clinician=choice_clinician).exists()
    assert seconds < AT_ONCE, f"saving a job plan took {seconds:.1f} s with Redis stopped"


def test_with_redis_stopped_booking_a_slot_succeeds_at_once(broker, team, choice_clinician):
    book = book_a_slot(team, choice_clinician)
    broker.stop()

    appointment, seconds = timed(book)

    broker.start()
    assert appointment.pk is not None
    assert OutboxEmail.objects.filter(
        about=f"appointment:{appointment.pk}", status=OutboxStatus.PENDING
    ).exists()
    assert seconds < AT_ONCE, f"booking took {seconds:.1f} s with Redis stopped"


def test_mail_written_while_redis_was_stopped_goes_out_within_a_minute_of_redis_returning(
    celery, team, choice_clinician, team_lead, other_connection
):
    celery.worker()
    celery.beat()  # its first drain-outbox goes 60 s after it starts, then every 60 s
    book = book_a_slot(team, choice_clinician)
    save = save_a_plan(team, choice_clinician, team_lead)
    celery.redis_server.stop()

    appointment, booking_seconds = timed(book)
    _, saving_seconds = timed(save)
    print(f"with Redis stopped: booking took {booking_seconds:.1f} s, saving a plan {saving_seconds:.1f} s")
    assert max(booking_seconds, saving_seconds) < AT_ONCE
    about = f"appointment:{appointment.pk}"

    def statuses():
        return other_connection.all("SELECT status FROM diary_outboxemail WHERE about = %s", (about,))

    assert statuses() == [("pending",)]  # one email, to the one clinician, waiting
    time.sleep(3)  # long enough for the worker to notice Redis has gone and start retrying
    assert statuses() == [("pending",)]

    celery.redis_server.start()
    returned = time.monotonic()

    wait_for(
        lambda: statuses() == [("sent",)], timeout=BEAT_EVERY + MARGIN, interval=0.5, what="the email to go"
    )
    print(f"sent {time.monotonic() - returned:.1f} s after Redis returned")
