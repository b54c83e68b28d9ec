"""How fast the Partnership diary searches and books, against a logged-in no-op page in the same run.

- Search (`diary:search`): a clinician of a team of 30 looks for a first Core slot for a case with
  four sets of filters: none; a skill and a venue; two skills, Tuesdays and mornings; joint work.
  Each is requested one at a time, in turn with the no-op, and timed by gunicorn.
- Booking (`diary:book`, POST): 16 clinicians of the same team book at the same time, each into
  slots of its own for cases of its own, through the CSRF check as a browser does (token from the
  booking page, sent back with the form). Every fifth attempt two of them race for the same slot,
  so the 409 "just taken" answer (with its alternatives) is part of the mix; both answers count as
  served, anything else fails the run. The same 16 users request the no-op at the same
  concurrency before and after the booking, for the throughput ratio. A Celery worker runs from
  the booking warm-up on, as in production: the bookings nudge it to send their emails, the
  booking run's CPU includes its sending them, and the run fails if one is left unsent.
- The yardstick: `bench/noop/`, logged in, every middleware, no page (bench/_urls.py).
- The floor: the same users post to `bench/booking-floor/`, which writes the rows a booking
  writes (audit and change-log rows included, as tests/integration/test_bench_floor.py checks) in
  one statement and does nothing else: no checks, no email to render, no nudge. Its ratio to the
  no-op is the most any booking that keeps those writes could reach on this machine.

The targets (the Partnership diary issue): search p95 server time under 50 ms; booking p95 server
time under 150 ms at 16 concurrent users; booking throughput at least half the no-op's at the same
concurrency.

    make bench                          # with every other benchmark
    python bench/diary.py               # with PYTHONPATH=. and DATABASE_URL, REDIS_URL set
    python bench/diary.py --profile     # also: where one search and one booking spend their time
    python bench/diary.py --explain     # also: EXPLAIN ANALYZE of the slowest search's statements

Trust-scale data: 20 teams of 30 clinicians, skills and venues, and two years of first Core slots
(one past, one ahead; about three a month a clinician, a tenth joint), the past ones mostly booked
with their outcomes, the next weeks' partly booked. It lives in a database of its own,
`capa_bench_diary`, made next to DATABASE_URL's and dropped at the end, so it never clashes with
bench/capacity.py. Exits 1 if a request answers what it should not (or is not the page meant); a
missed target is reported, not failed: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import os
import pstats
import random
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: `bench` is a package root

from bench import _common as common  # noqa: E402

DATABASE_NAME = "capa_bench_diary"  # not capacity's `capa_bench`: the two may run one after the other
TEAMS = 20
CLINICIANS_PER_TEAM = 30  # the lead included
WEEKS_BACK = 52
WEEKS_AHEAD = 52
# A clinician's first Core slots a week: none, one or two, about 0.75 on average (some 10 a quarter).
SLOTS_A_WEEK = ((0.6, 1), (0.075, 2))
JOINT_SHARE = 0.1  # slots put in for two clinicians together
HOME_VENUE_SHARE = 0.6  # slots at the clinician's usual venue; the rest anywhere in the team
REMOVED_SHARE = 0.02
SLOT_STARTS = (clock(9), clock(10, 15), clock(11, 30), clock(13, 30), clock(14, 45), clock(16))
SLOT_LENGTH = timedelta(hours=1)
LONDON = ZoneInfo("Europe/London")
VENUES = ("Riverside Clinic", "Northgate Health Centre", "St Aidan's School")
SEED = 20270402  # the same data every run

TARGET_SEARCH_P95 = 0.050  # seconds of server time, each search
TARGET_BOOKING_P95 = 0.150  # seconds of server time, a booking at 16 concurrent users
TARGET_THROUGHPUT_RATIO = 0.5  # booking requests a second over no-op requests a second
CONTEST_EVERY = 5  # every fifth attempt, users 2n and 2n+1 try to book the same slot
FLOOR_WARM_UP = 1  # unmeasured requests of each user to the booking floor
FLOOR = "floor: the writes alone"

CHILD_NAMES = (
    "Amelia",
    "Noah",
    "Isla",
    "Leo",
    "Ava",
    "Oscar",
    "Maya",
    "Arlo",
    "Freya",
    "Zain",
    "Lily",
    "Kai",
)
FAMILY_NAMES = ("Smith", "Khan", "Jones", "Okafor", "Brown", "Patel", "Wilson", "Nowak", "Evans", "Ali")
FIRST_NAMES = ("Aisha", "Ben", "Chloe", "Daniel", "Ella", "Finn", "Grace", "Hannah", "Imogen", "James")
LAST_NAMES = ("Shah", "Baker", "Rahman", "Jones", "Clarke", "Walsh", "Evans", "Murphy", "Adeyemi", "Turner")
CANCEL_REASONS = ("Child unwell", "Family on holiday", "Clinician off sick", "School trip", "Moved away")


@dataclass(frozen=True)
class Seeded:
    team_id: int
    team_name: str
    clinician_ids: list[int]  # of the team, in order: the lead first
    search_case_id: int
    booking_case_ids: list[int]
    rows: dict[str, int]
    seconds: float


# --- Data ------------------------------------------------------------------------------------------


def _slots_this_week(rng: random.Random) -> int:
    draw = rng.random()
    for share, count in SLOTS_A_WEEK:
        if draw < share:
            return count
        draw -= share
    return 0


def _booked_share(starts_at: datetime, now: datetime) -> float:
    """How much of the diary is booked: most of the past, much of the next weeks, little later."""
    ahead = (starts_at - now) / timedelta(weeks=1)
    if ahead < 0:
        return 0.88
    if ahead < 6:
        return 0.7
    if ahead < 13:
        return 0.25
    return 0.08


def _past_outcome(rng: random.Random) -> str:
    from diary.models import AppointmentStatus

    draw = rng.random()
    if draw < 0.8:
        return AppointmentStatus.ATTENDED
    if draw < 0.9:
        return AppointmentStatus.DNA
    if draw < 0.96:
        return AppointmentStatus.CANCELLED_BY_FAMILY
    return AppointmentStatus.CANCELLED_BY_SERVICE


def seed(*, booking_cases: int) -> Seeded:
    """One organisation, its skill catalogue, 20 teams of 30 clinicians with skills and 3 venues,
    two years of first Core slots with their clinicians' time, the appointments and cases booked
    into them, and `booking_cases` cases of the first team waiting for a booking."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.calendar import bank_holidays
    from accounts.demo import ABCDS_DOMAINS, ADVANCED_SKILLS
    from accounts.models import (
        ClinicianProfile,
        ClinicianSkill,
        Membership,
        Organisation,
        Profession,
        Role,
        Skill,
        SkillKind,
        SkillLevel,
        Team,
        User,
        Venue,
    )
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
    from partnership.models import Case, CaseState, ChoiceOutcome

    started = time.perf_counter()
    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate()
    this_monday = today - timedelta(days=today.weekday())
    unusable = make_password(None)  # nobody logs in with a password here: sessions are made directly
    batch = 5000

    with transaction.atomic():
        # Foreign keys checked at the end of each statement, not all at commit. Deferred, every
        # inserted row queues a check for the commit, and the audit triggers (pghistory) open and
        # roll back a subtransaction for each row they record, which walks that whole queue: the
        # load grows with the square of the rows (10 minutes, not seconds).
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        organisation = Organisation.objects.create(name="Benchshire NHS Foundation Trust")
        skills = Skill.objects.bulk_create(
            [
                Skill(organisation=organisation, name=name, kind=SkillKind.DOMAIN, level=level)
                for name in ABCDS_DOMAINS
                for level in (SkillLevel.CORE, SkillLevel.ADVANCED)
            ]
            + [
                Skill(
                    organisation=organisation,
                    name=name,
                    kind=SkillKind.ADVANCED_SKILL,
                    level=SkillLevel.ADVANCED,
                )
                for name in ADVANCED_SKILLS
            ]
        )
        domain = {(s.name, s.level): s for s in skills if s.kind == SkillKind.DOMAIN}
        advanced_skills = [s for s in skills if s.kind == SkillKind.ADVANCED_SKILL]

        teams = Team.objects.bulk_create(
            Team(organisation=organisation, name=f"CAMHS team {number:02d}") for number in range(1, TEAMS + 1)
        )
        venues = Venue.objects.bulk_create(
            Venue(team=team, name=name, address=f"{number} High Street")
            for team in teams
            for number, name in enumerate(VENUES, start=1)
        )
        venues_of = {team.pk: [v for v in venues if v.team_id == team.pk] for team in teams}
        people = User.objects.bulk_create(
            User(
                username=f"clinician.{team_number:02d}.{number:02d}",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                email=f"clinician.{team_number:02d}.{number:02d}@example.nhs.uk",
                password=unusable,
            )
            for team_number in range(1, TEAMS + 1)
            for number in range(1, CLINICIANS_PER_TEAM + 1)
        )
        members = {
            team.pk: people[index * CLINICIANS_PER_TEAM : (index + 1) * CLINICIANS_PER_TEAM]
            for index, team in enumerate(teams)
        }
        profiles = ClinicianProfile.objects.bulk_create(
            ClinicianProfile(user=person, profession=rng.choice(list(Profession.values))) for person in people
        )
        Membership.objects.bulk_create(
            Membership(user=person, team_id=team_id, role=Role.TEAM_LEAD if index == 0 else Role.CLINICIAN)
            for team_id, team_members in members.items()
            for index, person in enumerate(team_members)
        )
        # 3 to 6 skills each: two to four ABCD'S domains (a third at advanced level), and up to two
        # advanced skills.
        held = []
        for profile in profiles:
            names = rng.sample(list(ABCDS_DOMAINS), k=rng.randint(2, 4))
            mine = [
                domain[name, SkillLevel.ADVANCED if rng.random() < 0.3 else SkillLevel.CORE] for name in names
            ]
            extra = rng.sample(advanced_skills, k=rng.randint(0, 2))
            while len(mine) + len(extra) < 3:
                extra = rng.sample(advanced_skills, k=len(extra) + 1)
            held.extend(ClinicianSkill(profile=profile, skill=skill) for skill in mine + extra)
        ClinicianSkill.objects.bulk_create(held, batch_size=batch)

        # Two years of first Core slots: each clinician none, one or two a week, at a time of the
        # grid on a weekday that is not a bank holiday, mostly at their usual venue; a tenth joint
        # with a colleague free at the same time. The grid's hours never overlap, so a clinician's
        # time cannot clash with itself.
        holidays = set()
        for year in range(today.year - 2, today.year + 3):
            holidays |= set(bank_holidays(teams[0].nation, year))
        slots, clinicians_of = [], []
        for team in teams:
            team_members = members[team.pk]
            home = {person.pk: rng.choice(venues_of[team.pk]) for person in team_members}
            busy: set[tuple[int, date, int]] = set()
            for week in range(-WEEKS_BACK, WEEKS_AHEAD):
                monday = this_monday + timedelta(weeks=week)
                for person in team_members:
                    for _ in range(_slots_this_week(rng)):
                        for _try in range(10):
                            day = monday + timedelta(days=rng.randrange(5))
                            at = rng.randrange(len(SLOT_STARTS))
                            if day in holidays or (person.pk, day, at) in busy:
                                continue
                            together = [person]
                            if rng.random() < JOINT_SHARE:
                                free = [
                                    p for p in team_members if p is not person and (p.pk, day, at) not in busy
                                ]
                                together.extend(rng.sample(free, k=min(1, len(free))))
                            busy.update((p.pk, day, at) for p in together)
                            starts_at = datetime.combine(day, SLOT_STARTS[at], tzinfo=LONDON)
                            venue = home[person.pk] if rng.random() < HOME_VENUE_SHARE else None
                            slots.append(
                                Slot(
                                    team=team,
                                    kind=SlotKind.FIRST_CORE,
                                    starts_at=starts_at,
                                    ends_at=starts_at + SLOT_LENGTH,
                                    venue=venue or rng.choice(venues_of[team.pk]),
                                    status=SlotStatus.VACANT,
                                    clinician_count=len(together),
                                    created_by=person,
                                )
                            )
                            clinicians_of.append(together)
                            break

        # What became of each slot: removed, still vacant, or booked (and, in the past, attended,
        # missed or cancelled; a cancelled one lost, or rebooked for another family).
        cases, appointments, links = [], [], []  # links: (appointment index, slot index, live)
        references = Counter()

        def new_case(team, when: datetime, by) -> int:
            references[team.pk] += 1
            referral = (when - timedelta(days=rng.randint(14, 120))).date()
            cases.append(
                Case(
                    team=team,
                    family_reference=f"RX{team.pk:03d}-{references[team.pk]:06d}",
                    child_first_name=rng.choice(CHILD_NAMES),
                    child_last_name=rng.choice(FAMILY_NAMES),
                    child_date_of_birth=referral - timedelta(days=rng.randint(4 * 365, 17 * 365)),
                    referral_date=referral,
                    accepted_on=referral,
                    choice_date=referral + timedelta(days=rng.randint(0, 10)),
                    choice_outcome=ChoiceOutcome.CORE,
                    # Seen at Choice with Core agreed; those booked below are past this state, but
                    # only the waiting ones are booked by the benchmark, and they must be here.
                    state=CaseState.AWAITING_FIRST_CORE,
                    created_by=by,
                )
            )
            return len(cases) - 1

        def book(index: int, status: str, *, live: bool, booked_at: datetime, outcome_at=None) -> None:
            slot = slots[index]
            booker = rng.choice(members[slot.team_id])
            cancelled = status in CANCELLED
            appointments.append(
                (
                    new_case(slot.team, booked_at, booker),
                    Appointment(
                        team=slot.team,
                        kind=SlotKind.FIRST_CORE,
                        starts_at=slot.starts_at,
                        ends_at=slot.ends_at,
                        venue=slot.venue,
                        status=status,
                        booked_by=booker,
                        booked_at=booked_at,
                        outcome_by=None if status == AppointmentStatus.BOOKED else clinicians_of[index][0],
                        outcome_at=outcome_at,
                        cancel_reason=rng.choice(CANCEL_REASONS) if cancelled else "",
                    ),
                )
            )
            links.append((len(appointments) - 1, index, live))

        for index, slot in enumerate(slots):
            if rng.random() < REMOVED_SHARE:
                slot.status = SlotStatus.REMOVED
                continue
            past = slot.starts_at < now
            if rng.random() >= _booked_share(slot.starts_at, now):
                if not past and rng.random() < 0.03:  # cancelled with notice: back in the diary
                    booked_at = now - timedelta(days=rng.randint(8, 30))
                    book(
                        index,
                        AppointmentStatus.CANCELLED_BY_FAMILY,
                        live=False,
                        booked_at=booked_at,
                        outcome_at=booked_at + timedelta(days=rng.randint(1, 7)),
                    )
                continue
            if not past:
                slot.status = SlotStatus.BOOKED
                book(
                    index,
                    AppointmentStatus.BOOKED,
                    live=True,
                    booked_at=now - timedelta(days=rng.randint(0, 30)),
                )
                continue
            booked_at = slot.starts_at - timedelta(days=rng.randint(3, 40))
            outcome = _past_outcome(rng)
            if outcome not in CANCELLED:
                slot.status = SlotStatus.BOOKED
                book(
                    index,
                    outcome,
                    live=True,
                    booked_at=booked_at,
                    outcome_at=slot.ends_at + timedelta(hours=2),
                )
                continue
            late = slot.starts_at - timedelta(hours=rng.randint(2, 20))
            book(index, outcome, live=False, booked_at=booked_at, outcome_at=late)
            if rng.random() < 0.5:
                slot.status = SlotStatus.LOST
            else:  # cancelled with notice after all: another family took the slot
                slot.status = SlotStatus.BOOKED
                book(
                    index,
                    AppointmentStatus.ATTENDED,
                    live=True,
                    booked_at=min(late + timedelta(hours=1), slot.starts_at),
                    outcome_at=slot.ends_at + timedelta(hours=2),
                )

        Slot.objects.bulk_create(slots, batch_size=batch)
        times = ClinicianTime.objects.bulk_create(
            (
                ClinicianTime(
                    clinician=person,
                    slot=slot,
                    during=(slot.starts_at, slot.ends_at),
                    is_live=slot.status != SlotStatus.REMOVED,
                )
                for slot, together in zip(slots, clinicians_of, strict=True)
                for person in together
            ),
            batch_size=batch,
        )

        # Cases waiting for a first Core booking: one for the search, one for each booking attempt.
        team = teams[0]
        waiting = [new_case(team, now, rng.choice(members[team.pk])) for _ in range(booking_cases + 1)]
        Case.objects.bulk_create(cases, batch_size=batch)
        for case_index, appointment in appointments:
            appointment.case = cases[case_index]
        Appointment.objects.bulk_create([appointment for _, appointment in appointments], batch_size=batch)
        AppointmentSlot.objects.bulk_create(
            (
                AppointmentSlot(appointment=appointments[a][1], slot=slots[s], is_live=live)
                for a, s, live in links
            ),
            batch_size=batch,
        )

    statuses = Counter(slot.status for slot in slots)
    return Seeded(
        team_id=team.pk,
        team_name=team.name,
        clinician_ids=[person.pk for person in members[team.pk]],
        search_case_id=cases[waiting[0]].pk,
        booking_case_ids=[cases[index].pk for index in waiting[1:]],
        rows={
            "teams": len(teams),
            "clinicians": len(people),
            "clinician skills": len(held),
            "venues": len(venues),
            "slots": len(slots),
            "  of them joint": sum(1 for together in clinicians_of if len(together) == 2),
            "  vacant in the future": sum(
                1 for s in slots if s.status == SlotStatus.VACANT and s.starts_at > now
            ),
            "  booked": statuses[SlotStatus.BOOKED],
            "  lost": statuses[SlotStatus.LOST],
            "  removed": statuses[SlotStatus.REMOVED],
            "clinician time rows": len(times),
            "appointments": len(appointments),
            "cases": len(cases),
        },
        seconds=time.perf_counter() - started,
    )


