"""The demo trust's Partnership diary (`accounts/demo.py`, `planning/demo.py`): a quarter of first Core
slots, the families booked into them and what happened, so the diary and its figures look lived in.

For the quarter containing `today`, in each demo team:

- every clinician with a Core target puts in about their whole-number target of first Core slots
  for the quarter: a weekly pattern (a fortnightly one for small targets) on one weekday and time
  at one of the team's venues, spread over the quarter. The family therapist and the psychiatrist
  also share a monthly joint slot, which counts for both. Bank holidays, absences and anything
  already in a diary are skipped by the domain's own `preview_pattern`;
- the part of the quarter already past is written straight to the tables, in one transaction, as if
  it had happened (the domain functions rightly refuse slots in the past): 80% of the slots were
  booked at Choice; of those 85% attended, 7% did not attend, 5% were cancelled (a late cancellation
  loses the slot, one with a day's notice puts it back as vacant) and the last few await their
  outcome; half the DNAs were re-offered the next free week at the same time. The shares are
  quotas, not coin flips, so every team shows every outcome once a few weeks have passed;
- the rest of the quarter goes through the domain functions, as a clinician and a Choice clinician
  would use them: `put_in_pattern`, `reoffer` for DNAs whose re-offer falls after today, and
  `open_case` + `book_first_core` for about 40% of the slots in the next four weeks (which queues the
  usual confirmation emails in the outbox).

Deterministic: one seeded generator per team and quarter, fixed name lists, every date relative to
`today`. Idempotent by a marker, so a rerun is a query per team: a team is left alone when its
diary already has a first Core slot starting this quarter that is not a re-offer, whatever its
status (removed too). So the demo diary is made once a quarter and then ages like a real one
(appointments pass and wait for someone to record the outcome); the first run in a new quarter makes
that quarter's; a team whose lead has already put slots in is not touched; a run stopped half-way
leaves that team's diary as it is (start again from an empty database). Re-offers of last quarter
that fall in this one are not the marker.
"""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pghistory
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.demo import ORGANISATION_NAME, TEAMS, DemoTeam, username_for
from accounts.models import Organisation, Profession, Team, User, Venue
from diary import booking
from diary.models import (
    CANCELLED,
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    ClinicianTime,
    Slot,
    SlotKind,
    SlotStatus,
)
from diary.slots import SlotTimes, at, pattern_days, preview_pattern, put_in_pattern
from partnership import cases
from partnership import demo as case_demo
from partnership.models import (
    Case,
    CaseState,
    CaseStep,
    CaseWorker,
    ChoiceOutcome,
    JoinedVia,
    StepKind,
    WorkerRole,
)
from planning.figures import ClinicianQuarter, team_quarter
from planning.quarters import Quarter
from planning.queries import one_team_planning

SEED = "capa-diary-demo"
SOLO_LENGTH = timedelta(hours=1)
JOINT_LENGTH = timedelta(minutes=90)  # two clinicians and a family: a longer first meeting
STARTS = [time(9), time(9, 30), time(10), time(11), time(13, 30), time(14), time(15, 30), time(16)]
WORKING_DAYS = [0, 1, 2, 3, 4]  # Monday to Friday
JOINT_EVERY_WEEKS = 4  # a monthly joint clinic
WEEKLY_ABOVE = 6  # a target above this needs a weekly pattern; up to it, fortnightly is enough

# Shares of the quarter so far, as quotas.
BOOKED = 0.80
DNA = 0.07
CANCELLED_SHARE = 0.05
NOT_YET_RECORDED = 0.03  # taken from the last week: outcomes are recorded a little late
REOFFERED = 0.5  # of the DNAs
REOFFER_WEEKS = booking.REOFFER_WEEKS
# The rest of the quarter: Choice clinicians book about this share of the next few weeks.
FUTURE_BOOKED = 0.40
BOOKING_HORIZON = timedelta(weeks=4)

