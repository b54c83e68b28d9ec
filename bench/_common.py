"""Shared helpers for the benchmarks in bench/: a throwaway database, gunicorn, timing and the report.

A web benchmark here:
1. makes its own database next to DATABASE_URL's (`throwaway_database`), so nobody's data or
   running tests are touched, and points Django at it (`setup_django`);
2. fills it with generated data and logs its users in (`session_cookie`);
3. serves the project with gunicorn, sync workers (one unless asked for more), `DEBUG=0`, on a
   free port (`serve`);
4. requests each page and the yardstick in turn (`measure`), and prints percentiles, the ratio to
   the yardstick and the machine (`print_report`).

Not a benchmark: `make bench` runs every bench/*.py, and run directly this does nothing.
"""

from __future__ import annotations

import http.client
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import redis

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "bench._settings"
RESERVED_PORTS = {8000}  # `make run` serves there
# Seen by the access log of our gunicorn: the path (with its query string, so that one view with
# different filters is told apart), the status and the time it took in microseconds.
ACCESS_LOG_FORMAT = "%(U)s?%(q)s %(s)s %(D)s"


class BenchFailed(Exception):
    """Something that makes the figures meaningless: a page that did not answer 200, a server that
    did not start."""


# --- The database ---------------------------------------------------------------------------------


def _connection_params(url: str) -> dict[str, object]:
    import dj_database_url  # the project's own parser, so every URL the project accepts works

    parsed = dj_database_url.parse(url)
    params = {
        "dbname": parsed["NAME"],
        "user": parsed.get("USER") or None,
        "password": parsed.get("PASSWORD") or None,
        "host": parsed.get("HOST") or None,
        "port": parsed.get("PORT") or None,
        "connect_timeout": 5,
    }
    return {key: value for key, value in params.items() if value is not None}


def database_url_for(url: str, name: str) -> str:
    """The same server and credentials as `url`, another database."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def _run_on_server(url: str, statement) -> None:
    import psycopg2

    # Connected to the database of `url`: CREATE and DROP DATABASE need a connection to another one.
    connection = psycopg2.connect(**_connection_params(url))
    try:
        connection.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def _drop_database(url: str, name: str) -> None:
    from psycopg2 import sql

    # FORCE (PostgreSQL 13+): a gunicorn killed mid-request may leave a connection behind.
    _run_on_server(url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def throwaway_database(url: str, name: str) -> Iterator[str]:
    """Create (or recreate) database `name` on the server of `url`, yield its URL, drop it after."""
    _drop_database(url, name)  # left over from a run that was killed
    from psycopg2 import sql

    _run_on_server(url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url_for(url, name)
    finally:
        _drop_database(url, name)


def setup_django(database_url: str) -> None:
    """Configure Django in this process as the benchmark's gunicorn will be: bench settings,
    `DEBUG=0`, the throwaway database."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["DEBUG"] = "0"
    import django

    django.setup()


def close_django_connections() -> None:
    from django.db import connections

    connections.close_all()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def analyze() -> None:
    """Gather the planner's statistics, as autovacuum does on a live database soon after a bulk
    load: without them PostgreSQL plans the freshly loaded tables as if they were empty."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def session_cookie(user) -> str:
    """`name=value` of a real database session for `user`, as a browser that logged in sends it."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


# --- The server ------------------------------------------------------------------------------------


def free_port() -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