# --- What to search for ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    name: str
    query: dict[str, object]  # the filters as the search form sends them
    joint: bool = False
    description: str = ""


def searches(team_id: int) -> list[Search]:
    """Four searches a Choice clinician makes, with filters that find something in this team:
    the skill that about 40% of the team meets, and a pair of skills that a few clinicians meet
    together (an advanced domain meets a request for the core level, as the search does)."""
    from accounts.models import ClinicianSkill, Role, Skill, SkillKind, SkillLevel, Venue
    from diary.search import acceptable_skill_ids

    team_skills: dict[int, set[int]] = defaultdict(set)
    for user_id, skill_id in ClinicianSkill.objects.filter(
        profile__user__memberships__team_id=team_id,
        profile__user__memberships__role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
    ).values_list("profile__user_id", "skill_id"):
        team_skills[user_id].add(skill_id)
    catalogue = list(Skill.objects.all())
    core_domains = [s for s in catalogue if s.kind == SkillKind.DOMAIN and s.level == SkillLevel.CORE]
    advanced = [s for s in catalogue if s.kind == SkillKind.ADVANCED_SKILL]

    def meeting(*wanted) -> int:
        groups = acceptable_skill_ids(wanted, catalogue)
        return sum(1 for held in team_skills.values() if all(held & group for group in groups))

    people = len(team_skills)
    one = min(core_domains, key=lambda s: (abs(meeting(s) - 0.4 * people), s.pk))
    two = min(
        ((d, a) for d in core_domains for a in advanced if meeting(d, a) >= 2),
        key=lambda pair: (abs(meeting(*pair) - 3), pair[0].pk, pair[1].pk),
    )
    venue = Venue.objects.filter(team_id=team_id).order_by("name").first()
    return [
        Search("no filters", {}, description="every vacant first Core slot of the team"),
        Search(
            "a skill and a venue",
            {"skills": [one.pk], "venues": [venue.pk]},
            description=f"{one} (met by {meeting(one)} of {people}) at {venue}",
        ),
        Search(
            "2 skills, Tue, mornings",
            {"skills": [two[0].pk, two[1].pk], "weekdays": [2], "times_of_day": ["morning"]},
            description=f"{two[0]} and {two[1]} (met together by {meeting(*two)} of {people}), "
            "Tuesdays, mornings",
        ),
        Search("joint work", {"joint": "on"}, joint=True, description="joint slots and pairs"),
    ]


