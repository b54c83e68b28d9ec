"""Finding vacant first Core slots for a family: by skills, venues, dates, days, times of day, a
named clinician, and joint work (a joint slot, or two clinicians' slots at the same place and time).

Results are earliest first. A search costs the same few queries however many slots the diary has:
the clinicians' skills (one query), then the candidate slots with their clinicians (two).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Window
from django.utils import timezone

from accounts.models import ClinicianSkill, Role, Skill, SkillKind, SkillLevel, Team, User, Venue
from diary.models import ClinicianTime, Slot, SlotKind, SlotStatus

DEFAULT_LIMIT = 20
# Joint searches filter skills and a named clinician in Python (the two clinicians together must
# hold the skills), so they look at this many of the earliest joint slots and pairable slots each.
PAIRING_CANDIDATES = 150

TIMES_OF_DAY = {
    "morning": ("Morning (before 12:00)", time(0), time(12)),
    "afternoon": ("Afternoon (12:00 to 15:30)", time(12), time(15, 30)),
    "after_school": ("After school (from 15:30)", time(15, 30), time(23, 59, 59)),
}
WEEKDAYS = [(1, "Monday"), (2, "Tuesday"), (3, "Wednesday"), (4, "Thursday"), (5, "Friday")]


@dataclass(frozen=True)
class Filters:
    team: Team
    skills: Sequence[Skill] = ()
    venues: Sequence[Venue] = ()
    date_from: date | None = None
    date_to: date | None = None
    weekdays: Sequence[int] = ()  # ISO: 1 is Monday
    times_of_day: Sequence[str] = ()
    clinician: User | None = None
    joint: bool = False
    exclude_slot_ids: Sequence[int] = ()


@dataclass(frozen=True)
class Result:
    """One bookable choice: a slot, or two slots of different clinicians at the same place and time."""

    slots: tuple[Slot, ...]
    clinicians: tuple[User, ...] = field(default=())

    @property
    def starts_at(self) -> datetime:
        return self.slots[0].starts_at

    @property
    def ends_at(self) -> datetime:
        return self.slots[0].ends_at

    @property
    def venue(self) -> Venue:
        return self.slots[0].venue

    @property
    def slot_ids(self) -> str:
        """The ids as a form posts them: "12" or "12,13"."""
        return ",".join(str(slot.pk) for slot in self.slots)

    @property
    def is_joint(self) -> bool:
        return len(self.clinicians) == 2


def acceptable_skill_ids(skills: Iterable[Skill], catalogue: Iterable[Skill]) -> list[set[int]]:
    """For each skill asked for, the catalogue entries that meet it: an ABCD'S domain asked for at
    core level is also met at advanced level (docs/adr/0004-skill-catalogue.md)."""
    advanced_domain = {
        s.name: s.pk for s in catalogue if s.kind == SkillKind.DOMAIN and s.level == SkillLevel.ADVANCED
    }
    groups = []
    for skill in skills:
        group = {skill.pk}
        if (
            skill.kind == SkillKind.DOMAIN
            and skill.level == SkillLevel.CORE
            and skill.name in advanced_domain
        ):
            group.add(advanced_domain[skill.name])
        groups.append(group)
    return groups


def _skills_by_clinician(team: Team) -> dict[int, set[int]]:
    held: dict[int, set[int]] = defaultdict(set)
    for user_id, skill_id in ClinicianSkill.objects.filter(
        profile__user__memberships__team=team,
        profile__user__memberships__role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
    ).values_list("profile__user_id", "skill_id"):
        held[user_id].add(skill_id)
    return held


def _covers(held: set[int], groups: list[set[int]]) -> bool:
    return all(held & group for group in groups)


def vacant_slots(filters: Filters, *, kind: str = SlotKind.FIRST_CORE) -> QuerySet[Slot]:
    """Vacant future slots matching everything but skills and joint work, earliest first."""
    now = timezone.now()
    slots = Slot.objects.filter(team=filters.team, kind=kind, status=SlotStatus.VACANT, starts_at__gt=now)
    if filters.venues:
        slots = slots.filter(venue__in=filters.venues)
    if filters.date_from:
        slots = slots.filter(starts_at__date__gte=filters.date_from)
    if filters.date_to:
        slots = slots.filter(starts_at__date__lte=filters.date_to)
    if filters.weekdays:
        slots = slots.filter(starts_at__iso_week_day__in=list(filters.weekdays))
    if filters.times_of_day:
        when = Q()
        for key in filters.times_of_day:
            _, start, end = TIMES_OF_DAY[key]
            when |= Q(starts_at__time__gte=start, starts_at__time__lt=end)
        slots = slots.filter(when)
    if filters.exclude_slot_ids:
        slots = slots.exclude(pk__in=list(filters.exclude_slot_ids))
    return with_clinicians(slots).order_by("starts_at", "pk")


def with_clinicians(slots: QuerySet[Slot]) -> QuerySet[Slot]:
    """The slots with their venue, and their live clinicians' time as `live_times` (with each
    clinician), in two queries however many slots."""
    return slots.select_related("venue").prefetch_related(
        Prefetch(
            "times",
            # Not `during`: the slot has the times, and parsing a range costs more than the row.
            queryset=ClinicianTime.objects.filter(is_live=True)
            .defer("during")
            .select_related("clinician")
            # By slot first: the slot index finds the rows (by primary key alone, PostgreSQL may
            # walk the whole table in key order instead).
            .order_by("slot_id", "pk"),
            to_attr="live_times",
        )
    )


def search(filters: Filters, *, limit: int = DEFAULT_LIMIT) -> list[Result]:
    """Bookable results for the filters, earliest first."""
    groups: list[set[int]] = []
    eligible: set[int] | None = None
    held: dict[int, set[int]] = {}
    if filters.skills:
        held = _skills_by_clinician(filters.team)
        catalogue = Skill.objects.filter(organisation_id=filters.team.organisation_id)
        groups = acceptable_skill_ids(filters.skills, catalogue)
    slots = vacant_slots(filters)
    if not filters.joint:
        if filters.skills:
            eligible = {user_id for user_id, skills in held.items() if _covers(skills, groups)}
            slots = slots.filter(_held_by(eligible))
        if filters.clinician:
            slots = slots.filter(_held_by([filters.clinician.pk]))
        return [_result((slot,)) for slot in slots.filter(clinician_count=1)[:limit]]
    return _joint_results(slots, filters=filters, groups=groups, held=held, limit=limit)


def _held_by(clinician_ids: Iterable[int]) -> Exists:
    return Exists(
        ClinicianTime.objects.filter(slot=OuterRef("pk"), is_live=True, clinician_id__in=list(clinician_ids))
    )


def _result(slots: tuple[Slot, ...]) -> Result:
    clinicians = tuple(time.clinician for slot in slots for time in slot.live_times)
    return Result(slots=slots, clinicians=clinicians)


def _joint_results(
    slots: QuerySet[Slot], *, filters: Filters, groups: list[set[int]], held: dict[int, set[int]], limit: int
) -> list[Result]:
    """Joint slots, and pairs of two clinicians' slots at the same venue and times."""
    # Filters applied in Python need more candidates to find `limit` results; without them the
    # earliest `limit` joint slots and twice as many pairable slots are enough.
    candidates = PAIRING_CANDIDATES if groups or filters.clinician else 2 * limit
    results = [_result((slot,)) for slot in slots.filter(clinician_count=2)[:candidates]]
    # Only single slots with another single slot at the same venue and times can pair; the
    # database counts each place and time's slots (among those the filters let through), so Python
    # pairs a few dozen rows, not the whole diary.
    pairable = slots.filter(clinician_count=1).annotate(
        at_same_place_and_time=Window(Count("pk"), partition_by=[F("venue_id"), F("starts_at"), F("ends_at")])
    )
    by_place_and_time: dict[tuple, list[Slot]] = defaultdict(list)
    for slot in pairable.filter(at_same_place_and_time__gte=2)[:candidates]:
        by_place_and_time[slot.venue_id, slot.starts_at, slot.ends_at].append(slot)
    for same in by_place_and_time.values():
        for i, first in enumerate(same):
            for second in same[i + 1 :]:
                if first.live_times[0].clinician_id != second.live_times[0].clinician_id:
                    results.append(_result((first, second)))
    wanted = []
    for result in sorted(results, key=lambda r: (r.starts_at, r.slots[0].pk)):
        ids = {c.pk for c in result.clinicians}
        if filters.clinician and filters.clinician.pk not in ids:
            continue
        if groups and not _covers(set().union(*(held.get(i, set()) for i in ids)), groups):
            continue
        wanted.append(result)
        if len(wanted) == limit:
            break
    return wanted


def next_like(slots: Sequence[Slot], *, team: Team, limit: int = 5) -> list[Result]:
    """Alternatives to slots someone else just took: the same kind of booking (one clinician or
    joint) at the same venue first, then anywhere in the team, earliest first."""
    if not slots:
        return []
    first = slots[0]
    joint = len(slots) == 2 or first.clinician_count == 2
    taken = [s.pk for s in slots]
    same_venue = search(
        Filters(team=team, venues=[first.venue], joint=joint, exclude_slot_ids=taken), limit=limit
    )
    if len(same_venue) >= limit:
        return same_venue
    shown = {r.slot_ids for r in same_venue}
    anywhere = search(Filters(team=team, joint=joint, exclude_slot_ids=taken), limit=limit * 2)
    return (same_venue + [r for r in anywhere if r.slot_ids not in shown])[:limit]
