"""Sending a task from a web request without ever making the request wait on the broker.

By default kombu keeps retrying a broker connection for several seconds before giving up, and
`retry=False` only stops the publish itself from being retried; a booking made while Redis is
down would then take seconds. One attempt on a connection that never retries fails in
milliseconds. The work the task would do is already safe in the database (an outbox row, a
publication run), and a beat job picks it up later, so a failed send is logged, not raised.

Each thread of each process keeps its connection between requests: opening one (connect, then
declare the queue) costs about 4 ms, eight times the publish itself, and every booking sends one.
A kept connection that has gone stale (Redis restarted) fails at once; it is dropped and the send
is tried once more on a fresh connection, which either works or fails fast.

A task that only sweeps up work the database keeps (draining the outbox) need not be sent again
while a send of it still waits for a worker: `enqueue_unless_waiting` marks the send in Redis
and skips further sends until the task starts and drops the mark (`mark_started`). A burst of
bookings then sends one drain, not one each, and a booking pays for one Redis command (about a
tenth of a publish) instead of a publish. ADR 0014 says why this loses no work.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import cache

import redis

logger = logging.getLogger(__name__)

_kept = threading.local()

# How long a "sent, not started yet" mark lasts. It only matters if the task is lost (its worker
# killed before it started); the beat's every-minute sweep sends the work on meanwhile.
WAITING_FOR = 60  # seconds
REDIS_TIMEOUT = 0.5  # seconds: the mark is an optimisation, never worth a slow request


def _key(app) -> tuple:
    # A fork (gunicorn's workers) must not share its parent's socket, and a changed broker URL
    # means another broker.
    return (os.getpid(), id(app), app.conf.broker_url)


def _connection(app):
    """This thread's connection to the broker, opened on first use."""
    if getattr(_kept, "key", None) != _key(app):
        _drop_connection()
        _kept.connection = app.connection_for_write(transport_options={"max_retries": 0})
        _kept.key = _key(app)
    return _kept.connection


def _drop_connection() -> None:
    connection = getattr(_kept, "connection", None)
    _kept.key = _kept.connection = None
    if connection is not None:
        try:
            connection.release()
        except Exception:  # noqa: BLE001  (already broken: nothing more to release)
            logger.debug("could not release a broken broker connection", exc_info=True)


def enqueue_now(task, *args) -> bool:
    """Send `task` with `args` without waiting on the broker; False (and a warning in the log) if
    it is out of reach."""
    for attempt in ("kept", "fresh"):
        fresh = attempt == "fresh" or getattr(_kept, "key", None) != _key(task.app)
        try:
            task.apply_async(args=list(args), retry=False, connection=_connection(task.app))
        except Exception:  # noqa: BLE001  (any broker error: the database keeps the work for later)
            _drop_connection()
            if fresh:
                logger.warning("could not reach the broker to send %s", task.name, exc_info=True)
                return False
            continue
        return True
    return False  # pragma: no cover  (the loop always returns)


def enqueue_unless_waiting(task) -> bool:
    """Send `task` (which takes no arguments) unless an earlier send of it has not started yet.

    Skipping loses no work as long as the task calls `mark_started` before it reads anything: a
    send is skipped only while the mark is set, so the task that dropped it starts reading after
    whatever the skipping caller committed. True if the task was sent or is waiting already.
    """
    try:
        marked = bool(_marks(task.app.conf.broker_url).set(_mark(task), "1", nx=True, ex=WAITING_FOR))
    except Exception:  # noqa: BLE001  (Redis out of reach, or a broker that is not Redis: send anyway)
        logger.debug("could not mark %s as waiting", task.name, exc_info=True)
        return enqueue_now(task)  # fails fast, and logs, if the broker is out of reach too
    if not marked:
        return True
    if enqueue_now(task):
        return True
    _forget(task)  # nothing is waiting after all: the next caller should try to send it again
    return False


def mark_started(task) -> None:
    """Called by the task first thing: sends from now on are sent again (see above)."""
    _forget(task)


def _forget(task) -> None:
    try:
        _marks(task.app.conf.broker_url).delete(_mark(task))
    except Exception:  # noqa: BLE001  (never fails the caller: see below)
        # Left in place, the mark expires in WAITING_FOR; the beat's sweeps send what waits.
        logger.warning("could not clear the waiting mark of %s", task.name, exc_info=True)


def _mark(task) -> str:
    return f"capa:waiting:{task.name}"


@cache
def _marks(url: str) -> redis.Redis:
    # redis-py's pool is thread-safe and opens new connections after a fork (gunicorn's workers).
    return redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
