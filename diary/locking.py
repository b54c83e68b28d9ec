"""Waiting for a busy row must end in a clear answer, not a hang or a server error.

Every diary write sets a short lock timeout inside its transaction; if another booking holds the
row longer than that, PostgreSQL gives up with LockNotAvailable, and `polite_when_busy` turns that
into the domain's own error with a message to show.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.db import OperationalError, connection
from psycopg2 import errors

LOCK_TIMEOUT = "3s"
# The first key of the transaction-scoped advisory locks that queue writes to one clinician's diary.
DIARY_LOCKS = 7001
BUSY = "The diary is busy. Wait a moment and try again: nothing has been changed."


def set_lock_timeout() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


def lock_diaries(clinicians) -> None:
    """Queue this transaction's writes to these clinicians' diaries behind any others, always in
    the same order. Two overlapping inserts would otherwise each wait on the other's exclusion
    check, and PostgreSQL would end one with a deadlock; with the queue, the clash check that
    follows sees everything committed before it."""
    with connection.cursor() as cursor:
        for pk in sorted({clinician.pk for clinician in clinicians}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [DIARY_LOCKS, pk])


def polite_when_busy(make_error: Callable[[str], Exception]):
    """Wrap a durable domain function (outside its transaction) so a lock timeout raises
    `make_error(BUSY)` instead of OperationalError."""

    def decorate(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except OperationalError as error:
                if isinstance(error.__cause__, errors.LockNotAvailable | errors.DeadlockDetected):
                    raise make_error(BUSY) from error
                raise

        return wrapper

    return decorate
