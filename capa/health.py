"""Is capa well? For load balancers (`/health`) and for admins (a notice when background jobs,
such as confirmation emails and the quarterly publication, are delayed).

The web answers as long as PostgreSQL does: Redis, the worker and beat only carry side effects
that wait in the database (the outbox, publication runs) until they return. So `/health` is 503
only when the database is down, and says "degraded" when the background side is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from capa.models import Heartbeat

WORKER = "worker"
DAILY_CHECK = "daily-check"
# Beat sends the heartbeat every 30 seconds: three missed in a row is not a blip.
WORKER_LATE_AFTER = timedelta(seconds=90)
# The daily check runs at 05:30 UTC: a day and two hours allows for a slow run.
DAILY_CHECK_LATE_AFTER = timedelta(hours=26)
# An email still waiting this long after it was due has not been picked up by a worker.
OUTBOX_LATE_AFTER = timedelta(seconds=90)


def record(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"last_at": timezone.now()})


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: nothing to judge yet (e.g. a daily job on the first day)
    detail: str
    milliseconds: float | None = None

    def as_dict(self) -> dict:
        return {"ok": self.ok, "detail": self.detail, "ms": self.milliseconds}


def _timed(check) -> tuple[object, float]:
    started = time.perf_counter()
    result = check()
    return result, round((time.perf_counter() - started) * 1000, 1)


def database() -> Check:
    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0]

    try:
        _, ms = _timed(select_one)
    except DatabaseError as error:
        return Check("database", False, f"unreachable: {type(error).__name__}")
    return Check("database", True, "answering", ms)


def broker() -> Check:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        _, ms = _timed(client.ping)
    except redis.RedisError as error:
        return Check("redis", False, f"unreachable: {type(error).__name__}")
    finally:
        client.close()
    return Check("redis", True, "answering", ms)


def _age(beats: dict[str, datetime], name: str, now: datetime) -> timedelta | None:
    return now - beats[name] if name in beats else None


def _words(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


def background(now: datetime | None = None) -> list[Check]:
    """The worker's heartbeat and beat's daily check, from one query."""
    now = now or timezone.now()
    beats = dict(Heartbeat.objects.values_list("name", "last_at"))
    checks = []
    age = _age(beats, WORKER, now)
    if age is None:
        checks.append(Check("worker", None, "no heartbeat yet"))
    else:
        checks.append(Check("worker", age <= WORKER_LATE_AFTER, f"last heartbeat {_words(age)}"))
    age = _age(beats, DAILY_CHECK, now)
    if age is None:
        checks.append(Check("beat", None, "the daily check has not run yet"))
    else:
        checks.append(Check("beat", age <= DAILY_CHECK_LATE_AFTER, f"daily check last ran {_words(age)}"))
    return checks


def report() -> tuple[str, list[Check]]:
    """'ok', 'degraded' (the background side is late or down) or 'down' (no database)."""
    db = database()
    if not db.ok:
        return "down", [db]
    checks = [db, broker(), *background()]
    return ("ok" if all(c.ok is not False for c in checks) else "degraded"), checks


def background_jobs_delayed(now: datetime | None = None) -> str | None:
    """Why emails and publication are waiting, in words for an admin, or None if they are not."""
    from diary.models import OutboxEmail, OutboxStatus

    now = now or timezone.now()
    if not broker().ok:
        return "The job queue (Redis) cannot be reached."
    worker = background(now)[0]
    if worker.ok is False:
        return f"No background worker has answered recently ({worker.detail})."
    overdue = OutboxEmail.objects.filter(
        status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED], next_attempt_at__lt=now - OUTBOX_LATE_AFTER
    ).count()
    if overdue:
        return f"{overdue} email{'s' if overdue != 1 else ''} waiting to be sent for over a minute."
    return None