FIRST_NAMES = [
    "Amelia", "Oliver", "Isla", "Noah", "Ava", "Leo", "Mia", "Arthur", "Freya", "Muhammad",
    "Evie", "Harry", "Poppy", "Jack", "Sophia", "George", "Lily", "Theo", "Ivy", "Oscar",
    "Maryam", "Charlie", "Grace", "Alfie", "Rosie", "Jacob", "Willow", "Ethan", "Maisie", "Ibrahim",
    "Daisy", "Finley", "Zainab", "Riley", "Millie", "Kai", "Harper", "Lucas", "Ruby", "Tyler",
    "Chloe", "Kacper", "Aaliyah", "Reuben", "Esme", "Dylan", "Phoebe", "Samuel", "Nia", "Jayden",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
    "Ward", "Morris", "Moore", "Khan", "Ali", "Nowak", "Kowalski", "Mensah", "Okafor", "Begum",
    "Murray", "Campbell", "Kelly", "Bailey", "Chapman", "Mason", "Parry", "Sutton", "Hussain", "Doyle",
]  # fmt: skip
CANCEL_REASONS = {
    AppointmentStatus.CANCELLED_BY_FAMILY: [
        "Child unwell.",
        "Parent could not get time off work.",
        "Clashes with a school exam; the family asked for another date.",
    ],
    AppointmentStatus.CANCELLED_BY_SERVICE: [
        "Clinician off sick.",
        "Clinician called to an urgent risk assessment.",
    ],
}


@dataclass(frozen=True)
class DiaryCounts:
    team: Team
    slots: int  # first Core slots in the diary this quarter (not removed)
    booked: int  # of those, held by an appointment (booked, attended or not attended)


def seed_diary_demo(*, today: date) -> None:
    """Put the demo teams' Partnership diary for the quarter containing `today` in, unless a team
    already has one (see the module docstring). Run `seed_planning_demo` first: the slots follow
    the job plans in force."""
    organisation = Organisation.objects.get(name=ORGANISATION_NAME)
    quarter = Quarter.containing(today, start_month=organisation.financial_year_start_month)
    with pghistory.context(command="seed_demo"):
        for demo_team in TEAMS:
            team = Team.objects.get(organisation=organisation, name=demo_team.name)
            if not _has_a_diary(team, quarter):
                _seed_team(team, demo_team, quarter=quarter, today=today)


def demo_diary_counts(*, today: date) -> list[DiaryCounts]:
    """Each demo team's first Core slots in the quarter containing `today`, and how many are booked."""
    organisation = Organisation.objects.get(name=ORGANISATION_NAME)
    quarter = Quarter.containing(today, start_month=organisation.financial_year_start_month)
    start, end = _bounds(quarter)
    teams = {
        team.name: team
        for team in Team.objects.filter(organisation=organisation, name__in=[t.name for t in TEAMS])
    }
    counts = {
        row["team"]: row
        for row in Slot.objects.filter(
            team__in=teams.values(), kind=SlotKind.FIRST_CORE, starts_at__gte=start, starts_at__lt=end
        )
        .exclude(status=SlotStatus.REMOVED)
        .values("team")
        .annotate(total=Count("pk"), booked=Count("pk", filter=Q(status=SlotStatus.BOOKED)))
    }
    result = []
    for demo_team in TEAMS:
        team = teams[demo_team.name]
        row = counts.get(team.pk, {"total": 0, "booked": 0})
        result.append(DiaryCounts(team=team, slots=row["total"], booked=row["booked"]))
    return result


def _bounds(quarter: Quarter) -> tuple[datetime, datetime]:
    return at(quarter.start, time.min), at(quarter.next().start, time.min)


def _has_a_diary(team: Team, quarter: Quarter) -> bool:
    """The marker of a team already seeded this quarter (or filled by its own people): any first
    Core slot starting in the quarter, whatever its status, that is not a re-offer (last quarter's
    re-offers can fall in this one)."""
    start, end = _bounds(quarter)
    return Slot.objects.filter(
        team=team, kind=SlotKind.FIRST_CORE, reoffer_of__isnull=True, starts_at__gte=start, starts_at__lt=end
    ).exists()


