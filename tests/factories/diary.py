"""Diary factories. Times are aware, in London, and in the future (so slots are bookable); a
slot's clinicians and venue belong to its team."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import factory
from django.urls import reverse
from django.utils import timezone
from factory.django import DjangoModelFactory

from diary.models import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    CalendarFeed,
    ClinicianTime,
    Notice,
    OutboxEmail,
    PublicationRun,
    QuarterTarget,
    ReminderSent,
    SessionKind,
    Slot,
    SlotKind,
    SlotStatus,
    TargetChange,
    TeamSession,
)
from planning.quarters import Quarter
from tests.factories.accounts import (
    AdminMembershipFactory,
    ClinicianProfileFactory,
    MembershipFactory,
    OrganisationFactory,
    TeamFactory,
    UserFactory,
    VenueFactory,
)
from tests.factories.partnership import CaseFactory
from tests.factories.planning import JobPlanFactory

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
        clinicians = [clinician_in(slot.team)] if extracted is None else extracted
        if clinicians and slot.clinician_count != len(clinicians):
            slot.clinician_count = len(clinicians)
            slot.save(update_fields=["clinician_count"])
        for clinician in clinicians:
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


def _case_state_for(appointment) -> str:
    from partnership.models import CaseState

    if appointment.kind == SlotKind.CHOICE:
        return (
            CaseState.CHOICE_BOOKED
            if appointment.status == AppointmentStatus.BOOKED
            else CaseState.CHOICE_ATTENDED
        )
    return {
        AppointmentStatus.BOOKED: CaseState.FIRST_CORE_BOOKED,
        AppointmentStatus.ATTENDED: CaseState.IN_PARTNERSHIP,
    }.get(appointment.status, CaseState.AWAITING_FIRST_CORE)


class AppointmentFactory(DjangoModelFactory):
    """A first Core appointment booked into a slot of its own; `dna=True`, `attended=True` traits."""

    class Meta:
        model = Appointment
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    # The family's case is where such an appointment puts it: booked, seen (in Partnership) or,
    # after a DNA, waiting to be booked again.
    case = factory.LazyAttribute(lambda a: CaseFactory(team=a.team, state=_case_state_for(a)))
    kind = SlotKind.FIRST_CORE
    status = AppointmentStatus.BOOKED
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


class PublicationRunFactory(DjangoModelFactory):
    """A quarter's publication, running and not yet started on its clinicians (started by the daily
    job); `completed=True` for a finished one. Quarters follow on from Q1 2027/28 of the
    organisation's own financial year."""

    class Meta:
        model = PublicationRun

    organisation = factory.SubFactory(OrganisationFactory)
    quarter_start = factory.LazyAttributeSequence(
        lambda run, n: Quarter(2027 + n // 4, n % 4 + 1, run.organisation.financial_year_start_month).start
    )
    status = PublicationRun.Status.RUNNING
    total = 0
    done = 0

    class Params:
        completed = factory.Trait(
            status=PublicationRun.Status.COMPLETED,
            done=factory.SelfAttribute("total"),
            finished_at=factory.LazyFunction(timezone.now),
        )


class QuarterTargetFactory(DjangoModelFactory):
    """A clinician's published target from their agreed plan; the team is in the run's organisation
    and the clinician in the team. `without_plan=True` for one listed as having no agreed plan."""

    class Meta:
        model = QuarterTarget

    run = factory.SubFactory(PublicationRunFactory, completed=True)
    team = factory.LazyAttribute(lambda target: TeamFactory(organisation=target.run.organisation))
    clinician = factory.LazyAttribute(lambda target: clinician_in(target.team))
    quarter_start = factory.SelfAttribute("run.quarter_start")
    target = 9
    exact_target = "9"
    plan = factory.LazyAttribute(
        lambda target: JobPlanFactory(
            team=target.team, clinician=target.clinician, agreed=True, effective_from=target.quarter_start
        )
    )

    class Params:
        without_plan = factory.Trait(target=None, exact_target="", plan=None)


class TargetChangeFactory(DjangoModelFactory):
    """A republished target, changed by an admin of the run's organisation."""

    class Meta:
        model = TargetChange

    target = factory.SubFactory(QuarterTargetFactory, target=12, exact_target="12")
    old_target = 9
    new_target = factory.SelfAttribute("target.target")
    changed_by = factory.LazyAttribute(
        lambda change: AdminMembershipFactory(organisation=change.target.run.organisation).user
    )


class ReminderSentFactory(DjangoModelFactory):
    """The first reminder point (21 days before Q1 2027/28) reached for a clinician."""

    class Meta:
        model = ReminderSent

    user = factory.LazyFunction(lambda: clinician_in(TeamFactory()))
    quarter_start = Quarter(2027, 1).start
    days_before = 21
    kind = "clinician"


class NoticeFactory(DjangoModelFactory):
    """An unread notice telling a clinician their target, linking to their slots."""

    class Meta:
        model = Notice

    class Params:
        team = factory.SubFactory(TeamFactory)

    user = factory.LazyAttribute(lambda notice: clinician_in(notice.team))
    text = "Your target for Q1 2027/28 (Apr to Jun 2027) is 9 first Core Partnership slots."
    link = factory.LazyAttribute(
        lambda notice: reverse(
            "diary:clinician-slots", kwargs={"team_id": notice.team.pk, "clinician_id": notice.user.pk}
        )
    )