@dataclass
class Server:
    port: int
    access_log: Path
    error_log: Path
    workers: int
    worker_class: str
    load_before: float = 0.0  # the 1-minute load average when measuring started
    pid: int = 0  # gunicorn's master: its children are the workers
    celery_pid: int = 0  # a Celery worker serving it (`celery_worker`), if one was started: its pool too
    redis_port: int = 0  # the port of that worker's Redis (its broker, and the web's)

    def access_log_size(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def log_entries(self, *, since: int, expected: int, timeout: float = 10) -> list[tuple[str, int, float]]:
        """(path, status, seconds inside gunicorn) of each request in the access log after byte
        `since`, in the order the lines were written. gunicorn writes the line after sending the
        response, so wait for `expected` lines."""
        deadline = time.monotonic() + timeout
        while True:
            with self.access_log.open("rb") as log:
                log.seek(since)
                lines = log.read().decode().splitlines()
            if len(lines) >= expected or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        entries = []
        for line in lines:
            path, status, microseconds = line.rsplit(" ", 2)
            path = path.removesuffix("?")  # no query string: the path as requested
            entries.append((path, int(status), int(microseconds) / 1_000_000))
        return entries

    def server_times(self, *, since: int, expected: int, timeout: float = 10) -> dict[str, list[float]]:
        """Seconds each request took inside gunicorn, by path, from the access log after byte
        `since`. gunicorn writes the line after sending the response, so wait for `expected`."""
        times: dict[str, list[float]] = {}
        for path, _status, seconds in self.log_entries(since=since, expected=expected, timeout=timeout):
            times.setdefault(path, []).append(seconds)
        return times

    def error_log_tail(self, lines: int = 30) -> str:
        if not self.error_log.exists():
            return ""
        return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def serve(*, database_url: str, workers: int = 1, startup_timeout: float = 60) -> Iterator[Server]:
    """Serve the project with gunicorn on a free port of 127.0.0.1, `DEBUG=0`, bench settings, the
    given database; stop it afterwards."""
    logs = Path(tempfile.mkdtemp(prefix="capa-bench-"))
    server = Server(
        port=free_port(),
        access_log=logs / "access.log",
        error_log=logs / "error.log",
        workers=workers,
        worker_class="sync",
    )
    env = _served_env(database_url)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "capa.wsgi:application",
        f"--bind=127.0.0.1:{server.port}",
        f"--workers={workers}",
        f"--worker-class={server.worker_class}",
        f"--access-logfile={server.access_log}",
        f"--access-logformat={ACCESS_LOG_FORMAT}",
        f"--error-logfile={server.error_log}",
        "--no-control-socket",
    ]
    # The project's own log lines (Django warns of every 4xx answer) go to the error log, not in
    # the middle of the report.
    with server.error_log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    server.pid = process.pid  # `python -m gunicorn` runs the master in this very process
    try:
        _wait_until_listening(process, server, startup_timeout)
        yield server
    finally:
        _stop(process)  # gunicorn's graceful stop: the worker finishes first
        shutil.rmtree(logs, ignore_errors=True)


BENCH_REDIS_DATABASE = 15  # the benchmarks' own, emptied when their Celery worker starts


def bench_redis_url() -> str:
    """REDIS_URL's server, the benchmarks' own database on it: no task queued by anything else is
    taken by the benchmark's worker, and none of its tasks is left for anybody else's."""
    return urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{BENCH_REDIS_DATABASE}").geturl()


def _served_env(database_url: str, **more: str) -> dict[str, str]:
    """The environment of the processes a benchmark starts: bench settings, DEBUG off, the
    benchmarks' Redis database."""
    return {
        **os.environ,
        "REDIS_URL": bench_redis_url(),
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "DEBUG": "0",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **more,
    }


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM, the graceful stop of gunicorn and Celery alike; SIGKILL if that takes over 15 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def celery_worker(server: Server, *, database_url: str, startup_timeout: float = 60) -> Iterator[Path]:
    """A Celery worker for the server, as `make run` starts one beside the web (one pool process),
    so that what the web asks of the worker (draining the outbox) is done, and its CPU counted, in
    the same run. Emails go to Django's dummy backend. Its log's path is given; it is stopped and
    the log removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="capa-bench-worker-"))
    log = directory / "worker.log"
    env = _served_env(database_url, EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
    with redis.Redis.from_url(env["REDIS_URL"]) as broker:
        broker.flushdb()  # no task or mark left by an earlier run
    server.redis_port = urlsplit(env["REDIS_URL"]).port or 6379
    command = [sys.executable, "-m", "celery", "-A", "capa", "worker", "--concurrency=1", "--loglevel=INFO"]
    command += ["--without-mingle", "--without-gossip", "-n", f"bench-{os.getpid()}@%h"]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    server.celery_pid = process.pid
    try:
        deadline = time.monotonic() + startup_timeout
        while " ready." not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchFailed(
                    f"the Celery worker did not start:\n{log.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.1)
        yield log
    finally:
        server.celery_pid = server.redis_port = 0
        _stop(process)  # a warm shutdown: the task in hand is finished
        shutil.rmtree(directory, ignore_errors=True)


def _wait_until_listening(process: subprocess.Popen, server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchFailed(f"gunicorn exited with {process.returncode}:\n{server.error_log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise BenchFailed(f"gunicorn did not listen on port {server.port} in {timeout:.0f} s")


# --- Where the CPU went ------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class _Process:
    parent: int
    name: str
    started: int  # clock ticks after boot: tells a process from a later one given the same pid
    cpu: float  # seconds of user and system time so far, every thread's


def _processes() -> dict[int, _Process]:
    """Every process /proc shows, by pid. Empty where there is no /proc."""
    proc = Path("/proc")
    table: dict[int, _Process] = {}
    if not proc.is_dir():
        return table
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it ended while we looked
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        # From the state on (field 3 of proc(5)): ppid is field 4, utime 14, stime 15, starttime 22.
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = _Process(
            parent=int(fields[1]),
            name=name,
            started=int(fields[19]),
            cpu=(int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
        )
    return table


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds (user and system) spent while a piece of work ran, by who spent them."""

    web: float  # gunicorn: the master and its workers
    database: float  # every process named postgres on this machine (any cluster), backends and all
    client: float  # this process: the benchmark, its client threads included
    # The Celery worker serving the server (its main process and pool), if any, and its broker:
    # the redis-server on its port.
    worker: float = 0.0

    @property
    def total(self) -> float:
        return self.web + self.database + self.client + self.worker

    def __add__(self, other: CpuUse) -> CpuUse:
        return CpuUse(
            self.web + other.web,
            self.database + other.database,
            self.client + other.client,
            self.worker + other.worker,
        )


