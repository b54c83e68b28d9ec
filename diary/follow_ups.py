"""Appointments after the first Core Partnership appointment, arranged between clinician and family.

A follow-up is an `Appointment(kind=follow_up)` with no slot: it holds one live `ClinicianTime`
row per clinician (one, or two for joint work), so the exclusion constraint
`diary_clinician_not_double_booked` keeps it apart from every slot, team session and other
appointment in those clinicians' diaries. The constraint is the guarantee; the checks here (and
the queue of `lock_diaries`) only make the refusal polite, naming what clashes. A cancellation
frees the clinicians' time (its rows stop being live); attended and not attended keep it.

The case's count of attended Core appointments (the first Core one included) is read for any
number of cases in one query; past the team's `core_appointments_flag` the case is flagged for a
review.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.calendar import bank_holidays
from accounts.models import Membership, Role, User, Venue
from diary.booking import OUTCOMES, BookingError, DiaryBusy
from diary.locking import lock_diaries, polite_when_busy, set_lock_timeout
from diary.models import (
    CANCELLED,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ClinicianTime,
)
from diary.sessions import Clash, clashes_for
from partnership.models import Case, CaseState
from planning.models import Absence, PlanningSettings

SHORTEST = timedelta(minutes=15)
LONGEST = timedelta(hours=4)
NOT_DOUBLE_BOOKED = "diary_clinician_not_double_booked"
# The appointments that count towards a Core case's length: the first Core one and those after it.
CORE_KINDS = [AppointmentKind.FIRST_CORE, AppointmentKind.FOLLOW_UP]

MESSAGES = {
    "not_in_partnership": (
        "Appointments after the first are booked for families in Partnership: {child}'s family is {state}."
    ),
    "nobody": "Choose the clinician who will see the family.",
    "two_clinicians_at_most": "Choose one clinician, or two for joint work.",
    "not_in_team": "Choose clinicians of this team only.",
    "venue_elsewhere": "Choose one of the team's venues in use.",
    "ends_before_start": "The appointment must end after it starts.",
    "too_short": "An appointment must be at least 15 minutes long.",
    "too_long": "An appointment must be 4 hours or shorter.",
    "one_day": "An appointment must end on the day it starts.",
    "in_the_past": "The appointment must start in the future.",
    "bank_holiday": "{day} is a bank holiday ({name}): choose another date.",
    "away": "{clinician} is away on {day} ({kind}): choose another date or clinician.",
    "clash": "{clashes}. Choose another time: nothing was booked.",
    "not_a_follow_up": "This is not an appointment after the first.",
    "outcome_done": "This appointment already has an outcome: {outcome}.",
    "too_early": "An appointment can be marked attended or not attended once it has started.",
    "started_not_cancelled": "The appointment has started: record whether the family attended or not.",
    "unknown_outcome": "Choose what happened.",
    "reason_needed": "Enter the reason for the cancellation.",
}


class FollowUpError(BookingError):
    """A follow-up that cannot be booked or recorded; `field` names the form field the message
    belongs beside (None: the form as a whole)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class FollowUpClash(FollowUpError):
    """The time overlaps something live in a clinician's diary; `clashes` says who is busy when."""

    def __init__(self, clashes: Sequence[Clash]) -> None:
        super().__init__(
            MESSAGES["clash"].format(clashes="; ".join(str(clash) for clash in clashes)), field="clinicians"
        )
        self.clashes = list(clashes)