# The search form's fields in its order, and those a browser sends even when empty.
FORM_FIELDS = ("skills", "venues", "date_from", "date_to", "weekdays", "times_of_day", "clinician", "joint")
SENT_EMPTY = ("date_from", "date_to", "clinician")
HTMX_HEADERS = {
    "HX-Request": "true",
    "HX-Target": "search-results",
    "HX-Trigger": "search-results",
    "HX-Current-URL": "http://127.0.0.1/diary/",
}


def search_pages(search: Search, *, path: str, case_id: int, cookie: str, requests: int) -> list[common.Page]:
    """The search as two requests: the full page (a link, or the form sent without JavaScript), and
    the results alone as htmx asks for them when a filter changes (every field of the form, empty
    ones too, and the HX-Request header): the request a user makes most."""
    full = urlencode({"case": case_id, **search.query}, doseq=True)
    fields = [("case", case_id)]
    for name in FORM_FIELDS:
        value = search.query.get(name, "" if name in SENT_EMPTY else None)
        if value is not None:
            fields.extend((name, v) for v in (value if isinstance(value, list) else [value]))
    return [
        common.Page(f"search: {search.name}", f"{path}?{full}", cookie, requests, _search_check(search)),
        common.Page(
            f"htmx: {search.name}",
            f"{path}?{urlencode(fields)}",
            cookie,
            requests,
            _search_check(search, partial=True),
            headers=HTMX_HEADERS,
        ),
    ]