# Planning the quarter, in memory.


@dataclass(frozen=True)
class Pattern:
    """One clinician's (or a joint pair's) slots for the quarter, on one weekday and time."""

    clinicians: tuple[User, ...]
    venue: Venue
    weekday: int
    start: time
    end: time
    times: tuple[SlotTimes, ...]  # bank holidays, absences and clashes already left out


@dataclass
class Planned:
    """A slot of the quarter so far, and what happened to it."""

    pattern: Pattern
    times: SlotTimes
    outcome: str | None = None  # an AppointmentStatus, or None: left unbooked
    cancelled_at: datetime | None = None
    reoffer_of: Planned | None = None
    booked_by: User | None = None
    slot: Slot | None = None
    appointment: Appointment | None = None

    @property
    def slot_status(self) -> str:
        if self.outcome is None:
            return SlotStatus.VACANT
        if self.outcome in CANCELLED and self.cancelled_at is not None:
            notice = self.times.starts_at - self.cancelled_at
            return SlotStatus.VACANT if notice >= booking.REBOOKING_NOTICE else SlotStatus.LOST
        return SlotStatus.BOOKED


class Busy:
    """Every time planned for each clinician, so a re-offer never lands on one of them."""

    def __init__(self, patterns: list[Pattern]) -> None:
        self._times: dict[int, list[SlotTimes]] = defaultdict(list)
        for pattern in patterns:
            for times in pattern.times:
                self.add(pattern.clinicians, times)

    def add(self, clinicians: tuple[User, ...], times: SlotTimes) -> None:
        for clinician in clinicians:
            self._times[clinician.pk].append(times)

    def clashes(self, clinicians: tuple[User, ...], times: SlotTimes) -> bool:
        return any(
            busy.starts_at < times.ends_at and times.starts_at < busy.ends_at
            for clinician in clinicians
            for busy in self._times[clinician.pk]
        )


class Families:
    """Made-up families referred to the team, numbered within the quarter."""

    def __init__(self, team: Team, quarter: Quarter, rng: random.Random) -> None:
        self.prefix = f"{team.name[:3].upper()}{quarter.year % 100:02d}{quarter.number}"
        self.count = 0
        self.rng = rng

    def new(self, *, choice_date: date) -> dict:
        """The fields `open_case` takes for a family seen at Choice on `choice_date`."""
        rng = self.rng
        self.count += 1
        referral_date = choice_date - timedelta(days=rng.randint(14, 45))
        return {
            "family_reference": f"{self.prefix}{self.count:03d}",
            "child_first_name": rng.choice(FIRST_NAMES),
            "child_last_name": rng.choice(LAST_NAMES),
            # 4 to 17 years old when referred
            "child_date_of_birth": referral_date - timedelta(days=rng.randint(4 * 365 + 1, 18 * 365 - 1)),
            "referral_date": referral_date,
            "choice_date": choice_date,
        }


def _share(total: int, share: float) -> int:
    """The share of a whole number, halves rounded up (Python's `round` would round 0.5 to 0)."""
    return int(total * share + 0.5)


def _working_day_on_or_before(day: date) -> date:
    return day - timedelta(days=max(0, day.weekday() - 4))


def _joint_pair(demo_team: DemoTeam) -> tuple[str, str] | None:
    """The team's family therapist and psychiatrist (clinicians before the lead)."""
    people = [*demo_team.clinicians, demo_team.lead]

    def first_of(profession: str) -> str | None:
        return next((username_for(first, last) for first, last, p in people if p == profession), None)

    therapist, psychiatrist = first_of(Profession.FAMILY_THERAPIST), first_of(Profession.PSYCHIATRIST)
    return (therapist, psychiatrist) if therapist and psychiatrist else None


def _spread(items: list, count: int) -> list:
    """`count` of the items, evenly spread from first to last (all of them if there are fewer)."""
    if count >= len(items):
        return list(items)
    return [items[round((i + 0.5) * len(items) / count - 0.5)] for i in range(count)]