class CpuMeter:
    """Counts the CPU the server, PostgreSQL, this benchmark, and the Celery worker and Redis use
    between `start` and `stop`,
    from /proc (Linux only: elsewhere `stop` gives None). A process that ends in between takes its
    CPU with it (an autovacuum worker, a restarted gunicorn worker); the benchmarks keep their
    workers and database connections for the whole run, so that is little.

    The workers are found as the children of `server.pid`, which `serve` starts as gunicorn's
    master itself (`python -m gunicorn`, not through a shell)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.before: dict[int, _Process] = {}

    def start(self) -> None:
        self.before = _processes()

    def _is_the_broker(self, pid: int, process: _Process) -> bool:
        """The redis-server the server's Celery worker uses, known by the port in its command
        line (redis-server shows the address it listens on there)."""
        if process.name != "redis-server" or not self.server.redis_port:
            return False
        try:
            command_line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            return False  # it ended while we looked
        return re.search(rf"[:\s]{self.server.redis_port}(\s|$)", command_line) is not None

    def stop(self) -> CpuUse | None:
        after = _processes()
        if not after or self.server.pid not in after:
            return None
        used = {"web": 0.0, "database": 0.0, "client": 0.0, "worker": 0.0}
        celery = self.server.celery_pid
        for pid, process in after.items():
            if process.name == "postgres":
                who = "database"
            elif (celery and celery in (pid, process.parent)) or self._is_the_broker(pid, process):
                who = "worker"
            elif self.server.pid in (pid, process.parent):
                who = "web"
            elif pid == os.getpid():
                who = "client"
            else:
                continue
            earlier = self.before.get(pid)
            same = earlier is not None and earlier.started == process.started
            used[who] += process.cpu - (earlier.cpu if same else 0.0)
        return CpuUse(**used)


# --- Requests and timings ----------------------------------------------------------------------------


@dataclass
class Page:
    """A page to time: its URL, the session cookie to send, and text that proves it is the page
    meant (a login form also answers 200 if a redirect is followed, so check what came back)."""

    name: str
    path: str
    cookie: str
    requests: int
    must_contain: Callable[[str], str | None] = lambda body: None  # a problem in words, or None
    client_times: list[float] = field(default_factory=list)
    server_times: list[float] = field(default_factory=list)
    response_bytes: int = 0
    queries: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # sent as well, e.g. htmx's HX-Request
    before: Callable[[], None] | None = None  # run before each request, outside the timing


def get(port: int, path: str, cookie: str, headers: dict[str, str] | None = None) -> tuple[int, float, str]:
    """GET `path` with a fresh connection (gunicorn's sync worker closes each one): status, seconds
    from connecting to the last byte, and the body."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Accept": "text/html", **(headers or {})})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return response.status, time.perf_counter() - started, body.decode(errors="replace")


def _check(page: Page, status: int, body: str) -> None:
    if status != 200:
        raise BenchFailed(f"{page.name}: GET {page.path} answered {status}, not 200:\n{body[:500]}")
    problem = page.must_contain(body)
    if problem:
        raise BenchFailed(f"{page.name}: GET {page.path} is not the page meant: {problem}")
    page.response_bytes = len(body.encode())


