"""Fault tests: each test breaks its own PostgreSQL, Redis or Celery worker on purpose.

Nothing here touches the servers the rest of the suite (or anybody else) uses. Each test gets:

- `postgres`: a private PostgreSQL 15 cluster on a spare port, run as the `postgres` user when we
  are root (it refuses to run as root), data under /var/tmp (the `postgres` user must reach it),
  fsync off. It is a copy of a template cluster made once per session: the schema (and migration
  records) of the pytest-django test database, `seed_demo`, and tests/faults/seed.py. Copying a
  stopped cluster's directory takes a second; migrating and seeding one takes minutes.
- `redis`: a private redis-server (tests/worker/conftest.py's RedisServer).
- `gunicorn`: `gunicorn capa.wsgi` as in the Procfile, on those two, with static files collected
  once per session (DEBUG is off, so pages need the manifest).

After each fault the test runs `manage.py check_invariants` against its own database.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg2
import pytest
from django.conf import settings

from tests.worker.conftest import RedisServer, free_port, wait_for

ROOT = Path(settings.BASE_DIR)
PGBIN = Path("/usr/lib/postgresql/15/bin")
IS_ROOT = os.geteuid() == 0
DEMO_PASSWORD = "capa-demo-password"
FRIENDLY_503 = "Sorry, the service is unavailable"
START_WITHIN = 60  # seconds for a server to come up on a busy CI box


def database_url_of(s: dict) -> str:
    """A DATABASE_URL for a Django settings dict (e.g. the pytest-django test database's)."""
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}{port}/{s['NAME']}"


def assert_friendly_503(status: int, headers: dict[str, str], body: str) -> None:
    headers = {key.lower(): value for key, value in headers.items()}
    assert status == 503, f"expected the 503 page, got {status}:\n{body[:2000]}"
    assert headers.get("retry-after") == "5"
    assert FRIENDLY_503 in body
    for leak in ("Traceback", "OperationalError", "InterfaceError", "psycopg2", "Server Error (500)"):
        assert leak not in body


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if IS_ROOT else args


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("timeout", 300)  # nothing here should hang a test run
    done = subprocess.run(args, capture_output=True, text=True, cwd="/", **kwargs)  # noqa: PLW1510
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} exited with {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


class PostgresCluster:
    """A private PostgreSQL 15 cluster in `directory`, which the test can stop, restart and kill."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = 0

    @property
    def url(self) -> str:
        return f"postgres://capa@127.0.0.1:{self.port}/capa"

    @property
    def params(self) -> dict[str, str]:
        return {"host": "127.0.0.1", "port": str(self.port), "user": "capa", "dbname": "capa"}

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def init(self) -> None:
        if IS_ROOT:
            shutil.chown(self.directory, "postgres", "postgres")
        _run(
            _as_postgres(
                [str(PGBIN / "initdb"), "-D", str(self.data), "-U", "capa", "--auth=trust", "-E", "UTF8"]
                + ["--locale=C.UTF-8", "--no-sync"]
            )
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# capa fault tests: loopback only, no Unix socket; the port is given at start.\n"
                "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )

    def copy_of(self, template: Path) -> None:
        """This cluster's data directory becomes a copy of a stopped cluster's (owners kept)."""
        if IS_ROOT:
            shutil.chown(self.directory, "postgres", "postgres")
        _run(["cp", "-a", str(template), str(self.data)])

    def _pg_ctl(self, *args: str) -> None:
        _run(
            _as_postgres(
                [str(PGBIN / "pg_ctl"), *args, "-D", str(self.data), "-w", "-t", str(START_WITHIN), "-s"]
            )
        )

    def start(self) -> None:
        if not self.port:
            self.port = free_port()
        log = self.directory / "server.log"
        self._pg_ctl("start", "-l", str(log), "-o", f"-p {self.port}")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        # With its log file again: a server writing to our pipe would keep the pipe open forever.
        log = self.directory / "server.log"
        self._pg_ctl("restart", "-m", mode, "-l", str(log), "-o", f"-p {self.port}")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def ready(self) -> bool:
        done = subprocess.run(
            [str(PGBIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-t", "1"], check=False
        )
        return done.returncode == 0

    def connect(self):
        connection = psycopg2.connect(**self.params, connect_timeout=5)
        connection.autocommit = True
        return connection

    def one(self, sql: str, params: tuple = ()) -> tuple:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        finally:
            connection.close()

    def all(self, sql: str, params: tuple = ()) -> list[tuple]:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def psql(self, sql_input: str) -> None:
        _run(
            [
                str(PGBIN / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ]
            + ["-U", "capa", "-d", "capa"],
            input=sql_input,
        )

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(BaseException):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


def _private_directory(prefix: str) -> Path:
    """A directory the `postgres` user can reach (pytest's tmp_path is 0700 under root's)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir="/var/tmp"))
    directory.chmod(0o755)
    return directory


def service_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "CAPA_ENV": "test", "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    env.pop("CAPA_PROCESS", None)
    env.update({"PYTHONUNBUFFERED": "1", **extra})
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Template:
    data: Path
    ids: dict


