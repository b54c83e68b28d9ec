"""Reads for the team's week view: a row per clinician, a column per weekday, every slot,
appointment and team session in it. A fixed number of queries however big the team is."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone
from psycopg2.extras import DateTimeTZRange

from accounts.calendar import bank_holidays
from accounts.models import Team, User
from diary.forms import team_clinicians
from diary.ical import VACANT_SUMMARY
from diary.models import AppointmentSlot, ClinicianTime, SlotStatus, TeamSession
from diary.slots import at
from planning.models import Absence

WEEKDAYS = 5  # Monday to Friday are always shown; a Saturday or Sunday only when something is in it
YEARS_SHOWN = range(2000, 2100)  # a week outside these is a typed-in URL, not a diary


class EntryKind:
    VACANT = "vacant"
    BOOKED = "booked"
    LOST = "lost"
    SESSION = "session"
    ELSEWHERE = "elsewhere"


@dataclass(frozen=True)
class Entry:
    """One thing in one clinician's day."""

    kind: str
    starts_at: datetime
    ends_at: datetime
    label: str
    venue: str = ""
    case: object | None = None  # the case of a booked appointment, to link to


@dataclass(frozen=True)
class Day:
    day: date
    bank_holiday: str = ""


@dataclass(frozen=True)
class Cell:
    """One clinician's day: what is in their diary, and why they are away, if they are."""

    day: Day
    entries: list[Entry]
    away: str = ""  # e.g. "Away: long-term sickness"


@dataclass
class ClinicianWeek:
    clinician: User
    cells: list[Cell]  # Monday to Friday, and a Saturday or Sunday with something in it


@dataclass
class SessionInWeek:
    session: TeamSession
    clinicians: list[User] = field(default_factory=list)


@dataclass
class TeamWeek:
    team: Team
    monday: date
    days: list[Day]
    rows: list[ClinicianWeek]
    sessions: list[SessionInWeek]

    @property
    def previous(self) -> date:
        return self.monday - timedelta(weeks=1)

    @property
    def next(self) -> date:
        return self.monday + timedelta(weeks=1)

    @property
    def friday(self) -> date:
        return self.monday + timedelta(days=WEEKDAYS - 1)

    @property
    def last_day(self) -> date:
        """Friday, or the Saturday or Sunday shown when something is in them."""
        return self.days[-1].day


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_from(raw: str | None) -> date:
    """The Monday of the week asked for as ?week=2027-01-11 (any day of it will do); this week if
    the value is missing or not a date."""
    try:
        asked = date.fromisoformat((raw or "").strip())
    except ValueError:
        asked = None
    if asked is None or asked.year not in YEARS_SHOWN:
        return monday_of(timezone.localdate())
    return monday_of(asked)


def _entry(time_row: ClinicianTime, team: Team) -> Entry:
    if time_row.slot is not None:
        slot = time_row.slot
        if slot.team_id != team.pk:
            return Entry(EntryKind.ELSEWHERE, slot.starts_at, slot.ends_at, "Busy in another team's diary")
        if slot.status == SlotStatus.BOOKED and slot.live_links:
            appointment = slot.live_links[0].appointment
            return Entry(
                EntryKind.BOOKED,
                slot.starts_at,
                slot.ends_at,
                f"{appointment.get_kind_display()}: family {appointment.case.family_reference}",
                venue=slot.venue.name,
                case=appointment.case,
            )
        if slot.status == SlotStatus.LOST:
            return Entry(
                EntryKind.LOST,
                slot.starts_at,
                slot.ends_at,
                "Slot lost to a late cancellation",
                venue=slot.venue.name,
            )
        return Entry(
            EntryKind.VACANT,
            slot.starts_at,
            slot.ends_at,
            VACANT_SUMMARY.get(slot.kind, "Vacant slot"),
            venue=slot.venue.name,
        )
    if time_row.appointment is not None:  # an appointment after the first holds its own time
        appointment = time_row.appointment
        if appointment.team_id != team.pk:
            return Entry(
                EntryKind.ELSEWHERE,
                appointment.starts_at,
                appointment.ends_at,
                "Busy in another team's diary",
            )
        return Entry(
            EntryKind.BOOKED,
            appointment.starts_at,
            appointment.ends_at,
            f"{appointment.get_kind_display()}: family {appointment.case.family_reference}",
            venue=appointment.venue.name,
            case=appointment.case,
        )
    session = time_row.team_session
    if session.team_id != team.pk:
        return Entry(EntryKind.ELSEWHERE, session.starts_at, session.ends_at, "Busy in another team's diary")
    return Entry(
        EntryKind.SESSION,
        session.starts_at,
        session.ends_at,
        str(session),
        venue=session.venue.name if session.venue else "",
    )


