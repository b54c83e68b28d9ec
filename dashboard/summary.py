"""The dashboards' figures, from the summary table where it is still right, worked out afresh
(`quarterly.activities`) and stored where it is not (docs/adr/0010).

A stored summary is used only if all of these hold when it is read:

- nothing it counts has changed since: no `Change` row for its team (or for every team) newer than
  the last one it saw, and none of the transactions in flight when its work started has committed
  since (their changes may be older than the last one it saw, yet invisible to it);
- it was worked out today, for a moment no later than now (the job-plan figures count the referrals
  of the weeks before today);
- no vacant first Core slot of the quarter has started since ("left unbooked" counts those).

So a summary can be missing or old, and is then worked out again, but it can never show figures
that differ from counting the rows now. `capa/invariants.py` checks exactly that.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from fractions import Fraction

from django.db import DatabaseError, connection, transaction
from django.db.models import Min
from django.utils import timezone

from accounts.models import Team, User
from dashboard import quarterly
from dashboard.models import Summary
from diary.models import Slot, SlotKind, SlotStatus
from planning.quarters import Quarter

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the stored figures change shape: older summaries are then worked out again

VALID = """
SELECT s.team_id, s.quarter_start, s.figures
FROM dashboard_summary s
WHERE s.team_id = ANY(%(teams)s) AND s.quarter_start = ANY(%(quarters)s) AND s.start_month = %(start_month)s
  AND s.computed_at >= %(day_start)s AND s.computed_at <= %(now)s
  AND (s.valid_until IS NULL OR s.valid_until > %(now)s)
  AND NOT EXISTS (
      SELECT 1 FROM dashboard_change c
      WHERE c.id > s.changes_upto AND (c.team_id = s.team_id OR c.team_id IS NULL))
  AND NOT EXISTS (
      SELECT 1 FROM unnest(s.in_flight) AS x(xid)
      WHERE x.xid::text::xid8 IS NOT DISTINCT FROM pg_current_xact_id_if_assigned()
         OR pg_xact_status(x.xid::text::xid8) IS DISTINCT FROM 'in progress'
        AND pg_xact_status(x.xid::text::xid8) IS DISTINCT FROM 'aborted')
"""

# Taken before the first row is counted: the newest change visible, and who is still writing.
# - A snapshot lists the transactions running in every database of the server; those of sessions
#   in another database cannot write these tables, so they are left out (a busy neighbour
#   database, or the test groups running side by side, would otherwise make every summary look
#   unfinished).
# - A snapshot lists them only up to the newest transaction to have ended (its xmax). One that took
#   its id later may still have written a change older than the newest one seen (ids are taken
#   at the first write, change rows after it), so the sessions of this database that hold an id
#   are listed too. pg_stat_activity gives their 32-bit ids: each becomes the 64-bit id nearest
#   the snapshot's xmax (transactions running at once are never 2^31 ids apart).

# The 64-bit id nearest the 64-bit `xmax` whose low 32 bits are `xid` (SQL, on bigints; mod() and
# not %, which a driver would take for a parameter).
NEAREST_FULL_XID = "{xmax} + mod(mod({xid} - {xmax}, 4294967296) + 6442450944, 4294967296) - 2147483648"


def sessions_in_flight(xmax: str) -> str:
    """SQL: the 64-bit ids of the other sessions of this database that hold one, nearest `xmax`
    (an SQL bigint)."""
    full = NEAREST_FULL_XID.format(xid="backend_xid::text::bigint", xmax=xmax)
    return f"""SELECT {full} FROM pg_stat_activity
           WHERE backend_xid IS NOT NULL AND datname = current_database()
             AND pid <> pg_backend_pid()"""  # noqa: S608  (no input)


START = f"""
SELECT COALESCE((SELECT max(id) FROM dashboard_change), 0),
       ARRAY(
           SELECT x::text::bigint FROM pg_snapshot_xip(now.snapshot) AS x
           WHERE mod(x::text::bigint, 4294967296) NOT IN (
               SELECT backend_xid::text::bigint FROM pg_stat_activity
               WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database())
           UNION
           {sessions_in_flight("pg_snapshot_xmax(now.snapshot)::text::bigint")})