def measure(server: Server, pages: list[Page], *, warm_up: int = 10) -> None:
    """Warm each page up, then request the pages in turn (one request of each, round after round)
    until each has had its count, so a busy spell on the machine falls on all of them alike."""
    since = server.access_log_size()
    for page in pages:
        for _ in range(warm_up):
            if page.before:
                page.before()
            status, _seconds, body = get(server.port, page.path, page.cookie, page.headers)
            _check(page, status, body)
    server.load_before = os.getloadavg()[0]
    for round_number in range(max(page.requests for page in pages)):
        for page in pages:
            if round_number < page.requests:
                if page.before:
                    page.before()
                status, seconds, body = get(server.port, page.path, page.cookie, page.headers)
                _check(page, status, body)
                page.client_times.append(seconds)
    # One worker, one request at a time: each path's log lines are in request order.
    expected = sum(warm_up + page.requests for page in pages)
    by_path = server.server_times(since=since, expected=expected)
    for page in pages:
        page.server_times = by_path.get(page.path, [])[warm_up:]
        if len(page.server_times) != page.requests:
            raise BenchFailed(
                f"{page.name}: {len(page.server_times)} server times for {page.requests} requests"
            )


def count_queries(page: Page) -> int:
    """The SQL statements one request of the page runs, counted in this process with Django's test
    client against the same database (a second look, not part of the timings)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    name, value = page.cookie.split("=", 1)
    client = Client()
    client.cookies[name] = value
    client.get(page.path, headers=page.headers)  # as measured: after warm-up, in the page's own state
    if page.before:
        page.before()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.path, headers=page.headers)
    if response.status_code != 200:
        raise BenchFailed(f"{page.name}: the test client got {response.status_code} for {page.path}")
    return len(queries)


def percentile(samples: list[float], share: float) -> float:
    """The `share` (0.95) percentile, interpolated between the two nearest samples."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- The report --------------------------------------------------------------------------------------


def usable_cores() -> int:
    """The cores this process may run on (fewer than the machine's under a CPU affinity mask)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def machine(*, load_before: float) -> list[tuple[str, str]]:
    """What the figures were measured on, as (label, value) lines."""
    cpu = platform.processor() or platform.machine()
    try:
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        if match:
            cpu = match.group(1).strip()
    except OSError:
        pass
    cores = os.cpu_count() or 0
    usable = usable_cores()
    load_after = os.getloadavg()[0]
    busy = (
        " (busy: other work shared the cores, so compare ratios)"
        if max(load_before, load_after) >= cores
        else ""
    )
    return [
        ("CPU", f"{cpu}, {cores} cores ({usable} usable by this process)"),
        ("Load", f"1-minute load average {load_before:.2f} before measuring, {load_after:.2f} after{busy}"),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("PostgreSQL", _postgres_version()),
        ("Django", _version("django")),
        ("gunicorn", _version("gunicorn")),
    ]


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def _postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def print_report(*, title: str, server: Server, pages: list[Page], yardstick: Page, notes: list[str]) -> None:
    """The figures as a table: server time (gunicorn's own, from its access log) first, then the
    client's wall-clock time, each with its ratio to the yardstick's."""
    print(f"\n{title}")
    print(
        f"gunicorn: {server.workers} worker{'' if server.workers == 1 else 's'}, {server.worker_class}, "
        f"DEBUG=0, 127.0.0.1:{server.port}; "
        "requests one at a time, the pages taken in turn"
    )
    for note in notes:
        print(note)
    for label, attribute in (
        ("Server time (gunicorn access log, ms)", "server_times"),
        ("Client time (connect to last byte, ms)", "client_times"),
    ):
        base = getattr(yardstick, attribute)
        base_p50, base_p95 = percentile(base, 0.5), percentile(base, 0.95)
        print(f"\n{label}")
        header = f"{'page':<34} {'n':>4} {'p50':>8} {'p95':>8} {'max':>8} {'p50/no-op':>10} {'p95/no-op':>10}"
        print(header)
        print("-" * len(header))
        for page in pages:
            samples = getattr(page, attribute)
            p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
            print(
                f"{page.name:<34} {len(samples):>4} {milliseconds(p50):>8} {milliseconds(p95):>8} "
                f"{milliseconds(max(samples)):>8} {p50 / base_p50:>9.1f}x {p95 / base_p95:>9.1f}x"
            )
    print("\nPer request")
    for page in pages:
        queries = "" if page.queries is None else f", {page.queries} SQL statements"
        print(f"  {page.name}: {page.response_bytes:,} bytes of HTML{queries}")
    print("\nMachine")
    for label, value in machine(load_before=server.load_before):
        print(f"  {label + ':':<14}{value}")


if __name__ == "__main__":
    sys.exit(0)