def _check(
    *, case: Case, clinicians: Sequence[User], venue: Venue, starts_at: datetime, ends_at: datetime
) -> None:
    if case.state != CaseState.IN_PARTNERSHIP:
        raise FollowUpError(
            MESSAGES["not_in_partnership"].format(
                child=case.child_name, state=case.get_state_display().lower()
            )
        )
    if not clinicians:
        raise FollowUpError(MESSAGES["nobody"], field="clinicians")
    if len(clinicians) > 2:
        raise FollowUpError(MESSAGES["two_clinicians_at_most"], field="clinicians")
    in_team = set(
        Membership.objects.filter(
            team_id=case.team_id, user__in=clinicians, role__in=[Role.CLINICIAN, Role.TEAM_LEAD]
        ).values_list("user_id", flat=True)
    )
    if any(clinician.pk not in in_team for clinician in clinicians):
        raise FollowUpError(MESSAGES["not_in_team"], field="clinicians")
    if venue.team_id != case.team_id or not venue.is_active:
        raise FollowUpError(MESSAGES["venue_elsewhere"], field="venue")
    length = ends_at - starts_at
    if length <= timedelta(0):
        raise FollowUpError(MESSAGES["ends_before_start"], field="ends")
    if length < SHORTEST:
        raise FollowUpError(MESSAGES["too_short"], field="ends")
    if length > LONGEST:
        raise FollowUpError(MESSAGES["too_long"], field="ends")
    day = timezone.localdate(starts_at)
    if day != timezone.localdate(ends_at - timedelta(microseconds=1)):
        raise FollowUpError(MESSAGES["one_day"], field="ends")
    if starts_at <= timezone.now():
        raise FollowUpError(MESSAGES["in_the_past"], field="day")
    from capa.templatetags.nhsuk import uk_date

    holiday = bank_holidays(case.team.nation, day.year).get(day)
    if holiday is not None:
        raise FollowUpError(MESSAGES["bank_holiday"].format(day=uk_date(day), name=holiday), field="day")
    away = (
        Absence.objects.filter(clinician__in=clinicians, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .select_related("clinician")
        .order_by("starts_on", "pk")
        .first()
    )
    if away is not None:
        raise FollowUpError(
            MESSAGES["away"].format(
                clinician=away.clinician, day=uk_date(day), kind=away.get_kind_display().lower()
            ),
            field="clinicians",
        )


def _is_double_booking(error: IntegrityError) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == NOT_DOUBLE_BOOKED


@polite_when_busy(DiaryBusy)
@transaction.atomic(durable=True)
def book_follow_up(
    *,
    case: Case,
    clinicians: Sequence[User],
    venue: Venue,
    starts_at: datetime,
    ends_at: datetime,
    by: User,
) -> Appointment:
    """Book an appointment after the first for a family in Partnership, with one clinician or
    two, taking their time in the diary.

    Raises FollowUpError if the details do not make an appointment (the case is not in
    Partnership, the time is past, on a bank holiday of the team's nation or a clinician's
    absence...), FollowUpClash (naming who is busy when) if it overlaps anything live in a
    clinician's diary, and DiaryBusy if the diary stays locked; then nothing is saved."""
    set_lock_timeout()  # an insert waiting on a colleague's uncommitted overlapping row must not hang
    case = Case.objects.select_for_update(of=("self",)).select_related("team").get(pk=case.pk)
    clinicians = list({clinician.pk: clinician for clinician in clinicians}.values())  # each once
    _check(case=case, clinicians=clinicians, venue=venue, starts_at=starts_at, ends_at=ends_at)
    lock_diaries(clinicians)  # queue behind other writes to these diaries: the check sees them
    clashes = clashes_for(clinicians=clinicians, starts_at=starts_at, ends_at=ends_at)
    if clashes:
        raise FollowUpClash(clashes)
    try:
        with transaction.atomic():  # a savepoint: a race lost to the constraint must not poison the block
            appointment = Appointment.objects.create(
                team_id=case.team_id,
                case=case,
                kind=AppointmentKind.FOLLOW_UP,
                starts_at=starts_at,
                ends_at=ends_at,
                venue=venue,
                booked_by=by,
                booked_at=timezone.now(),
            )
            ClinicianTime.objects.bulk_create(
                ClinicianTime(clinician=clinician, appointment=appointment, during=(starts_at, ends_at))
                for clinician in clinicians
            )
    except IntegrityError as error:
        if not _is_double_booking(error):
            raise
        # Something went into a clinician's diary between our check and our insert.
        raise FollowUpClash(
            clashes_for(clinicians=clinicians, starts_at=starts_at, ends_at=ends_at)
            or [Clash(clinician=c, what="something new", starts_at=starts_at) for c in clinicians]
        ) from None
    return appointment


@polite_when_busy(DiaryBusy)
@transaction.atomic(durable=True)
def record_follow_up_outcome(
    *, appointment: Appointment, outcome: str, reason: str = "", by: User
) -> Appointment:
    """Mark an appointment after the first attended, not attended (DNA) or cancelled (with a
    reason). Attended and DNA once it has started; a cancellation only before, and it frees the
    clinicians' time. Raises FollowUpError if it already has an outcome or the outcome does not
    fit the time, DiaryBusy if the diary stays locked."""
    set_lock_timeout()
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    if appointment.kind != AppointmentKind.FOLLOW_UP:
        raise FollowUpError(MESSAGES["not_a_follow_up"])
    if appointment.status != AppointmentStatus.BOOKED:
        raise FollowUpError(MESSAGES["outcome_done"].format(outcome=appointment.get_status_display().lower()))
    if outcome not in OUTCOMES:
        raise FollowUpError(MESSAGES["unknown_outcome"], field="outcome")
    now = timezone.now()
    if outcome in CANCELLED:
        if appointment.starts_at <= now:
            raise FollowUpError(MESSAGES["started_not_cancelled"], field="outcome")
        if not reason.strip():
            raise FollowUpError(MESSAGES["reason_needed"], field="reason")
    elif appointment.starts_at > now:
        raise FollowUpError(MESSAGES["too_early"], field="outcome")
    appointment.status, appointment.outcome_by, appointment.outcome_at = outcome, by, now
    appointment.cancel_reason = reason.strip() if outcome in CANCELLED else ""
    appointment.save(update_fields=["status", "outcome_by", "outcome_at", "cancel_reason"])
    if outcome in CANCELLED:
        times = ClinicianTime.objects.filter(appointment=appointment)
        lock_diaries(User.objects.filter(pk__in=times.values("clinician_id")).only("pk"))
        times.update(is_live=False)
    return appointment


def appointment_counts(cases: Iterable[Case | int]) -> dict[int, int]:
    """Each case's attended Core appointments, the first Core one included, in one query (none
    for no cases); a case with none is 0."""
    ids = [case if isinstance(case, int) else case.pk for case in cases]
    if not ids:
        return {}
    counts = dict.fromkeys(ids, 0)
    rows = (
        Appointment.objects.filter(case_id__in=ids, kind__in=CORE_KINDS, status=AppointmentStatus.ATTENDED)
        .values("case_id")
        .annotate(attended=Count("pk"))
        .order_by()
    )
    counts.update({row["case_id"]: row["attended"] for row in rows})
    return counts


def past_appointment_flag(count: int, settings: PlanningSettings) -> bool:
    """Whether a Core case is past the team's number of appointments that calls for a review."""
    return count > settings.core_appointments_flag