def _plus(clock: time, length: timedelta) -> time:
    minutes = clock.hour * 60 + clock.minute + int(length.total_seconds()) // 60
    return time(*divmod(minutes, 60))


def _pattern(
    team: Team,
    clinicians: tuple[User, ...],
    *,
    count: int,
    every_weeks: int,
    length: timedelta,
    venues: list[Venue],
    quarter: Quarter,
    avoid_weekdays: set[int],
    rng: random.Random,
) -> Pattern:
    """A pattern of `count` slots over the quarter, on the first weekday (in a random order) that
    has room for them all once bank holidays, absences and clashes are left out."""
    venue = rng.choice(venues)
    start = rng.choice(STARTS)
    end = _plus(start, length)
    first_day = quarter.start + timedelta(weeks=rng.randrange(every_weeks))
    weekdays = [day for day in WORKING_DAYS if day not in avoid_weekdays]
    rng.shuffle(weekdays)
    weekday, free = weekdays[0], []
    for candidate in weekdays:
        days = pattern_days(
            weekday=candidate, first_day=first_day, last_day=quarter.end, every_weeks=every_weeks
        )
        preview = preview_pattern(
            team=team, clinicians=clinicians, days=days, start=start, end=end, past_days_too=True
        )
        clashes = set(preview.clashes)
        room = [times for times in preview.slots if times.starts_at not in clashes]
        if len(room) > len(free):
            weekday, free = candidate, room
        if len(free) >= count:
            break
    return Pattern(clinicians, venue, weekday, start, end, tuple(_spread(free, count)))


def _patterns(
    team: Team,
    demo_team: DemoTeam,
    rows: list[ClinicianQuarter],
    *,
    venues: list[Venue],
    quarter: Quarter,
    rng: random.Random,
) -> list[Pattern]:
    """Each clinician's slots for the quarter, about their whole-number target, joint ones included."""
    targets = {row.clinician.username: (row.clinician, row.core_target_whole or 0) for row in rows}
    patterns = []
    joint_slots: dict[int, int] = {}
    joint_weekday: dict[int, set[int]] = defaultdict(set)
    pair = _joint_pair(demo_team)
    if pair is not None and all(username in targets for username in pair):
        clinicians = tuple(targets[username][0] for username in pair)
        count = min(targets[username][1] for username in pair) // 3
        if count:
            joint = _pattern(
                team,
                clinicians,
                count=count,
                every_weeks=JOINT_EVERY_WEEKS,
                length=JOINT_LENGTH,
                venues=venues,
                quarter=quarter,
                avoid_weekdays=set(),
                rng=rng,
            )
            patterns.append(joint)
            for clinician in clinicians:
                joint_slots[clinician.pk] = len(joint.times)
                joint_weekday[clinician.pk].add(joint.weekday)
    for username in sorted(targets):
        clinician, target = targets[username]
        count = target - joint_slots.get(clinician.pk, 0)
        if count <= 0:
            continue
        patterns.append(
            _pattern(
                team,
                (clinician,),
                count=count,
                every_weeks=1 if count > WEEKLY_ABOVE else 2,
                length=SOLO_LENGTH,
                venues=venues,
                quarter=quarter,
                # A different weekday from the joint clinic, so the two can never overlap.
                avoid_weekdays=joint_weekday[clinician.pk],
                rng=rng,
            )
        )
    return patterns


