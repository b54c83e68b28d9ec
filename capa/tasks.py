"""Celery tasks of capa itself."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Beat sends this every 30 seconds (each expiring before the next is due); a worker running
    it proves beat, the broker and a worker are all up. `/health` and the admins' notice read it."""
    from capa import health

    health.record(health.WORKER)
