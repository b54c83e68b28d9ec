"""Emails go out through the outbox: a row written in the same transaction as the change it
reports, sent by the worker after commit, retried with backoff, and shown when stuck.

A web request never waits for the mail server or the broker: after commit it only nudges the
worker, and if Redis is down the beat's regular drain sends the email once it is back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from capa.broker import enqueue_unless_waiting
from capa.templatetags.nhsuk import uk_datetime
from diary.models import Appointment, ClinicianTime, OutboxEmail, OutboxStatus

BATCH = 50
MAX_ATTEMPTS = 8  # with doubling backoff from 1 minute, about 2 hours of retries before "stuck"


def queue_email(*, to: str, subject: str, body: str, about: str = "") -> OutboxEmail | None:
    """Write an email to the outbox (inside the caller's transaction) and nudge the worker after
    commit, once however many emails the transaction queued. People without an email address get
    nothing."""
    if not to:
        return None
    email = OutboxEmail.objects.create(
        to=to, subject=subject, body=body, about=about, next_attempt_at=timezone.now()
    )
    nudge_after_commit()
    return email


def nudge_after_commit() -> None:
    """Nudge the worker once this transaction commits, once however many emails it queued (a
    callback already waiting for this commit is enough; Django discards the list on rollback, so
    nothing is left over to reset)."""
    waiting = transaction.get_connection().run_on_commit
    if not any(entry[1] is nudge_worker for entry in waiting):
        transaction.on_commit(nudge_worker)


def nudge_worker() -> None:
    """Ask the worker to drain the outbox now, unless a drain already asked for has not started
    (it will see this transaction's emails). Never fails or slows the request: if the broker is
    down the beat's every-minute drain sends the email later."""
    from diary.tasks import drain_outbox

    enqueue_unless_waiting(drain_outbox)


def _clinicians(appointment: Appointment):
    return [
        t.clinician
        for t in ClinicianTime.objects.filter(slot__appointment_links__appointment=appointment)
        .defer("during")
        .select_related("clinician")
    ]


ABOUT_APPOINTMENT = "appointment:"  # then the appointment's id


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def booking_confirmations(
    *, appointment: Appointment, venue: str, family_reference: str, clinicians: Sequence[User]
) -> list[Email]:
    """What tells each clinician of a new first Core (or Choice) appointment (no child's name in
    an email: the family reference and a link to the case are enough). People without an email
    address get nothing. The appointment need not be saved yet."""
    label = appointment.get_kind_display()  # "First Core Partnership", "Choice"
    what = label if label == "Choice" else label[0].lower() + label[1:]
    link = settings.CAPA_BASE_URL + reverse(
        "partnership:case-detail", kwargs={"team_id": appointment.team_id, "case_id": appointment.case_id}
    )
    when = uk_datetime(appointment.starts_at)
    return [
        Email(
            to=clinician.email,
            subject=f"New {what} appointment, {when}",
            body=(
                f"Dear {clinician.first_name or clinician},\n\n"
                f"A family (reference {family_reference}) has been booked into your {what} slot on "
                f"{when} at {venue}.\n\n"
                f"See the case: {link}\n\ncapa"
            ),
        )
        for clinician in clinicians
        if clinician.email
    ]


def queue_booking_confirmation(appointment: Appointment) -> None:
    """Queue `booking_confirmations` for a saved appointment."""
    for email in booking_confirmations(
        appointment=appointment,
        venue=str(appointment.venue),
        family_reference=appointment.case.family_reference,
        clinicians=_clinicians(appointment),
    ):
        queue_email(
            to=email.to, subject=email.subject, body=email.body, about=f"{ABOUT_APPOINTMENT}{appointment.pk}"
        )


def queue_cancellation_notice(appointment: Appointment) -> None:
    for clinician in _clinicians(appointment):
        queue_email(
            to=clinician.email,
            subject=f"Cancelled: first Core Partnership appointment, {uk_datetime(appointment.starts_at)}",
            body=(
                f"Dear {clinician.first_name or clinician},\n\n"
                f"The appointment for family reference {appointment.case.family_reference} on "
                f"{uk_datetime(appointment.starts_at)} at {appointment.venue} was "
                f"{appointment.get_status_display().lower()}.\n\ncapa"
            ),
            about=f"{ABOUT_APPOINTMENT}{appointment.pk}",
        )


CLAIM_FOR = timedelta(minutes=10)  # a claimed email not sent by then (its worker died) is due again


def drain(*, now=None, batch: int = BATCH) -> int:
    """Send the emails that are due; return how many were sent.

    Each batch is claimed in a short transaction (SKIP LOCKED, so any number of workers can drain
    at once) by moving its retry time past the claim period; each email is then sent and marked
    on its own, outside any transaction. A worker killed mid-batch leaves at most the one email it
    was sending to go again after the claim expires; everything already marked sent stays sent.
    """
    sent = 0
    while True:
        now_ = now or timezone.now()
        with transaction.atomic():
            due = list(
                OutboxEmail.objects.select_for_update(skip_locked=True)
                .filter(status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED], next_attempt_at__lte=now_)
                .order_by("next_attempt_at", "pk")[:batch]
            )
            OutboxEmail.objects.filter(pk__in=[e.pk for e in due]).update(next_attempt_at=now_ + CLAIM_FOR)
        if not due:
            return sent
        for email in due:
            sent += _send(email, now=now_)
        if len(due) < batch:
            return sent


def _send(email: OutboxEmail, *, now) -> int:
    try:
        send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to])
    except SoftTimeLimitExceeded:
        raise  # the worker is being stopped: the claim expires and the email goes next time
    except Exception as error:  # noqa: BLE001  (a mail server's errors are many; all are retried)
        email.attempts += 1
        email.last_error = f"{type(error).__name__}: {error}"[:2000]
        email.status = OutboxStatus.STUCK if email.attempts >= MAX_ATTEMPTS else OutboxStatus.FAILED
        email.next_attempt_at = now + timedelta(minutes=2 ** (email.attempts - 1))
        email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        return 0
    email.status, email.sent_at = OutboxStatus.SENT, timezone.now()
    email.save(update_fields=["status", "sent_at"])
    return 1
