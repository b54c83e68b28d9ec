"""Each clinician's diary as a read-only iCalendar feed, for Outlook or any calendar to subscribe to.

The feed's address holds a secret token (`CalendarFeed`): whoever has the address can read the
feed, so resetting the token is how a clinician shuts out an address they shared by mistake.
The feed leaves the NHS network, so it names families by their reference only, never a child.
Times are written in UTC (no VTIMEZONE needed); a 10:00 London slot is 09:00Z in summer.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from icalendar import Calendar, Event, vDuration

from accounts.models import User
from diary.models import (
    CANCELLED,
    HOLDS_ITS_SLOT,
    Appointment,
    CalendarFeed,
    Slot,
    SlotKind,
    SlotStatus,
    TeamSession,
)

PRODID = "-//NHS capa//Partnership diary//EN"
UID_DOMAIN = "capa"
LOOKS_BACK = timedelta(weeks=8)
LOOKS_AHEAD = timedelta(days=366)
REFRESH = timedelta(hours=1)  # a hint; Outlook decides for itself how often it refreshes

VACANT_SUMMARY = {
    SlotKind.FIRST_CORE: "Vacant first Core slot",
    SlotKind.CHOICE: "Vacant Choice slot",
    SlotKind.SPECIFIC: "Vacant Specific Partnership slot",
}


def new_token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic(durable=True)
def ensure_feed(clinician: User) -> CalendarFeed:
    """The clinician's calendar feed, made with a new secret token the first time it is asked for."""
    feed, _ = CalendarFeed.objects.get_or_create(clinician=clinician, defaults={"token": new_token()})
    return feed


@transaction.atomic(durable=True)
def reset_feed(clinician: User) -> CalendarFeed:
    """Give the clinician's feed a new secret token: the old address stops working at once."""
    feed, _ = CalendarFeed.objects.update_or_create(clinician=clinician, defaults={"token": new_token()})
    return feed


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _event(*, uid: str, starts_at: datetime, ends_at: datetime, summary: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", _utc(starts_at))
    event.add("dtend", _utc(ends_at))
    event.add("summary", summary)
    event.add("transp", "OPAQUE")  # the time is taken
    return event


def feed_for(clinician: User, *, now: datetime | None = None) -> bytes:
    """The clinician's appointments, vacant slots and team sessions from 8 weeks ago to a year ahead,
    as an iCalendar file. Cancelled appointments and sessions stay in, marked CANCELLED, so a
    calendar that already shows them takes them out."""
    now = now or timezone.now()
    stamp = _utc(now).replace(microsecond=0)
    window = {"starts_at__gte": now - LOOKS_BACK, "starts_at__lt": now + LOOKS_AHEAD}

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"capa diary: {clinician}")
    calendar.add("x-wr-caldesc", "Appointments, vacant slots and team sessions from capa. Read-only.")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # An x-property is text to icalendar: written as a duration by hand (PT1H), or it would be "1:00:00".
    calendar.add("x-published-ttl", vDuration(REFRESH).to_ical().decode())

    appointments = (
        Appointment.objects.filter(
            # Booked into a slot of theirs, or an appointment after the first holding their time.
            Q(slot_links__slot__times__clinician=clinician) | Q(times__clinician=clinician),
            status__in=[*HOLDS_ITS_SLOT, *CANCELLED],
            **window,
        )
        .select_related("case", "venue")
        .distinct()
        .order_by("starts_at", "pk")
    )
    for appointment in appointments:
        event = _event(
            uid=f"appointment-{appointment.pk}",
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            summary=f"{appointment.get_kind_display()}: family {appointment.case.family_reference}",
            stamp=stamp,
        )
        event.add("location", appointment.venue.name)
        event.add("status", "CANCELLED" if appointment.status in CANCELLED else "CONFIRMED")
        event.add(
            "class", "PRIVATE"
        )  # a family's appointment: hidden from anyone the calendar is shared with
        calendar.add_component(event)

    vacant = (
        Slot.objects.filter(
            times__clinician=clinician, times__is_live=True, status=SlotStatus.VACANT, **window
        )
        .select_related("venue")
        .distinct()
        .order_by("starts_at", "pk")
    )
    for slot in vacant:
        event = _event(
            uid=f"slot-{slot.pk}",
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            summary=VACANT_SUMMARY.get(slot.kind, "Vacant slot"),
            stamp=stamp,
        )
        event.add("location", slot.venue.name)
        event.add("status", "CONFIRMED")
        calendar.add_component(event)

    sessions = (
        TeamSession.objects.filter(times__clinician=clinician, **window)
        .select_related("venue")
        .distinct()
        .order_by("starts_at", "pk")
    )
    for session in sessions:
        event = _event(
            uid=f"team-session-{session.pk}",
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            summary=str(session),
            stamp=stamp,
        )
        if session.title:
            event.add("description", session.get_kind_display())
        if session.venue is not None:
            event.add("location", session.venue.name)
        event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
        calendar.add_component(event)

    return calendar.to_ical()
