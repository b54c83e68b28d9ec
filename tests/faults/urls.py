"""Views that meet real database errors, for the 503 middleware's tests (tests/faults/test_middleware.py)."""

from __future__ import annotations

import psycopg2
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path


def statement_timeout(request: HttpRequest) -> HttpResponse:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '50ms'")
        cursor.execute("SELECT pg_sleep(2)")
    return HttpResponse("not reached")


def lock_timeout(request: HttpRequest) -> HttpResponse:
    """Waits for the advisory lock (1, 1) that the test holds on another connection."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '100ms'")
        cursor.execute("SELECT pg_advisory_xact_lock(1, 1)")
    return HttpResponse("not reached")


def connection_killed_after_the_view(request: HttpRequest) -> HttpResponse:
    """Answers 200, but first has PostgreSQL end this request's connection, so the session that
    SessionMiddleware saves after the view (SESSION_SAVE_EVERY_REQUEST) meets a dead connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    s = connection.settings_dict
    params = {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"]}
    params |= {"host": s["HOST"], "port": s["PORT"]}
    other = psycopg2.connect(**{key: value for key, value in params.items() if value})
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])  # waits until it has gone
    finally:
        other.close()
    return HttpResponse("the view itself was fine")


def ok(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok")


def not_a_database_error(request: HttpRequest) -> HttpResponse:
    raise ValueError("a bug, not an outage")


urlpatterns = [
    path("statement-timeout/", statement_timeout),
    path("lock-timeout/", lock_timeout),
    path("connection-killed/", connection_killed_after_the_view),
    path("bug/", not_a_database_error),
    path("ok/", ok),
]
