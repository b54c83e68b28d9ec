"""How fast the quarterly dashboards answer, against a logged-in no-op page in the same run.

- Organisation overview (`dashboard:organisation`, admins): 20 teams side by side for a quarter.
- Team quarter page (`dashboard:team`, the team's lead): one team of 30, with 8 quarters of trend.
- Both for this quarter and the previous (complete) one; the yardstick is `bench/noop/`.

The pages read the summary table (dashboard/summary.py, docs/adr/0010), so each page is timed in
the states it can be found in:

- *ready*: the summaries are right (nothing counted has changed since they were worked out, or the
  worker's refresh every 10 s has worked them out again): the usual state;
- *a team changed since*: before each request, a write in one team (the next team each time, as a
  booking or an outcome would be) that the refresh has not caught up with: that team's figures are
  worked out again, the other teams' read;
- *nothing stored*: before each request, the summary table emptied: every figure worked out, as on
  the first view of the day before the refresh has run.

The targets (issue 8): organisation overview p95 server time under 300 ms, team quarter page p95
under 150 ms; every state gets a verdict.

    python bench/dashboard.py            # with PYTHONPATH=. and DATABASE_URL, REDIS_URL set
    python bench/dashboard.py --profile  # also: where one request of each page spends its time
    python bench/dashboard.py --explain  # also: EXPLAIN ANALYZE of each page's slowest statements

Trust-scale data: 20 teams of 30 clinicians with agreed job plans, three years of diary (78 weeks
back, 78 ahead): first Core slots (a tenth joint) with their clinicians' time and appointment links,
Choice slots, a case for each booking with its steps (accepted, Choice attended or missed, Choice
outcome, Let Go), key workers and Core co-workers, closed Core cases with follow-up appointments,
and families closed at Choice or sent to Specific work. It lives in a database of its own,
`capa_bench_dashboard`, dropped at the end. Exits 1 if a page answers anything but the page meant;
a missed target is reported, not failed.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pstats
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: `bench` is a package root

from bench import _common as common  # noqa: E402

DATABASE_NAME = "capa_bench_dashboard"
TEAMS = 20
CLINICIANS_PER_TEAM = 30  # the lead included
WEEKS_BACK = 78
WEEKS_AHEAD = 78
SLOTS_A_WEEK = ((0.6, 1), (0.075, 2))
JOINT_SHARE = 0.1
REMOVED_SHARE = 0.02
SLOT_STARTS = (clock(9), clock(10, 15), clock(11, 30), clock(13, 30), clock(14, 45), clock(16))
SLOT_LENGTH = timedelta(hours=1)
# Follow-ups on a grid of their own, between and after the slots' hours: they cannot clash with them.
FOLLOW_UP_STARTS = (clock(8), clock(12, 35), clock(17, 10), clock(18, 0))
FOLLOW_UP_LENGTH = timedelta(minutes=45)
CHOICE_SLOTS_A_WEEK = 12  # a team's Choice slots a week
CHOICE_ONLY_A_WEEK = 6  # a team's families a week closed at Choice or sent to Specific work
LONDON = ZoneInfo("Europe/London")
SEED = 20270403
TARGET_ORGANISATION_P95 = 0.300
TARGET_TEAM_P95 = 0.150
STREAMS = (
    ("Autism assessment", Decimal("4"), Decimal("1"), 12),
    ("Weekly psychotherapy", Decimal("45"), Decimal("1"), 26),
)
CONTRACTED_HOURS = (Decimal("37.5"),) * 6 + (Decimal("30"), Decimal("22.5"), Decimal("15"))
HALF_HOUR = Decimal("0.5")
NAMES = ("Aisha", "Ben", "Chloe", "Daniel", "Ella", "Finn", "Grace", "Hannah", "Imogen", "James")
SURNAMES = ("Shah", "Baker", "Rahman", "Jones", "Clarke", "Walsh", "Evans", "Murphy", "Adeyemi", "Turner")


@dataclass(frozen=True)
class Seeded:
    team_id: int
    team_name: str
    lead_id: int
    admin_id: int
    team_names: list[str]
    team_ids: list[int]
    rows: dict[str, int]
    seconds: float


# --- Data ------------------------------------------------------------------------------------------


def _pro_rata(full_time: Decimal, contracted: Decimal) -> Decimal:
    halves = (full_time * contracted / Decimal("37.5") / HALF_HOUR).to_integral_value()
    return max(halves * HALF_HOUR, HALF_HOUR)


def _week(rng: random.Random, contracted: Decimal, stream_ids: list[int]) -> tuple[dict, str]:
    """A week adding up to `contracted`: routine hours, Choice, mostly Core, some Specific, admin."""
    from planning.models import Activity, ChoicePattern

    hours = {
        (Activity.TEAM_MEETING, None): _pro_rata(Decimal("2"), contracted),
        (Activity.SUPERVISION, None): _pro_rata(Decimal("1.5"), contracted),
        (Activity.CPD_RESEARCH, None): _pro_rata(Decimal("2"), contracted),
    }
    choice = rng.choice([Decimal("1.5"), Decimal("3.5"), Decimal("3.5"), Decimal("7")])
    pattern = ChoicePattern.ONE_A_WEEK if choice == Decimal("1.5") else ChoicePattern.SESSIONS
    hours[Activity.CHOICE, None] = choice
    if rng.random() < 0.5:
        hours[Activity.SPECIFIC, rng.choice(stream_ids)] = rng.choice([Decimal("3.5"), Decimal("7")])
    admin = rng.choice([Decimal("2"), Decimal("3"), Decimal("4.5")])
    room = contracted - sum(hours.values(), Decimal(0)) - admin
    if room < Decimal("3.5"):
        hours = {key: value for key, value in hours.items() if key[0] != Activity.SPECIFIC}
        room = contracted - sum(hours.values(), Decimal(0)) - HALF_HOUR
    core = (room / HALF_HOUR).to_integral_value(rounding=ROUND_FLOOR) * HALF_HOUR
    hours[Activity.CORE, None] = core
    hours[Activity.BIG_ADMIN, None] = contracted - sum(hours.values(), Decimal(0))
    return {key: value for key, value in hours.items() if value > 0}, pattern


def _slots_this_week(rng: random.Random) -> int:
    draw = rng.random()
    for share, count in SLOTS_A_WEEK:
        if draw < share:
            return count
        draw -= share
    return 0


def _booked_share(starts_at: datetime, now: datetime) -> float:
    ahead = (starts_at - now) / timedelta(weeks=1)
    if ahead < 0:
        return 0.88
    if ahead < 6:
        return 0.7
    if ahead < 13:
        return 0.25
    return 0.08


def seed() -> Seeded:  # noqa: C901, PLR0912, PLR0915 - one long, linear recipe
    """The organisation, its teams, people, job plans, and three years of diary and cases."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.calendar import bank_holidays
    from accounts.models import (
        ClinicianProfile,
        Membership,
        Organisation,
        Profession,
        Role,
        Team,
        User,
        Venue,
    )
    from diary.models import (
        CANCELLED,
        Appointment,
        AppointmentKind,
        AppointmentSlot,
        AppointmentStatus,
        ClinicianTime,
        Slot,
        SlotKind,
        SlotStatus,
    )
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
    from planning.models import JobPlan, JobPlanLine, PlanningSettings, PlanStatus, SpecificStream
    from planning.quarters import Quarter

    started = time.perf_counter()
    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate()
    this_monday = today - timedelta(days=today.weekday())
    unusable = make_password(None)
    batch = 5000
    start_month = 4
    this_quarter = Quarter.containing(today, start_month=start_month)
    first_quarter = Quarter.containing(this_monday - timedelta(weeks=WEEKS_BACK), start_month=start_month)

    with transaction.atomic():
        with connection.cursor() as cursor:  # see bench/diary.py: deferred checks make the load quadratic
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        organisation = Organisation.objects.create(
            name="Benchshire NHS Foundation Trust", financial_year_start_month=start_month
        )
        teams = Team.objects.bulk_create(
            Team(organisation=organisation, name=f"CAMHS team {number:02d}") for number in range(1, TEAMS + 1)
        )
        PlanningSettings.objects.bulk_create(PlanningSettings(team=team) for team in teams)
        streams = SpecificStream.objects.bulk_create(
            SpecificStream(
                team=team,
                name=name,
                average_appointments=average,
                appointments_per_session=per_session,
                review_interval_weeks=review,
            )
            for team in teams
            for name, average, per_session, review in STREAMS
        )
        stream_ids = {team.pk: [s.pk for s in streams if s.team_id == team.pk] for team in teams}
        venues = Venue.objects.bulk_create(
            Venue(team=team, name=f"Clinic {number}", address=f"{number} High Street")
            for team in teams
            for number in (1, 2)
        )
        venues_of = {team.pk: [v for v in venues if v.team_id == team.pk] for team in teams}
        admin = User.objects.create(
            username="bench.admin", first_name="Ada", last_name="Admin", password=unusable, is_staff=True
        )
        people = User.objects.bulk_create(
            User(
                username=f"clinician.{t:02d}.{n:02d}",
                first_name=rng.choice(NAMES),
                last_name=rng.choice(SURNAMES),
                email=f"clinician.{t:02d}.{n:02d}@example.nhs.uk",
                password=unusable,
            )
            for t in range(1, TEAMS + 1)
            for n in range(1, CLINICIANS_PER_TEAM + 1)
        )
        members = {
            team.pk: people[i * CLINICIANS_PER_TEAM : (i + 1) * CLINICIANS_PER_TEAM]
            for i, team in enumerate(teams)
        }
        leads = {team_id: team_members[0] for team_id, team_members in members.items()}
        profiles = ClinicianProfile.objects.bulk_create(
            ClinicianProfile(
                user=person,
                profession=rng.choice(list(Profession.values)),
                contracted_hours_per_week=rng.choice(CONTRACTED_HOURS),
            )
            for person in people
        )
        contracted = {p.user_id: p.contracted_hours_per_week for p in profiles}
        Membership.objects.bulk_create(
            [Membership(user=admin, role=Role.ADMIN, organisation=organisation)]
            + [
                Membership(user=person, team_id=team_id, role=Role.TEAM_LEAD if i == 0 else Role.CLINICIAN)
                for team_id, team_members in members.items()
                for i, person in enumerate(team_members)
            ]
        )
        # Job plans: agreed from the first quarter of the data, a second version from last quarter.
        plans, weeks = [], []
        for team_id, team_members in members.items():
            for person in team_members:
                for version, quarter in enumerate([first_quarter, this_quarter.previous()], start=1):
                    week, pattern = _week(rng, contracted[person.pk], stream_ids[team_id])
                    plans.append(
                        JobPlan(
                            clinician=person,
                            team_id=team_id,
                            version=version,
                            effective_from=quarter.start,
                            status=PlanStatus.AGREED,
                            choice_pattern=pattern,
                            created_by=leads[team_id],
                            agreed_by=leads[team_id],
                            agreed_at=now,
                        )
                    )
                    weeks.append(week)
        plans = JobPlan.objects.bulk_create(plans)
        plan_lines = JobPlanLine.objects.bulk_create(
            (
                JobPlanLine(plan=plan, activity=activity, specific_stream_id=stream, hours_per_week=value)
                for plan, week in zip(plans, weeks, strict=True)
                for (activity, stream), value in week.items()
            ),
            batch_size=batch,
        )

        holidays = set()
        for year in range(today.year - 3, today.year + 3):
            holidays |= set(bank_holidays(teams[0].nation, year))

        # First Core slots (the grid of bench/diary.py) and Choice slots (no clinician time: the
        # dashboards count them from the slot).
        slots, clinicians_of = [], []
        busy: set[tuple[int, date, int]] = set()
        for team in teams:
            team_members = members[team.pk]
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
                            slots.append(
                                Slot(
                                    team=team,
                                    kind=SlotKind.FIRST_CORE,
                                    starts_at=starts_at,
                                    ends_at=starts_at + SLOT_LENGTH,
                                    venue=rng.choice(venues_of[team.pk]),
                                    status=SlotStatus.VACANT,
                                    clinician_count=len(together),
                                    created_by=person,
                                )
                            )
                            clinicians_of.append(together)
                            break
        choice_slots = []
        for team in teams:
            for week in range(-WEEKS_BACK, WEEKS_AHEAD):
                monday = this_monday + timedelta(weeks=week)
                for _ in range(CHOICE_SLOTS_A_WEEK):
                    starts_at = datetime.combine(
                        monday + timedelta(days=rng.randrange(5)), rng.choice(SLOT_STARTS), tzinfo=LONDON
                    )
                    choice_slots.append(
                        Slot(
                            team=team,
                            kind=SlotKind.CHOICE,
                            starts_at=starts_at,
                            ends_at=starts_at + SLOT_LENGTH,
                            venue=rng.choice(venues_of[team.pk]),
                            status=SlotStatus.REMOVED if rng.random() < REMOVED_SHARE else SlotStatus.VACANT,
                            clinician_count=1,
                            created_by=leads[team.pk],
                        )
                    )

        # Cases, with their steps and workers. Each is a dict of rows to make once cases have ids.
        cases, steps, workers = [], [], []  # steps/workers: (case index, model instance)
        references = Counter()

        def new_case(team, referral: date, **fields) -> int:
            references[team.pk] += 1
            cases.append(
                Case(
                    team=team,
                    family_reference=f"RX{team.pk:03d}-{references[team.pk]:06d}",
                    child_first_name=rng.choice(NAMES),
                    child_last_name=rng.choice(SURNAMES),
                    child_date_of_birth=referral - timedelta(days=rng.randint(4 * 365, 17 * 365)),
                    referral_date=referral,
                    accepted_on=referral,
                    created_by=leads[team.pk],
                    **fields,
                )
            )
            return len(cases) - 1

        def step(index: int, kind: str, before: str, after: str, on: date) -> None:
            if on <= today:
                steps.append(
                    (
                        index,
                        CaseStep(
                            kind=kind,
                            from_state=before,
                            to_state=after,
                            happened_on=on,
                            by=leads[cases[index].team_id],
                        ),
                    )
                )

        def choice_steps(index: int, outcome_kind: str, after: str) -> None:
            case = cases[index]
            step(index, StepKind.ACCEPT, CaseState.REFERRED, CaseState.AWAITING_CHOICE, case.accepted_on)
            if rng.random() < 0.1:  # missed the first Choice appointment
                missed = case.choice_date - timedelta(days=rng.randint(7, 14))
                step(index, StepKind.CHOICE_DNA, CaseState.CHOICE_BOOKED, CaseState.AWAITING_CHOICE, missed)
            step(
                index,
                StepKind.CHOICE_ATTENDED,
                CaseState.CHOICE_BOOKED,
                CaseState.CHOICE_ATTENDED,
                case.choice_date,
            )
            step(index, outcome_kind, CaseState.CHOICE_ATTENDED, after, case.choice_date)

        appointments, links = [], []  # appointments: (case index, Appointment); links: (a, slot, live)
        follow_ups = []  # (appointment index, clinician)
        fu_busy: set[tuple[int, date, int]] = set()

        def book(index: int, status: str, *, live: bool, booked_at: datetime, outcome_at=None) -> int:
            slot = slots[index]
            together = clinicians_of[index]
            first_core_day = slot.starts_at.date()
            referral = first_core_day - timedelta(days=rng.randint(30, 150))
            choice = referral + timedelta(days=rng.randint(7, 25))
            kept = rng.random() < 0.1
            attended = status == AppointmentStatus.ATTENDED
            closes = attended and first_core_day < today - timedelta(weeks=12) and rng.random() < 0.7
            follow_up_count = rng.randint(2, 6) if attended else 0
            closed_on = first_core_day + timedelta(weeks=follow_up_count + 1) if closes else None
            if closed_on and closed_on > today:
                closed_on, closes = None, False
            if closes:
                state = CaseState.LET_GO
            elif status == AppointmentStatus.BOOKED:
                state = CaseState.FIRST_CORE_BOOKED
            elif attended:
                state = CaseState.IN_PARTNERSHIP
            else:
                state = CaseState.AWAITING_FIRST_CORE
            case_index = new_case(
                slot.team,
                referral,
                choice_date=choice,
                choice_outcome=ChoiceOutcome.KEPT_AT_CHOICE if kept else ChoiceOutcome.CORE,
                state=state,
                closed_on=closed_on,
                close_reason="Goals met" if closes else "",
            )
            choice_steps(
                case_index,
                StepKind.KEEP_AT_CHOICE if kept else StepKind.TO_CORE,
                CaseState.AWAITING_FIRST_CORE,
            )
            if closes:
                step(case_index, StepKind.LET_GO, CaseState.IN_PARTNERSHIP, CaseState.LET_GO, closed_on)
            if live:
                joined = booked_at.date()
                for number, person in enumerate(together):
                    workers.append(
                        (
                            case_index,
                            CaseWorker(
                                clinician=person,
                                role=WorkerRole.KEY_WORKER if number == 0 else WorkerRole.CORE_COWORKER,
                                joined_on=joined,
                                left_on=closed_on,
                                via=JoinedVia.DIARY,
                                added_by=person,
                            ),
                        )
                    )
            cancelled = status in CANCELLED
            appointments.append(
                (
                    case_index,
                    Appointment(
                        team=slot.team,
                        kind=AppointmentKind.FIRST_CORE,
                        starts_at=slot.starts_at,
                        ends_at=slot.ends_at,
                        venue=slot.venue,
                        status=status,
                        booked_by=together[0],
                        booked_at=booked_at,
                        outcome_by=None if status == AppointmentStatus.BOOKED else together[0],
                        outcome_at=outcome_at,
                        cancel_reason="Child unwell" if cancelled else "",
                    ),
                )
            )
            links.append((len(appointments) - 1, index, live))
            # Follow-ups, weekly after the first, on their own grid: each clinician once an hour.
            for week in range(1, follow_up_count + 1):
                day = first_core_day + timedelta(weeks=week)
                starts_at = None
                for at in range(len(FOLLOW_UP_STARTS)):
                    if all((p.pk, day, at) not in fu_busy for p in together):
                        fu_busy.update((p.pk, day, at) for p in together)
                        starts_at = datetime.combine(day, FOLLOW_UP_STARTS[at], tzinfo=LONDON)
                        break
                if starts_at is None:
                    continue
                past = starts_at < now
                fu_status = (
                    AppointmentStatus.BOOKED
                    if not past
                    else (AppointmentStatus.ATTENDED if rng.random() < 0.9 else AppointmentStatus.DNA)
                )
                appointments.append(
                    (
                        case_index,
                        Appointment(
                            team=slot.team,
                            kind=AppointmentKind.FOLLOW_UP,
                            starts_at=starts_at,
                            ends_at=starts_at + FOLLOW_UP_LENGTH,
                            venue=slot.venue,
                            status=fu_status,
                            booked_by=together[0],
                            booked_at=slot.starts_at,
                            outcome_by=None if fu_status == AppointmentStatus.BOOKED else together[0],
                            outcome_at=None
                            if fu_status == AppointmentStatus.BOOKED
                            else starts_at + FOLLOW_UP_LENGTH,
                        ),
                    )
                )
                follow_ups.extend((len(appointments) - 1, p) for p in together)
            return case_index

        for index, slot in enumerate(slots):
            if rng.random() < REMOVED_SHARE:
                slot.status = SlotStatus.REMOVED
                continue
            past = slot.starts_at < now
            if rng.random() >= _booked_share(slot.starts_at, now):
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
            draw = rng.random()
            if draw < 0.8:
                outcome = AppointmentStatus.ATTENDED
            elif draw < 0.9:
                outcome = AppointmentStatus.DNA
            elif draw < 0.96:
                outcome = AppointmentStatus.CANCELLED_BY_FAMILY
            else:
                outcome = AppointmentStatus.CANCELLED_BY_SERVICE
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
            slot.status = SlotStatus.LOST

        # Families seen at Choice who did not go on to Core: closed there, or to Specific work.
        for team in teams:
            for week in range(-WEEKS_BACK, WEEKS_AHEAD):
                for _ in range(CHOICE_ONLY_A_WEEK):
                    referral = this_monday + timedelta(weeks=week, days=rng.randrange(5))
                    if referral > today:
                        continue
                    choice = referral + timedelta(days=rng.randint(7, 40))
                    if choice > today:
                        new_case(team, referral, state=CaseState.AWAITING_CHOICE)
                        step(
                            len(cases) - 1,
                            StepKind.ACCEPT,
                            CaseState.REFERRED,
                            CaseState.AWAITING_CHOICE,
                            referral,
                        )
                        continue
                    if rng.random() < 0.6:
                        index = new_case(
                            team,
                            referral,
                            choice_date=choice,
                            choice_outcome=ChoiceOutcome.NO_FURTHER_HELP,
                            state=CaseState.CLOSED_AT_CHOICE,
                            closed_on=choice,
                            close_reason="No further help needed",
                        )
                        choice_steps(index, StepKind.CLOSE_AT_CHOICE, CaseState.CLOSED_AT_CHOICE)
                    else:
                        index = new_case(
                            team,
                            referral,
                            choice_date=choice,
                            choice_outcome=ChoiceOutcome.SPECIFIC,
                            specific_stream_id=rng.choice(stream_ids[team.pk]),
                            state=CaseState.AWAITING_SPECIFIC,
                        )
                        choice_steps(index, StepKind.TO_SPECIFIC, CaseState.AWAITING_SPECIFIC)

        Slot.objects.bulk_create(slots, batch_size=batch)
        Slot.objects.bulk_create(choice_slots, batch_size=batch)
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
        Case.objects.bulk_create(cases, batch_size=batch)
        for case_index, appointment in appointments:
            appointment.case = cases[case_index]
        Appointment.objects.bulk_create([a for _, a in appointments], batch_size=batch)
        AppointmentSlot.objects.bulk_create(
            (
                AppointmentSlot(appointment=appointments[a][1], slot=slots[s], is_live=live)
                for a, s, live in links
            ),
            batch_size=batch,
        )
        follow_up_times = ClinicianTime.objects.bulk_create(
            (
                ClinicianTime(
                    clinician=person,
                    appointment=appointments[a][1],
                    during=(appointments[a][1].starts_at, appointments[a][1].ends_at),
                    is_live=True,
                )
                for a, person in follow_ups
            ),
            batch_size=batch,
        )
        for case_index, row in steps:
            row.case = cases[case_index]
        CaseStep.objects.bulk_create([row for _, row in steps], batch_size=batch)
        for case_index, row in workers:
            row.case = cases[case_index]
        CaseWorker.objects.bulk_create([row for _, row in workers], batch_size=batch)

    statuses = Counter(slot.status for slot in slots)
    kinds = Counter(a.kind for _, a in appointments)
    team = teams[0]
    return Seeded(
        team_id=team.pk,
        team_name=team.name,
        lead_id=leads[team.pk].pk,
        admin_id=admin.pk,
        team_names=[t.name for t in teams],
        team_ids=[t.pk for t in teams],
        rows={
            "teams": len(teams),
            "clinicians": len(people),
            "agreed job plans": len(plans),
            "job plan lines": len(plan_lines),
            "first Core slots": len(slots),
            "  joint": sum(1 for together in clinicians_of if len(together) == 2),
            "  booked": statuses[SlotStatus.BOOKED],
            "  lost": statuses[SlotStatus.LOST],
            "  removed": statuses[SlotStatus.REMOVED],
            "Choice slots": len(choice_slots),
            "clinician time rows": len(times) + len(follow_up_times),
            "first Core appointments": kinds[AppointmentKind.FIRST_CORE],
            "follow-up appointments": kinds[AppointmentKind.FOLLOW_UP],
            "cases": len(cases),
            "  let go": sum(1 for c in cases if c.state == CaseState.LET_GO),
            "case steps": len(steps),
            "case workers": len(workers),
        },
        seconds=time.perf_counter() - started,
    )


