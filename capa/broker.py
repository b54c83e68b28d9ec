"""Sending a task from a web request without ever making the request wait on the broker.

By default kombu keeps retrying a broker connection for several seconds before giving up, and
`retry=False` only stops the publish itself from being retried; a booking made while Redis is
down would then take seconds. One attempt on a connection of its own fails in milliseconds. The
work the task would do is already safe in the database (an outbox row, a publication run), and a
beat job picks it up later, so a failed send is logged, not raised.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def enqueue_now(task, *args) -> bool:
    """Send `task` with `args` in one attempt; False (and a warning in the log) if the broker is
    out of reach."""
    try:
        with task.app.connection_for_write(transport_options={"max_retries": 0}) as connection:
            task.apply_async(args=list(args), retry=False, connection=connection)
    except Exception:  # noqa: BLE001  (any broker error: the database keeps the work for later)
        logger.warning("could not reach the broker to send %s", task.name, exc_info=True)
        return False
    return True
