"""The Choice diary: Choice slots that clinicians put in as their job plans say, a family offered
at least two Choice dates when its referral is accepted and booked into one of them, and the
six-week look-ahead that tells the team whether it has Choice slots enough.

Booking uses the Partnership diary's machinery and guarantees: the slot row is locked, the partial
unique constraint on `AppointmentSlot` keeps a slot to one live booking, and one booked Choice per
family is a constraint of its own (`diary_one_booked_choice_per_case`). The case takes its
"Choice booked" step in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Team, User
from diary import outbox, search
from diary.booking import BookingError, DiaryBusy, fill_slots
from diary.locking import polite_when_busy, set_lock_timeout
from diary.models import Appointment, AppointmentKind, Slot, SlotKind, SlotStatus
from partnership import cases
from partnership.models import Case, CaseState, StepKind

MINIMUM_OFFERED = 2
OFFERED_SHOWN = 8

MESSAGES = {
    "offer_two": "Offer the family at least two Choice dates (tick them), then choose the one they took.",
    "booked_not_offered": "The date booked must be one of the dates offered.",
    "not_choice": "Those are not vacant Choice slots of this team: choose from the list.",
    "taken": "The Choice slot on {when} was just taken by another family: choose another date.",
    "started": "That Choice slot has already started: choose a later one.",
}


class ChoiceSlotTaken(BookingError):
    """Someone else booked the Choice slot between the list and the confirm."""


def vacant_choice_slots(team: Team, *, limit: int = OFFERED_SHOWN, exclude: Sequence[int] = ()) -> list[Slot]:
    """The team's next vacant Choice slots, earliest first, with their clinicians."""
    slots = Slot.objects.filter(
        team=team, kind=SlotKind.CHOICE, status=SlotStatus.VACANT, starts_at__gt=timezone.now()
    ).exclude(pk__in=list(exclude))
    return list(search.with_clinicians(slots).order_by("starts_at", "pk")[:limit])


@polite_when_busy(DiaryBusy)
@transaction.atomic(durable=True)
def book_choice(*, case: Case, offered_slot_ids: Sequence[int], slot_id: int, by: User) -> Appointment:
    """Record the Choice dates offered to the family and book the one they took, in one step.

    Raises BookingError if fewer than two dates were offered, the booked one was not among them,
    a slot is not one of the team's vacant Choice slots, or the case is not waiting for Choice;
    ChoiceSlotTaken if another family took the slot first; DiaryBusy on a lock timeout."""
    set_lock_timeout()
    offered = sorted(set(offered_slot_ids))
    if len(offered) < MINIMUM_OFFERED:
        raise BookingError(MESSAGES["offer_two"])
    if slot_id not in offered:
        raise BookingError(MESSAGES["booked_not_offered"])
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.state != CaseState.AWAITING_CHOICE:
        raise BookingError(cases.refusal(case, StepKind.BOOK_CHOICE).message)
    offered_slots = {
        slot.pk: slot
        for slot in Slot.objects.filter(
            pk__in=offered, team_id=case.team_id, kind=SlotKind.CHOICE
        ).select_related("venue")
    }
    if len(offered_slots) != len(offered):
        raise BookingError(MESSAGES["not_choice"])
    slot = Slot.objects.select_for_update(of=("self",)).select_related("venue").get(pk=slot_id)
    if slot.status != SlotStatus.VACANT:
        raise ChoiceSlotTaken(MESSAGES["taken"].format(when=_when(slot.starts_at)))
    if slot.starts_at <= timezone.now():
        raise BookingError(MESSAGES["started"])
    try:
        appointment = fill_slots(case=case, slots=[slot], kind=AppointmentKind.CHOICE, by=by)
    except IntegrityError:
        raise ChoiceSlotTaken(MESSAGES["taken"].format(when=_when(slot.starts_at))) from None
    cases.take_step(
        case=case,
        kind=StepKind.BOOK_CHOICE,
        by=by,
        facts=cases.Facts(
            data={
                "appointment": appointment.pk,
                "offered": [
                    {"slot": pk, "starts_at": offered_slots[pk].starts_at.isoformat()} for pk in offered
                ],
            }
        ),
        locked=True,  # fetched FOR UPDATE at the start of this transaction
    )
    outbox.queue_booking_confirmation(appointment)
    return appointment


def _when(moment: datetime) -> str:
    from capa.templatetags.nhsuk import uk_datetime

    return uk_datetime(moment)


@dataclass(frozen=True)
class LookAhead:
    """Vacant Choice slots in the coming weeks against the Choice appointments the team will need
    in them: this week's accepted referrals at that rate for each week, plus the families accepted
    earlier and still not booked."""

    weeks: int
    starts_on: date  # this week's Monday
    vacant_slots: int
    accepted_this_week: int
    waiting_unbooked: int

    @property
    def needed(self) -> int:
        return self.accepted_this_week * self.weeks + self.waiting_unbooked

    @property
    def shortfall(self) -> int:
        return max(self.needed - self.vacant_slots, 0)

    @property
    def is_short(self) -> bool:
        return self.shortfall > 0


def look_ahead(team: Team, *, weeks: int | None = None, now: datetime | None = None) -> LookAhead:
    """The Choice look-ahead for the team (the weeks from its planning settings, six by default)."""
    from planning.queries import planning_settings

    now = now or timezone.now()
    weeks = weeks or planning_settings(team).choice_look_ahead_weeks
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    vacant = Slot.objects.filter(
        team=team,
        kind=SlotKind.CHOICE,
        status=SlotStatus.VACANT,
        starts_at__gt=now,
        starts_at__lt=now + timedelta(weeks=weeks),
    ).count()
    demand = Case.objects.filter(team=team).aggregate(
        accepted_this_week=Count("pk", filter=Q(accepted_on__gte=monday, accepted_on__lte=today)),
        waiting=Count("pk", filter=Q(state=CaseState.AWAITING_CHOICE, accepted_on__lt=monday)),
    )
    return LookAhead(
        weeks=weeks,
        starts_on=monday,
        vacant_slots=vacant,
        accepted_this_week=demand["accepted_this_week"],
        waiting_unbooked=demand["waiting"],
    )
