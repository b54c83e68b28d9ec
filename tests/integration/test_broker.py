"""A web request sends a task on a connection kept between requests, and never waits on a broker
that is gone: a stale kept connection is replaced once, an unreachable broker is a quick False."""

from __future__ import annotations

import time

import pytest
from kombu import Connection

from capa import broker
from capa.celery import app as celery_app
from diary.tasks import drain_outbox


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
