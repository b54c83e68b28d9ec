"""The benchmarks' URLconf: the project's URLs plus two yardsticks.

- `bench-noop`: a logged-in no-op page. It goes through every middleware (session,
  authentication, CSP, audit context) and the login check, so a page's ratio to it is what the
  page itself adds.
- `bench-booking-floor`: the rows a first Core booking writes, and nothing else, in one SQL
  statement: no team or case check, no form, no email to render, no nudge to the worker. Its
  audit and change triggers fire as a booking's do. It is the least a booking through the web can
  cost on this machine, so bench/diary.py can show how far the booking's throughput ratio could
  go without leaving out a write (ADR 0012). Never part of the product: it trusts its input.

Not a benchmark: `make bench` runs every bench/*.py, and run directly this does nothing.
"""

from functools import cache

from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path
from django.views.decorators.http import require_GET, require_POST

handler403 = "capa.views.permission_denied"
handler404 = "capa.views.page_not_found"
handler500 = "capa.views.server_error"


@login_required
@require_GET
def noop(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@cache
def _booking_writes_sql() -> str:
    """The slot(s) marked booked, the appointment and its links, the case's step and new state, one
    email a clinician: a compare-and-swap on the slots' and the case's states, like the booking's."""
    from accounts.models import User
    from diary.models import (
        Appointment,
        AppointmentSlot,
        ClinicianTime,
        OutboxEmail,
        OutboxStatus,
        Slot,
        SlotKind,
        SlotStatus,
    )
    from partnership.models import Case, CaseState, CaseStep, StepKind

    # Table names and states from the models, never from input: the input goes in as parameters.
    return f"""
        WITH slot AS (
            UPDATE {Slot._meta.db_table} SET status = '{SlotStatus.BOOKED}'
            WHERE id = ANY(%(slot_ids)s) AND team_id = %(team_id)s AND status = '{SlotStatus.VACANT}'
            RETURNING id, starts_at, ends_at, venue_id
        ), first AS (
            SELECT * FROM slot ORDER BY id LIMIT 1
        ), family AS (
            UPDATE {Case._meta.db_table} SET state = '{CaseState.FIRST_CORE_BOOKED}'
            WHERE id = %(case_id)s AND team_id = %(team_id)s AND state = '{CaseState.AWAITING_FIRST_CORE}'
                AND (SELECT count(*) FROM slot) = cardinality(%(slot_ids)s)
            RETURNING id
        ), appointment AS (
            INSERT INTO {Appointment._meta.db_table}
                (team_id, case_id, kind, starts_at, ends_at, venue_id, status, booked_by_id, booked_at,
                 cancel_reason)
            SELECT %(team_id)s, family.id, '{SlotKind.FIRST_CORE}', first.starts_at, first.ends_at,
                first.venue_id, 'booked', %(user_id)s, now(), ''
            FROM family, first
            RETURNING id, case_id
        ), links AS (
            INSERT INTO {AppointmentSlot._meta.db_table} (appointment_id, slot_id, is_live)
            SELECT appointment.id, slot.id, true FROM appointment, slot
        ), step AS (
            INSERT INTO {CaseStep._meta.db_table}
                (case_id, kind, from_state, to_state, happened_on, detail, data, by_id, recorded_at)
            SELECT case_id, '{StepKind.BOOK_FIRST_CORE}', '{CaseState.AWAITING_FIRST_CORE}',
                '{CaseState.FIRST_CORE_BOOKED}', current_date, '',
                jsonb_build_object('appointment', id), %(user_id)s, now()
            FROM appointment
        ), email AS (
            INSERT INTO {OutboxEmail._meta.db_table}
                ("to", subject, body, status, attempts, next_attempt_at, last_error, created_at, about)
            SELECT clinician.email, 'New first Core Partnership appointment', 'A family has been booked.',
                '{OutboxStatus.PENDING}', 0, now(), '', now(), 'appointment:' || appointment.id
            FROM appointment, {ClinicianTime._meta.db_table} time, {User._meta.db_table} clinician
            WHERE time.slot_id IN (SELECT id FROM slot) AND time.is_live AND clinician.id = time.clinician_id
        )
        SELECT id FROM appointment
    """  # noqa: S608


@login_required
@require_POST
def booking_floor(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    slot_ids = [int(pk) for pk in request.POST["slots"].split(",")]
    parameters = {"slot_ids": slot_ids, "team_id": team_id, "case_id": case_id, "user_id": request.user.pk}
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute(_booking_writes_sql(), parameters)
        booked = cursor.fetchone()
        if booked is None:  # a slot or the case had moved on: undo whatever the other parts did
            transaction.set_rollback(True)
    if booked is None:
        return HttpResponse("taken", status=409, content_type="text/plain")
    return HttpResponseRedirect(f"/bench/booking-floor/{team_id}/{case_id}/{booked[0]}/")


urlpatterns = [
    path("bench/noop/", noop, name="bench-noop"),
    path("bench/booking-floor/<int:team_id>/<int:case_id>/", booking_floor, name="bench-booking-floor"),
]
if __name__ != "__main__":  # capa.urls loads the admin, which needs configured settings
    urlpatterns.append(path("", include("capa.urls")))
