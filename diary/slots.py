"""Putting vacant slots into the diary: one at a time or as a weekly pattern, all or nothing.

Slots never fall on the team's bank holidays or the clinician's absences, and never overlap
anything else in the clinician's diary: the exclusion constraint on `ClinicianTime` is the
guarantee; the checks here only make the refusal polite (with the clashing dates listed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from psycopg2.extras import DateTimeTZRange

from accounts.calendar import bank_holidays
from accounts.models import Membership, Role, Team, User, Venue
from capa.templatetags.nhsuk import uk_date, uk_time
from diary.locking import lock_diaries, polite_when_busy, set_lock_timeout
from diary.models import Appointment, ClinicianTime, Slot, SlotKind, SlotStatus
from planning.models import Absence

LONDON = ZoneInfo(settings.TIME_ZONE)
SHORTEST = timedelta(minutes=15)
LONGEST = timedelta(hours=4)

MESSAGES = {
    "ends_before_start": "The slot must end after it starts.",
    "too_short": "A slot must be at least 15 minutes long.",
    "too_long": "A slot must be 4 hours or shorter.",
    "in_the_past": "The slot must start in the future.",
    "two_clinicians_at_most": "A slot has one clinician, or two for joint work.",
    "same_clinician_twice": "Choose two different clinicians for joint work.",
    "venue_elsewhere": "Choose one of the team's venues in use.",
    "not_in_team": "Slots go in the diaries of the team's own clinicians only.",
    "clash": "These times clash with something already in the diary: {dates}. Nothing was put in.",
    "day_off": "No slots on bank holidays or absences: {dates}. Nothing was put in.",
    "preview_changed": (
        "The pattern has changed since the preview (its dates, kind, venue or clinicians, or the "
        "diary): check the new preview, then put the slots in."
    ),
    "nothing_to_put_in": "No slot is left to put in: every date is a bank holiday or an absence.",
    "not_vacant": "Only a vacant slot can be removed: this one is booked or already gone.",
    "not_removed": "The slot is in the diary already.",
    "put_back_in_the_past": "The slot's time has passed: it cannot be put back.",
    "reoffered_since": "The lost appointment has been re-offered in another slot since this one was removed.",
}


class SlotError(Exception):
    """Slots that cannot be put in or removed, with a message to show the user."""

    def __init__(self, message: str, *, clashes: Sequence[datetime] = (), field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.clashes = list(clashes)
        self.field = field  # the form field the message belongs next to, if one


def at(day: date, clock: time) -> datetime:
    """A wall-clock time in London on a day: 10:00 stays 10:00 across the clock changes."""
    return datetime.combine(day, clock, tzinfo=LONDON)


@dataclass(frozen=True)
class SlotTimes:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class SkippedDate:
    day: date
    reason: str


@dataclass
class PatternPreview:
    """What a pattern would put in, before anything is saved."""

    slots: list[SlotTimes] = field(default_factory=list)
    skipped: list[SkippedDate] = field(default_factory=list)
    clashes: list[datetime] = field(default_factory=list)
    # What else the pattern puts in: the kind of slot, the venue, the clinicians.
    choices: tuple = ()

    @property
    def can_save(self) -> bool:
        return bool(self.slots) and not self.clashes

    @property
    def fingerprint(self) -> str:
        """Names exactly these dates, skips, kind, venue and clinicians, so saving can check that it
        saves what was previewed."""
        shown = [(t.starts_at.isoformat(), t.ends_at.isoformat()) for t in self.slots]
        shown += [(d.day.isoformat(), d.reason) for d in self.skipped]
        shown.append(tuple(str(choice) for choice in self.choices))
        return hashlib.sha256(repr(shown).encode()).hexdigest()[:32]


def pattern_days(*, weekday: int, first_day: date, last_day: date, every_weeks: int = 1) -> list[date]:
    """Every `weekday` (0 is Monday) from `first_day` to `last_day`, every `every_weeks` weeks."""
    day = first_day + timedelta(days=(weekday - first_day.weekday()) % 7)
    days = []
    while day <= last_day:
        days.append(day)
        day += timedelta(weeks=every_weeks)
    return days


def preview_pattern(
    *,
    team: Team,
    clinicians: Sequence[User],
    days: Sequence[date],
    start: time,
    end: time,
    past_days_too: bool = False,
    venue: Venue | None = None,
    kind: str = "",
) -> PatternPreview:
    """The slots a pattern gives: bank holidays and absences skipped (with the reason), and any
    date that clashes with the clinicians' diaries listed. Days already gone are skipped too,
    unless `past_days_too` (the demo diary writes a quarter's history)."""
    preview = PatternPreview(
        choices=(kind, venue.pk if venue else None, tuple(sorted(c.pk for c in clinicians)))
    )
    if not days:
        return preview
    off = days_off(team=team, clinicians=clinicians, days=days)
    today = timezone.localdate()
    for day in days:
        if not past_days_too and (day < today or (day == today and at(day, start) <= timezone.now())):
            preview.skipped.append(SkippedDate(day, "in the past"))
        elif day in off:
            preview.skipped.append(SkippedDate(day, off[day]))
        else:
            preview.slots.append(SlotTimes(at(day, start), at(day, end)))
    preview.clashes = clashes_with_diary(clinicians=clinicians, times=preview.slots)
    return preview


def days_off(*, team: Team, clinicians: Sequence[User], days: Sequence[date]) -> dict[date, str]:
    """The days among these that take no slots, with why: the bank holidays of the team's nation
    and the clinicians' absences."""
    if not days:
        return {}
    holidays = {}
    for year in {day.year for day in days}:
        holidays.update(bank_holidays(team.nation, year))
    absences = list(
        # The team's own record of who is away: another team's (a clinician leaving it) is theirs.
        Absence.objects.filter(team=team, clinician__in=clinicians, starts_on__lte=max(days))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=min(days)))
        .select_related("clinician")
    )
    off = {}
    for day in days:
        if day in holidays:
            off[day] = f"bank holiday ({holidays[day]})"
            continue
        away = next(
            (a for a in absences if a.starts_on <= day and (a.ends_on is None or day <= a.ends_on)), None
        )
        if away is not None:
            off[day] = f"{away.clinician} away ({away.get_kind_display().lower()})"
    return off