def _search_check(search: Search, *, partial: bool = False):
    def check(body: str) -> str | None:
        if partial and ("Vacant slots" not in body or "<html" in body):
            return "not the results alone"
        if not partial and "Find a first Core Partnership slot" not in body:
            return "not the search page"
        if 'id="results"' not in body:
            return "no results (or the filters were refused)"
        if search.joint and "Joint</strong>" not in body:
            return "no joint result"
        return None

    return check


def _noop_check(body: str) -> str | None:
    return None if body == "ok" else "not the no-op page"


def result_count(body: str) -> str:
    match = re.search(r"(\d+) slots?, earliest first", body)
    return match.group(1) if match else "?"


# --- Booking at the same time ----------------------------------------------------------------------


@dataclass
class Attempt:
    slot_ids: str  # as the booking form posts them: "12" or "12,13"
    case_id: int
    contested: bool  # another user tries the same slot in the same round
    booked_url: str  # where a booking redirects (the case page)
    path: str = ""


@dataclass
class Booker:
    """One clinician booking: a session of their own, the CSRF token a booking page gave them,
    the filters they searched with, and the attempts they make in order."""

    user_id: int
    cookie: str
    filters: str
    attempts: list[Attempt] = field(default_factory=list)
    floor: list[Attempt] = field(default_factory=list)  # to the booking floor (bench/_urls.py)
    csrf_cookie: str = ""
    csrf_token: str = ""


@dataclass
class Answer:
    attempt: Attempt | None
    status: int
    seconds: float  # the client's: connecting to the last byte, queueing for a worker included
    outcome: str = ""  # of a booking: "booked" (302), "taken" or "busy" (409)


def request(
    port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, float, http.client.HTTPResponse, str]:
    """One request on a fresh connection (gunicorn's sync workers close each one)."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
    finally:
        connection.close()
    return response.status, time.perf_counter() - started, response, text


def vacant_choices(team_id: int, *, pairs_share: float, needed: int, rng: random.Random) -> list[str]:
    """Bookable choices in the team's diary from tomorrow on, shuffled, as the booking form posts
    them: single and joint slots ("12"), and a share of pairs of two clinicians' slots at the same
    venue and time ("12,13"). No slot is in two choices."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from diary.models import ClinicianTime, Slot, SlotKind, SlotStatus

    slots = list(
        Slot.objects.filter(
            team_id=team_id,
            kind=SlotKind.FIRST_CORE,
            status=SlotStatus.VACANT,
            starts_at__gt=timezone.now() + timedelta(days=1),
        )
        .annotate(clinicians=Count("times", filter=Q(times__is_live=True)))
        .order_by("starts_at", "pk")
        .values_list("pk", "venue_id", "starts_at", "clinicians")
    )
    clinician_of = dict(
        ClinicianTime.objects.filter(slot__in=[pk for pk, *_ in slots], is_live=True).values_list(
            "slot_id", "clinician_id"
        )
    )
    same_place: dict[tuple, list[int]] = defaultdict(list)
    for pk, venue_id, starts_at, clinicians in slots:
        if clinicians == 1:
            same_place[venue_id, starts_at].append(pk)
    paired: list[str] = []
    used: set[int] = set()
    for group in same_place.values():
        for first, second in zip(group, group[1:], strict=False):
            if len(paired) >= needed * pairs_share:
                break
            if used.isdisjoint((first, second)) and clinician_of[first] != clinician_of[second]:
                paired.append(f"{first},{second}")
                used.update((first, second))
    choices = paired + [str(pk) for pk, *_ in slots if pk not in used]
    rng.shuffle(choices)
    return choices


def plan_bookings(
    bookers: list[Booker], *, choices: list[str], case_ids: list[int], team_id: int, rounds: int
):
    """Give each booker `rounds` attempts: a choice of their own, or every CONTEST_EVERY-th round
    (from the third) the same choice as their neighbour's, so one of the two gets the 409."""
    from django.urls import reverse

    choices_left, cases_left = iter(choices), iter(case_ids)
    try:
        for round_number in range(rounds):
            contested = round_number % CONTEST_EVERY == 2
            for index in range(0, len(bookers), 2):
                pair = bookers[index : index + 2]
                shared = next(choices_left) if contested and len(pair) == 2 else None
                for booker in pair:
                    case_id = next(cases_left)
                    booker.attempts.append(
                        Attempt(
                            slot_ids=shared or next(choices_left),
                            case_id=case_id,
                            contested=shared is not None,
                            booked_url=reverse("partnership:case-detail", args=[team_id, case_id]),
                            path=reverse("diary:book", args=[team_id, case_id]),
                        )
                    )
    except StopIteration:
        raise common.BenchFailed(
            f"not enough vacant slots or cases for {len(bookers)} users x {rounds} bookings"
        ) from None


def plan_floor(bookers: list[Booker], *, choices: list[str], case_ids: list[int], team_id: int, rounds: int):
    """Give each booker `rounds` requests to the booking floor, each with a choice and a case that
    no booking attempt has: nobody races for them, so every one is booked."""
    from django.urls import reverse

    used_choices = {a.slot_ids for b in bookers for a in b.attempts}
    used_cases = {a.case_id for b in bookers for a in b.attempts}
    choices_left = iter([c for c in choices if c not in used_choices])
    cases_left = iter([c for c in case_ids if c not in used_cases])
    try:
        for _ in range(rounds):
            for booker in bookers:
                case_id = next(cases_left)
                path = reverse("bench-booking-floor", args=[team_id, case_id])
                booker.floor.append(Attempt(next(choices_left), case_id, False, booked_url=path, path=path))
    except StopIteration:
        raise common.BenchFailed(
            f"not enough vacant slots or cases left for {len(bookers)} users x {rounds} floor bookings"
        ) from None


