"""Diary factories. Times are aware, in London, and in the future (so slots are bookable); a
slot's clinicians and venue belong to its team."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from diary.models import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    CalendarFeed,
    ClinicianTime,
    OutboxEmail,
    SessionKind,
    Slot,
    SlotKind,
    SlotStatus,
    TeamSession,
)
from tests.factories.accounts import (
    ClinicianProfileFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    VenueFactory,
)
from tests.factories.partnership import CaseFactory

LONDON = ZoneInfo("Europe/London")


def next_weekday_at(hour: int, minute: int = 0, *, weeks_ahead: int = 2) -> datetime:
    """A Tuesday a few weeks ahead at a wall-clock time in London."""
    today = timezone.localdate() + timedelta(weeks=weeks_ahead)
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7)
    return datetime.combine(tuesday, datetime.min.time().replace(hour=hour, minute=minute), tzinfo=LONDON)


def clinician_in(team, **profile):
    membership = MembershipFactory(team=team)
    ClinicianProfileFactory(user=membership.user, **profile)
    return membership.user


class SlotFactory(DjangoModelFactory):
    """A vacant first Core slot for one clinician of the team (`clinicians=[a, b]` for joint work)."""

    class Meta:
        model = Slot
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    kind = SlotKind.FIRST_CORE
    starts_at = factory.Sequence(lambda n: next_weekday_at(9) + timedelta(hours=n % 8, weeks=n // 8))
    ends_at = factory.LazyAttribute(lambda slot: slot.starts_at + timedelta(hours=1))
    venue = factory.LazyAttribute(lambda slot: VenueFactory(team=slot.team))
    status = SlotStatus.VACANT
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def clinicians(slot, create, extracted, **kwargs):
        if not create:
            return
        for clinician in [clinician_in(slot.team)] if extracted is None else extracted:
            ClinicianTime.objects.create(
                clinician=clinician,
                slot=slot,
                during=(slot.starts_at, slot.ends_at),
                is_live=slot.status != "removed",
            )


class ClinicianTimeFactory(DjangoModelFactory):
    class Meta:
        model = ClinicianTime

    slot = factory.SubFactory(SlotFactory, clinicians=[])
    clinician = factory.LazyAttribute(lambda time: clinician_in(time.slot.team))
    during = factory.LazyAttribute(lambda time: (time.slot.starts_at, time.slot.ends_at))


class TeamSessionFactory(DjangoModelFactory):
    class Meta:
        model = TeamSession

    team = factory.SubFactory(TeamFactory)
    kind = SessionKind.TEAM_MEETING
    starts_at = factory.LazyFunction(lambda: next_weekday_at(13, weeks_ahead=3))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + timedelta(hours=1))
    created_by = factory.SubFactory(UserFactory)


class AppointmentFactory(DjangoModelFactory):
    """A first Core appointment booked into a slot of its own; `dna=True`, `attended=True` traits."""

    class Meta:
        model = Appointment
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    case = factory.LazyAttribute(lambda a: CaseFactory(team=a.team))
    kind = SlotKind.FIRST_CORE
    starts_at = factory.LazyFunction(lambda: next_weekday_at(11, weeks_ahead=4))
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + timedelta(hours=1))
    venue = factory.LazyAttribute(lambda a: VenueFactory(team=a.team))
    booked_by = factory.SubFactory(UserFactory)
    booked_at = factory.LazyFunction(timezone.now)

    class Params:
        dna = factory.Trait(
            status=AppointmentStatus.DNA,
            outcome_by=factory.SubFactory(UserFactory),
            outcome_at=factory.LazyFunction(timezone.now),
        )
        attended = factory.Trait(
            status=AppointmentStatus.ATTENDED,
            outcome_by=factory.SubFactory(UserFactory),
            outcome_at=factory.LazyFunction(timezone.now),
        )

    @factory.post_generation
    def slots(appointment, create, extracted, **kwargs):
        if not create:
            return
        for slot in (
            extracted
            if extracted is not None
            else [
                SlotFactory(
                    team=appointment.team,
                    venue=appointment.venue,
                    starts_at=appointment.starts_at,
                    ends_at=appointment.ends_at,
                    status=SlotStatus.BOOKED,
                )
            ]
        ):
            AppointmentSlot.objects.create(
                appointment=appointment, slot=slot, is_live=appointment.holds_its_slot
            )


class AppointmentSlotFactory(DjangoModelFactory):
    class Meta:
        model = AppointmentSlot

    appointment = factory.SubFactory(AppointmentFactory, slots=[])
    slot = factory.LazyAttribute(
        lambda link: SlotFactory(
            team=link.appointment.team,
            venue=link.appointment.venue,
            starts_at=link.appointment.starts_at,
            ends_at=link.appointment.ends_at,
            status=SlotStatus.BOOKED,
        )
    )


class OutboxEmailFactory(DjangoModelFactory):
    class Meta:
        model = OutboxEmail

    to = "tom.baker@example.nhs.uk"
    subject = "New first Core Partnership appointment"
    body = "A family has been booked."
    next_attempt_at = factory.LazyFunction(timezone.now)


class CalendarFeedFactory(DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    clinician = factory.SubFactory(UserFactory)
    token = factory.Sequence(lambda n: f"feed-token-{n:040d}")
