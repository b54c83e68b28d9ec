"""The 503 page: a real database error in a view, or in the session middleware after the view,
answers "Sorry, the service is unavailable" with status 503 and Retry-After, never a server error
or a traceback; a bug that is not about the database is still a 500. And only web processes get
the statement and lock timeouts (capa/settings.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.faults.conftest import assert_friendly_503, database_url_of

pytestmark = pytest.mark.urls("tests.faults.urls")


@pytest.mark.django_db
def test_a_statement_timeout_in_a_view_answers_the_503_page(client):
    response = client.get("/statement-timeout/")

    assert_friendly_503(response.status_code, dict(response.headers), response.content.decode())


@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_in_a_view_answers_the_503_page(client):
    holder = psycopg2.connect(**{k: v for k, v in _params(connection.settings_dict).items() if v})
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(1, 1)")
        response = client.get("/lock-timeout/")
    finally:
        holder.close()

    assert_friendly_503(response.status_code, dict(response.headers), response.content.decode())


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_while_saving_the_session_after_the_view_answers_the_503_page(clinician):
    # The test client re-raises any exception Django handled; the browser only sees the response.
    client = Client(raise_request_exception=False)
    client.force_login(clinician)

    response = client.get("/connection-killed/")

    assert_friendly_503(response.status_code, dict(response.headers), response.content.decode())
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]  # the site's usual headers
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    # And the next request gets a working connection again.
    assert client.get("/ok/").content == b"ok"


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_before_the_session_is_read_answers_the_503_page(clinician):
    """The log-in middleware reads the session (lazily, through request.user) outside the view:
    Django turns the error into a 500 there, which the 503 middleware replaces on the way out."""
    client = Client(raise_request_exception=False)
    client.force_login(clinician)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    killer = psycopg2.connect(**{k: v for k, v in _params(connection.settings_dict).items() if v})
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    finally:
        killer.close()
    # The test client keeps the connection between requests (no health check at request start),
    # so the first query of this request, reading the session, meets the dead connection.

    response = client.get("/ok/")

    assert_friendly_503(response.status_code, dict(response.headers), response.content.decode())
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    connection.close()
    assert client.get("/ok/").content == b"ok"


def _params(s: dict) -> dict:
    params = {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"]}
    return params | {"host": s["HOST"], "port": s["PORT"]}


@pytest.mark.django_db
def test_an_error_that_is_not_about_the_database_is_still_a_server_error():
    client = Client(raise_request_exception=False)

    response = client.get("/bug/")

    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert "Sorry, there is a problem with the service" in response.content.decode()


SHOW_TIMEOUTS = (
    "from django.db import connection\n"
    "with connection.cursor() as cursor:\n"
    "    cursor.execute('SHOW statement_timeout'); statement = cursor.fetchone()[0]\n"
    "    cursor.execute('SHOW lock_timeout'); lock = cursor.fetchone()[0]\n"
    "print(statement, lock)\n"
)


def show_timeouts(prelude: str, database_url: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "CAPA_ENV": "test"}
    env.pop("CAPA_PROCESS", None)
    done = subprocess.run(
        [sys.executable, "-c", prelude + SHOW_TIMEOUTS],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.django_db
def test_web_processes_get_statement_and_lock_timeouts_and_workers_and_commands_do_not():
    url = database_url_of(connection.settings_dict)
    web = "import capa.wsgi\n"  # what gunicorn imports
    worker = "import django, os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'capa.settings')\n"
    worker += "import capa.celery\ndjango.setup()\n"  # what a Celery worker, beat or manage.py loads

    assert show_timeouts(web, url) == "15s 5s"
    assert show_timeouts(worker, url) == "0 0"