def _seed_team(team: Team, demo_team: DemoTeam, *, quarter: Quarter, today: date) -> None:
    rng = random.Random(f"{SEED}:{team.name}:{quarter.label}")  # noqa: S311  (made-up data, same every run)
    # Slots up to here have happened: the later of now and the start of `today`. (Tests may pass
    # another day than the real one; the domain functions only ever take what is after the real now.)
    cutoff = max(timezone.now(), at(today, time.min))
    rows = sorted(
        (row for row in team_quarter(one_team_planning(team), quarter).clinicians if row.core_target_whole),
        key=lambda row: row.clinician.username,
    )
    if not rows:
        return
    venues = list(Venue.objects.filter(team=team, is_active=True).order_by("pk"))
    bookers = [row.clinician for row in rows if row.week is not None and row.week.choice > 0]
    bookers = bookers or [row.clinician for row in rows]
    families = Families(team, quarter, rng)
    patterns = _patterns(team, demo_team, rows, venues=venues, quarter=quarter, rng=rng)

    to_reoffer = _write_the_quarter_so_far(
        team, patterns, cutoff=cutoff, families=families, bookers=bookers, rng=rng
    )
    future = _put_in_the_rest(team, patterns, cutoff=cutoff)
    for appointment, clinician in to_reoffer:
        # No free week at that time: the capacity stays lost, as it would.
        with contextlib.suppress(booking.BookingError):
            future.append(booking.reoffer(appointment=appointment, by=clinician))
    _book_the_next_weeks(
        team,
        future,
        horizon=cutoff + BOOKING_HORIZON,
        today=today,
        families=families,
        bookers=bookers,
        rng=rng,
    )


# The quarter so far: written straight to the tables.


def _decide_outcomes(
    planned: list[Planned], *, cutoff: datetime, bookers: list[User], rng: random.Random
) -> None:
    booked = sorted(
        rng.sample(planned, _share(len(planned), BOOKED)),
        key=lambda p: (p.times.starts_at, p.pattern.venue.pk),
    )
    for each in booked:
        each.booked_by = rng.choice(bookers)
    last_week = [p for p in booked if p.times.starts_at > cutoff - timedelta(weeks=1)]
    waiting = max(
        _share(len(booked), NOT_YET_RECORDED), sum(1 for p in last_week if p.times.ends_at > cutoff)
    )
    awaiting = last_week[max(0, len(last_week) - waiting) :]
    for each in awaiting:
        each.outcome = AppointmentStatus.BOOKED
    rest = [p for p in booked if p.outcome is None]
    rng.shuffle(rest)
    dna, cancelled = _share(len(booked), DNA), _share(len(booked), CANCELLED_SHARE)
    for i, each in enumerate(rest):
        if i < dna:
            each.outcome = AppointmentStatus.DNA
        elif i < dna + cancelled:
            each.outcome = rng.choice(CANCELLED)
            each.cancelled_at = _cancelled_at(each.times, late=rng.random() < 0.5, rng=rng)
        else:
            each.outcome = AppointmentStatus.ATTENDED


def _cancelled_at(times: SlotTimes, *, late: bool, rng: random.Random) -> datetime:
    """A phone call on the morning of the day (every slot starts from 09:00), or a few working days
    before (after the family was booked at Choice, a week or more before)."""
    day = timezone.localtime(times.starts_at).date()
    if late:
        return at(day, time(8, rng.choice([0, 15, 30])))
    before = _working_day_on_or_before(day - timedelta(days=rng.randint(2, 4)))
    return at(before, time(rng.randint(9, 16), rng.choice([0, 15, 30, 45])))


def _reoffer_date(team: Team, dna: Planned, busy: Busy) -> SlotTimes | None:
    """The same clinicians, weekday and time in the next free week, as `booking.reoffer` finds it."""
    pattern = dna.pattern
    day = timezone.localtime(dna.times.starts_at).date()
    for _ in range(REOFFER_WEEKS):
        day += timedelta(weeks=1)
        times = SlotTimes(at(day, pattern.start), at(day, pattern.end))
        if busy.clashes(pattern.clinicians, times):
            continue
        preview = preview_pattern(
            team=team,
            clinicians=pattern.clinicians,
            days=[day],
            start=pattern.start,
            end=pattern.end,
            past_days_too=True,
        )
        if preview.can_save:
            return times
    return None


