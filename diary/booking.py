"""Booking a family's first Core Partnership appointment, recording what happened, re-offering.

Booking is a compare-and-swap under row locks taken in primary-key order (so two joint bookings
can never deadlock), inside one durable transaction with a lock timeout (a busy row gives a clear
answer, not a hang). The partial unique constraint on `AppointmentSlot` is the guarantee that a
slot holds one live booking; the lock only makes losing polite. Side effects (the confirmation
email) are written to the outbox in the same transaction and sent by the worker after commit.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.models import Team, User, Venue
from diary import outbox, search
from diary.locking import LOCK_TIMEOUT, polite_when_busy, set_lock_timeout
from diary.models import (
    CANCELLED,
    LIVE_FIRST_CORE,
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    ClinicianTime,
    OutboxEmail,
    OutboxStatus,
    Slot,
    SlotKind,
    SlotStatus,
)
from diary.slots import SlotError, preview_pattern, put_in
from partnership import cases
from partnership.models import Case, CaseState, CaseStep, StepKind

# A cancellation with less notice than this cannot be rebooked: the slot is lost, and re-offered.
REBOOKING_NOTICE = timedelta(hours=24)
REOFFER_WEEKS = 12  # how far ahead a re-offer looks for the clinician's next free time

MESSAGES = {
    "already_booked": (
        "{child} already has a first Core appointment on {when}. Cancel it before booking another."
    ),
    "not_bookable": "These slots cannot be booked together: choose one result from the search.",
    "started": "That slot has already started: choose a later one.",
    "no_longer_free": "That slot is no longer free: it has been booked or taken out of the diary.",
    "started_not_cancelled": "The appointment has started: record whether the family attended or not.",
    "outcome_done": "This appointment already has an outcome: {outcome}.",
    "too_early": "An appointment can be marked attended or not attended once it has started.",
    "nothing_to_reoffer": (
        "Only a missed appointment, or one cancelled too late to rebook, leaves capacity to re-offer."
    ),
    "already_reoffered": "This capacity has already been re-offered.",
    "no_free_time": (
        "There is no free time at {time} on {weekday}s in the next {weeks} weeks: put a slot in by hand."
    ),
}


class SlotTaken(Exception):
    """Someone else booked the slot between search and confirm."""

    def __init__(self, *, slot_ids: Sequence[int], slots: list[Slot], team: Team) -> None:
        super().__init__(f"slots {list(slot_ids)} are no longer vacant")
        self.slot_ids = list(slot_ids)
        self.slots = slots
        self.team = team

    @cached_property
    def alternatives(self) -> list[search.Result]:
        """The next slots like the ones taken (looked up when first asked for: a page that found
        enough with the user's own filters never pays for them)."""
        return search.next_like(self.slots, team=self.team)


class BookingError(Exception):
    """A booking, outcome or re-offer that cannot be made, with a message for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DiaryBusy(BookingError):
    """Another booking held the rows longer than the lock timeout: nothing changed; try again."""


def _locked_slots(slot_ids: Sequence[int], *, team_id: int) -> list[Slot]:
    # Lock in primary-key order so that (X, Y) against (Y, X) can never deadlock; another team's
    # slots are never touched, let alone locked.
    return list(
        Slot.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(slot_ids)), team_id=team_id)
        .select_related("venue")
        .order_by("pk")
    )


class _Taken(Exception):  # noqa: N818  (internal: becomes SlotTaken once the transaction has ended)
    pass


def book_first_core(*, slot_ids: Sequence[int], case: Case, by: User) -> Appointment:
    """Book the family's first Core Partnership appointment into one slot, or two slots of
    different clinicians at the same venue and time.

    Raises SlotTaken (with alternatives) if a slot is no longer vacant, DiaryBusy if the slots
    stayed locked past the lock timeout, and BookingError if the slots do not make one booking or
    the family already has a first Core appointment. A repeated submit of the same booking returns
    the appointment already made.
    """
    wanted = sorted(set(slot_ids))
    try:
        appointment, new_state = _book_first_core(slot_ids=wanted, case=case, by=by)
    except _Taken:
        # The slots and alternatives are looked up after the rollback, so a loser never holds the
        # slot's lock while it searches: fifty clinicians racing for one slot queue for
        # milliseconds, not seconds.
        taken = list(Slot.objects.filter(pk__in=wanted, team_id=case.team_id).select_related("venue"))
        raise SlotTaken(slot_ids=slot_ids, slots=taken, team=case.team) from None
    if new_state is not None:
        case.state = new_state  # once committed, the caller's object shows it, as take_step's do
    return appointment


@polite_when_busy(DiaryBusy)
@transaction.atomic(durable=True)
def _book_first_core(*, slot_ids: list[int], case: Case, by: User) -> tuple[Appointment, str | None]:
    """The appointment, and the case's new state (None if the booking was made before)."""
    # Two statements on the way to a booking: one reads and locks, the other writes (a booking is
    # the diary's busiest write, and each statement costs more to send and plan than to run).
    # The rules are the Python below; the SQL only fetches and stores.
    locked = _lock_case_and_slots(slot_ids, case=case)
    if locked.has_first_core or not waiting_for_first_core(locked.case):
        existing = _booked_already(slot_ids, case=case, locked=locked.case)
        if existing is not None:
            return existing, None
    if any(not slot.is_vacant for slot in locked.slots):
        raise _Taken
    _check_bookable(locked.slots, slot_ids=slot_ids, clinician_ids=[c.pk for c in locked.clinicians])
    now = timezone.now()
    on = timezone.localdate(now)
    try:
        after = cases.next_state(locked.case, kind=StepKind.BOOK_FIRST_CORE, on=on)
    except cases.CaseError as refused:
        raise BookingError(refused.message) from None
    first = locked.slots[0]
    appointment = Appointment(
        team_id=case.team_id,
        case=case,
        kind=SlotKind.FIRST_CORE,
        starts_at=first.starts_at,
        ends_at=first.ends_at,
        venue_id=first.venue_id,
        status=AppointmentStatus.BOOKED,
        booked_by=by,
        booked_at=now,
    )
    emails = outbox.booking_confirmations(
        appointment=appointment,
        venue=locked.venue_name,
        family_reference=locked.case.family_reference,
        clinicians=locked.clinicians,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                _write_booking_sql(),
                {
                    "slot_ids": slot_ids,
                    "booked": SlotStatus.BOOKED,
                    "team_id": appointment.team_id,
                    "case_id": case.pk,
                    "kind": appointment.kind,
                    "starts_at": appointment.starts_at,
                    "ends_at": appointment.ends_at,
                    "venue_id": appointment.venue_id,
                    "status": appointment.status,
                    "by": by.pk,
                    "now": now,
                    "step": StepKind.BOOK_FIRST_CORE,
                    "before": locked.case.state,
                    "after": after,
                    "on": on,
                    "to": [email.to for email in emails],
                    "subjects": [email.subject for email in emails],
                    "bodies": [email.body for email in emails],
                    "pending": OutboxStatus.PENDING,
                    "about": outbox.ABOUT_APPOINTMENT,
                },
            )
            (appointment.pk,) = cursor.fetchone()
    except IntegrityError:  # the partial unique constraints are the guarantee
        raise _Taken from None
    appointment._state.adding, appointment._state.db = False, connection.alias
    if emails:
        outbox.nudge_after_commit()
    return appointment, after


@dataclass
class _Locked:
    case: Case  # a copy of the caller's, with the state and referral date read under the lock
    # A live first Core appointment, as the statement's snapshot saw it: taken before any wait
    # for the case's lock, so it may be out of date, unlike the case and slot rows (read again
    # once locked). `_booked_already` asks again before refusing.
    has_first_core: bool
    slots: list[Slot]  # the team's slots among those asked for, locked, in primary-key order
    clinicians: list[User]  # their live clinicians, slot by slot
    venue_name: str


def _lock_case_and_slots(slot_ids: list[int], *, case: Case) -> _Locked:
    """One statement: the lock timeout set, the case locked (so one booking at a time per family),
    then the slots locked in primary-key order (so (X, Y) against (Y, X) can never deadlock; other
    teams' slots are never touched, let alone locked), as booking's other writers lock them.

    The case and slot rows are the latest, read again once locked. The slots' clinicians and venue
    come from the statement's snapshot; no writer changes those without changing the slot's status
    too (a removed slot is no longer vacant), which the fresh row shows."""
    with connection.cursor() as cursor:
        cursor.execute(
            _lock_sql(),
            {
                "case_id": case.pk,
                "team_id": case.team_id,
                "slot_ids": slot_ids,
                "first_core": SlotKind.FIRST_CORE,
                "live": list(LIVE_FIRST_CORE),
            },
        )
        rows = cursor.fetchall()
    if not rows:  # the case's row is gone (cases are never deleted, but never a server error)
        raise BookingError(MESSAGES["not_bookable"])
    state, referral_date, family_reference, has_first_core = rows[0][:4]
    locked = copy.copy(case)
    locked.state, locked.referral_date, locked.family_reference = state, referral_date, family_reference
    slots, clinicians, venue_name = [], [], ""
    for *_, pk, kind, starts_at, ends_at, status, venue_id, venue, people in rows:
        if pk is None:  # the case's row alone: none of the slots is the team's
            continue
        slots.append(
            Slot(
                pk=pk,
                team_id=case.team_id,
                kind=kind,
                starts_at=starts_at,
                ends_at=ends_at,
                status=status,
                venue_id=venue_id,
            )
        )
        clinicians += [
            User(pk=user_id, email=email, first_name=first_name, last_name=last_name, username=username)
            for user_id, email, first_name, last_name, username in people or []
        ]
        venue_name = venue_name or venue
    return _Locked(locked, has_first_core, slots, clinicians, venue_name)


@cache
def _lock_sql() -> str:
    # The case is the outer side of the join and the slots a lateral subquery locked in order, so
    # the case is always locked first: as record_outcome and every other writer of the case do.
    return f"""
        SET LOCAL lock_timeout = '{LOCK_TIMEOUT}';
        WITH family AS MATERIALIZED (
            SELECT state, referral_date, family_reference FROM {Case._meta.db_table}
            WHERE id = %(case_id)s FOR UPDATE
        )
        SELECT family.state, family.referral_date, family.family_reference,
            EXISTS (
                SELECT 1 FROM {Appointment._meta.db_table}
                WHERE case_id = %(case_id)s AND kind = %(first_core)s AND status = ANY(%(live)s)
            ),
            slot.*
        FROM family LEFT JOIN LATERAL (
            SELECT slot.id, slot.kind, slot.starts_at, slot.ends_at, slot.status, slot.venue_id,
                venue.name,
                (
                    SELECT json_agg(
                        json_build_array(person.id, person.email, person.first_name, person.last_name,
                                         person.username)
                        ORDER BY time.id
                    )
                    FROM {ClinicianTime._meta.db_table} time
                    JOIN {User._meta.db_table} person ON person.id = time.clinician_id
                    WHERE time.slot_id = slot.id AND time.is_live
                )
            FROM {Slot._meta.db_table} slot
            JOIN {Venue._meta.db_table} venue ON venue.id = slot.venue_id
            WHERE slot.id = ANY(%(slot_ids)s) AND slot.team_id = %(team_id)s
            ORDER BY slot.id
            FOR UPDATE OF slot
        ) slot ON true
    """  # noqa: S608  (names from the models; every value is a parameter)


@cache
def _write_booking_sql() -> str:
    # The slots booked, the appointment and its links, the case's step, the confirmations: what
    # the ORM would write in six statements, in one. The audit and change triggers fire as for
    # any write (tests/integration/test_bench_floor.py compares its rows with the floor's, and
    # tests/integration/test_booking.py what they say).
    return f"""
        WITH slot AS (
            UPDATE {Slot._meta.db_table} SET status = %(booked)s WHERE id = ANY(%(slot_ids)s)
        ), appointment AS (
            INSERT INTO {Appointment._meta.db_table}
                (team_id, case_id, kind, starts_at, ends_at, venue_id, status, booked_by_id, booked_at,
                 outcome_by_id, outcome_at, cancel_reason)
            VALUES (%(team_id)s, %(case_id)s, %(kind)s, %(starts_at)s, %(ends_at)s, %(venue_id)s,
                    %(status)s, %(by)s, %(now)s, NULL, NULL, '')
            RETURNING id
        ), link AS (
            INSERT INTO {AppointmentSlot._meta.db_table} (appointment_id, slot_id, is_live)
            SELECT appointment.id, slot_id, true FROM appointment, unnest(%(slot_ids)s::bigint[]) slot_id
        ), family AS (
            UPDATE {Case._meta.db_table} SET state = %(after)s WHERE id = %(case_id)s
        ), step AS (
            INSERT INTO {CaseStep._meta.db_table}
                (case_id, kind, from_state, to_state, happened_on, detail, data, by_id, recorded_at)
            SELECT %(case_id)s, %(step)s, %(before)s, %(after)s, %(on)s, '',
                jsonb_build_object('appointment', appointment.id), %(by)s, %(now)s
            FROM appointment
        ), email AS (
            INSERT INTO {OutboxEmail._meta.db_table}
                ("to", subject, body, status, attempts, next_attempt_at, last_error, sent_at, created_at,
                 about)
            SELECT email.to, email.subject, email.body, %(pending)s, 0, %(now)s, '', NULL, %(now)s,
                %(about)s || appointment.id
            FROM appointment,
                unnest(%(to)s::text[], %(subjects)s::text[], %(bodies)s::text[]) email("to", subject, body)
        )
        SELECT id FROM appointment
    """  # noqa: S608  (names from the models; every value is a parameter)


def _booked_already(slot_ids: list[int], *, case: Case, locked: Case) -> Appointment | None:
    """The family has a live first Core appointment, or is not waiting for one: the same booking
    again (a double submit) is returned; anything else is refused with the reason. None if, asked
    again under the case's lock, the family is waiting with nothing booked after all (the locking
    statement's snapshot was taken before a cancellation it waited for committed)."""
    existing = (
        Appointment.objects.filter(case=case, kind=SlotKind.FIRST_CORE, status__in=LIVE_FIRST_CORE)
        .prefetch_related("slot_links")
        .first()
    )
    if existing is not None:
        if sorted(link.slot_id for link in existing.slot_links.all()) == slot_ids:
            return existing  # a double submit: the same booking, not a second one
        raise BookingError(
            MESSAGES["already_booked"].format(child=case.child_name, when=_when(existing.starts_at))
        )
    if waiting_for_first_core(locked):
        return None
    raise BookingError(cases.refusal(locked, StepKind.BOOK_FIRST_CORE).message)


def fill_slots(*, case: Case, slots: list[Slot], kind: str, by: User) -> Appointment:
    """The family's appointment in the slots (locked by the caller, one or two at the same venue
    and time), the slots marked booked. No savepoint: the partial unique constraints' IntegrityError
    ends the caller's booking, and its whole transaction with it."""
    first = slots[0]
    appointment = Appointment.objects.create(
        team_id=case.team_id,
        case=case,
        kind=kind,
        starts_at=first.starts_at,
        ends_at=first.ends_at,
        venue=first.venue,
        booked_by=by,
        booked_at=timezone.now(),
    )
    AppointmentSlot.objects.bulk_create(AppointmentSlot(appointment=appointment, slot=s) for s in slots)
    Slot.objects.filter(pk__in=[s.pk for s in slots]).update(status=SlotStatus.BOOKED)
    return appointment


def waiting_for_first_core(case: Case) -> bool:
    """Whether the family can be booked a first Core appointment now (as far as its case says)."""
    return case.state == CaseState.AWAITING_FIRST_CORE


def why_not_bookable(*, case: Case, slots: Sequence[Slot], clinician_ids: list[int]) -> str | None:
    """Why these slots cannot be booked for this family now, for the confirm page (None if they
    can). Only a courtesy before the confirm: the booking checks again under its locks."""
    if not waiting_for_first_core(case):
        return cases.refusal(case, StepKind.BOOK_FIRST_CORE).message
    if any(not slot.is_vacant for slot in slots):
        return MESSAGES["no_longer_free"]
    try:
        _check_bookable(list(slots), slot_ids=[slot.pk for slot in slots], clinician_ids=clinician_ids)
    except BookingError as refused:
        return refused.message
    return None


def _check_bookable(slots: list[Slot], *, slot_ids: Sequence[int], clinician_ids: list[int]) -> None:
    # Slots are never deleted (a removed one keeps its row), so a missing id was never this team's.
    if not slots or len(slots) != len(set(slot_ids)) or len(slots) > 2:
        raise BookingError(MESSAGES["not_bookable"])
    first = slots[0]
    if first.starts_at <= timezone.now():
        raise BookingError(MESSAGES["started"])
    if any(s.kind != SlotKind.FIRST_CORE for s in slots):
        raise BookingError(MESSAGES["not_bookable"])
    if any(
        (s.venue_id, s.starts_at, s.ends_at) != (first.venue_id, first.starts_at, first.ends_at)
        for s in slots
    ):
        raise BookingError(MESSAGES["not_bookable"])
    if len(slots) == 2 and (len(clinician_ids) != 2 or len(set(clinician_ids)) != 2):
        raise BookingError(MESSAGES["not_bookable"])


def _when(moment) -> str:
    from capa.templatetags.nhsuk import uk_datetime

    return uk_datetime(moment)


OUTCOMES = [
    AppointmentStatus.ATTENDED,
    AppointmentStatus.DNA,
    AppointmentStatus.CANCELLED_BY_FAMILY,
    AppointmentStatus.CANCELLED_BY_SERVICE,
]


@polite_when_busy(DiaryBusy)
@transaction.atomic(durable=True)
def record_outcome(*, appointment: Appointment, outcome: str, reason: str = "", by: User) -> Appointment:
    """Mark an appointment attended, not attended (DNA) or cancelled (with a reason).

    A cancellation with at least a day's notice returns the slot to the diary for another family;
    later than that the slot is lost and can be re-offered, as after a DNA. Raises BookingError
    if the appointment already has an outcome, or is marked attended or DNA before it starts.
    """
    set_lock_timeout()
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.BOOKED:
        raise BookingError(MESSAGES["outcome_done"].format(outcome=appointment.get_status_display().lower()))
    now = timezone.now()
    if outcome in (AppointmentStatus.ATTENDED, AppointmentStatus.DNA) and appointment.starts_at > now:
        raise BookingError(MESSAGES["too_early"])
    if outcome not in OUTCOMES:
        raise BookingError(f"Unknown outcome {outcome!r}.")
    if outcome in CANCELLED and appointment.starts_at <= now:
        raise BookingError(MESSAGES["started_not_cancelled"])
    appointment.status, appointment.outcome_by, appointment.outcome_at = outcome, by, now
    appointment.cancel_reason = reason.strip() if outcome in CANCELLED else ""
    appointment.save(update_fields=["status", "outcome_by", "outcome_at", "cancel_reason"])
    _step_the_case(appointment, outcome=outcome, by=by)
    if outcome in CANCELLED:
        slot_ids = list(
            AppointmentSlot.objects.filter(appointment=appointment).values_list("slot_id", flat=True)
        )
        _locked_slots(slot_ids, team_id=appointment.team_id)  # in the same order as booking takes them
        AppointmentSlot.objects.filter(appointment=appointment).update(is_live=False)
        rebookable = appointment.starts_at - now >= REBOOKING_NOTICE
        Slot.objects.filter(pk__in=slot_ids).update(
            status=SlotStatus.VACANT if rebookable else SlotStatus.LOST
        )
        outbox.queue_cancellation_notice(appointment)
    return appointment


# What an outcome means for the family's journey, by kind of appointment.
CASE_STEPS = {
    SlotKind.FIRST_CORE: {
        AppointmentStatus.ATTENDED: StepKind.FIRST_CORE_ATTENDED,
        AppointmentStatus.DNA: StepKind.FIRST_CORE_MISSED,
        AppointmentStatus.CANCELLED_BY_FAMILY: StepKind.FIRST_CORE_MISSED,
        AppointmentStatus.CANCELLED_BY_SERVICE: StepKind.FIRST_CORE_MISSED,
    },
    SlotKind.CHOICE: {
        AppointmentStatus.ATTENDED: StepKind.CHOICE_ATTENDED,
        AppointmentStatus.DNA: StepKind.CHOICE_DNA,
        AppointmentStatus.CANCELLED_BY_FAMILY: StepKind.CHOICE_CANCELLED,
        AppointmentStatus.CANCELLED_BY_SERVICE: StepKind.CHOICE_CANCELLED,
    },
}


def _step_the_case(appointment: Appointment, *, outcome: str, by: User) -> None:
    kind = CASE_STEPS.get(appointment.kind, {}).get(outcome)
    if kind is None:
        return
    # Attended or missed on the day of the appointment; cancelled today.
    on = timezone.localdate() if outcome in CANCELLED else timezone.localtime(appointment.starts_at).date()
    clinicians = [
        t.clinician
        for t in ClinicianTime.objects.filter(slot__appointment_links__appointment=appointment)
        .defer("during")
        .select_related("clinician")
        .order_by("pk")
    ]
    try:
        cases.take_step(
            case=appointment.case,
            kind=kind,
            by=by,
            on=on,
            facts=cases.Facts(
                detail=appointment.cancel_reason,
                clinician=clinicians[0] if clinicians else None,
                data={"appointment": appointment.pk},
            ),
        )
        if kind == StepKind.FIRST_CORE_ATTENDED:
            cases.join_first_core_clinicians(case=appointment.case, clinicians=clinicians, on=on, by=by)
    except cases.CaseError as refused:
        raise BookingError(refused.message) from None


def can_reoffer(appointment: Appointment) -> bool:
    """Whether the capacity of this appointment was lost (DNA, or cancelled too late to rebook)."""
    if appointment.kind != SlotKind.FIRST_CORE:
        return False
    if appointment.status == AppointmentStatus.DNA:
        return True
    # Decided by this appointment's own cancellation, not by the slot's state now: the slot may
    # have been rebooked, and lost, by another family since.
    return (
        appointment.status in CANCELLED
        and appointment.outcome_at is not None
        and appointment.starts_at - appointment.outcome_at < REBOOKING_NOTICE
    )


@polite_when_busy(DiaryBusy)
@transaction.atomic(durable=True)
def reoffer(*, appointment: Appointment, by: User) -> Slot:
    """Put the lost capacity of a DNA'd or late-cancelled first Core appointment back in the diary:
    a vacant slot with the same clinician(s), venue, weekday and time, at their next free week.
    Raises BookingError if there is nothing to re-offer, it was re-offered already, or no free
    time is found in the next 12 weeks."""
    set_lock_timeout()
    appointment = (
        Appointment.objects.select_for_update()
        .prefetch_related("slot_links__slot", "slot_links__slot__times__clinician")
        .get(pk=appointment.pk)
    )
    if not can_reoffer(appointment):
        raise BookingError(MESSAGES["nothing_to_reoffer"])
    if Slot.objects.filter(reoffer_of=appointment).exclude(status=SlotStatus.REMOVED).exists():
        raise BookingError(MESSAGES["already_reoffered"])
    original = appointment.slot_links.all()[0].slot
    clinicians = appointment.clinicians
    local_start = timezone.localtime(original.starts_at)
    local_end = timezone.localtime(original.ends_at)
    today = timezone.localdate()
    day = local_start.date()
    for _ in range(REOFFER_WEEKS):
        day += timedelta(weeks=1)
        if day <= today:
            day = today + timedelta(days=(local_start.weekday() - today.weekday()) % 7 or 7)
        # The same checks as any slot put in: bank holidays, absences, clashes.
        preview = preview_pattern(
            team=appointment.team,
            clinicians=clinicians,
            days=[day],
            start=local_start.time(),
            end=local_end.time(),
        )
        if not preview.can_save:
            continue
        try:
            (slot,) = put_in(
                team=appointment.team,
                clinicians=clinicians,
                venue=original.venue,
                times=preview.slots,
                kind=SlotKind.FIRST_CORE,
                reoffer_of=appointment,
                by=by,
            )
        except SlotError:  # taken between the preview and the insert: try the next week
            continue
        return slot
    raise BookingError(
        MESSAGES["no_free_time"].format(
            time=local_start.strftime("%H:%M"), weekday=local_start.strftime("%A"), weeks=REOFFER_WEEKS
        )
    )