def clashes_with_diary(*, clinicians: Sequence[User], times: Sequence[SlotTimes]) -> list[datetime]:
    """The start of each proposed time that overlaps something live in a clinician's diary."""
    if not times:
        return []
    ranges = Q()
    for each in times:
        ranges |= Q(during__overlap=DateTimeTZRange(each.starts_at, each.ends_at, "[)"))
    taken = list(
        ClinicianTime.objects.filter(ranges, clinician__in=clinicians, is_live=True).values_list(
            "during", flat=True
        )
    )
    return [
        each.starts_at
        for each in times
        if any(busy.lower < each.ends_at and each.starts_at < busy.upper for busy in taken)
    ]


def describe(moments: Sequence[datetime]) -> str:
    return ", ".join(f"{uk_date(moment)} at {uk_time(moment)}" for moment in moments)


def _check(*, team: Team, clinicians: Sequence[User], venue: Venue, times: Sequence[SlotTimes]) -> None:
    if not 1 <= len(clinicians) <= 2:
        raise SlotError(MESSAGES["two_clinicians_at_most"])
    if len({c.pk for c in clinicians}) != len(clinicians):
        raise SlotError(MESSAGES["same_clinician_twice"])
    if venue.team_id != team.pk or not venue.is_active:
        raise SlotError(MESSAGES["venue_elsewhere"])
    in_team = Membership.objects.filter(
        team=team, role__in=[Role.CLINICIAN, Role.TEAM_LEAD], user__in=clinicians
    ).values_list("user_id", flat=True)
    if set(in_team) != {c.pk for c in clinicians}:
        raise SlotError(MESSAGES["not_in_team"])
    now = timezone.now()
    for each in times:
        length = each.ends_at - each.starts_at
        if length <= timedelta(0):
            raise SlotError(MESSAGES["ends_before_start"], field="ends")
        if length < SHORTEST:
            raise SlotError(MESSAGES["too_short"], field="ends")
        if length > LONGEST:
            raise SlotError(MESSAGES["too_long"], field="ends")
        if each.starts_at <= now:
            raise SlotError(MESSAGES["in_the_past"], field="day")
    local_days = sorted({timezone.localtime(each.starts_at).date() for each in times})
    off = days_off(team=team, clinicians=clinicians, days=local_days)
    if off:
        dates = "; ".join(f"{uk_date(day)}, {reason}" for day, reason in sorted(off.items()))
        raise SlotError(MESSAGES["day_off"].format(dates=dates), field="day")


@polite_when_busy(SlotError)
@transaction.atomic(durable=True)
def put_in_slots(
    *,
    team: Team,
    clinicians: Sequence[User],
    venue: Venue,
    times: Sequence[SlotTimes],
    kind: str = SlotKind.FIRST_CORE,
    by: User,
) -> list[Slot]:
    """Put vacant slots in the diary, all or nothing. Raises SlotError naming every clashing
    date when any of them overlaps the clinicians' diaries; then nothing is saved."""
    return put_in(
        team=team, clinicians=clinicians, venue=venue, times=times, kind=kind, reoffer_of=None, by=by
    )


def put_in(*, team, clinicians, venue, times, kind, reoffer_of, by) -> list[Slot]:
    """`put_in_slots` without a transaction of its own, for domain functions that already hold one
    (re-offering a lost slot)."""
    set_lock_timeout()
    _check(team=team, clinicians=clinicians, venue=venue, times=times)
    lock_diaries(clinicians)
    clashes = clashes_with_diary(clinicians=clinicians, times=times)
    if clashes:
        raise SlotError(MESSAGES["clash"].format(dates=describe(clashes)), clashes=clashes, field="starts")
    try:
        with transaction.atomic():  # a savepoint: a race lost to the constraint must not poison the block
            slots = Slot.objects.bulk_create(
                Slot(
                    team=team,
                    kind=kind,
                    starts_at=each.starts_at,
                    ends_at=each.ends_at,
                    venue=venue,
                    reoffer_of=reoffer_of,
                    clinician_count=len(clinicians),
                    created_by=by,
                )
                for each in times
            )
            ClinicianTime.objects.bulk_create(
                ClinicianTime(clinician=clinician, slot=slot, during=(slot.starts_at, slot.ends_at))
                for slot in slots
                for clinician in clinicians
            )
    except IntegrityError:
        # Someone put in an overlapping slot between our check and our insert: say which dates.
        clashes = clashes_with_diary(clinicians=clinicians, times=times) or [t.starts_at for t in times]
        raise SlotError(MESSAGES["clash"].format(dates=describe(clashes)), clashes=clashes) from None
    return slots