@transaction.atomic(durable=True)
def _write_the_quarter_so_far(
    team: Team,
    patterns: list[Pattern],
    *,
    cutoff: datetime,
    families: Families,
    bookers: list[User],
    rng: random.Random,
) -> list[tuple[Appointment, User]]:
    """Write the slots, families and appointments of the quarter up to `cutoff`, all or nothing.
    Return the DNAs to re-offer whose next free week is after `cutoff`, with who re-offers them."""
    busy = Busy(patterns)
    planned = sorted(
        (
            Planned(pattern, times)
            for pattern in patterns
            for times in pattern.times
            if times.starts_at <= cutoff
        ),
        key=lambda p: (p.times.starts_at, p.pattern.clinicians[0].pk),
    )
    _decide_outcomes(planned, cutoff=cutoff, bookers=bookers, rng=rng)
    dnas = [p for p in planned if p.outcome == AppointmentStatus.DNA]
    reoffered = sorted(rng.sample(dnas, _share(len(dnas), REOFFERED)), key=lambda p: p.times.starts_at)
    reoffers, later = [], []
    for dna in reoffered:
        times = _reoffer_date(team, dna, busy)
        if times is None or times.starts_at > cutoff:
            later.append(dna)
            continue
        busy.add(dna.pattern.clinicians, times)
        reoffer = Planned(dna.pattern, times, reoffer_of=dna)
        # Re-offered slots fill like any other; the family who did not come is not rebooked into it.
        if rng.random() < BOOKED:
            reoffer.booked_by = rng.choice(bookers)
            reoffer.outcome = (
                AppointmentStatus.ATTENDED
                if times.ends_at <= cutoff - timedelta(days=1)
                else AppointmentStatus.BOOKED
            )
        reoffers.append(reoffer)
    # Re-offers point at the appointments they replace, so those are written first.
    _write(team, planned, families=families, cutoff=cutoff, rng=rng)
    _write(team, reoffers, families=families, cutoff=cutoff, rng=rng)
    return [(dna.appointment, dna.pattern.clinicians[0]) for dna in later]


def _write(
    team: Team, planned: list[Planned], *, families: Families, cutoff: datetime, rng: random.Random
) -> None:
    for each in planned:
        each.slot = Slot(
            team=team,
            kind=SlotKind.FIRST_CORE,
            starts_at=each.times.starts_at,
            ends_at=each.times.ends_at,
            venue=each.pattern.venue,
            status=each.slot_status,
            reoffer_of=each.reoffer_of.appointment if each.reoffer_of else None,
            clinician_count=len(each.pattern.clinicians),
            created_by=each.pattern.clinicians[0],
        )
    Slot.objects.bulk_create([each.slot for each in planned])
    ClinicianTime.objects.bulk_create(
        ClinicianTime(clinician=clinician, slot=each.slot, during=(each.times.starts_at, each.times.ends_at))
        for each in planned
        for clinician in each.pattern.clinicians
    )
    booked = [each for each in planned if each.outcome is not None]
    journeys = []
    for each in booked:
        first_core = timezone.localtime(each.times.starts_at).date()
        # Seen at Choice one to five weeks before, and booked there and then.
        choice_date = _working_day_on_or_before(first_core - timedelta(days=rng.randint(7, 35)))
        fields = families.new(choice_date=choice_date)
        del fields["choice_date"]  # the Choice step records it
        journey = case_demo.Journey(
            Case(team=team, created_by=each.booked_by, state=CaseState.REFERRED, **fields)
        )
        journey.case.choice_outcome = ChoiceOutcome.CORE
        chooser = each.booked_by
        journey.step(StepKind.ACCEPT, fields["referral_date"] + timedelta(days=1), chooser)
        journey.step(StepKind.BOOK_CHOICE, fields["referral_date"] + timedelta(days=2), chooser)
        journey.step(StepKind.CHOICE_ATTENDED, choice_date, chooser)
        journey.step(StepKind.TO_CORE, choice_date, chooser)
        journey.step(StepKind.BOOK_FIRST_CORE, choice_date, chooser)
        clinician = each.pattern.clinicians[0]
        if each.outcome == AppointmentStatus.ATTENDED:
            journey.step(StepKind.FIRST_CORE_ATTENDED, first_core, clinician)
            journey.workers += [
                CaseWorker(
                    case=journey.case,
                    clinician=worker,
                    role=WorkerRole.KEY_WORKER if n == 0 else WorkerRole.CORE_COWORKER,
                    joined_on=first_core,
                    via=JoinedVia.DIARY,
                    added_by=clinician,
                )
                for n, worker in enumerate(each.pattern.clinicians)
            ]
        elif each.outcome in (AppointmentStatus.DNA, *CANCELLED):
            on = (
                first_core
                if each.outcome == AppointmentStatus.DNA
                else timezone.localtime(each.cancelled_at).date()
            )
            journey.step(StepKind.FIRST_CORE_MISSED, max(on, choice_date), clinician)
        journeys.append(journey)
    family_cases = [journey.case for journey in journeys]
    Case.objects.bulk_create(family_cases)
    CaseStep.objects.bulk_create([step for journey in journeys for step in journey.steps])
    CaseWorker.objects.bulk_create([worker for journey in journeys for worker in journey.workers])
    for each, case in zip(booked, family_cases, strict=True):
        booked_at = at(case.choice_date, time(rng.choice([10, 11, 14, 15]), rng.choice([0, 15, 30, 45])))
        each.appointment = Appointment(
            team=team,
            case=case,
            kind=SlotKind.FIRST_CORE,
            starts_at=each.times.starts_at,
            ends_at=each.times.ends_at,
            venue=each.pattern.venue,
            status=each.outcome,
            booked_by=each.booked_by,
            booked_at=booked_at,
            **_outcome_fields(each, cutoff=cutoff, rng=rng),
        )
    Appointment.objects.bulk_create([each.appointment for each in booked])
    AppointmentSlot.objects.bulk_create(
        AppointmentSlot(appointment=each.appointment, slot=each.slot, is_live=each.appointment.holds_its_slot)
        for each in booked
    )