def fetch_csrf(port: int, booker: Booker) -> None:
    """As a browser: open the booking page of the first attempt (the confirm form), keep the CSRF
    cookie it sets and the token in its form."""
    attempt = booker.attempts[0]
    path = f"{attempt.path}?{urlencode({'slots': attempt.slot_ids})}"
    status, _seconds, response, body = request(port, "GET", path, {"Cookie": booker.cookie})
    if status != 200 or "Book the first Core appointment" not in body:
        raise common.BenchFailed(f"GET {path} answered {status}, not the booking page:\n{body[:500]}")
    cookies = SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        cookies.load(header)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if "csrftoken" not in cookies or not match:
        raise common.BenchFailed(f"GET {path} set no CSRF cookie or form token")
    booker.csrf_cookie, booker.csrf_token = cookies["csrftoken"].value, match.group(1)


def post_booking(port: int, booker: Booker, attempt: Attempt) -> Answer:
    body = urlencode(
        {"csrfmiddlewaretoken": booker.csrf_token, "slots": attempt.slot_ids, "filters": booker.filters}
    )
    headers = {
        "Cookie": f"{booker.cookie}; csrftoken={booker.csrf_cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"http://127.0.0.1:{port}",
        "Accept": "text/html",
    }
    status, seconds, response, text = request(port, "POST", attempt.path, headers, body)
    if status == 302:
        location = response.getheader("Location", "")
        if not location.startswith(attempt.booked_url):
            raise common.BenchFailed(f"booking {attempt.slot_ids} redirected to {location!r}, not the case")
        outcome = "booked"
    elif status == 409 and "Choose another first Core appointment" in text:
        outcome = "taken"  # someone else booked it first: the alternatives are offered
    elif status == 409 and "The diary is busy" in text:
        outcome = "busy"  # the slot stayed locked past the lock timeout: nothing was booked
    else:
        raise common.BenchFailed(
            f"booking {attempt.slot_ids} for case {attempt.case_id} answered {status}:\n{text[:800]}"
        )
    return Answer(attempt, status, seconds, outcome)


def get_noop(port: int, path: str, cookie: str) -> Answer:
    status, seconds, body = common.get(port, path, cookie)
    if status != 200 or body != "ok":
        raise common.BenchFailed(f"no-op under load answered {status}: {body[:300]}")
    return Answer(None, status, seconds)


def at_once(
    work: list[Callable[[], list[Answer]]],
    meter: common.CpuMeter,
    settle: Callable[[list[Answer]], None] | None = None,
) -> tuple[list[Answer], float, common.CpuUse | None]:
    """Run each piece of work in a thread of its own, all released together; the answers, the
    seconds from the release to the last answer, and the CPU used meanwhile (counted from when
    every thread is waiting for the release, so neither starting threads nor reading /proc while
    they run is mixed in). `settle`, given the answers, waits for the work they left behind (the
    worker sending the bookings' emails): its CPU is counted too, its time is not."""
    barrier = threading.Barrier(len(work) + 1)
    answers: list[Answer] = []
    failures: list[BaseException] = []

    def run(piece: Callable[[], list[Answer]]) -> None:
        barrier.wait()
        try:
            answers.extend(piece())
        except BaseException as failure:  # noqa: BLE001  (reported by the main thread)
            failures.append(failure)

    threads = [threading.Thread(target=run, args=(piece,), daemon=True) for piece in work]
    for thread in threads:
        thread.start()
    while barrier.n_waiting < len(work):
        time.sleep(0.001)
    meter.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if settle is not None and not failures:
        settle(answers)
    cpu = meter.stop()
    if failures:
        failure = failures[0]
        raise failure if isinstance(failure, common.BenchFailed) else common.BenchFailed(repr(failure))
    return answers, elapsed, cpu


@dataclass
class Phase:
    name: str
    answers: list[Answer]
    seconds: float
    server: list[tuple[str, int, float]]  # from the access log: path, status, seconds
    cpu: common.CpuUse | None = None  # what the server, PostgreSQL and the benchmark used

    @property
    def throughput(self) -> float:
        return len(self.answers) / self.seconds


def measured(
    server: common.Server,
    name: str,
    path: str,
    work: list[Callable[[], list[Answer]]],
    settle: Callable[[list[Answer]], None] | None = None,
) -> Phase:
    """Run the work at once (see `at_once`) and take gunicorn's times of its requests, all of them
    to paths that start with `path`. gunicorn logs a request after answering it: wait for every
    line, so that none of them falls into the next phase."""
    since = server.access_log_size()
    answers, seconds, cpu = at_once(work, common.CpuMeter(server), settle)
    entries = server.log_entries(since=since, expected=len(answers))
    if len(entries) != len(answers) or not all(entry[0].startswith(path) for entry in entries):
        raise common.BenchFailed(f"{name}: {len(entries)} access log lines for {len(answers)} requests")
    return Phase(name, answers, seconds, entries, cpu)


def booking_work(port: int, bookers: list[Booker], rounds: range) -> list[Callable[[], list[Answer]]]:
    def work(booker: Booker) -> Callable[[], list[Answer]]:
        return lambda: [post_booking(port, booker, booker.attempts[r]) for r in rounds]

    return [work(booker) for booker in bookers]


def floor_work(port: int, bookers: list[Booker], rounds: range) -> list[Callable[[], list[Answer]]]:
    def work(booker: Booker) -> Callable[[], list[Answer]]:
        return lambda: [post_booking(port, booker, booker.floor[r]) for r in rounds]

    return [work(booker) for booker in bookers]


def noop_work(port: int, path: str, bookers: list[Booker], requests: int) -> list[Callable[[], list[Answer]]]:
    def work(booker: Booker) -> Callable[[], list[Answer]]:
        return lambda: [get_noop(port, path, booker.cookie) for _ in range(requests)]

    return [work(booker) for booker in bookers]


def check_contests(answers: list[Answer]) -> None:
    """Each slot tried is booked exactly once: two bookings would be a double booking, and none
    (unless an attempt was turned away as busy) a "just taken" answer for a slot nobody took."""
    won: Counter[str] = Counter()
    tried: Counter[str] = Counter()
    busy: set[str] = set()
    for answer in answers:
        tried[answer.attempt.slot_ids] += 1
        won[answer.attempt.slot_ids] += answer.outcome == "booked"
        if answer.outcome == "busy":
            busy.add(answer.attempt.slot_ids)
    for slot_ids, count in tried.items():
        if won[slot_ids] > 1 or (won[slot_ids] == 0 and slot_ids not in busy):
            raise common.BenchFailed(f"slots {slot_ids}: {count} attempts, {won[slot_ids]} bookings, not 1")