def team_week(*, team: Team, monday: date) -> TeamWeek:
    """The team's diary for the working week starting on `monday`: four queries (the clinicians,
    their live diary time with its slots, sessions and venues, the live bookings of the slots, and
    their absences), however many clinicians and entries there are."""
    starts, ends = at(monday, time.min), at(monday + timedelta(days=7), time.min)
    holidays = {}
    for year in {monday.year, (monday + timedelta(days=6)).year}:
        holidays.update(bank_holidays(team.nation, year))
    all_days = [
        Day(day, holidays.get(day, "")) for day in (monday + timedelta(days=offset) for offset in range(7))
    ]

    clinicians = list(team_clinicians(team))
    times = (
        ClinicianTime.objects.filter(
            clinician__in=clinicians,
            is_live=True,
            during__overlap=DateTimeTZRange(starts, ends, "[)"),
        )
        .select_related("slot__venue", "team_session__venue", "appointment__case", "appointment__venue")
        .prefetch_related(
            Prefetch(
                "slot__appointment_links",
                queryset=AppointmentSlot.objects.filter(is_live=True).select_related("appointment__case"),
                to_attr="live_links",
            )
        )
        .order_by("during", "pk")
    )
    by_clinician_day: dict[tuple[int, date], list[Entry]] = defaultdict(list)
    sessions: dict[int, SessionInWeek] = {}
    people = {clinician.pk: clinician for clinician in clinicians}
    for time_row in times:
        entry = _entry(time_row, team)
        by_clinician_day[(time_row.clinician_id, timezone.localdate(entry.starts_at))].append(entry)
        if entry.kind == EntryKind.SESSION:
            held = sessions.setdefault(time_row.team_session_id, SessionInWeek(time_row.team_session))
            held.clinicians.append(people[time_row.clinician_id])

    # Saturday and Sunday only when someone has something in them (slots on the 2027 clock-change
    # Sundays, say), so nothing bookable is ever out of sight.
    used = {
        day
        for (_clinician, day), entries in by_clinician_day.items()
        if any(entry.kind != EntryKind.ELSEWHERE for entry in entries)
    }
    days = [d for index, d in enumerate(all_days) if index < WEEKDAYS or d.day in used]
    away: dict[tuple[int, date], str] = {}
    for absence in Absence.objects.filter(
        team=team, clinician__in=clinicians, starts_on__lte=days[-1].day
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=monday)):
        for d in days:
            if absence.starts_on <= d.day and (absence.ends_on is None or d.day <= absence.ends_on):
                away[(absence.clinician_id, d.day)] = f"Away: {absence.get_kind_display().lower()}"
    rows = [
        ClinicianWeek(
            clinician,
            [
                Cell(d, by_clinician_day.get((clinician.pk, d.day), []), away.get((clinician.pk, d.day), ""))
                for d in days
            ],
        )
        for clinician in clinicians
    ]
    ordered = sorted(sessions.values(), key=lambda s: (s.session.starts_at, s.session.pk))
    for held in ordered:
        held.clinicians.sort(key=lambda c: (c.last_name, c.first_name))
    return TeamWeek(team=team, monday=monday, days=days, rows=rows, sessions=ordered)


def session_clinicians(session: TeamSession) -> list[User]:
    """The clinicians a team session holds time of, by surname (a cancelled one: those it held)."""
    return list(
        User.objects.filter(
            diary_time__team_session=session, diary_time__is_live=not session.is_cancelled
        ).order_by("last_name", "first_name", "pk")
    )
