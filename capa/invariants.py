"""What must always be true of capa's data, checked from the rows themselves (`manage.py
check_invariants`, after every fault test, and by operators after an incident or a restore).

Most of these are also enforced by constraints; the check is the evidence that they held (and it
finds rows written while a constraint was missing, e.g. by a restore of an older dump). Each check
returns a short description per breach, at most `limit` of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from diary.models import CANCELLED, HOLDS_ITS_SLOT, SlotStatus


@dataclass(frozen=True)
class Invariant:
    name: str
    description: str
    breaches: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.breaches


def _rows(sql: str, params: list | None = None, *, limit: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s", [*(params or []), limit])
        return cursor.fetchall()


def no_clinician_is_in_two_places(limit: int) -> list[str]:
    rows = _rows(
        """
        SELECT a.clinician_id, a.id, b.id, lower(a.during), lower(b.during)
        FROM diary_cliniciantime a
        JOIN diary_cliniciantime b
          ON a.clinician_id = b.clinician_id AND a.id < b.id AND a.during && b.during
        WHERE a.is_live AND b.is_live
        ORDER BY a.clinician_id, a.id
        """,
        limit=limit,
    )
    return [
        f"clinician {person}: time {first} (from {start:%d/%m/%Y %H:%M}) overlaps time {second} "
        f"(from {other:%d/%m/%Y %H:%M})"
        for person, first, second, start, other in rows
    ]


def every_slot_holds_its_clinicians_time(limit: int) -> list[str]:
    """A slot in the diary holds a live time row per clinician, over exactly its own hours; a
    removed slot holds none."""
    rows = _rows(
        """
        SELECT s.id, s.status, s.clinician_count,
               count(t.id) FILTER (WHERE t.is_live),
               count(t.id) FILTER (WHERE t.is_live AND t.during <> tstzrange(s.starts_at, s.ends_at))
        FROM diary_slot s LEFT JOIN diary_cliniciantime t ON t.slot_id = s.id
        GROUP BY s.id
        HAVING (s.status = %s AND count(t.id) FILTER (WHERE t.is_live) > 0)
            OR (s.status <> %s AND count(t.id) FILTER (WHERE t.is_live) <> s.clinician_count)
            OR count(t.id) FILTER (WHERE t.is_live AND t.during <> tstzrange(s.starts_at, s.ends_at)) > 0
        ORDER BY s.id
        """,
        [SlotStatus.REMOVED, SlotStatus.REMOVED],
        limit=limit,
    )
    return [
        f"slot {slot} ({status}, {count} clinician(s)) holds {live} live time row(s), "
        f"{wrong} of them at other hours"
        for slot, status, count, live, wrong in rows
    ]


def no_booking_is_half_made(limit: int) -> list[str]:
    """A booked slot has exactly one live booking and a live booking's slot is booked; a booking
    holds all of its slots (both halves of a joint pair) or none; a cancelled one holds none."""
    rows = _rows(
        """
        SELECT 'slot ' || s.id || ' is ' || s.status || ' with ' || count(l.id) || ' live booking(s)'
        FROM diary_slot s LEFT JOIN diary_appointmentslot l ON l.slot_id = s.id AND l.is_live
        GROUP BY s.id
        HAVING (s.status = %s) <> (count(l.id) = 1) OR count(l.id) > 1
        UNION ALL
        SELECT 'appointment ' || a.id || ' (' || a.status || ') holds ' ||
               count(l.id) FILTER (WHERE l.is_live) || ' of its ' || count(l.id) || ' slot(s)'
        FROM diary_appointment a JOIN diary_appointmentslot l ON l.appointment_id = a.id
        GROUP BY a.id
        HAVING (a.status = ANY(%s) AND count(l.id) FILTER (WHERE l.is_live) <> count(l.id))
            OR (a.status = ANY(%s) AND count(l.id) FILTER (WHERE l.is_live) > 0)
        """,
        [SlotStatus.BOOKED, list(HOLDS_ITS_SLOT), list(CANCELLED)],
        limit=limit,
    )
    return [row[0] for row in rows]


def targets_and_runs_are_unique(limit: int) -> list[str]:
    rows = _rows(
        """
        SELECT 'clinician ' || clinician_id || ' has ' || count(*) || ' targets for the quarter from '
               || quarter_start || ' in team ' || team_id
        FROM diary_quartertarget GROUP BY clinician_id, team_id, quarter_start HAVING count(*) > 1
        UNION ALL
        SELECT 'organisation ' || organisation_id || ' has ' || count(*) || ' publication runs for '
               || quarter_start
        FROM diary_publicationrun GROUP BY organisation_id, quarter_start HAVING count(*) > 1
        UNION ALL
        SELECT 'publication run ' || r.id || ' is completed with ' || r.done || ' of ' || r.total
               || ' done and ' || count(t.id) || ' targets'
        FROM diary_publicationrun r LEFT JOIN diary_quartertarget t ON t.run_id = r.id
        WHERE r.status = 'completed'
        GROUP BY r.id HAVING r.done <> r.total OR count(t.id) <> r.total
        """,
        limit=limit,
    )
    return [row[0] for row in rows]


def every_case_is_where_its_steps_lead(limit: int) -> list[str]:
    """Replays each case's steps through the journey's transition table."""
    from partnership.cases import TRANSITIONS
    from partnership.models import Case, CaseState, CaseStep

    breaches: list[str] = []
    replayed: dict[int, str] = {}
    broken: set[int] = set()
    for case_id, kind, from_state, to_state in CaseStep.objects.order_by(
        "case_id", "recorded_at", "pk"
    ).values_list("case_id", "kind", "from_state", "to_state"):
        state = replayed.get(case_id, CaseState.REFERRED)
        allowed = TRANSITIONS.get(kind, {})
        if case_id in broken:
            continue
        if from_state != state or allowed.get(state) != to_state:
            broken.add(case_id)
            breaches.append(f"case {case_id}: step {kind} from {from_state} to {to_state} after {state}")
            continue
        replayed[case_id] = to_state
    for case_id, state in Case.objects.values_list("pk", "state").iterator(chunk_size=5000):
        if case_id in broken:
            continue
        expected = replayed.get(case_id, CaseState.REFERRED)
        if state != expected:
            breaches.append(f"case {case_id} is {state} but its steps lead to {expected}")
            if expected == CaseState.REFERRED:
                breaches[-1] += " (it has none: made without its journey?)"
    return breaches[:limit]


def dashboards_equal_a_recount(limit: int, *, quarters: int = 2) -> list[str]:
    """This quarter's and the last's figures for every team, as the pages show them (stored
    summaries where they are still right, dashboard/summary.py), against the naive recount."""
    from accounts.models import Team
    from dashboard import quarterly, recount, summary
    from planning.quarters import Quarter

    now = timezone.now()
    breaches: list[str] = []
    teams = list(Team.objects.select_related("organisation"))
    by_year_start: dict[int, list[Team]] = {}
    for team in teams:
        by_year_start.setdefault(team.organisation.financial_year_start_month, []).append(team)
    for start_month, group in by_year_start.items():
        shown = quarterly.last_quarters(
            Quarter.containing(timezone.localdate(), start_month=start_month), quarters
        )
        found = summary.activities(group, shown, now=now)
        breaches += recount.differences(found, group, shown, now=now)
    return breaches[:limit]


CHECKS: list[tuple[str, str, Callable[[int], list[str]]]] = [
    ("no double booking", "No clinician has overlapping live slots, appointments or team sessions.",
     no_clinician_is_in_two_places),
    ("slots hold their time", "Every slot in the diary holds its clinicians' time, and only its hours.",
     every_slot_holds_its_clinicians_time),
    ("no half bookings", "No booking is half made: a booking holds all of its slots or none.",
     no_booking_is_half_made),
    ("unique targets and runs", "One published target per clinician and quarter, one run per quarter.",
     targets_and_runs_are_unique),
    ("case states", "Every case's state is the one its recorded steps lead to.",
     every_case_is_where_its_steps_lead),
    ("dashboards", "This and last quarter's dashboard figures, as shown, equal a naive recount.",
     dashboards_equal_a_recount),
]  # fmt: skip


def check(*, limit: int = 20, only: list[str] | None = None) -> list[Invariant]:
    return [
        Invariant(name, description, run(limit))
        for name, description, run in CHECKS
        if only is None or name in only
    ]
