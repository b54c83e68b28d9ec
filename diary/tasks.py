"""Celery tasks of the diary. Each takes ids (or nothing), calls one domain function and is safe
to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(acks_late=True)
def drain_outbox() -> int:
    """Send the outbox's due emails. Beat runs it every minute, and writes nudge it after commit."""
    from capa.broker import mark_started
    from diary.outbox import drain  # inside: the worker imports tasks before Django is ready

    mark_started(drain_outbox)  # before draining: a nudge skipped from now on is not missed
    return drain()


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),  # the database restarting: try again, politely
    retry_backoff=5,
    retry_backoff_max=300,  # never scheduled further ahead than the broker's visibility timeout
    max_retries=6,
)
def ensure_next_quarter_published() -> int:
    """Publish next quarter's slot targets if they are due and not yet published; send reminders.

    Beat runs this daily; a late, missed, repeated or concurrent run is harmless because the
    database records what was published and targets are unique per clinician and quarter."""
    from django.utils import timezone

    from capa import health
    from diary.publication import publish_due_targets

    health.record(health.DAILY_CHECK)
    return len(publish_due_targets(today=timezone.localdate()))


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=6,
)
def publish_quarter(organisation_id: int, quarter_label: str, by_id: int | None = None) -> int:
    """ "Publish now" from the admin page: the same idempotent publication, for one quarter."""
    from accounts.models import Organisation, User
    from diary.publication import publish_quarter as publish
    from planning.quarters import Quarter

    organisation = Organisation.objects.get(pk=organisation_id)
    quarter = Quarter.parse(quarter_label, start_month=organisation.financial_year_start_month)
    by = User.objects.filter(pk=by_id).first() if by_id else None
    return publish(organisation=organisation, quarter=quarter, by=by).done
