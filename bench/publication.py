"""How long publishing a quarter's targets for 10,000 clinicians takes through a real Celery worker,
and how much memory the worker needs, against yardsticks measured in the same run.

- The publication: `diary.tasks.publish_quarter` for next quarter, sent to a real worker (prefork,
  concurrency 1, prefetch 1, `DEBUG=0`) of one organisation of 334 teams (10,000 clinicians, a
  few hundred of them without an agreed plan). Timed from sending the task until the database says
  the `PublicationRun` is completed (polled every 100 ms), while the RSS of the worker's processes
  is sampled from /proc every 100 ms.
- The yardsticks: a no-op task through the same worker (`drain_outbox` with an empty outbox,
  timed to its task-succeeded event), and one SELECT of every clinician with their user and
  profile (the rows the publication reads), timed in this process.

The targets (the publication issue): under 60 s of wall time and under 300 MB peak RSS in the
worker's pool process (MB = 1,000,000 bytes).

    make bench                          # with every other benchmark
    python bench/publication.py         # with PYTHONPATH=. and DATABASE_URL, REDIS_URL set
    python bench/publication.py --profile   # also: where publish_quarter spends its time

The data lives in a database of its own, `capa_bench_publication`, made next to DATABASE_URL's and
dropped at the end. The broker is REDIS_URL's Redis, but database 13 of it (`--redis-db`), so that
this worker and a `make run` worker never take each other's tasks; what the run leaves in the
queue is purged before the worker stops. Exits 1 if the publication is wrong (not exactly one target per
clinician, the run's count off, the wrong plan) or the worker fails; a missed target is reported,
not failed, and followed by a profile of `publish_quarter` in this process on a smaller trust.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import math
import os
import pstats
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from planning.quarters import Quarter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: `bench` is a package root

from bench import _common as common  # noqa: E402

DATABASE_NAME = "capa_bench_publication"  # not `capa_bench` or `capa_bench_diary`: they may run in turn
CLINICIANS = 10_000
PER_TEAM = 30  # the lead included: leads carry a caseload too
WITHOUT_PLAN = 300  # new starters and the like: published with no target
TARGET_SECONDS = 60.0
TARGET_BYTES = 300_000_000
SAMPLE_EVERY = 0.1  # seconds between polls of the run and samples of /proc
RUN_TIMEOUT = 16 * 60  # the task's hard time limit is 15 minutes
SEED = 20270101
REDIS_DB = 13  # the broker's database on REDIS_URL's server: queues and broadcasts of this bench only
PROFILE_CLINICIANS = 600  # the smaller trust profiled in this process

FIRST_NAMES = ("Aisha", "Ben", "Chloe", "Daniel", "Ella", "Finn", "Grace", "Kwame", "Priya", "Yusuf")
LAST_NAMES = ("Shah", "Baker", "Rahman", "Jones", "Okafor", "Hughes", "Begum", "Patel", "Nowak", "Reid")
CONTRACTED_HOURS = (Decimal("37.5"),) * 6 + (Decimal("30"), Decimal("22.5"), Decimal("15"))


class WrongResult(Exception):
    """The publication did not publish what it should have: the figures do not count."""


# --- Data ------------------------------------------------------------------------------------------


@dataclass
class Seeded:
    organisation_id: int
    admin_id: int
    teams: int
    clinicians: int
    without_plan: int
    # (team id, clinician id) -> the agreed plan in force for the published quarter, or None
    in_force: dict[tuple[int, int], int | None]
    rows: dict[str, int]
    seconds: float
    audit_skipped: bool  # loaded without the audit triggers


def _week(rng: random.Random, contracted: Decimal, stream_id: int) -> dict[tuple[str, int | None], Decimal]:
    """A plausible week of 4 to 6 lines adding up to `contracted` exactly: Choice, team meeting and
    supervision, perhaps Specific work and big admin, and Core for the rest."""
    from planning.models import Activity

    choice = rng.choice([Decimal("3.5"), Decimal("7")]) if contracted >= 30 else Decimal("3.5")
    hours: dict[tuple[str, int | None], Decimal] = {
        (Activity.CHOICE, None): choice,
        (Activity.TEAM_MEETING, None): rng.choice([Decimal("1.5"), Decimal("2")]),
        (Activity.SUPERVISION, None): rng.choice([Decimal("1"), Decimal("1.5")]),
    }
    if rng.random() < 0.4:
        hours[Activity.SPECIFIC, stream_id] = Decimal("3.5")
    if rng.random() < 0.6:
        hours[Activity.BIG_ADMIN, None] = rng.choice([Decimal("1.5"), Decimal("2.5"), Decimal("4")])
    core = contracted - sum(hours.values(), Decimal(0))
    if core < 1:  # a short week: no Specific work
        hours.pop((Activity.SPECIFIC, stream_id), None)
        core = contracted - sum(hours.values(), Decimal(0))
    hours[Activity.CORE, None] = core
    assert core > 0, hours
    assert sum(hours.values(), Decimal(0)) == contracted, hours
    assert 4 <= len(hours) <= 6, hours
    return hours


def _skip_triggers() -> bool:
    """Skip triggers for the rest of the transaction, if allowed (a superuser, as the developer's
    private PostgreSQL has): the audit triggers (pghistory, one PL/pgSQL call with an exception block
    a row) make loading 10,000 clinicians several times slower, and the seeded rows need no audit
    trail. Foreign keys are not checked either, so the generated data must be right by itself. Only
    this session: the worker's writes fire every trigger as in production."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def seed(*, name: str, clinicians: int, without_plan: int, published: Quarter, tag: str) -> Seeded:
    """One organisation of `clinicians` clinicians in teams of 30 (the last may be smaller), each
    with a clinician profile and, but for `without_plan` of them, an agreed plan in force for the
    `published` quarter (a third also with an older version); an admin; team settings, a Specific
    stream, referral rates and some absences a team. Bulk inserts in one transaction."""
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

    started = time.perf_counter()
    rng = random.Random(f"{SEED}:{tag}")
    now = timezone.now()
    unusable = make_password(None)  # nobody logs in here
    professions = list(Profession.values)
    team_count = math.ceil(clinicians / PER_TEAM)
    # Plans took effect from a year before the published quarter up to the quarter itself.
    starts = [published]
    for _ in range(4):
        starts.insert(0, starts[0].previous())
    older = [starts[0].previous(), starts[0].previous().previous()]  # superseded by a later version

    with transaction.atomic():
        audit_skipped = _skip_triggers()
        organisation = Organisation.objects.create(
            name=name, financial_year_start_month=published.start_month
        )
        teams = Team.objects.bulk_create(
            Team(organisation=organisation, name=f"CAMHS team {number:03d}")
            for number in range(1, team_count + 1)
        )
        PlanningSettings.objects.bulk_create(PlanningSettings(team=team) for team in teams)
        streams = SpecificStream.objects.bulk_create(
            SpecificStream(team=team, name="Autism assessment", average_appointments=Decimal("4"))
            for team in teams
        )
        stream_of = {stream.team_id: stream.pk for stream in streams}
        admin = User.objects.create(
            username=f"{tag}.admin", first_name="Ada", last_name="Admin", password=unusable, is_staff=True
        )
        people = User.objects.bulk_create(
            (
                User(
                    username=f"{tag}.clinician.{number:05d}",
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    email=f"{tag}.clinician.{number:05d}@example.nhs.uk",
                    password=unusable,
                )
                for number in range(1, clinicians + 1)
            ),
            batch_size=2000,
        )
        team_of = {person.pk: teams[index // PER_TEAM].pk for index, person in enumerate(people)}
        leads = {}
        for person in people:
            leads.setdefault(team_of[person.pk], person)
        profiles = ClinicianProfile.objects.bulk_create(
            (
                ClinicianProfile(
                    user=person,
                    profession=rng.choice(professions),
                    contracted_hours_per_week=rng.choice(CONTRACTED_HOURS),
                )
                for person in people
            ),
            batch_size=2000,
        )
        contracted = {profile.user_id: profile.contracted_hours_per_week for profile in profiles}
        Membership.objects.bulk_create(
            [Membership(user=admin, role=Role.ADMIN, organisation=organisation)]
            + [
                Membership(
                    user=person,
                    team_id=team_of[person.pk],
                    role=Role.TEAM_LEAD if leads[team_of[person.pk]] is person else Role.CLINICIAN,
                )
                for person in people
            ],
            batch_size=2000,
        )

        no_plan = {person.pk for person in rng.sample(people, k=without_plan)}
        plans, weeks, current = [], [], []
        for person in people:
            if person.pk in no_plan:
                continue
            team_id = team_of[person.pk]
            lead = leads[team_id]
            versions = [rng.choice(starts)]
            if rng.random() < 1 / 3:
                versions.insert(0, rng.choice(older))
            for version, quarter in enumerate(versions, start=1):
                plans.append(
                    JobPlan(
                        clinician=person,
                        team_id=team_id,
                        version=version,
                        effective_from=quarter.start,
                        status=PlanStatus.AGREED,
                        created_by=lead,
                        agreed_by=lead,
                        agreed_at=now,
                    )
                )
                weeks.append(_week(rng, contracted[person.pk], stream_of[team_id]))
                current.append(version == len(versions))
        plans = JobPlan.objects.bulk_create(plans, batch_size=2000)
        lines = JobPlanLine.objects.bulk_create(
            (
                JobPlanLine(plan=plan, activity=activity, specific_stream_id=stream, hours_per_week=value)
                for plan, week in zip(plans, weeks, strict=True)
                for (activity, stream), value in week.items()
            ),
            batch_size=5000,
        )
        in_force: dict[tuple[int, int], int | None] = {(team_of[p.pk], p.pk): None for p in people}
        for plan, is_current in zip(plans, current, strict=True):
            if is_current:
                in_force[plan.team_id, plan.clinician_id] = plan.pk

        # About one clinician in twenty away for part of the published quarter.
        absences = []
        for person in rng.sample(people, k=clinicians // 20):
            kind = rng.choice([AbsenceKind.MATERNITY, AbsenceKind.LONG_SICKNESS])
            starts_on = published.start + timedelta(days=rng.randrange(-60, 60))
            length = 273 if kind == AbsenceKind.MATERNITY else 56
            absences.append(
                Absence(
                    clinician=person,
                    team_id=team_of[person.pk],
                    kind=kind,
                    starts_on=starts_on,
                    ends_on=starts_on + timedelta(days=length - 1),
                )
            )
        Absence.objects.bulk_create(absences)
        rates = ReferralRate.objects.bulk_create(
            ReferralRate(
                team=team,
                quarter_start=quarter.start,
                referrals_per_week=Decimal(rng.randrange(180, 320)) / 10,
                entered_by=leads[team.pk],
            )
            for team in teams
            for quarter in [*starts, *published.next().following(3)]
        )

    return Seeded(
        organisation_id=organisation.pk,
        admin_id=admin.pk,
        teams=len(teams),
        clinicians=len(people),
        without_plan=len(no_plan),
        in_force=in_force,
        rows={
            "teams": len(teams),
            "clinicians": len(people),
            "agreed plans": len(plans),
            "plan lines": len(lines),
            "absences": len(absences),
            "referral rates": len(rates),
        },
        seconds=time.perf_counter() - started,
        audit_skipped=audit_skipped,
    )


# --- Memory of the worker's processes ----------------------------------------------------------------


def _descendants(root: int) -> list[int]:
    """The processes under `root`, from the parent pid in each /proc/<pid>/stat (this kernel may
    not have /proc/<pid>/task/<tid>/children)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _kilobytes(path: str, *keys: str) -> dict[str, int]:
    values = {}
    try:
        for line in Path(path).read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in keys:
                values[key] = int(rest.split()[0])
    except OSError:
        pass  # the process ended
    return values


@dataclass
class Memory:
    """RSS of the worker's main process and its pool children, sampled from /proc; in bytes."""

    main_pid: int
    children: list[int] = field(default_factory=list)
    max_rss: dict[int, int] = field(default_factory=dict)
    hwm: dict[int, int] = field(default_factory=dict)  # VmHWM: the kernel's own peak RSS
    max_sum_rss: int = 0
    max_sum_pss: int = 0
    samples: int = 0

    def refresh_children(self) -> None:
        self.children = _descendants(self.main_pid)

    def sample(self, *, pss: bool = True) -> None:
        rss_total = pss_total = 0
        for pid in [self.main_pid, *self.children]:
            status = _kilobytes(f"/proc/{pid}/status", "VmRSS", "VmHWM")
            if not status:
                continue
            rss = status.get("VmRSS", 0) * 1024
            rss_total += rss
            self.max_rss[pid] = max(self.max_rss.get(pid, 0), rss)
            self.hwm[pid] = max(self.hwm.get(pid, 0), status.get("VmHWM", 0) * 1024)
            if pss:  # proportional: pages shared with the parent counted once between them
                pss_total += _kilobytes(f"/proc/{pid}/smaps_rollup", "Pss").get("Pss", 0) * 1024
        self.max_sum_rss = max(self.max_sum_rss, rss_total)
        self.max_sum_pss = max(self.max_sum_pss, pss_total)
        self.samples += 1

    def current_rss(self, pid: int) -> int:
        return _kilobytes(f"/proc/{pid}/status", "VmRSS").get("VmRSS", 0) * 1024

    def peak(self, pid: int) -> int:
        """The larger of the sampled maximum and the kernel's high-water mark."""
        return max(self.max_rss.get(pid, 0), self.hwm.get(pid, 0))


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.0f} MB"


# --- The worker ---------------------------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise common.BenchFailed(f"the worker exited with {self.process.returncode}:\n{self.log_tail()}")


def start_worker(*, database_url: str, redis_url: str, log: Path) -> Worker:
    """A real Celery worker of the project (capa.settings, `DEBUG=0`, one pool process taking one
    task at a time) on the throwaway database and the bench's Redis database, in a session of its
    own so that stopping it stops its pool."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CAPA_ENV": "development",
        "DJANGO_SETTINGS_MODULE": "capa.settings",
        "DEBUG": "0",
        # The emails the run queues are drained after the measurement, if at all: not to the console.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(common.ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("PUBLICATION_TEST_HOLD_FILE", None)  # a test's hold file would stall the run
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "capa",
        "worker",
        "--concurrency=1",
        "--prefetch-multiplier=1",
        "--loglevel=warning",
        f"--hostname=bench-publication-{os.getpid()}@%h",
        "--without-gossip",  # one worker: no cluster chatter
        "--without-mingle",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=common.ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,  # its own process group: killpg reaches the pool's children too
        )
    return Worker(process, log)


def wait_until_ready(app, worker: Worker, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        worker.check_alive()
        if app.control.ping(timeout=0.5):
            return
    raise common.BenchFailed(f"the worker did not answer a ping in {timeout:.0f} s:\n{worker.log_tail()}")


def stop_worker(worker: Worker) -> None:
    """Warm shutdown (the task in hand finishes), then the whole session of the worker if it hangs."""
    if worker.process.poll() is not None:
        return
    worker.process.send_signal(signal.SIGTERM)
    try:
        worker.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(worker.process.pid, signal.SIGKILL)  # the session we started: the worker and its pool
        worker.process.wait()


class TaskEvents:
    """Task-succeeded and task-failed events from the worker, with the moment each arrived here: how
    a task without a result or a row to poll is seen to finish."""

    def __init__(self, app) -> None:
        self.app = app
        self.finished: dict[str, tuple[str, float]] = {}
        self.condition = threading.Condition()
        self.receiver = None
        self.thread = threading.Thread(target=self._listen, daemon=True)

    def _on_event(self, event: dict) -> None:
        with self.condition:
            self.finished[event["uuid"]] = (event["type"], time.monotonic())
            self.condition.notify_all()

    def _listen(self) -> None:
        with self.app.connection_for_read() as connection:
            self.receiver = self.app.events.Receiver(
                connection, handlers={"task-succeeded": self._on_event, "task-failed": self._on_event}
            )
            self.receiver.capture(limit=None, timeout=None, wakeup=False)

    def __enter__(self) -> TaskEvents:
        self.thread.start()
        self.app.control.enable_events()
        return self

    def __exit__(self, *exc) -> None:
        self.app.control.disable_events()
        if self.receiver is not None:
            self.receiver.should_stop = True
        self.thread.join(timeout=5)

    def wait(self, task_id: str, timeout: float) -> tuple[str, float] | None:
        with self.condition:
            self.condition.wait_for(lambda: task_id in self.finished, timeout=timeout)
            return self.finished.get(task_id)


def time_noop(events: TaskEvents, worker: Worker, runs: int) -> list[float]:
    """Seconds from sending `drain_outbox` (the outbox is empty) until its task-succeeded event."""
    from diary.tasks import drain_outbox

    # Warm up, and make sure the events flow: enabling them and subscribing both take a moment.
    deadline = time.monotonic() + 60
    while True:
        worker.check_alive()
        seen = events.wait(drain_outbox.apply_async().id, timeout=2)
        if seen is not None:
            break
        if time.monotonic() > deadline:
            raise common.BenchFailed(f"no task events from the worker in 60 s:\n{worker.log_tail()}")
    times = []
    for _ in range(runs):
        sent = time.monotonic()
        seen = events.wait(drain_outbox.apply_async().id, timeout=60)
        if seen is None or seen[0] != "task-succeeded":
            raise common.BenchFailed(f"the no-op task did not succeed: {seen}\n{worker.log_tail()}")
        times.append(seen[1] - sent)
    return times


@dataclass
class Publication:
    seconds: float  # from sending the task to the completed run seen in the database
    finished_seconds: float  # from sending the task to the run's own finished_at
    started_after: float | None  # the run row first seen
    memory: Memory
    idle_child_rss: int
    nudges_left: int  # drain_outbox messages waiting in the queue when the run completed
    load_before: float
    worker_cpu: float  # CPU seconds of the pool process during the run
    database_cpu: float | None  # of the worker's PostgreSQL sessions, if PostgreSQL runs here


def _cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of a process so far, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _database_is_here() -> bool:
    """Whether PostgreSQL's backends are processes of this machine: is our own session's?"""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"postgres")
    except OSError:
        return False


def _database_sessions() -> dict[int, float]:
    """CPU seconds so far of each other session on this database, by backend pid."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    found = {}
    for pid in pids:
        cpu = _cpu_seconds(pid)
        if cpu is not None:  # else gone meanwhile
            found[pid] = cpu
    return found


def _cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def publish(app, worker: Worker, *, organisation_id: int, quarter, by_id: int) -> Publication:
    """Send `publish_quarter` and poll the run and the worker's memory every 100 ms until it completes."""
    from diary.models import PublicationRun
    from diary.tasks import publish_quarter

    memory = Memory(worker.process.pid)
    memory.refresh_children()
    if not memory.children:
        raise common.BenchFailed("the worker has no pool process")
    idle_child_rss = max(memory.current_rss(pid) for pid in memory.children)
    runs = PublicationRun.objects.filter(organisation_id=organisation_id, quarter_start=quarter.start)
    load_before = os.getloadavg()[0]
    worker_before = {pid: _cpu_seconds(pid) or 0.0 for pid in memory.children}
    # The worker closes its connection after each task: read each session's CPU time while it lasts.
    database_here = _database_is_here()
    database_before = _database_sessions() if database_here else {}
    database_seen: dict[int, float] = {}

    sent_at, sent = time.time(), time.monotonic()
    publish_quarter.apply_async(args=(organisation_id, quarter.label, by_id))
    started_after = None
    tick = sent
    while True:
        status = runs.values_list("status", flat=True).first()
        now = time.monotonic()
        if status is not None and started_after is None:
            started_after = now - sent
        if status == PublicationRun.Status.COMPLETED:
            seconds = now - sent
            break
        memory.sample()
        if database_here:
            database_seen.update(_database_sessions())
        if tick - sent > 5 and memory.samples % 50 == 0:
            memory.refresh_children()  # a pool process replaced mid-run would show up here
        worker.check_alive()
        if now - sent > RUN_TIMEOUT:
            raise common.BenchFailed(f"the run did not complete in {RUN_TIMEOUT} s:\n{worker.log_tail()}")
        tick += SAMPLE_EVERY
        time.sleep(max(0.0, tick - time.monotonic()))
    memory.sample()  # VmHWM now holds each process's true peak, spikes between samples included
    worker_after = {pid: _cpu_seconds(pid) or 0.0 for pid in memory.children}
    if database_here:
        database_seen.update(_database_sessions())
    finished_at = runs.values_list("finished_at", flat=True).first()
    # The run nudged the worker to drain the outbox; those messages wait behind it. Throw them
    # away so the worker stops at once (the emails stay in the outbox, as when the broker is down).
    nudges_left = app.control.purge()
    return Publication(
        seconds=seconds,
        finished_seconds=finished_at.timestamp() - sent_at,
        started_after=started_after,
        memory=memory,
        idle_child_rss=idle_child_rss,
        nudges_left=nudges_left,
        load_before=load_before,
        worker_cpu=_cpu_used(worker_before, worker_after),
        database_cpu=_cpu_used(database_before, database_seen) if database_here else None,
    )


# --- The SELECT yardstick, checks, profile ----------------------------------------------------------


def time_select(organisation_id: int, runs: int = 3) -> tuple[float, int]:
    """Seconds to load every clinician of the organisation with their user, profile and team (the
    rows the publication starts from), through the ORM in this process; the median of `runs` after
    a warm-up, and the row count."""
    from accounts.models import Membership, Role

    def load() -> int:
        return len(
            list(
                Membership.objects.filter(
                    team__organisation_id=organisation_id,
                    role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
                    user__clinician_profile__isnull=False,
                    user__is_active=True,
                ).select_related("team__organisation", "user__clinician_profile")
            )
        )

    rows = load()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        load()
        times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def check(seeded: Seeded, quarter) -> dict[str, int]:
    """Exactly one target per clinician, from the plan in force, the run's count right, each clinician
    told once. Raises WrongResult otherwise."""
    from diary.models import Notice, OutboxEmail, PublicationRun, QuarterTarget

    problems = []
    run = PublicationRun.objects.get(organisation_id=seeded.organisation_id, quarter_start=quarter.start)
    targets = list(
        QuarterTarget.objects.filter(run=run).values_list("team_id", "clinician_id", "plan_id", "target")
    )
    published = {(team, clinician): (plan, target) for team, clinician, plan, target in targets}
    expected = seeded.clinicians
    if run.status != PublicationRun.Status.COMPLETED:
        problems.append(f"run status {run.status}")
    if not run.done == run.total == expected:
        problems.append(f"run done {run.done} of total {run.total}, expected {expected} of {expected}")
    if len(targets) != expected or len(published) != len(targets):
        problems.append(
            f"{len(targets)} targets for {len(published)} clinicians, expected exactly {expected}"
        )
    if set(published) != set(seeded.in_force):
        missing, extra = set(seeded.in_force) - set(published), set(published) - set(seeded.in_force)
        problems.append(f"{len(missing)} clinicians without a target, {len(extra)} targets for nobody")
    wrong_plan = sum(
        1 for key, plan in seeded.in_force.items() if key in published and published[key][0] != plan
    )
    if wrong_plan:
        problems.append(f"{wrong_plan} targets from a plan other than the one in force")
    without = sum(1 for plan, target in published.values() if plan is None and target is None)
    if without != seeded.without_plan:
        problems.append(f"{without} published without a target, expected {seeded.without_plan}")
    clinicians = [clinician for _team, clinician in seeded.in_force]
    notices = Notice.objects.filter(user_id__in=clinicians).count()
    emails = OutboxEmail.objects.filter(
        about__in=[f"target:{pk}" for pk in run.targets.values_list("pk", flat=True)]
    )
    emails = emails.count()
    if notices != expected or emails != expected:
        problems.append(f"{notices} notices and {emails} outbox emails, expected {expected} of each")
    if problems:
        raise WrongResult("; ".join(problems))
    return {
        "targets": len(targets),
        "with a target": len(targets) - without,
        "without a plan": without,
        "notices": notices,
        "emails": emails,
        "done": run.done,
        "total": run.total,
    }


# Where publish_quarter's time goes, as (what, file, function) of the profile's cumulative times.
STEPS = (
    ("list the clinicians (_memberships)", "diary/publication.py", "_memberships"),
    ("load the planning inputs (team_planning)", "planning/queries.py", "team_planning"),
    ("the planning maths (team_quarter)", "planning/figures.py", "team_quarter"),
    ("write the targets (bulk_create)", "django/db/models/query.py", "bulk_create"),
    ("tell each clinician (_tell: notice and email rows)", "diary/publication.py", "_tell"),
    ("  of which reverse() of the link", "django/urls/base.py", "reverse"),
    ("  of which queue_email (outbox row)", "diary/outbox.py", "queue_email"),
    ("nudge the worker after each commit (nudge_worker)", "diary/outbox.py", "nudge_worker"),
    ("commits", "django/db/backends/base/base.py", "commit"),
)


def _steps(profiler: cProfile.Profile, total: float) -> list[str]:
    stats = pstats.Stats(profiler).stats  # {(file, line, function): (calls, ..., tottime, cumtime, ...)}
    lines = []
    for label, path, function in STEPS:
        found = [
            (values[1], values[3])
            for (filename, _line, name), values in stats.items()
            if name == function and filename.replace(os.sep, "/").endswith(path)
        ]
        if found:
            calls, cumulative = max(found, key=lambda each: each[1])
            lines.append(f"  {label:<52} {cumulative:6.2f} s {cumulative / total:4.0%} ({calls:,} calls)")
    return lines


def profile(published, *, rows: int = 25) -> None:
    """Where publish_quarter spends its time: cProfile in this process on a smaller trust of its
    own, and the SQL statements it runs per clinician (a second trust, so the counting costs the
    profile nothing)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Organisation, User
    from diary.publication import publish_quarter

    without = PROFILE_CLINICIANS * WITHOUT_PLAN // CLINICIANS
    trusts = []
    for tag in ("profiled", "counted"):
        seeded = seed(
            name=f"Bench {tag} trust",
            clinicians=PROFILE_CLINICIANS,
            without_plan=without,
            published=published,
            tag=tag,
        )
        trusts.append(
            (
                Organisation.objects.get(pk=seeded.organisation_id),
                User.objects.get(pk=seeded.admin_id),
                seeded,
            )
        )

    (organisation, admin, seeded), (other, other_admin, other_seeded) = trusts
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    publish_quarter(organisation=organisation, quarter=published, by=admin)
    profiler.disable()
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        publish_quarter(organisation=other, quarter=published, by=other_admin)
    unprofiled = time.perf_counter() - started
    check(seeded, published)
    check(other_seeded, published)
    statements = [q["sql"].split(None, 1)[0].upper() for q in queries.captured_queries]
    kinds = {kind: statements.count(kind) for kind in sorted(set(statements))}

    print(
        f"\nProfile of publish_quarter, in this process (cProfile, so slower than the worker): "
        f"{PROFILE_CLINICIANS} clinicians in {seeded.teams} teams, {seconds:.2f} s with the profiler, "
        f"{seconds / PROFILE_CLINICIANS * 1000:.2f} ms a clinician "
        f"({unprofiled:.2f} s, {unprofiled / PROFILE_CLINICIANS * 1000:.2f} ms a clinician, without it)"
    )
    print(
        f"SQL statements: {len(statements)} for {PROFILE_CLINICIANS} clinicians "
        f"({len(statements) / PROFILE_CLINICIANS:.1f} a clinician): "
        + ", ".join(f"{count} {kind}" for kind, count in kinds.items())
    )
    print("Where the time goes (cumulative, with the profiler):")
    print("\n".join(_steps(profiler, seconds)))
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("cumulative").print_stats(rows)
    stats.sort_stats("tottime").print_stats(rows)


# --- The report ---------------------------------------------------------------------------------------


def machine(load_before: float) -> list[tuple[str, str]]:
    from importlib.metadata import version

    import redis

    from capa.celery import app

    lines = [
        (label, value) for label, value in common.machine(load_before=load_before) if label != "gunicorn"
    ]
    try:
        server = redis.Redis.from_url(app.conf.broker_url).info("server")["redis_version"]
    except Exception as error:  # noqa: BLE001  (only the report's line)
        server = f"unknown ({error})"
    return [*lines, ("Celery", version("celery")), ("Redis", server)]


def print_report(
    *,
    seeded: Seeded,
    migrated: float,
    quarter,
    batches: int,
    publication: Publication,
    noop: list[float],
    select: tuple[float, int],
    checked: dict[str, int],
) -> list[bool]:
    memory = publication.memory
    main_pid = memory.main_pid
    children = [pid for pid in memory.max_rss if pid != main_pid]
    child_peak = max(memory.peak(pid) for pid in children)
    per_clinician = publication.seconds / checked["targets"]
    noop_p50 = statistics.median(noop)
    select_seconds, select_rows = select
    rows = ", ".join(f"{count:,} {what}" for what, count in seeded.rows.items())

    print("\nPublishing a quarter's targets (bench/publication.py)")
    how = (
        "audit triggers off while loading" if seeded.audit_skipped else "audit triggers on (not a superuser)"
    )
    print(f"Data: {rows}; loaded in {seeded.seconds:.1f} s, {how} (migrations {migrated:.1f} s)")
    print(
        "Worker: celery -A capa worker, prefork, concurrency 1, prefetch 1, capa.settings, DEBUG=0; "
        f"task diary.tasks.publish_quarter for {quarter.label} ({quarter})"
    )
    every = f"every {SAMPLE_EVERY * 1000:.0f} ms"
    lines = [
        (
            "Clinicians published",
            f"{checked['targets']:,} (run done {checked['done']:,} of {checked['total']:,})",
        ),
        ("Batches", f"{batches} (of up to 5 teams)"),
        (
            "Wall time",
            f"{publication.seconds:.2f} s from sending the task to the run seen completed (polled {every}); "
            f"{publication.finished_seconds:.2f} s to the run's finished_at; "
            f"the run row appeared after {publication.started_after or 0:.2f} s",
        ),
        ("Per clinician", f"{per_clinician * 1000:.2f} ms"),
        (
            "Peak RSS",
            f"pool process {megabytes(child_peak)} (VmHWM and samples; "
            f"{megabytes(publication.idle_child_rss)} idle before the run), "
            f"main process {megabytes(memory.peak(main_pid))}",
        ),
        (
            "Both together",
            f"at most {megabytes(memory.max_sum_rss)} RSS, {megabytes(memory.max_sum_pss)} PSS "
            f"({memory.samples} samples, {every})",
        ),
        (
            "CPU during the run",
            f"pool process {publication.worker_cpu:.1f} s, its PostgreSQL session "
            + ("not visible" if publication.database_cpu is None else f"{publication.database_cpu:.1f} s")
            + f", of {publication.seconds:.1f} s wall",
        ),
        (
            "Outbox nudges",
            f"{publication.nudges_left:,} drain_outbox messages (the run's nudges to send its "
            f"{checked['emails']:,} emails) were still queued when it completed (purged, not run)",
        ),
    ]
    print("\nPublication")
    for label, value in lines:
        print(f"  {label + ':':<23}{value}")
    lines = [
        (
            "No-op task",
            f"p50 {noop_p50 * 1000:.1f} ms (min {min(noop) * 1000:.1f}, max {max(noop) * 1000:.1f}, "
            f"{len(noop)} runs): drain_outbox with an empty outbox through the same worker, "
            "from sending to its task-succeeded event",
        ),
        (
            "SELECT clinicians",
            f"{select_seconds * 1000:.0f} ms: all {select_rows:,} with user, profile and team "
            "(ORM, this process, median of 3)",
        ),
        ("Publication / no-op", f"{publication.seconds / noop_p50:,.0f}x"),
        (
            "Publication / SELECT",
            f"{publication.seconds / select_seconds:,.0f}x (the rest is the planning maths and the writes)",
        ),
    ]
    print("\nYardsticks (same run)")
    for label, value in lines:
        print(f"  {label + ':':<23}{value}")
    print("\nChecks: " + ", ".join(f"{count:,} {what}" for what, count in checked.items()) + ": OK")
    print("\nMachine")
    for label, value in machine(publication.load_before):
        print(f"  {label + ':':<14}{value}")

    met = [publication.seconds < TARGET_SECONDS, child_peak < TARGET_BYTES]
    print("\nTargets")
    print(
        f"  Wall time under {TARGET_SECONDS:.0f} s for {checked['targets']:,} clinicians: "
        f"{'PASS' if met[0] else 'MISS'} ({publication.seconds:.2f} s)"
    )
    print(
        f"  Worker peak RSS under {megabytes(TARGET_BYTES)}: {'PASS' if met[1] else 'MISS'} "
        f"(pool process {megabytes(child_peak)})"
    )
    return met


# --- Main ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinicians", type=int, default=CLINICIANS, help=f"clinicians ({CLINICIANS:,})")
    parser.add_argument(
        "--without-plan",
        type=int,
        default=WITHOUT_PLAN,
        help=f"of them without an agreed plan ({WITHOUT_PLAN})",
    )
    parser.add_argument(
        "--redis-db", type=int, default=REDIS_DB, help=f"Redis database for the broker ({REDIS_DB})"
    )
    parser.add_argument("--noop-runs", type=int, default=5, help="timed no-op tasks (5)")
    parser.add_argument("--profile", action="store_true", help="also profile publish_quarter in this process")
    options = parser.parse_args()
    if options.clinicians < 1 or not 0 <= options.without_plan <= options.clinicians or options.noop_runs < 1:
        parser.error("at least one clinician and one no-op run, and no more without a plan than clinicians")

    source_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not source_url or not redis_url:
        print("publication bench: set DATABASE_URL and REDIS_URL (make bench does)", file=sys.stderr)
        return 1
    redis_url = urlsplit(redis_url)._replace(path=f"/{options.redis_db}").geturl()

    logs = Path(tempfile.mkdtemp(prefix="capa-bench-publication-"))
    try:
        with common.throwaway_database(source_url, DATABASE_NAME) as database_url:
            try:
                common.setup_django(database_url)
                logging.getLogger("kombu").setLevel(logging.WARNING)  # not "Connected to redis://..."
                from django.utils import timezone

                from capa.celery import app
                from diary.publication import BATCH_TEAMS
                from planning.quarters import Quarter

                app.conf.broker_url = redis_url  # the worker's broker, whatever the settings found
                app.control.purge()  # left over from a run that was killed
                started = time.perf_counter()
                common.migrate()
                migrated = time.perf_counter() - started
                quarter = Quarter.containing(timezone.localdate()).next()
                seeded = seed(
                    name="Benchshire NHS Foundation Trust",
                    clinicians=options.clinicians,
                    without_plan=options.without_plan,
                    published=quarter,
                    tag="bench",
                )
                select = time_select(seeded.organisation_id)
                common.close_django_connections()

                worker = start_worker(database_url=database_url, redis_url=redis_url, log=logs / "worker.log")
                try:
                    wait_until_ready(app, worker)
                    with TaskEvents(app) as events:
                        noop = time_noop(events, worker, options.noop_runs)
                    publication = publish(
                        app,
                        worker,
                        organisation_id=seeded.organisation_id,
                        quarter=quarter,
                        by_id=seeded.admin_id,
                    )
                finally:
                    stop_worker(worker)

                checked = check(seeded, quarter)
                met = print_report(
                    seeded=seeded,
                    migrated=migrated,
                    quarter=quarter,
                    batches=math.ceil(seeded.teams / BATCH_TEAMS),
                    publication=publication,
                    noop=noop,
                    select=select,
                    checked=checked,
                )
                if options.profile or not all(met):
                    profile(quarter)
                    app.control.purge()  # the nudges of the profiled runs: nobody drains them
            finally:
                common.close_django_connections()
    except WrongResult as wrong:
        print(f"publication bench: the publication is wrong: {wrong}", file=sys.stderr)
        return 1
    except common.BenchFailed as failure:
        print(f"publication bench failed: {failure}", file=sys.stderr)
        return 1
    finally:
        import shutil

        shutil.rmtree(logs, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