@pytest.fixture(scope="session")
def fault_template(django_db_setup) -> Iterator[Template]:
    """A stopped cluster holding the migrated schema, the demo trust and tests/faults/seed.py's rows."""
    from django.db import connection

    directory = _private_directory("capa-faults-template-")
    cluster = PostgresCluster(directory)
    try:
        cluster.init()
        cluster.start()
        _run([str(PGBIN / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "capa", "capa"])
        # The schema of the test database pytest-django has just migrated, and the rows migrations
        # and post_migrate write (migration records, content types, permissions).
        s = connection.settings_dict
        source = ["-h", s["HOST"] or "localhost", "-U", s["USER"], "--no-owner", "--no-privileges"]
        source += ["-p", str(s["PORT"])] if s["PORT"] else []
        env = {**os.environ, **({"PGPASSWORD": s["PASSWORD"]} if s["PASSWORD"] else {})}
        schema = _run([str(PGBIN / "pg_dump"), *source, "--schema-only", s["NAME"]], env=env).stdout
        rows = _run(
            [
                str(PGBIN / "pg_dump"),
                *source,
                "--data-only",
                "-t",
                "django_migrations",
                "-t",
                "django_content_type",
            ]
            + ["-t", "auth_permission", s["NAME"]],
            env=env,
        ).stdout
        cluster.psql(schema)
        cluster.psql(rows)
        env = service_env(cluster.url, "redis://127.0.0.1:9/0")  # no broker: the outbox keeps the mail
        seeded = manage("seed_demo", env=env)
        if seeded.returncode != 0:
            pytest.fail(f"seed_demo failed:\n{seeded.stdout[-3000:]}\n{seeded.stderr[-3000:]}")
        extra = subprocess.run(
            [sys.executable, "-m", "tests.faults.seed"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if extra.returncode != 0:
            pytest.fail(f"tests/faults/seed.py failed:\n{extra.stderr[-3000:]}")
        ids = json.loads(extra.stdout.strip().splitlines()[-1])
        cluster.stop()
        yield Template(data=cluster.data, ids=ids)
    finally:
        cluster.destroy()


@pytest.fixture
def postgres(fault_template) -> Iterator[PostgresCluster]:
    """This test's own PostgreSQL, a running copy of the template."""
    cluster = PostgresCluster(_private_directory("capa-faults-pg-"))
    try:
        cluster.copy_of(fault_template.data)
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def redis(tmp_path) -> Iterator[RedisServer]:
    """This test's own redis-server."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """Static files collected once, with the manifest that production pages (DEBUG off) need."""
    root = tmp_path_factory.mktemp("static")
    env = service_env("postgres://capa@127.0.0.1:9/unused", "redis://127.0.0.1:9/0", STATIC_ROOT=str(root))
    done = manage("collectstatic", "--noinput", "-v0", env=env)
    if done.returncode != 0:
        pytest.fail(f"collectstatic failed:\n{done.stderr[-3000:]}")
    return root


def check_invariants(database_url: str) -> str:
    """`manage.py check_invariants` against this test's database: exit code 0 when clean."""
    env = service_env(database_url, "redis://127.0.0.1:9/0")
    done = manage("check_invariants", env=env, timeout=300)
    assert done.returncode == 0, (
        f"check_invariants exited with {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    return done.stdout


# ----------------------------------------------------------------------------------------------
# A web server and a small browser
# ----------------------------------------------------------------------------------------------


class Gunicorn:
    """`gunicorn capa.wsgi` as in the Procfile (sync workers), in its own process group."""

    def __init__(
        self, *, postgres: PostgresCluster, redis: RedisServer, static_root: Path, directory: Path
    ) -> None:
        self.port = free_port()
        self.log = directory / "gunicorn.log"
        env = service_env(postgres.url, redis.url, STATIC_ROOT=str(static_root))
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "capa.wsgi", "--bind", f"127.0.0.1:{self.port}"]
                + ["--workers", "4", "--timeout", "30", "--access-logfile", "-", "--no-control-socket"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def answers() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            with contextlib.suppress(OSError):
                return Browser(self.port).get("/accounts/login/").status == 200
            return False

        wait_for(answers, timeout=START_WITHIN, what="gunicorn to answer")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def gunicorn(postgres, redis, static_root, tmp_path, request) -> Iterator[Gunicorn]:
    server = Gunicorn(postgres=postgres, redis=redis, static_root=static_root, directory=tmp_path)
    yield server
    server.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- gunicorn ---\n{server.output()}\n--- postgres ---\n{postgres.log()}")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    started: float  # time.monotonic() when the request was sent
    seconds: float

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Browser:
    """One person's browser: their cookies, one request at a time, redirects not followed."""

    port: int
    timeout: float = 30
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, data: dict | list | None = None) -> Answer:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            if "csrftoken" in self.cookies:
                data = [*(data.items() if isinstance(data, dict) else data)]
                data.append(("csrfmiddlewaretoken", self.cookies["csrftoken"]))
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        answer_headers = {key.lower(): value for key, value in response.getheaders()}
        return Answer(response.status, answer_headers, text, started, time.monotonic() - started)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, data: dict | list) -> Answer:
        return self.request("POST", path, data)

    def log_in(self, username: str, password: str = DEMO_PASSWORD) -> Answer:
        page = self.get("/accounts/login/")
        assert page.status == 200, page.body[:2000]
        answer = self.post("/accounts/login/", {"username": username, "password": password})
        assert answer.status == 302, f"log-in as {username} answered {answer.status}:\n{answer.body[:2000]}"
        return answer


class FormFields(HTMLParser):
    """The fields of the first <form> with `marker` in its action (or the first form): what a browser
    would send if the person pressed the button named `button`."""

    def __init__(self, marker: str = "") -> None:
        super().__init__()
        self.marker = marker
        self.inside = False
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self.buttons: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and not self.done and self.marker in a.get("action", ""):
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind == "submit":
                self.buttons.append((name, a.get("value", "")))
            elif kind not in {"file", "button", "image", "reset"}:
                self.fields.append((name, a.get("value", "")))
        elif tag == "button" and name:
            self.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self.fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self.inside, self.done = False, True

    @classmethod
    def of(cls, html: str, marker: str = "") -> FormFields:
        parser = cls(marker)
        parser.feed(html)
        return parser