def check_database(answers: list[Answer]) -> None:
    """What the database says: one live appointment for each 302, none for a 409."""
    from diary.models import Appointment

    booked = {a.attempt.case_id for a in answers if a.status == 302}
    taken = {a.attempt.case_id for a in answers if a.status == 409}
    cases = Appointment.objects.filter(case_id__in=booked | taken).values_list("case_id", flat=True)
    if sorted(cases) != sorted(booked):
        raise common.BenchFailed(f"{len(booked)} bookings answered 302, {len(cases)} appointments made")


@dataclass(frozen=True)
class Emails:
    written: int  # by the bookings measured (one a clinician of each)
    sent: int  # of those, by the worker
    drains: int  # drain tasks the worker received during the run, the warm-up's included


EMAILS_SENT_WITHIN = 30  # seconds after the last booking's answer: an email left unsent is a bug


def emails_sent(answers: list[Answer], worker_log: Path) -> Emails:
    """Wait for the worker to send the measured bookings' emails (nudged by the bookings alone: no
    beat runs here); BenchFailed if any is left behind."""
    from diary.models import Appointment, OutboxEmail, OutboxStatus

    booked = [a.attempt.case_id for a in answers if a.status == 302]
    appointments = Appointment.objects.filter(case_id__in=booked).values_list("pk", flat=True)
    emails = OutboxEmail.objects.filter(about__in=[f"appointment:{pk}" for pk in appointments])
    deadline = time.monotonic() + EMAILS_SENT_WITHIN
    while emails.exclude(status=OutboxStatus.SENT).exists():
        if time.monotonic() > deadline:
            raise common.BenchFailed(
                f"{emails.exclude(status=OutboxStatus.SENT).count()} of the bookings' emails were not sent "
                f"{EMAILS_SENT_WITHIN} s after the last booking's answer"
            )
        time.sleep(0.2)
    drains = len(re.findall(r"Task diary\.tasks\.drain_outbox\[[^]]+\] received", worker_log.read_text()))
    return Emails(written=emails.count(), sent=emails.filter(status=OutboxStatus.SENT).count(), drains=drains)


# --- The report --------------------------------------------------------------------------------------


def _row(name: str, server: list[float], client: list[float], throughput: float | None) -> str:
    ms = common.milliseconds
    p = common.percentile
    rate = "" if throughput is None else f"{throughput:>8.1f}"
    return (
        f"{name:<26} {len(server):>5} {ms(p(server, 0.5)):>7} {ms(p(server, 0.95)):>7} {ms(max(server)):>7}"
        f"   {ms(p(client, 0.5)):>7} {ms(p(client, 0.95)):>7} {ms(max(client)):>7} {rate}"
    )


def print_concurrency(
    *,
    server: common.Server,
    load_before: float,
    users: int,
    team_name: str,
    noop: list[Phase],
    booking: Phase,
    floor: Phase,
) -> float:
    """The booking, booking floor and no-op figures at the same concurrency; returns the booking's
    throughput ratio."""
    print(f"\nBooking at {users} concurrent users (bench/diary.py)")
    print(
        f"gunicorn: the same server, {server.workers} {server.worker_class} workers; {users} client threads, "
        f"each a different clinician of {team_name} with a session and cases of its own, a fresh "
        "connection per request, all released together"
    )
    load_after = os.getloadavg()[0]
    print(f"Load: 1-minute load average {load_before:.2f} before these runs, {load_after:.2f} after")
    header = (
        f"{'requests':<26} {'n':>5} {'p50':>7} {'p95':>7} {'max':>7}   {'p50':>7} {'p95':>7} {'max':>7} "
        f"{'req/s':>8}"
    )
    print(f"{'':<33}{'server time (ms)':^23}   {'client time (ms)':^23}")
    print(header)
    print("-" * len(header))
    noop_answers = [a for phase in noop for a in phase.answers]
    noop_seconds = sum(phase.seconds for phase in noop)
    noop_rate = len(noop_answers) / noop_seconds
    for phase in noop:
        print(
            _row(
                phase.name,
                [seconds for *_, seconds in phase.server],
                [a.seconds for a in phase.answers],
                phase.throughput,
            )
        )
    print(
        _row(
            "no-op, both runs",
            [seconds for phase in noop for *_, seconds in phase.server],
            [a.seconds for a in noop_answers],
            noop_rate,
        )
    )
    print(
        _row(
            "book (POST), all",
            [seconds for *_, seconds in booking.server],
            [a.seconds for a in booking.answers],
            booking.throughput,
        )
    )
    for status, label in ((302, "  booked (302)"), (409, "  taken or busy (409)")):
        server_times = [seconds for _path, code, seconds in booking.server if code == status]
        client_times = [a.seconds for a in booking.answers if a.status == status]
        if server_times and client_times:
            print(_row(label, server_times, client_times, None))
    print(
        _row(
            FLOOR,
            [seconds for *_, seconds in floor.server],
            [a.seconds for a in floor.answers],
            floor.throughput,
        )
    )
    ratio = booking.throughput / noop_rate
    print(
        f"\nThroughput: booking {booking.throughput:.1f} requests/s, no-op {noop_rate:.1f} requests/s "
        f"(runs before and after the booking together): ratio {ratio:.2f}"
    )
    print(
        f"The floor (a booking's writes alone, in one statement, with their triggers; bench/_urls.py): "
        f"{floor.throughput:.1f} requests/s: ratio {floor.throughput / noop_rate:.2f}, the most a "
        "booking that writes what this one writes could reach here"
    )
    print_cpu(noop=noop, booking=booking, floor=floor, ratio=ratio)
    return ratio


def print_cpu(*, noop: list[Phase], booking: Phase, floor: Phase, ratio: float) -> None:
    """Where each request's CPU went. When the cores are as busy in both runs, throughput is bound
    by CPU, and the ratio of the throughputs is the inverse of the ratio of CPU per request."""
    if any(phase.cpu is None for phase in [*noop, booking, floor]):
        print("CPU per request: not measured (no /proc on this machine)")
        return
    noop_cpu = sum((phase.cpu for phase in noop), start=common.CpuUse(web=0.0, database=0.0, client=0.0))
    noop_requests = sum(len(phase.answers) for phase in noop)
    noop_seconds = sum(phase.seconds for phase in noop)
    cores = common.usable_cores()
    header = (
        f"{'requests':<26} {'web':>7} {'database':>9} {'worker+Redis':>13} {'bench':>7} {'all':>7}   "
        f"{'cores busy':>10}"
    )
    print("\nCPU per request (ms of user and system time, from /proc: gunicorn's master and workers;")
    print("every process named postgres on this machine; the Celery worker sending the emails, and")
    print("the redis-server it uses; this benchmark's process, client threads included)")
    print(header)
    print("-" * len(header))
    for name, cpu, requests, seconds in (
        ("no-op, both runs", noop_cpu, noop_requests, noop_seconds),
        ("book (POST), all", booking.cpu, len(booking.answers), booking.seconds),
        (FLOOR, floor.cpu, len(floor.answers), floor.seconds),
    ):
        parts = (cpu.web, cpu.database, cpu.worker, cpu.client, cpu.total)
        web, database, worker, client, total = [common.milliseconds(part / requests) for part in parts]
        busy = f"{cpu.total / seconds:.2f} of {cores}"
        print(f"{name:<26} {web:>7} {database:>9} {worker:>13} {client:>7} {total:>7}   {busy:>10}")
    noop_each = noop_cpu.total / noop_requests
    cost = (booking.cpu.total / len(booking.answers)) / noop_each
    print(
        f"A booking costs {cost:.1f} times the CPU of a no-op: were the cores as busy in both runs, "
        f"the throughput ratio would be {1 / cost:.2f} (measured: {ratio:.2f})"
    )
    noop_alone = (noop_cpu.total - noop_cpu.worker) / noop_requests
    alone = ((booking.cpu.total - booking.cpu.worker) / len(booking.answers)) / noop_alone
    print(
        f"Without the worker's and Redis's share (as if they ran on another machine) a booking costs "
        f"{alone:.1f} times a no-op: a ratio of {1 / alone:.2f}"
    )
    floor_cost = (floor.cpu.total / len(floor.answers)) / noop_each
    print(f"The floor costs {floor_cost:.1f} times the CPU of a no-op: a ratio of {1 / floor_cost:.2f}")