FROM (SELECT pg_current_snapshot() AS snapshot) AS now
"""  # noqa: S608  (no input: built from the constants above)


def activities(
    teams: Sequence[Team], quarters: Sequence[Quarter], *, now: datetime | None = None
) -> dict[tuple[int, Quarter], quarterly.TeamActivity]:
    """What `quarterly.activities(teams, quarters, now=now)` returns, from the summaries still
    right; the others are worked out (only the teams and quarters that need it) and stored."""
    now = now or timezone.now()
    teams, quarters = list(teams), sorted(quarters, key=lambda q: q.start)
    if not teams or not quarters:
        return {}
    by_start = {q.start: q for q in quarters}
    stored, found = _stored_or_worked_out(teams, quarters, now=now)
    users = User.objects.in_bulk({row[0] for figures in stored.values() for row in figures["clinicians"]})
    teams_by_id = {team.pk: team for team in teams}
    for (team_id, start), figures in stored.items():
        found[team_id, by_start[start]] = load(
            figures, team=teams_by_id[team_id], quarter=by_start[start], users=users
        )
    return found


def _stored_or_worked_out(
    teams: list[Team], quarters: list[Quarter], *, now: datetime
) -> tuple[dict[tuple[int, object], dict], dict[tuple[int, Quarter], quarterly.TeamActivity]]:
    """The stored figures still right, by (team id, quarter start); and the others, worked out and
    stored, by (team id, quarter)."""
    stored = _valid(teams, quarters, now=now)
    missing = [(team, q) for team in teams for q in quarters if (team.pk, q.start) not in stored]
    if not missing:
        return stored, {}
    fresh = _work_out(missing, now=now)
    return stored, {(team.pk, q): fresh[team.pk, q] for team, q in missing}


def _valid(teams: list[Team], quarters: list[Quarter], *, now: datetime) -> dict[tuple[int, object], dict]:
    day_start = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    with connection.cursor() as cursor:
        cursor.execute(
            VALID,
            {
                "teams": [team.pk for team in teams],
                "quarters": [q.start for q in quarters],
                "start_month": quarters[0].start_month,
                "day_start": day_start,
                "now": now,
            },
        )
        rows = cursor.fetchall()
    # The plans' figures count referrals up to today's week (the real today, even for another `now`).
    today = timezone.localdate().isoformat()
    found = {(team_id, start): json.loads(figures) for team_id, start, figures in rows}
    return {
        key: figures
        for key, figures in found.items()
        if figures.get("format") == FORMAT and figures.get("today") == today
    }


def _work_out(
    missing: list[tuple[Team, Quarter]], *, now: datetime
) -> dict[tuple[int, Quarter], quarterly.TeamActivity]:
    """Work out the missing teams' figures for the quarters from the earliest missing to the
    latest (one `quarterly.activities` call), and store them."""
    teams = list({team.pk: team for team, _ in missing}.values())
    first, last = min(q for _, q in missing), max(q for _, q in missing)
    span = [first]
    while span[-1] != last:
        span.append(span[-1].next())
    with connection.cursor() as cursor:
        # pg_stat_activity is read once a transaction and kept: a second summary worked out in the
        # same transaction would otherwise see its sessions as they were at the first.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(START)
        changes_upto, in_flight = cursor.fetchone()
    fresh = quarterly.activities(teams, span, now=now)
    until = _next_vacant_starts(teams, span, now=now)
    rows = sorted(
        (
            Summary(
                team_id=team.pk,
                quarter_start=q.start,
                start_month=q.start_month,
                computed_at=now,
                changes_upto=changes_upto,
                in_flight=list(in_flight),
                valid_until=until.get((team.pk, q.start)),
                figures=dump(fresh[team.pk, q]),
            )
            for team in teams
            for q in span
        ),
        key=lambda s: (s.team_id, s.quarter_start),  # one lock order for concurrent pages
    )
    try:
        with transaction.atomic():
            Summary.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["team_id", "quarter_start", "start_month"],
                update_fields=["computed_at", "changes_upto", "in_flight", "valid_until", "figures"],
            )
    except DatabaseError:  # a summary not stored is worked out again next time: the page still shows
        log.warning("dashboard summaries not stored", exc_info=True)
    return fresh


def _next_vacant_starts(
    teams: list[Team], span: list[Quarter], *, now: datetime
) -> dict[tuple[int, object], datetime]:
    """When each team's next vacant first Core slot of each quarter starts: until then, the
    quarter's "left unbooked" stays as counted."""
    quarters = quarterly._Quarters(span)
    found = {}
    for row in (
        Slot.objects.filter(
            team_id__in=[team.pk for team in teams],
            kind=SlotKind.FIRST_CORE,
            status=SlotStatus.VACANT,
            starts_at__gte=now,
        )
        .filter(quarters.times("starts_at"))
        .annotate(q=quarters.of_time("starts_at"))
        .values("team_id", "q")
        .annotate(first=Min("starts_at"))
        .order_by()
    ):
        found[row["team_id"], span[row["q"]].start] = row["first"]
    return found


