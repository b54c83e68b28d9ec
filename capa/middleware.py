"""A friendly 503 page, not a server error, when the database cannot answer.

PostgreSQL restarting or stopped, a connection dropped mid-request, a statement or lock timeout:
Django raises `OperationalError` or `InterfaceError` (wrapping psycopg2's). The person at the
screen gets "Sorry, the service is unavailable, try again in a few seconds" with status 503 and
`Retry-After: 5`, never a traceback, and the next request reconnects by itself
(`conn_health_checks` throws away a dead connection before it is used).

The error can come from three places, and all are caught:
- the view (or its template): `process_exception` answers it directly;
- the session middleware, just inside this one, saving the session after the view: Django's
  session store turns the database error into SessionInterrupted, which would be a 400 "Bad
  request". Django turns a middleware's exception into a response at that middleware's own
  boundary (`convert_exception_to_response`, which keeps the middleware as `__wrapped__`), so this
  middleware calls the session middleware unwrapped and sees the exception and its cause itself;
- a middleware further in, e.g. the session being loaded when the authentication middleware's
  lazy user is first read: Django turns it into a 500 there; `got_request_exception`, sent just
  before, marks the request, and on its way out this middleware swaps the 500 for the 503 page.

So this middleware sits near the top of MIDDLEWARE, around the session and authentication
middleware, and below WhiteNoise (static files need no database). The 503 page is rendered with
no request context: the navigation's context processor reads the database.
"""

from __future__ import annotations

import logging
import sys

import psycopg2
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, psycopg2.OperationalError, psycopg2.InterfaceError)
RETRY_AFTER_SECONDS = 5
_MARK = "_capa_database_unavailable"
# Headers that describe the body of the response being replaced, not the site's policy.
_BODY_HEADERS = {"content-type", "content-length", "retry-after", "cache-control"}


def database_error_in(error: BaseException | None) -> BaseException | None:
    """The database error that is `error`, or that it was raised while handling (cause or context)."""
    for _ in range(10):  # a chain is short; never loop on a cycle
        if error is None or isinstance(error, DATABASE_UNAVAILABLE):
            return error
        error = error.__cause__ or error.__context__
    return None


def is_database_unavailable(error: BaseException | None) -> bool:
    return database_error_in(error) is not None


def database_unavailable_response() -> HttpResponse:
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # The same security headers as every page, whichever middleware did not get to add them.
    response["Content-Security-Policy"] = build_policy()
    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    return response


def _mark_request(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """Sent by Django while it handles an uncaught exception, inside its `except` block."""
    if request is None or not is_database_unavailable(sys.exc_info()[1]):
        return
    setattr(request, _MARK, True)
    # If it was the session that could not be read, let it read as empty for the rest of this
    # request: otherwise the session middleware reads it again on the way out, and against a server
    # that hangs rather than refuses, each read waits the whole connect_timeout. Nothing is saved
    # (the session middleware never saves with an error response).
    session = getattr(request, "session", None)
    if session is not None and not hasattr(session, "_session_cache"):
        session._session_cache = {}


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.next_middleware = getattr(get_response, "__wrapped__", get_response)
        got_request_exception.connect(_mark_request, dispatch_uid="capa.middleware.database_unavailable")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.next_middleware(request)
        except Exception as error:
            if not is_database_unavailable(error):
                raise  # Django's own handling, one level out: as if this middleware were not here
            return self._unavailable(request, error)
        if getattr(request, _MARK, False) and response.status_code >= 500:
            # A database error in another middleware, already turned into a 500 (and logged with
            # its traceback by Django). Keep the security headers the inner middleware added.
            replacement = database_unavailable_response()
            for header, value in response.headers.items():
                if header.lower() not in _BODY_HEADERS:
                    replacement[header] = value
            return replacement
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        return self._unavailable(request, exception)

    def _unavailable(self, request: HttpRequest, error: BaseException) -> HttpResponse:
        cause = database_error_in(error)
        reason = " ".join(str(cause).split()) or type(cause).__name__
        logger.warning("database unavailable, answered 503: %s %s: %s", request.method, request.path, reason)
        return database_unavailable_response()