def _outcome_fields(each: Planned, *, cutoff: datetime, rng: random.Random) -> dict:
    if each.outcome == AppointmentStatus.BOOKED:
        return {}
    by = each.pattern.clinicians[0]
    if each.outcome in CANCELLED:
        return {
            "outcome_by": by,
            "outcome_at": each.cancelled_at,
            "cancel_reason": rng.choice(CANCEL_REASONS[each.outcome]),
        }
    # Recorded straight after the appointment, or the next working morning.
    recorded = each.times.ends_at + timedelta(minutes=rng.randint(5, 90))
    if rng.random() < 0.3:
        day = timezone.localtime(each.times.starts_at).date()
        next_day = day + timedelta(days=3 if day.weekday() == 4 else 1)
        recorded = at(next_day, time(rng.randint(9, 11), rng.choice([0, 15, 30, 45])))
    return {"outcome_by": by, "outcome_at": min(recorded, cutoff)}


# The rest of the quarter: through the domain functions.


def _put_in_the_rest(team: Team, patterns: list[Pattern], *, cutoff: datetime) -> list[Slot]:
    slots = []
    for pattern in patterns:
        days = [
            timezone.localtime(times.starts_at).date() for times in pattern.times if times.starts_at > cutoff
        ]
        if days:
            made, _ = put_in_pattern(
                team=team,
                clinicians=pattern.clinicians,
                venue=pattern.venue,
                days=days,
                start=pattern.start,
                end=pattern.end,
                by=pattern.clinicians[0],
            )
            slots.extend(made)
    return slots


def _book_the_next_weeks(
    team: Team,
    slots: list[Slot],
    *,
    horizon: datetime,
    today: date,
    families: Families,
    bookers: list[User],
    rng: random.Random,
) -> None:
    soon = sorted((slot for slot in slots if slot.starts_at <= horizon), key=lambda s: (s.starts_at, s.pk))
    for slot in sorted(rng.sample(soon, _share(len(soon), FUTURE_BOOKED)), key=lambda s: (s.starts_at, s.pk)):
        booker = rng.choice(bookers)
        choice_date = _working_day_on_or_before(today - timedelta(days=rng.randint(0, 10)))
        case = cases.open_case(team=team, by=booker, **families.new(choice_date=choice_date))
        booking.book_first_core(slot_ids=[slot.pk], case=case, by=booker)
