"""Posting hostile input and checking what it did: the answer is one the app means to give (never
a server error), and a post that did not succeed changed no row.

Rows are checked in two steps, so that 7,000 posts stay quick. PostgreSQL counts the rows this
transaction has inserted, updated and deleted in each table (`pg_stat_xact_user_tables`): when no
count moved during the post, no row can have changed. When one did, the touched tables' rows are
digested after the post, the post is rolled back to a savepoint taken before it, and digested
again: a refused post must leave the same rows (a write it undid itself, or an update to the same
values, is allowed; a changed, added or removed row is not).

Left out are the tables written on purpose by any request, refused or not: the session (saved on
every request), the log-in attempts axes records (a wrong password is recorded and counted towards
the lockout), and the record of who viewed a child's case (a refused form on a case page still
shows the case, and that view is logged); and the dashboards' change log, which database triggers
write for every write statement to the tables the dashboards count, even one that changes nothing
(those tables are themselves checked)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.utils.crypto import get_random_string

ALLOWED = {200, 302, 400, 403, 404, 409, 413}
WRITTEN_BY_EVERY_REQUEST = {
    "django_session",
    "axes_accessattempt",
    "axes_accessattemptexpiration",
    "axes_accesslog",
    "axes_accessfailurelog",
    "partnership_caseview",
    "dashboard_change",
}


def write_counts() -> dict[str, tuple[int, int, int]]:
    """Rows this transaction has inserted, updated and deleted so far, by table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables "
            "WHERE n_tup_ins + n_tup_upd + n_tup_del > 0"
        )
        return {name: tuple(counts) for name, *counts in cursor.fetchall()}


def digest(tables: list[str]) -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of its rows, in one query."""
    if not tables:
        return {}
    quote = connection.ops.quote_name
    # The table names come from PostgreSQL's own statistics, quoted; nothing posted reaches them.
    each = "SELECT %s, count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(each.format(quote(name)) for name in tables), tables)
        return {name: (count, md5) for name, count, md5 in cursor.fetchall()}


def post_and_watch(post: Callable, succeeded: Callable) -> tuple[object, list[str]]:
    """Make the post; return its response and the tables whose rows it changed, if it did not
    succeed (a success keeps its changes and reports none)."""
    before = write_counts()
    savepoint = transaction.savepoint()
    response = post()
    after = write_counts()
    touched = sorted(
        name
        for name, counts in after.items()
        if counts != before.get(name) and name not in WRITTEN_BY_EVERY_REQUEST
    )
    if not touched or succeeded(response):
        transaction.savepoint_commit(savepoint)
        return response, []
    rows_after = digest(touched)
    transaction.savepoint_rollback(savepoint)
    rows_before = digest(touched)
    return response, [name for name in touched if rows_before[name] != rows_after[name]]


def has_success_message(response, client) -> bool:
    return any(m.level == messages.SUCCESS for m in get_messages(response.wsgi_request))


def redirected(response, client) -> bool:
    return True


@dataclass
class Spec:
    """How to fuzz one POST view.

    `url` maps each URL argument to the record it names; `fields` builds the post's strategy;
    `persona` is who normally posts it. A post succeeded when it redirected and `succeeded` says
    so (by default: with a success message); anything else must have changed no row."""

    name: str
    persona: str
    url: dict = field(default_factory=dict)  # URL argument: a strategy of Refs (or numbers)
    fields: Callable | None = None  # world -> a strategy of posts (with Refs); None: junk only
    succeeded: Callable = has_success_message  # (response, client) -> bool, for a redirect
    upload: Callable | None = None  # world -> a strategy of (file name, content) posted as "file"
    fresh_client: bool = False  # each post from a new browser (log-in) or logged in afresh (log-out)
    query: Callable | None = None  # world ->  a strategy of query parameters (with Refs) added to the URL
    prepare: tuple[str, ...] = ()  # records made before the first post


def csrf_token(client) -> str:
    """Give the CSRF-checking browser a cookie, and return the token a page would have put in the form."""
    from django.conf import settings

    secret = client.cookies.get(settings.CSRF_COOKIE_NAME)
    if secret is None or not secret.value:
        client.cookies[settings.CSRF_COOKIE_NAME] = get_random_string(32)
        secret = client.cookies[settings.CSRF_COOKIE_NAME]
    return secret.value


def bogus_token() -> str:
    return secrets.token_hex(16)
