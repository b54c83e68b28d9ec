"""Pages for the appointments after the first: booking one for a family in Partnership, and
recording what happened.

Each view: access, form, one domain call, response. Rules live in `follow_ups.py`. Bad input is a
400 with the errors beside the fields; a clash with the clinicians' diaries (or a busy diary) is a
409 with the message; nothing is written either way."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access
from capa.templatetags.nhsuk import uk_date, uk_time
from diary import follow_ups, slots
from diary.booking import BookingError, DiaryBusy
from diary.forms import OutcomeForm
from diary.forms_follow_ups import FollowUpForm
from diary.models import Appointment, AppointmentKind
from diary.views import outcome_page
from partnership.models import Case, CaseState


def _case_url(team_id: int, case_id: int) -> str:
    # After a success: no #fragment, so that the success banner keeps the focus it takes.
    return reverse("partnership:case-detail", args=[team_id, case_id])


def _add_problem(form, problem: BookingError) -> None:
    field = getattr(problem, "field", None)
    form.add_error(field if field in form.fields else None, problem.message)


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_new(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    """Book the family's next appointment with one or two of the team's clinicians."""
    team = access.get_team_for_booking(request.user, team_id)
    case = get_object_or_404(Case, pk=case_id, team=team)
    initial = {}
    if request.method == "GET" and hasattr(request.user, "clinician_profile"):
        initial["clinicians"] = [request.user.pk]
    form = FollowUpForm(request.POST or None, team=team, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment = follow_ups.book_follow_up(
                    case=case,
                    clinicians=data["clinicians"],
                    venue=data["venue"],
                    starts_at=slots.at(data["day"], data["starts"]),
                    ends_at=slots.at(data["day"], data["ends"]),
                    by=request.user,
                )
            except (follow_ups.FollowUpClash, DiaryBusy) as problem:
                _add_problem(form, problem)
                status = 409
            except BookingError as problem:
                _add_problem(form, problem)
            else:
                messages.success(
                    request,
                    f"The appointment on {uk_date(appointment.starts_at)}, {uk_time(appointment.starts_at)} "
                    f"to {uk_time(appointment.ends_at)} is booked.",
                )
                return redirect(_case_url(team.pk, case.pk))
    return render(
        request,
        "diary/follow_up_new.html",
        {"team": team, "case": case, "form": form, "in_partnership": case.state == CaseState.IN_PARTNERSHIP},
        status=status,
    )


@login_required
@require_POST
def follow_up_outcome(request: HttpRequest, team_id: int, appointment_id: int) -> HttpResponse:
    """Record an appointment after the first as attended, not attended or cancelled."""
    team = access.get_team_for_booking(request.user, team_id)
    appointment = get_object_or_404(
        Appointment.objects.select_related("case", "venue"),
        pk=appointment_id,
        team=team,
        kind=AppointmentKind.FOLLOW_UP,
    )
    form = OutcomeForm(request.POST, auto_id=f"follow-up-{appointment.pk}-%s")
    status = 400
    if form.is_valid():
        try:
            follow_ups.record_follow_up_outcome(
                appointment=appointment,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except DiaryBusy as problem:
            _add_problem(form, problem)
            status = 409
        except BookingError as problem:
            _add_problem(form, problem)
        else:
            appointment.refresh_from_db(fields=["status"])
            messages.success(
                request, f"The appointment is recorded as {appointment.get_status_display().lower()}."
            )
            return redirect(_case_url(team.pk, appointment.case_id))
    return outcome_page(
        request,
        team,
        appointment,
        form,
        url_name="diary:follow-up-outcome",
        section="follow-ups",
        status=status,
    )