# --- Looking closer ----------------------------------------------------------------------------------


def _client_for(cookie: str):
    from django.test import Client

    name, value = cookie.split("=", 1)
    client = Client()
    client.cookies[name] = value
    return client


def profile_request(title: str, call: Callable[[], object], rows: int = 25) -> None:
    call()  # warm: templates compiled, connections open
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    print(f"\nProfile of one request, {title} (cProfile, in this process, so slower than served)")
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("cumulative").print_stats(rows)
    stats.sort_stats("tottime").print_stats(rows)


def profile_booking(*, team_id: int, user_id: int, cookie: str) -> None:
    """One booking, in this process, into a vacant slot of the team for a new case."""
    from django.urls import reverse
    from django.utils import timezone

    from diary.models import Slot, SlotStatus
    from partnership.models import Case, CaseState, ChoiceOutcome

    client = _client_for(cookie)
    slots = iter(
        Slot.objects.filter(team_id=team_id, status=SlotStatus.VACANT, starts_at__gt=timezone.now())
        .order_by("-starts_at")
        .values_list("pk", flat=True)[:2]
    )
    today = timezone.localdate()

    def book() -> None:
        case = Case.objects.create(
            team_id=team_id,
            family_reference=f"PROFILE-{time.time_ns()}",
            child_first_name="Pat",
            child_last_name="Profile",
            child_date_of_birth=today - timedelta(days=3650),
            referral_date=today,
            accepted_on=today,
            choice_date=today,
            choice_outcome=ChoiceOutcome.CORE,
            state=CaseState.AWAITING_FIRST_CORE,  # seen at Choice today, Core agreed
            created_by_id=user_id,
        )
        response = client.post(reverse("diary:book", args=[team_id, case.pk]), {"slots": next(slots)})
        if response.status_code != 302:
            raise common.BenchFailed(f"profiling the booking: {response.status_code}")

    profile_request("book (POST)", book)


