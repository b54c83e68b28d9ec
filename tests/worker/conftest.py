"""A real Celery worker (and beat) against a real Redis and the test database: no eager mode.

Each test module gets a private `redis-server` on a spare port, so a test can stop and restart it
without touching the Redis the rest of the suite uses. Workers and beat are subprocesses started
with `sys.executable -m celery -A capa`, pointed at the pytest-django test database, and killed
(their whole process group) at teardown. The test process sends tasks to the same Redis.

Tests that use a worker need `django_db(transaction=True)`: the worker only sees committed rows.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu import pools

from capa.celery import app

ROOT = Path(settings.BASE_DIR)
# A task whose worker was SIGKILLed comes back this many seconds after it was delivered.
VISIBILITY_TIMEOUT = 5
READY_WITHIN = 60  # seconds for a worker to import Django and connect; generous for a busy CI box


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float, interval: float = 0.2, what: str) -> object:
    """Poll until `condition()` is truthy and return it; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class RedisServer:
    """A private redis-server this test module can stop and start again on the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with redis.Redis(port=self.port, socket_connect_timeout=0.5) as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def start(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail("redis-server is not installed: run scripts/bootstrap")
        with (self.directory / "redis.log").open("ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [
                    executable,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self.ping, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: a clean shutdown, and with --save "" nothing is kept
            self.process.wait(timeout=10)
        self.process = None


class CeleryProcess:
    """A `celery -A capa worker` or `beat` subprocess in its own process group, logging to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], directory: Path) -> None:
        self.name = name
        self.log = directory / f"{name}.log"
        with self.log.open("ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "capa", *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg reaches the pool's children too
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_logged(self, text: str, *, timeout: float = READY_WITHIN) -> None:
        def logged() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.output()[-3000:]}")
            return text in self.output()

        wait_for(logged, timeout=timeout, what=f"{self.name} to log {text!r}")

    def wait_until_succeeded(self, task_id: str, *, timeout: float = 60) -> None:
        """Until this worker logs the task as done (results are ignored, so its log is the record)."""
        self.wait_until_logged(f"[{task_id}] succeeded", timeout=timeout)

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no acknowledgement, as if the box died."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it died on its own in the meantime
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class Celery:
    """Starts workers and beat for one test; everything started is killed when the test ends."""

    def __init__(self, *, redis_server: RedisServer, database_url: str, directory: Path) -> None:
        self.redis_server = redis_server
        self.database_url = database_url
        self.directory = directory
        self.hold_file = directory / "hold-publication"
        self.started: list[CeleryProcess] = []

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CAPA_ENV": "test",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_server.url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "PUBLICATION_TEST_HOLD_FILE": str(self.hold_file),
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "PYTHONUNBUFFERED": "1",
        }

    def worker(self, *, concurrency: int = 1) -> CeleryProcess:
        name = f"worker{len(self.started) + 1}"
        worker = CeleryProcess(
            name,
            [
                "worker",
                f"--concurrency={concurrency}",
                "--prefetch-multiplier=1",
                "-Q",
                "celery",
                "--loglevel=INFO",
                "-n",
                f"{name}-{os.getpid()}@%h",
                # Mingle and gossip only talk to other workers; skipping them saves seconds at start.
                "--without-mingle",
                "--without-gossip",
            ],
            self.env(),
            self.directory,
        )
        self.started.append(worker)
        worker.wait_until_logged(" ready.")
        return worker

    def beat(self) -> CeleryProcess:
        beat = CeleryProcess(
            "beat",
            ["beat", "--loglevel=INFO", "--schedule", str(self.directory / "celerybeat-schedule")],
            self.env(),
            self.directory,
        )
        self.started.append(beat)
        beat.wait_until_logged("beat: Starting...")
        return beat

    def kill_all(self) -> None:
        for process in self.started:
            process.kill()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.output()[-4000:]}" for p in self.started)


def _database_params() -> dict[str, str]:
    """The test database's connection parameters (its name is only known once it is set up)."""
    s = connection.settings_dict
    params = {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"], "host": s["HOST"]}
    params["port"] = str(s["PORT"] or "")
    return {key: value for key, value in params.items() if value}


@pytest.fixture(scope="session")
def test_database(django_db_setup) -> dict[str, str]:
    return _database_params()


@pytest.fixture(scope="session")
def test_database_url(test_database) -> str:
    p = test_database
    auth = quote(p.get("user", ""), safe="") + (
        ":" + quote(p["password"], safe="") if "password" in p else ""
    )
    host = quote(p.get("host", "localhost"), safe="")  # a socket directory becomes %2F...
    port = f":{p['port']}" if "port" in p else ""
    return f"postgres://{auth}@{host}{port}/{quote(p['dbname'], safe='')}"


class OtherConnection:
    """A plain psycopg2 connection of its own, in autocommit: it sees only what was committed."""

    def __init__(self, params: dict[str, str]) -> None:
        self.connection = psycopg2.connect(**params)
        self.connection.autocommit = True

    def one(self, sql: str, params: tuple = ()) -> tuple:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    def all(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def other_connection(test_database) -> Iterator[OtherConnection]:
    other = OtherConnection(test_database)
    yield other
    other.close()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server, settings) -> Iterator[RedisServer]:
    """Point this process's Celery app at the module's Redis, for `.delay()` and the outbox nudge."""
    before = app.conf.broker_url

    def use(url: str) -> None:
        pools.reset()  # close and forget every cached broker connection and producer
        app.conf.broker_url = url
        app._pool = None  # the app keeps its own references to those pools
        app.amqp._producer_pool = None

    use(redis_server.url)
    settings.CELERY_BROKER_URL = redis_server.url
    yield redis_server
    use(before)
    if redis_server.process is None:  # a test that stopped Redis and failed before restarting it
        redis_server.start()


@pytest.fixture
def celery(broker, test_database_url, tmp_path, request) -> Iterator[Celery]:
    """Start workers with `celery.worker()` and beat with `celery.beat()`; all are killed at the end."""
    # Each test starts with an empty broker: no message left unacknowledged by an earlier test's
    # killed worker comes back to run against rows that test's teardown has deleted.
    with redis.Redis(port=broker.port) as client:
        client.flushdb()
    processes = Celery(redis_server=broker, database_url=test_database_url, directory=tmp_path)
    yield processes
    processes.kill_all()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(processes.logs())  # shown with the failure: what the worker said


@pytest.fixture
def worker(celery) -> CeleryProcess:
    """One worker, `--concurrency=1 --prefetch-multiplier=1 -Q celery`, ready for tasks."""
    return celery.worker()
