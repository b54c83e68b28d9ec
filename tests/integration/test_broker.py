"""A web request sends a task on a connection kept between requests, and never waits on a broker
that is gone: a stale kept connection is replaced once, an unreachable broker is a quick False. A
drain of the outbox is not sent again while one sent is still waiting for a worker."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
import redis
from kombu import Connection

from capa import broker
from capa.celery import app as celery_app
from diary.tasks import drain_outbox

PRIVATE_REDIS_DATABASE = 12  # and 13 for the second xdist worker: no other test uses them


@pytest.fixture(autouse=True)
def no_kept_connection():
    broker._drop_connection()
    yield
    broker._drop_connection()


def test_the_connection_is_kept_between_sends():
    assert broker.enqueue_now(drain_outbox)
    kept = broker._kept.connection
    assert broker.enqueue_now(drain_outbox)
    assert broker._kept.connection is kept


def test_a_stale_kept_connection_is_replaced_and_the_task_still_goes():
    assert broker.enqueue_now(drain_outbox)
    # As after Redis restarted: the kept connection no longer reaches anything.
    stale = Connection("redis://127.0.0.1:1/0", transport_options={"max_retries": 0})
    broker._kept.connection = stale

    assert broker.enqueue_now(drain_outbox)
    assert broker._kept.connection is not stale


def test_an_unreachable_broker_is_a_quick_false(monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    started = time.monotonic()
    assert broker.enqueue_now(drain_outbox) is False
    assert time.monotonic() - started < 3  # one refused connection each try, no kombu retries
    assert broker._kept.connection is None


@pytest.fixture
def queue(monkeypatch, worker_id):
    """The broker moved to a Redis database of this test process's own (the main group's two
    xdist workers share REDIS_URL's, and their bookings nudge through it), emptied before and
    after: its default queue is the list named "celery"."""
    index = PRIVATE_REDIS_DATABASE + (int(worker_id.removeprefix("gw")) if worker_id.startswith("gw") else 0)
    url = urlsplit(celery_app.conf.broker_url)._replace(path=f"/{index}").geturl()
    monkeypatch.setattr(celery_app.conf, "broker_url", url)
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_a_drain_is_not_sent_again_while_one_sent_has_not_started(queue):
    assert broker.enqueue_unless_waiting(drain_outbox)
    assert broker.enqueue_unless_waiting(drain_outbox)
    assert queue.llen("celery") == 1

    broker.mark_started(drain_outbox)  # a worker has taken it: what is written from now on needs another
    assert broker.enqueue_unless_waiting(drain_outbox)
    assert queue.llen("celery") == 2


def test_the_drain_task_drops_the_mark_before_it_drains(queue, monkeypatch):
    from diary import outbox

    marks_when_draining = []

    def drain():
        marks_when_draining.append(queue.exists(broker._mark(drain_outbox)))

    monkeypatch.setattr(outbox, "drain", drain)
    broker.enqueue_unless_waiting(drain_outbox)

    drain_outbox.run()

    assert marks_when_draining == [0]


def test_a_send_that_fails_leaves_no_mark_behind(queue, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(broker, "enqueue_now", lambda task: False)
        assert broker.enqueue_unless_waiting(drain_outbox) is False
    assert not queue.exists(broker._mark(drain_outbox))

    assert broker.enqueue_unless_waiting(drain_outbox)
    assert queue.llen("celery") == 1


def test_a_mark_left_by_a_lost_task_expires(queue):
    broker.enqueue_unless_waiting(drain_outbox)
    assert 0 < queue.ttl(broker._mark(drain_outbox)) <= broker.WAITING_FOR


def test_a_broker_that_is_not_redis_still_gets_the_task_sent(queue, monkeypatch):
    sent = []
    monkeypatch.setattr(celery_app.conf, "broker_url", "memory://")  # no Redis to mark in
    monkeypatch.setattr(broker, "enqueue_now", lambda task: sent.append(task.name) or True)

    assert broker.enqueue_unless_waiting(drain_outbox)
    broker.mark_started(drain_outbox)  # nothing to drop: no error either
    assert sent == [drain_outbox.name]


def test_an_unreachable_redis_is_a_quick_false_for_a_drain_too(monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    started = time.monotonic()
    assert broker.enqueue_unless_waiting(drain_outbox) is False
    assert time.monotonic() - started < 3