def explain(page: common.Page, *, statements: int = 3) -> None:
    """EXPLAIN ANALYZE of the slowest statements one request of the page runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client_for(page.cookie)
    client.get(page.path, headers=page.headers)
    with CaptureQueriesContext(connection) as queries:
        client.get(page.path, headers=page.headers)
    slowest = sorted(queries.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:statements]
    print(f"\nThe slowest statements of one request, {page.name} ({len(queries)} in all)")
    for query in slowest:
        print(f"\n-- {float(query['time']) * 1000:.1f} ms in the test client\n{query['sql']}")
        if not query["sql"].lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()))


# --- The run -----------------------------------------------------------------------------------------


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="of each search and the no-op (100)")
    parser.add_argument("--warm-up", type=int, default=10, help="unmeasured requests of each page first (10)")
    parser.add_argument("--users", type=int, default=16, help="concurrent users booking (16)")
    parser.add_argument("--bookings", type=int, default=30, help="booking attempts of each user (30)")
    parser.add_argument("--booking-warm-up", type=int, default=3, help="unmeasured attempts of each user (3)")
    parser.add_argument(
        "--floor-bookings", type=int, default=20, help="of each user to the booking floor (20)"
    )
    parser.add_argument(
        "--noop-requests", type=int, default=40, help="no-op requests of each user, before and after (40)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn sync workers (2 x cores + 1)",
    )
    parser.add_argument("--profile", action="store_true", help="also profile one search and one booking")
    parser.add_argument("--explain", action="store_true", help="also EXPLAIN ANALYZE the slowest search")
    options = parser.parse_args()
    counts = (options.requests, options.users, options.bookings, options.floor_bookings, options.workers)
    if min(*counts, options.noop_requests) < 1:
        parser.error("every measurement needs at least one request, one user and one worker")
    if min(options.warm_up, options.booking_warm_up) < 0:
        parser.error("warm-up cannot be negative")
    if options.users > CLINICIANS_PER_TEAM - 2:  # not the lead, not the clinician who searches
        parser.error(f"at most {CLINICIANS_PER_TEAM - 2} users: they are clinicians of one team")

    source_url = os.environ.get("DATABASE_URL")
    if not source_url:
        print("diary bench: set DATABASE_URL (make bench does)", file=sys.stderr)
        return 1
    from django.urls import reverse  # no settings needed to import

    rounds = options.booking_warm_up + options.bookings
    floor_rounds = FLOOR_WARM_UP + options.floor_bookings
    try:
        with common.throwaway_database(source_url, DATABASE_NAME) as database_url:
            try:
                common.setup_django(database_url)
                started = time.perf_counter()
                common.migrate()
                migrated = time.perf_counter() - started
                seeded = seed(booking_cases=options.users * (rounds + floor_rounds))
                common.analyze()

                from accounts.models import User

                # The searcher is the team's last clinician; the bookers the ones after the lead.
                users = {u.pk: u for u in User.objects.filter(pk__in=seeded.clinician_ids)}
                searcher_cookie = common.session_cookie(users[seeded.clinician_ids[-1]])
                wanted = searches(seeded.team_id)
                search_path = reverse("diary:search", args=[seeded.team_id])
                noop_path = reverse("bench-noop")
                noop = common.Page(
                    "no-op (logged in, yardstick)", noop_path, searcher_cookie, options.requests, _noop_check
                )
                pages = [noop] + [
                    page
                    for s in wanted
                    for page in search_pages(
                        s,
                        path=search_path,
                        case_id=seeded.search_case_id,
                        cookie=searcher_cookie,
                        requests=options.requests,
                    )
                ]
                for page in pages:
                    page.queries = common.count_queries(page)
                results = {
                    page.name: result_count(
                        _client_for(page.cookie).get(page.path, headers=page.headers).text
                    )
                    for page in pages
                }

                rng = random.Random(SEED + 1)
                bookers = [
                    Booker(
                        user_id=user_id,
                        cookie=common.session_cookie(users[user_id]),
                        filters=urlencode(wanted[index % 3].query, doseq=True),  # as they searched
                    )
                    for index, user_id in enumerate(seeded.clinician_ids[1 : options.users + 1])
                ]
                needed = options.users * rounds
                choices = vacant_choices(seeded.team_id, pairs_share=0.1, needed=needed, rng=rng)
                vacant_before = len(choices)
                plan_bookings(
                    bookers,
                    choices=choices,
                    case_ids=seeded.booking_case_ids,
                    team_id=seeded.team_id,
                    rounds=rounds,
                )
                plan_floor(
                    bookers,
                    choices=choices,
                    case_ids=seeded.booking_case_ids,
                    team_id=seeded.team_id,
                    rounds=floor_rounds,
                )
                common.close_django_connections()  # the server gets the database to itself

                book_path = reverse("diary:book", args=[seeded.team_id, 0]).split("/0/")[0]
                with common.serve(database_url=database_url, workers=options.workers) as server:
                    common.measure(server, pages, warm_up=options.warm_up)
                    since = server.access_log_size()
                    for booker in bookers:
                        fetch_csrf(server.port, booker)
                    server.log_entries(since=since, expected=len(bookers))
                    # From here to the end of the no-ops after, a Celery worker drains the outbox.
                    with common.celery_worker(server, database_url=database_url) as worker_log:
                        # Warm-up at the same concurrency: every worker has run a booking and a 409.
                        measured(server, "warm-up", noop_path, noop_work(server.port, noop_path, bookers, 5))
                        warm = range(options.booking_warm_up)
                        measured(server, "warm-up", book_path, booking_work(server.port, bookers, warm))
                        load_before = os.getloadavg()[0]
                        noop_before = measured(
                            server,
                            "no-op, before",
                            noop_path,
                            noop_work(server.port, noop_path, bookers, options.noop_requests),
                        )
                        emails: list[Emails] = []
                        booking = measured(
                            server,
                            "book",
                            book_path,
                            booking_work(server.port, bookers, range(options.booking_warm_up, rounds)),
                            # The worker's sending of the bookings' emails counts as the bookings' CPU.
                            settle=lambda answers: emails.append(emails_sent(answers, worker_log)),
                        )
                        floor_path = reverse("bench-booking-floor", args=[seeded.team_id, 0]).split("/0/")[0]
                        warm = range(FLOOR_WARM_UP)
                        measured(server, "warm-up", floor_path, floor_work(server.port, bookers, warm))
                        floor = measured(
                            server,
                            "floor",
                            floor_path,
                            floor_work(server.port, bookers, range(FLOOR_WARM_UP, floor_rounds)),
                        )
                        noop_after = measured(
                            server,
                            "no-op, after",
                            noop_path,
                            noop_work(server.port, noop_path, bookers, options.noop_requests),
                        )
                check_contests(booking.answers)
                check_database(booking.answers)
                check_database(floor.answers)
                if any(answer.status != 302 for answer in floor.answers):
                    raise common.BenchFailed("the booking floor was refused a slot nobody else tried")

                rows = "; ".join(f"{count:,} {what.strip()}" for what, count in seeded.rows.items())
                common.print_report(
                    title="Diary search (bench/diary.py)",
                    server=server,
                    pages=pages,
                    yardstick=noop,
                    notes=[
                        f"Data: {rows}; loaded in {seeded.seconds:.1f} s (migrations {migrated:.1f} s)",
                        f"Searches by a clinician of {seeded.team_name} for a case, each as the full "
                        "page and as the results alone that htmx asks for when a filter changes "
                        "(at most 20 results shown):",
                        *(
                            f"  {s.name}: {s.description}; {results[f'search: {s.name}']} results"
                            for s in wanted
                        ),
                        f"Warm-up: {options.warm_up} requests of each page, not counted",
                    ],
                )
                ratio = print_concurrency(
                    server=server,
                    load_before=load_before,
                    users=options.users,
                    team_name=seeded.team_name,
                    noop=[noop_before, noop_after],
                    booking=booking,
                    floor=floor,
                )
                outcomes = Counter(a.outcome for a in booking.answers)
                contested = sum(1 for a in booking.answers if a.attempt.contested)
                pairs = sum(1 for a in booking.answers if "," in a.attempt.slot_ids)
                print(
                    f"Bookings: {outcomes['booked']} booked (302), {outcomes['taken']} just taken (409), "
                    f"{outcomes['busy']} busy (409, lock timeout) of {len(booking.answers)}; "
                    f"{contested} attempts raced another user for the same slot (each slot booked once, "
                    f"checked against the database), {pairs} were pairs of two clinicians' slots; "
                    f"{vacant_before} bookable choices before; warm-up {options.booking_warm_up} attempts "
                    "and 5 no-ops a user, not counted"
                )
                (sent,) = emails
                print(
                    f"Emails: the {outcomes['booked']} bookings wrote {sent.written}, all sent by the "
                    f"Celery worker within the booking run's CPU count; it was asked for {sent.drains} "
                    "drains of the outbox in all (warm-up included): a drain is not asked for again "
                    "while one asked for has not started (capa/broker.py)"
                )

                print("\nTargets")
                for page in pages[1:]:
                    p95 = common.percentile(page.server_times, 0.95)
                    print(
                        f"  {page.name}: p95 server time under {TARGET_SEARCH_P95 * 1000:.0f} ms: "
                        f"{verdict(p95 < TARGET_SEARCH_P95)} ({common.milliseconds(p95)} ms)"
                    )
                booking_p95 = common.percentile([seconds for *_, seconds in booking.server], 0.95)
                client_p95 = common.percentile([a.seconds for a in booking.answers], 0.95)
                print(
                    f"  booking at {options.users} users: p95 server time under "
                    f"{TARGET_BOOKING_P95 * 1000:.0f} ms: {verdict(booking_p95 < TARGET_BOOKING_P95)} "
                    f"({common.milliseconds(booking_p95)} ms; client time, queueing for a worker "
                    f"included: {common.milliseconds(client_p95)} ms)"
                )
                print(
                    f"  booking throughput at least {TARGET_THROUGHPUT_RATIO} of the no-op's: "
                    f"{verdict(ratio >= TARGET_THROUGHPUT_RATIO)} ({ratio:.2f})"
                )
                if options.explain:
                    slowest = max(pages[1:], key=lambda page: common.percentile(page.server_times, 0.95))
                    explain(slowest)
                if options.profile:
                    slowest = max(pages[1:], key=lambda page: common.percentile(page.server_times, 0.95))
                    client = _client_for(slowest.cookie)
                    profile_request(slowest.name, lambda: client.get(slowest.path, headers=slowest.headers))
                    profile_booking(
                        team_id=seeded.team_id, user_id=bookers[0].user_id, cookie=bookers[0].cookie
                    )
            finally:
                common.close_django_connections()
    except common.BenchFailed as failure:
        print(f"diary bench failed: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
