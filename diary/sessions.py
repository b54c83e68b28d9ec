"""Team sessions a lead puts in the diary (peer group supervision, a team meeting): they block the
attending clinicians' time like any slot or appointment.

A session holds one `ClinicianTime` row per attending clinician, so the exclusion constraint that
keeps slots apart keeps sessions apart too: it is the guarantee; the check here only makes the
refusal polite, naming who clashes when. Only the team's leads put sessions in and cancel them;
the views ask `accounts.access` for that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from psycopg2.extras import DateTimeTZRange

from accounts.calendar import bank_holidays
from accounts.models import Membership, Role, Team, User, Venue
from capa.templatetags.nhsuk import uk_date, uk_time
from diary.locking import lock_diaries, polite_when_busy, set_lock_timeout
from diary.models import ClinicianTime, SessionKind, SlotStatus, TeamSession

SHORTEST = timedelta(minutes=15)

MESSAGES = {
    "unknown_kind": "Choose what kind of session it is.",
    "nobody": "Choose at least one clinician who attends.",
    "not_in_team": "Choose clinicians of this team only.",
    "ends_before_start": "The session must end after it starts.",
    "too_short": "A session must be at least 15 minutes long.",
    "one_day": "A session must end on the day it starts.",
    "in_the_past": "The session must start in the future.",
    "bank_holiday": "{day} is a bank holiday ({name}): choose another date.",
    "venue_elsewhere": "Choose one of the team's venues in use, or no venue.",
    "clash": "{clashes}. Untick them or choose another time: nothing was put in.",
    "already_cancelled": "This session is already cancelled.",
    "already_started": "This session has already started, so it cannot be cancelled.",
}

# How a clash is described: "Tom Baker has a slot at 10:00 on Tue 12 Jan 2027".
WHAT_CLASHES = {
    SlotStatus.VACANT: "a slot",
    SlotStatus.BOOKED: "an appointment",
    SlotStatus.LOST: "a slot kept for a cancelled appointment",
    SessionKind.PEER_GROUP: "peer group supervision",
    SessionKind.TEAM_MEETING: "a team meeting",
    SessionKind.OTHER: "a team session",
}


@dataclass(frozen=True)
class Clash:
    clinician: User
    what: str
    starts_at: datetime

    def __str__(self) -> str:
        return f"{self.clinician} has {self.what} at {uk_time(self.starts_at)} on {uk_date(self.starts_at)}"


class SessionError(Exception):
    """A team session that cannot be put in or cancelled, with a message to show the user.

    `field` names the form field the message belongs beside (None: the form as a whole);
    `clashes` lists who is busy when, if that is the reason."""

    def __init__(self, message: str, *, field: str | None = None, clashes: Sequence[Clash] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.clashes = list(clashes)


def clashes_for(*, clinicians: Sequence[User], starts_at: datetime, ends_at: datetime) -> list[Clash]:
    """Who among the clinicians already has something live in the diary between the two times: a
    slot, a team session, or an appointment after the first."""
    busy = (
        ClinicianTime.objects.filter(
            clinician__in=clinicians,
            is_live=True,
            during__overlap=DateTimeTZRange(starts_at, ends_at, "[)"),
        )
        .select_related("clinician", "slot", "team_session", "appointment__case")
        .order_by("clinician__last_name", "clinician__first_name", "during")
    )
    clashes = []
    for time in busy:
        if time.slot is not None:
            what = WHAT_CLASHES.get(time.slot.status, "a slot")
        elif time.team_session is not None:
            what = WHAT_CLASHES.get(time.team_session.kind, "a team session")
        else:
            what = f"an appointment with family {time.appointment.case.family_reference}"
        clashes.append(Clash(clinician=time.clinician, what=what, starts_at=time.during.lower))
    return clashes


def _clash_error(clashes: Sequence[Clash]) -> SessionError:
    return SessionError(
        MESSAGES["clash"].format(clashes="; ".join(str(clash) for clash in clashes)),
        field="clinicians",
        clashes=clashes,
    )


def _check(
    *, team: Team, kind: str, starts_at: datetime, ends_at: datetime, venue: Venue | None, clinicians
) -> None:
    if kind not in SessionKind.values:
        raise SessionError(MESSAGES["unknown_kind"], field="kind")
    if not clinicians:
        raise SessionError(MESSAGES["nobody"], field="clinicians")
    in_team = set(
        Membership.objects.filter(
            team=team, user__in=clinicians, role__in=[Role.CLINICIAN, Role.TEAM_LEAD]
        ).values_list("user_id", flat=True)
    )
    if any(clinician.pk not in in_team for clinician in clinicians):
        raise SessionError(MESSAGES["not_in_team"], field="clinicians")
    if ends_at <= starts_at:
        raise SessionError(MESSAGES["ends_before_start"], field="ends")
    if ends_at - starts_at < SHORTEST:
        raise SessionError(MESSAGES["too_short"], field="ends")
    if timezone.localdate(starts_at) != timezone.localdate(ends_at - timedelta(microseconds=1)):
        raise SessionError(MESSAGES["one_day"], field="ends")
    if starts_at <= timezone.now():
        raise SessionError(MESSAGES["in_the_past"], field="day")
    day = timezone.localdate(starts_at)
    holiday = bank_holidays(team.nation, day.year).get(day)
    if holiday:
        raise SessionError(MESSAGES["bank_holiday"].format(day=uk_date(day), name=holiday), field="day")
    if venue is not None and (venue.team_id != team.pk or not venue.is_active):
        raise SessionError(MESSAGES["venue_elsewhere"], field="venue")


@polite_when_busy(SessionError)
@transaction.atomic(durable=True)
def put_in_team_session(
    *,
    team: Team,
    kind: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    venue: Venue | None,
    clinicians: Sequence[User],
    by: User,
) -> TeamSession:
    """Put a team session in the diary, blocking each attending clinician's time.

    Raises SessionError if the details do not make a session, or (listing who clashes when) if it
    overlaps anything live in an attending clinician's diary, or if the diary stays busy; then
    nothing is saved."""
    set_lock_timeout()  # an insert waiting on a colleague's uncommitted overlapping row must not hang
    clinicians = list({clinician.pk: clinician for clinician in clinicians}.values())  # each once
    _check(team=team, kind=kind, starts_at=starts_at, ends_at=ends_at, venue=venue, clinicians=clinicians)
    lock_diaries(clinicians)
    clashes = clashes_for(clinicians=clinicians, starts_at=starts_at, ends_at=ends_at)
    if clashes:
        raise _clash_error(clashes)
    try:
        with transaction.atomic():  # a savepoint: a race lost to the constraint must not poison the block
            session = TeamSession.objects.create(
                team=team,
                kind=kind,
                title=title.strip(),
                starts_at=starts_at,
                ends_at=ends_at,
                venue=venue,
                created_by=by,
            )
            ClinicianTime.objects.bulk_create(
                ClinicianTime(clinician=clinician, team_session=session, during=(starts_at, ends_at))
                for clinician in clinicians
            )
    except IntegrityError:
        # Someone put something in a clinician's diary between our check and our insert.
        raise _clash_error(
            clashes_for(clinicians=clinicians, starts_at=starts_at, ends_at=ends_at)
            or [Clash(clinician=c, what="something new", starts_at=starts_at) for c in clinicians]
        ) from None
    return session


@polite_when_busy(SessionError)
@transaction.atomic(durable=True)
def cancel_team_session(*, session: TeamSession, by: User) -> TeamSession:
    """Cancel a team session that has not started: its clinicians' time is free again.

    Raises SessionError if it is already cancelled or has started, or if the diary stays busy."""
    set_lock_timeout()
    session = TeamSession.objects.select_for_update().get(pk=session.pk)
    if session.is_cancelled:
        raise SessionError(MESSAGES["already_cancelled"])
    if session.starts_at <= timezone.now():
        raise SessionError(MESSAGES["already_started"])
    session.is_cancelled = True
    session.save(update_fields=["is_cancelled"])
    ClinicianTime.objects.filter(team_session=session).update(is_live=False)
    return session