# --- Stored form -------------------------------------------------------------------------------------


def dump(activity: quarterly.TeamActivity) -> dict:
    """A team's quarter as JSON: every field of TeamActivity, tagged where JSON has no type for it."""
    figures: dict = {"format": FORMAT, "today": timezone.localdate().isoformat()}
    for field in dataclasses.fields(activity):
        if field.name in ("team", "quarter"):
            continue
        value = getattr(activity, field.name)
        if field.name == "clinicians":
            figures[field.name] = [
                [
                    row.clinician.pk,
                    row.target,
                    list(dataclasses.astuple(row.slots)),
                    row.new_core_partnerships,
                ]
                for row in value
            ]
        else:
            figures[field.name] = _tagged(value)
    return figures


def _tagged(value):
    if value is None or type(value) is int:
        return value
    if isinstance(value, Fraction):
        return {"fraction": [value.numerator, value.denominator]}
    if isinstance(value, quarterly.Waits):
        return {"waits": list(value.days)}
    if isinstance(value, quarterly.SlotCounts):
        return {"slots": list(dataclasses.astuple(value))}
    raise TypeError(f"no stored form for {type(value).__name__}: teach dashboard/summary.py and bump FORMAT")


def _untagged(value):
    if not isinstance(value, dict):
        return value
    ((tag, inner),) = value.items()
    if tag == "fraction":
        return Fraction(*inner)
    if tag == "waits":
        return quarterly.Waits(tuple(inner))
    return quarterly.SlotCounts(*inner)


def load(figures: dict, *, team: Team, quarter: Quarter, users: dict[int, User]) -> quarterly.TeamActivity:
    values = {
        name: _untagged(value)
        for name, value in figures.items()
        if name not in ("format", "today", "clinicians")
    }
    clinicians = [
        quarterly.ClinicianActivity(
            clinician=users[clinician_id],
            target=target,
            slots=quarterly.SlotCounts(*slots),
            new_core_partnerships=new_core,
        )
        for clinician_id, target, slots, new_core in figures["clinicians"]
    ]
    return quarterly.TeamActivity(team=team, quarter=quarter, clinicians=clinicians, **values)


# --- Upkeep --------------------------------------------------------------------------------------------


def refresh(*, now: datetime | None = None) -> int:
    """Work out again today's summaries that are no longer right, and this quarter's of every
    team, so that pages find them ready; returns how many team quarters were looked at."""
    now = now or timezone.now()
    day_start = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    wanted: dict[tuple[int, int], set[Quarter]] = defaultdict(set)
    teams = {team.pk: team for team in Team.objects.select_related("organisation")}
    for team in teams.values():
        month = team.organisation.financial_year_start_month
        wanted[team.pk, month].add(Quarter.containing(timezone.localdate(now), start_month=month))
    for team_id, start, month in Summary.objects.filter(computed_at__gte=day_start).values_list(
        "team_id", "quarter_start", "start_month"
    ):
        if team_id in teams:
            wanted[team_id, month].add(Quarter.containing(start, start_month=month))
    looked_at = 0
    by_quarters: dict[tuple[Quarter, ...], list[Team]] = defaultdict(list)
    for (team_id, _), quarters in wanted.items():
        by_quarters[tuple(sorted(quarters, key=lambda q: q.start))].append(teams[team_id])
    for quarters, group in by_quarters.items():
        _stored_or_worked_out(group, list(quarters), now=now)  # nothing to show: no need to load them
        looked_at += len(group) * len(quarters)
    return looked_at


def prune(*, now: datetime | None = None, keep: timedelta = timedelta(days=2)) -> tuple[int, int]:
    """Delete changes and summaries older than `keep`: no summary older than today is used, so no
    change that old can decide anything. Returns (changes, summaries) deleted."""
    from dashboard.models import Change

    cutoff = (now or timezone.now()) - keep
    changes, _ = Change.objects.filter(at__lt=cutoff).delete()
    summaries, _ = Summary.objects.filter(computed_at__lt=cutoff).delete()
    return changes, summaries
