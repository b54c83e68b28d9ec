"""How long the capacity pages take to serve, against a logged-in no-op page in the same run.

- Team capacity page (`planning:team-capacity`): a team lead of a team of 30 clinicians; the page
  shows this and next quarter and the four-quarter projection.
- Organisation overview (`planning:organisation-capacity`): an admin of 20 teams of 30 clinicians.
- The yardstick: `bench/noop/`, logged in, every middleware, no page (bench/_urls.py).

The target (the capacity planning issue): the team page's p95 under 150 ms of server time.

    make bench                       # with every other benchmark
    python bench/capacity.py         # with PYTHONPATH=. and DATABASE_URL, REDIS_URL set
    python bench/capacity.py --profile   # also: where one team page request spends its time

The data lives in a database of its own, `capa_bench`, made next to DATABASE_URL's and dropped at
the end. Exits 1 if a page answers anything but 200 (or is not the page meant); a missed target is
reported, not failed: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: `bench` is a package root

from bench import _common as common  # noqa: E402

DATABASE_NAME = "capa_bench"
TEAMS = 20
CLINICIANS_PER_TEAM = 30  # the lead included: leads carry a caseload too
TARGET_P95 = 0.150  # seconds of server time, the team capacity page
SEED = 20270401  # the same data every run

FIRST_NAMES = (
    *("Aisha", "Ben", "Chloe", "Daniel", "Ella", "Finn", "Grace", "Hannah", "Imogen", "James"),
    *("Kwame", "Lewis", "Megan", "Nathan", "Olivia", "Priya", "Ruth", "Sophie", "Tom", "Zara"),
    *("Adam", "Bethan", "Callum", "Deborah", "Fatima", "Helen", "Mark", "Owen", "Yasmin", "Yusuf"),
)
LAST_NAMES = (
    *("Shah", "Baker", "Rahman", "Jones", "Clarke", "Walsh", "Evans", "Murphy", "Adeyemi", "Turner"),
    *("Ellis", "Okafor", "Hughes", "Begum", "Grant", "Price", "Cole", "Reid", "Hussain", "Morris"),
    *("Fletcher", "Lloyd", "Reilly", "Okoro", "Fraser", "Taylor", "West", "Mensah", "Patel", "Nowak"),
)
STREAMS = (
    # name, average appointments, appointments a session, review interval in weeks
    ("Autism assessment", Decimal("4"), Decimal("1"), 12),
    ("Weekly psychotherapy", Decimal("45"), Decimal("1"), 26),
)
CONTRACTED_HOURS = (Decimal("37.5"),) * 6 + (Decimal("30"), Decimal("22.5"), Decimal("15"))
HALF_HOUR = Decimal("0.5")


@dataclass(frozen=True)
class Seeded:
    team_id: int
    team_name: str
    lead_id: int
    admin_id: int
    team_names: list[str]
    rows: dict[str, int]
    seconds: float


# --- Data ------------------------------------------------------------------------------------------


def _pro_rata(full_time: Decimal, contracted: Decimal) -> Decimal:
    halves = (full_time * contracted / Decimal("37.5") / HALF_HOUR).to_integral_value()
    return max(halves * HALF_HOUR, HALF_HOUR)


def _week(rng: random.Random, contracted: Decimal, stream_ids: list[int]) -> tuple[dict, str]:
    """A plausible week adding up to `contracted` exactly: routine hours pro rata, some Choice,
    mostly Core, Specific work for some, big admin the rest. Returns the hours by (activity, stream)
    and the Choice pattern."""
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
    if room < Decimal("3.5"):  # a short week: Core first, then whatever is left is admin
        hours = {key: value for key, value in hours.items() if key[0] != Activity.SPECIFIC}
        room = contracted - sum(hours.values(), Decimal(0)) - HALF_HOUR
    core = (room / HALF_HOUR).to_integral_value(rounding=ROUND_FLOOR) * HALF_HOUR
    hours[Activity.CORE, None] = core
    hours[Activity.BIG_ADMIN, None] = contracted - sum(hours.values(), Decimal(0))
    assert all(value >= 0 for value in hours.values()), hours
    assert sum(hours.values(), Decimal(0)) == contracted
    return {key: value for key, value in hours.items() if value > 0}, pattern


def seed() -> Seeded:
    """One organisation of 20 teams of 30 clinicians (one of them the lead), an admin, 2 or 3
    agreed job plan versions a clinician, streams, absences and two years of referral rates."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import ClinicianProfile, Membership, Organisation, Profession, Role, Team, User
    from planning.models import (
        Absence,
        AbsenceKind,
        JobPlan,
        JobPlanLine,
        PlanningSettings,
        PlanStatus,
        ReferralRate,
        SpecificStream,
    )
    from planning.quarters import Quarter

    started = time.perf_counter()
    rng = random.Random(SEED)
    now = timezone.now()
    organisation_start = 4  # NHS financial years start in April
    this_quarter = Quarter.containing(timezone.localdate(), start_month=organisation_start)
    quarters_back = [this_quarter]
    for _ in range(4):
        quarters_back.insert(0, quarters_back[0].previous())
    unusable = make_password(None)  # nobody logs in with a password here: sessions are made directly
    professions = list(Profession.values)

    with transaction.atomic():
        organisation = Organisation.objects.create(
            name="Benchshire NHS Foundation Trust", financial_year_start_month=organisation_start
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

        admin = User.objects.create(
            username="bench.admin", first_name="Ada", last_name="Admin", password=unusable, is_staff=True
        )
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
        by_team = {
            team.pk: people[index * CLINICIANS_PER_TEAM : (index + 1) * CLINICIANS_PER_TEAM]
            for index, team in enumerate(teams)
        }
        leads = {team_id: members[0] for team_id, members in by_team.items()}
        profiles = ClinicianProfile.objects.bulk_create(
            ClinicianProfile(
                user=person,
                profession=rng.choice(professions),
                contracted_hours_per_week=rng.choice(CONTRACTED_HOURS),
            )
            for person in people
        )
        contracted = {profile.user_id: profile.contracted_hours_per_week for profile in profiles}
        Membership.objects.bulk_create(
            [Membership(user=admin, role=Role.ADMIN, organisation=organisation)]
            + [
                Membership(
                    user=person, team_id=team_id, role=Role.TEAM_LEAD if index == 0 else Role.CLINICIAN
                )
                for team_id, members in by_team.items()
                for index, person in enumerate(members)
            ]
        )

        # Job plans: agreed from a year ago, from last quarter, and for half from next quarter.
        plans, weeks = [], []
        for team_id, members in by_team.items():
            for person in members:
                starts = [quarters_back[0], quarters_back[-2]]
                if rng.random() < 0.5:
                    starts.append(this_quarter.next())
                for version, quarter in enumerate(starts, start=1):
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
        lines = JobPlanLine.objects.bulk_create(
            JobPlanLine(plan=plan, activity=activity, specific_stream_id=stream, hours_per_week=value)
            for plan, week in zip(plans, weeks, strict=True)
            for (activity, stream), value in week.items()
        )

        # Absences beyond leave for about one clinician in ten, around this quarter and next.
        absences = []
        for team_id, members in by_team.items():
            for person in rng.sample(members, k=CLINICIANS_PER_TEAM // 10):
                kind = rng.choice([AbsenceKind.MATERNITY, AbsenceKind.LONG_SICKNESS, AbsenceKind.LEAVING])
                starts_on = this_quarter.start + timedelta(days=rng.randrange(0, 150))
                length = {AbsenceKind.MATERNITY: 273, AbsenceKind.LONG_SICKNESS: 56}.get(kind)
                absences.append(
                    Absence(
                        clinician=person,
                        team_id=team_id,
                        kind=kind,
                        starts_on=starts_on,
                        ends_on=None if length is None else starts_on + timedelta(days=length - 1),
                    )
                )
        Absence.objects.bulk_create(absences)

        # Accepted referrals a week from a year ago to three quarters ahead.
        entered = [*quarters_back, *this_quarter.next().following(3)]
        rates = ReferralRate.objects.bulk_create(
            ReferralRate(
                team=team,
                quarter_start=quarter.start,
                referrals_per_week=Decimal(rng.randrange(180, 320)) / 10,
                entered_by=leads[team.pk],
            )
            for team in teams
            for quarter in entered
        )

    return Seeded(
        team_id=teams[0].pk,
        team_name=teams[0].name,
        lead_id=leads[teams[0].pk].pk,
        admin_id=admin.pk,
        team_names=[team.name for team in teams],
        rows={
            "teams": len(teams),
            "clinicians": len(people),
            "agreed job plans": len(plans),
            "job plan lines": len(lines),
            "absences": len(absences),
            "referral rates": len(rates),
        },
        seconds=time.perf_counter() - started,
    )


# --- Pages -----------------------------------------------------------------------------------------


def _team_page_check(team_name: str, team_id: int):
    def check(body: str) -> str | None:
        if "Capacity against demand" not in body or team_name not in body:
            return "no capacity heading for the team"
        # Each clinician's name links to their plan, once a quarter (this and next).
        links = body.count(f"/planning/teams/{team_id}/clinicians/")
        if links < 2 * CLINICIANS_PER_TEAM:
            return f"{links} links to clinicians' plans, expected {2 * CLINICIANS_PER_TEAM} or more"
        return None

    return check


def _organisation_page_check(team_names: list[str]):
    def check(body: str) -> str | None:
        missing = [name for name in team_names if name not in body]
        return f"teams missing: {', '.join(missing)}" if missing else None

    return check


def _noop_check(body: str) -> str | None:
    return None if body == "ok" else "not the no-op page"


def profile_one(page: common.Page, *, rows: int = 25) -> None:
    """Where one request of the page spends its time, profiled in this process (test client)."""
    from django.test import Client

    name, value = page.cookie.split("=", 1)
    client = Client()
    client.cookies[name] = value
    client.get(page.path)  # warm: templates compiled, connections open
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="team page and no-op requests (100)")
    parser.add_argument("--organisation-requests", type=int, default=30, help="organisation page (30)")
    parser.add_argument("--warm-up", type=int, default=10, help="unmeasured requests of each page first")
    parser.add_argument("--profile", action="store_true", help="also profile one team page request")
    options = parser.parse_args()
    if min(options.requests, options.organisation_requests) < 1 or options.warm_up < 0:
        parser.error("every page needs at least one measured request, and warm-up cannot be negative")

    source_url = os.environ.get("DATABASE_URL")
    if not source_url:
        print("capacity bench: set DATABASE_URL (make bench does)", file=sys.stderr)
        return 1
    from django.urls import reverse  # no settings needed to import

    try:
        with common.throwaway_database(source_url, DATABASE_NAME) as database_url:
            try:
                common.setup_django(database_url)
                started = time.perf_counter()
                common.migrate()
                migrated = time.perf_counter() - started
                seeded = seed()
                common.analyze()

                from accounts.models import User

                lead_cookie = common.session_cookie(User.objects.get(pk=seeded.lead_id))
                admin_cookie = common.session_cookie(User.objects.get(pk=seeded.admin_id))
                noop = common.Page(
                    "no-op (logged in, yardstick)",
                    reverse("bench-noop"),
                    lead_cookie,
                    options.requests,
                    _noop_check,
                )
                pages = [
                    noop,
                    common.Page(
                        f"team capacity ({CLINICIANS_PER_TEAM} clinicians)",
                        reverse("planning:team-capacity", kwargs={"team_id": seeded.team_id}),
                        lead_cookie,
                        options.requests,
                        _team_page_check(seeded.team_name, seeded.team_id),
                    ),
                    common.Page(
                        f"organisation ({TEAMS} x {CLINICIANS_PER_TEAM})",
                        reverse("planning:organisation-capacity"),
                        admin_cookie,
                        options.organisation_requests,
                        _organisation_page_check(seeded.team_names),
                    ),
                ]
                for page in pages:
                    page.queries = common.count_queries(page)
                common.close_django_connections()  # the server gets the database to itself

                with common.serve(database_url=database_url) as server:
                    common.measure(server, pages, warm_up=options.warm_up)

                rows = ", ".join(f"{count:,} {what}" for what, count in seeded.rows.items())
                common.print_report(
                    title="Capacity pages (bench/capacity.py)",
                    server=server,
                    pages=pages,
                    yardstick=noop,
                    notes=[
                        f"Data: {rows}; loaded in {seeded.seconds:.1f} s (migrations {migrated:.1f} s)",
                        f"Warm-up: {options.warm_up} requests of each page, not counted",
                    ],
                )
                team_page = pages[1]
                p95 = common.percentile(team_page.server_times, 0.95)
                verdict = "PASS" if p95 < TARGET_P95 else "MISS"
                print(
                    f"\nTarget: team capacity page p95 server time under {TARGET_P95 * 1000:.0f} ms: "
                    f"{verdict} ({common.milliseconds(p95)} ms)"
                )
                if options.profile:
                    profile_one(team_page)
            finally:
                common.close_django_connections()
    except common.BenchFailed as failure:
        print(f"capacity bench failed: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