# --- Pages -----------------------------------------------------------------------------------------


def _contains(*texts: str):
    def check(body: str) -> str | None:
        missing = [text for text in texts if text not in body]
        return f"missing: {', '.join(missing)}" if missing else None

    return check


def _noop_check(body: str) -> str | None:
    return None if body == "ok" else "not the no-op page"


def _client_for(cookie: str):
    from django.test import Client

    name, value = cookie.split("=", 1)
    client = Client()
    client.cookies[name] = value
    return client


def profile_one(page: common.Page, *, rows: int = 25) -> None:
    """Where one request of the page spends its time (cProfile, test client, this process)."""
    client = _client_for(page.cookie)
    client.get(page.path)
    if page.before:
        page.before()
    profiler = cProfile.Profile()
    profiler.enable()
    response = client.get(page.path)
    profiler.disable()
    if response.status_code != 200:
        raise common.BenchFailed(f"profiling {page.name}: {response.status_code}")
    print(f"\nProfile of one request, {page.name} (cProfile, in this process, so slower than served)")
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("cumulative").print_stats(rows)
    stats.sort_stats("tottime").print_stats(rows)


def explain(page: common.Page, *, statements: int = 3) -> None:
    """EXPLAIN ANALYZE of the slowest statements one request of the page runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client_for(page.cookie)
    client.get(page.path)
    if page.before:
        page.before()
    with CaptureQueriesContext(connection) as queries:
        client.get(page.path)
    slowest = sorted(queries.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:statements]
    print(f"\nThe slowest statements of one request, {page.name} ({len(queries)} in all)")
    for query in slowest:
        print(f"\n-- {float(query['time']) * 1000:.1f} ms in the test client\n{query['sql']}")
        if not query["sql"].lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()))


def _write_in_one_team(team_ids: list[int]):
    """Before each request, a write in the next of these teams: what a booking, an outcome or a new
    slot does to its summaries (a write that changes nothing is still a write to the triggers)."""
    from django.db import connection

    turn = itertools.cycle(team_ids)

    def write() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE diary_slot SET status = status"
                " WHERE id = (SELECT min(id) FROM diary_slot WHERE team_id = %s)",
                [next(turn)],
            )

    return write


def _forget_summaries() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM dashboard_summary")


# --- The run -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="of each page and the no-op (50)")
    parser.add_argument("--warm-up", type=int, default=5, help="unmeasured requests of each page first (5)")
    parser.add_argument("--profile", action="store_true", help="also profile one request of each page")
    parser.add_argument("--explain", action="store_true", help="also EXPLAIN ANALYZE each page's slowest SQL")
    options = parser.parse_args()
    if options.requests < 1 or options.warm_up < 0:
        parser.error("every page needs at least one measured request, and warm-up cannot be negative")

    source_url = os.environ.get("DATABASE_URL")
    if not source_url:
        print("dashboard bench: set DATABASE_URL (make bench does)", file=sys.stderr)
        return 1
    from django.urls import reverse

    try:
        with common.throwaway_database(source_url, DATABASE_NAME) as database_url:
            try:
                common.setup_django(database_url)
                started = time.perf_counter()
                common.migrate()
                migrated = time.perf_counter() - started
                seeded = seed()
                common.analyze()

                from django.utils import timezone

                from accounts.models import User
                from planning.quarters import Quarter

                this_quarter = Quarter.containing(timezone.localdate(), start_month=4)
                quarters = [this_quarter.previous(), this_quarter]
                lead_cookie = common.session_cookie(User.objects.get(pk=seeded.lead_id))
                admin_cookie = common.session_cookie(User.objects.get(pk=seeded.admin_id))
                noop = common.Page(
                    "no-op (logged in, yardstick)",
                    reverse("bench-noop"),
                    lead_cookie,
                    options.requests,
                    _noop_check,
                )
                organisation_pages = [
                    common.Page(
                        f"organisation {q.label}, ready",
                        f"{reverse('dashboard:organisation')}?quarter={q.label}",
                        admin_cookie,
                        options.requests,
                        _contains(*seeded.team_names),
                    )
                    for q in quarters
                ]
                team_pages = [
                    common.Page(
                        f"team {q.label} (lead), ready",
                        f"{reverse('dashboard:team', kwargs={'team_id': seeded.team_id})}?quarter={q.label}",
                        lead_cookie,
                        options.requests,
                        _contains(seeded.team_name),
                    )
                    for q in quarters
                ]
                organisation_path = f"{reverse('dashboard:organisation')}?quarter={this_quarter.label}"
                team_url = reverse("dashboard:team", kwargs={"team_id": seeded.team_id})
                team_path = f"{team_url}?quarter={this_quarter.label}"
                organisation_later = [
                    common.Page(
                        f"organisation {this_quarter.label}, a team changed since",
                        f"{organisation_path}&state=changed",  # ignored by the page; its own line in the log
                        admin_cookie,
                        options.requests,
                        _contains(*seeded.team_names),
                        before=_write_in_one_team(seeded.team_ids),
                    ),
                    common.Page(
                        f"organisation {this_quarter.label}, nothing stored",
                        f"{organisation_path}&state=empty",
                        admin_cookie,
                        options.requests,
                        _contains(*seeded.team_names),
                        before=_forget_summaries,
                    ),
                ]
                team_later = [
                    common.Page(
                        f"team {this_quarter.label} (lead), the team changed since",
                        f"{team_path}&state=changed",
                        lead_cookie,
                        options.requests,
                        _contains(seeded.team_name),
                        before=_write_in_one_team([seeded.team_id]),
                    )
                ]
                ready = [noop, *organisation_pages, *team_pages]
                later = [*organisation_later, *team_later]
                pages = [*ready, *later]
                for page in pages:
                    page.queries = common.count_queries(page)
                common.close_django_connections()

                with common.serve(database_url=database_url) as server:
                    # Apart: the later states' writes and emptying would spoil "ready" between them.
                    common.measure(server, ready, warm_up=options.warm_up)
                    common.measure(server, later, warm_up=options.warm_up)
                organisation_pages += organisation_later
                team_pages += team_later

                rows = ", ".join(f"{count:,} {what.strip()}" for what, count in seeded.rows.items())
                common.print_report(
                    title="Quarterly dashboards (bench/dashboard.py)",
                    server=server,
                    pages=pages,
                    yardstick=noop,
                    notes=[
                        f"Data: {rows}; loaded in {seeded.seconds:.1f} s (migrations {migrated:.1f} s)",
                        f"Diary: {WEEKS_BACK} weeks back and {WEEKS_AHEAD} ahead of this week",
                        f"Warm-up: {options.warm_up} requests of each page, not counted",
                    ],
                )
                print()
                for group, target in (
                    (organisation_pages, TARGET_ORGANISATION_P95),
                    (team_pages, TARGET_TEAM_P95),
                ):
                    for page in group:
                        p95 = common.percentile(page.server_times, 0.95)
                        verdict = "PASS" if p95 < target else "MISS"
                        print(
                            f"Target: {page.name} p95 server time under {target * 1000:.0f} ms: "
                            f"{verdict} ({common.milliseconds(p95)} ms)"
                        )
                if options.profile:
                    profile_one(organisation_pages[-1])
                    profile_one(team_pages[-1])
                if options.explain:
                    explain(organisation_pages[-1])
                    explain(team_pages[-1])
            finally:
                common.close_django_connections()
    except common.BenchFailed as failure:
        print(f"dashboard bench failed: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