@polite_when_busy(SlotError)
@transaction.atomic(durable=True)
def put_in_pattern(
    *,
    team: Team,
    clinicians: Sequence[User],
    venue: Venue,
    days: Sequence[date],
    start: time,
    end: time,
    kind: str = SlotKind.FIRST_CORE,
    by: User,
    previewed: str | None = None,
) -> tuple[list[Slot], PatternPreview]:
    """Put in a weekly pattern of slots, skipping bank holidays and absences; all or nothing.
    `previewed`, the fingerprint of the preview the user saw: if the dates, kind, venue or
    clinicians are no longer those, nothing is saved (SlotError), so what goes in is what was shown."""
    preview = preview_pattern(
        team=team, clinicians=clinicians, days=days, start=start, end=end, venue=venue, kind=kind
    )
    if previewed is not None and previewed != preview.fingerprint:
        raise SlotError(MESSAGES["preview_changed"])
    if not preview.slots:
        raise SlotError(MESSAGES["nothing_to_put_in"])
    if preview.clashes:
        raise SlotError(MESSAGES["clash"].format(dates=describe(preview.clashes)), clashes=preview.clashes)
    slots = put_in(
        team=team,
        clinicians=clinicians,
        venue=venue,
        times=preview.slots,
        kind=kind,
        reoffer_of=None,
        by=by,
    )
    return slots, preview


@polite_when_busy(SlotError)
@transaction.atomic(durable=True)
def remove_slot(*, slot: Slot, by: User) -> Slot:
    """Take a vacant slot out of the diary; its time is free again. Raises SlotError if booked."""
    set_lock_timeout()
    slot = Slot.objects.select_for_update().get(pk=slot.pk)
    if slot.status != SlotStatus.VACANT:
        raise SlotError(MESSAGES["not_vacant"])
    slot.status = SlotStatus.REMOVED
    slot.save(update_fields=["status"])
    ClinicianTime.objects.filter(slot=slot).update(is_live=False)
    return slot


@polite_when_busy(SlotError)
@transaction.atomic(durable=True)
def put_back(*, slot: Slot, by: User) -> Slot:
    """Put a removed slot back in the diary, vacant, as it was: the undo of `remove_slot`, checked
    as a new slot is (still to come, the clinicians in the team, the venue in use, no bank holiday,
    absence or clash). Raises SlotError saying what stands in the way.

    Locks in the order the other writers do, so none can deadlock with it: the slot row alone (not
    its team's or venue's, which every insert in the team must share at commit), then a re-offer's
    lost appointment (as `booking.reoffer` does first), then the clinicians' diaries (as `put_in`)."""
    set_lock_timeout()
    slot = Slot.objects.select_for_update(of=("self",)).select_related("team", "venue").get(pk=slot.pk)
    if slot.status != SlotStatus.REMOVED:
        raise SlotError(MESSAGES["not_removed"])
    if slot.starts_at <= timezone.now():
        raise SlotError(MESSAGES["put_back_in_the_past"])
    if slot.reoffer_of_id is not None:
        # The lost appointment locked, as reoffer locks it, so that it is not re-offered meanwhile.
        list(Appointment.objects.select_for_update().filter(pk=slot.reoffer_of_id).values_list("pk"))
        if Slot.objects.filter(reoffer_of_id=slot.reoffer_of_id).exclude(status=SlotStatus.REMOVED).exists():
            raise SlotError(MESSAGES["reoffered_since"])
    clinicians = [held.clinician for held in slot.times.select_related("clinician").order_by("pk")]
    times = [SlotTimes(slot.starts_at, slot.ends_at)]
    _check(team=slot.team, clinicians=clinicians, venue=slot.venue, times=times)
    lock_diaries(clinicians)
    clashes = clashes_with_diary(clinicians=clinicians, times=times)
    if clashes:
        raise SlotError(MESSAGES["clash"].format(dates=describe(clashes)), clashes=clashes)
    try:
        with transaction.atomic():
            slot.status = SlotStatus.VACANT
            slot.save(update_fields=["status"])
            ClinicianTime.objects.filter(slot=slot).update(is_live=True)
    except IntegrityError:
        # Only a writer that skipped the diary locks could get here first: the constraint refuses.
        raise SlotError(
            MESSAGES["clash"].format(dates=describe([slot.starts_at])), clashes=[slot.starts_at]
        ) from None
    return slot
