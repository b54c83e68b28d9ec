"""Celery tasks of the diary. Each takes ids (or nothing), calls one domain function and is safe
to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def drain_outbox() -> int:
    """Send the outbox's due emails. Beat runs it every minute, and writes nudge it after commit."""
    from diary.outbox import drain  # inside: the worker imports tasks before Django is ready

    return drain()
