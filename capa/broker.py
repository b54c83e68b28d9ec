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
"""

from __future__ import annotations

import logging
import os
import threading

logger = logging.getLogger(__name__)

_kept = threading.local()


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
