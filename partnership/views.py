"""Case pages: the team's cases, opening one at the end of Choice, and a case with its first Core
appointment (outcomes, re-offer, letter)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from diary import booking
from diary import queries as diary_queries
from diary.forms import OutcomeForm
from diary.models import AppointmentKind
from partnership import caseloads, cases
from partnership.forms import CaseForm, ReferralForm, StepForm
from partnership.models import Case
from planning import queries as planning_queries

CASES_SHOWN = 50


@login_required
@require_GET
def case_list(request: HttpRequest, team_id: int) -> HttpResponse:
    team = access.get_team_for_diary(request.user, team_id)
    query = request.GET.get("q", "").strip()[:100]
    found = Case.objects.filter(team=team)
    if query:
        found = found.filter(
            Q(family_reference__iexact=query)
            | Q(child_last_name__icontains=query)
            | Q(child_first_name__icontains=query)
        )
    return render(
        request,
        "partnership/case_list.html",
        {
            "team": team,
            "cases": found.order_by("-referral_date", "child_last_name")[:CASES_SHOWN],
            "query": query,
            "can_open": access.belongs_to_team(request.user, team),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest, team_id: int) -> HttpResponse:
    """Open a case on the spot, then go straight to finding a first Core slot."""
    team = access.get_team_for_booking(request.user, team_id)
    form = CaseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            case = cases.open_case(team=team, **form.cleaned_data, by=request.user)
        except cases.CaseError as problem:
            form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        else:
            messages.success(request, f"The case for {case.child_name} is open. Now find a first Core slot.")
            return redirect(reverse("diary:search", args=[team.pk]) + f"?case={case.pk}")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "partnership/case_new.html", {"team": team, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def referral_new(request: HttpRequest, team_id: int) -> HttpResponse:
    """Record a new referral; it is then accepted or not on the case page."""
    team = access.get_team_for_booking(request.user, team_id)
    form = ReferralForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            case = cases.receive_referral(team=team, **form.cleaned_data, by=request.user)
        except cases.CaseError as problem:
            form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        else:
            messages.success(request, f"The referral for {case.child_name} is recorded. Accept it or not.")
            return redirect(
                reverse("partnership:case-detail", args=[team.pk, case.pk])
            )  # the banner keeps the focus
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "partnership/referral_new.html", {"team": team, "form": form}, status=status)


@login_required
@require_GET
def case_detail(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    team = access.get_team_for_diary(request.user, team_id)
    case = get_object_or_404(Case.objects.select_related("created_by"), pk=case_id, team=team)
    return _case_page(request, team, case)


@login_required
@require_POST
def case_step(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    """Record one step of the family's journey (the transition table decides what may happen)."""
    team = access.get_team_for_booking(request.user, team_id)
    case = get_object_or_404(Case.objects.select_related("created_by"), pk=case_id, team=team)
    form = StepForm(request.POST, case=case, prefix="step")
    if form.is_valid():
        try:
            step = cases.take_step(
                case=case,
                kind=form.cleaned_data["kind"],
                by=request.user,
                on=form.cleaned_data["on"],
                facts=form.facts(),
            )
        except cases.CaseError as problem:
            form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        else:
            messages.success(request, f"Recorded: {cases.in_a_sentence(step.get_kind_display())}.")
            return redirect(
                reverse("partnership:case-detail", args=[team.pk, case.pk])
            )  # the banner keeps the focus
    return _case_page(request, team, case, step_form=form, status=400)


def _case_page(request, team, case, *, step_form=None, status=200) -> HttpResponse:
    cases.record_view(case=case, by=request.user)
    # Appointments after the first have a panel of their own (`follow_ups_panel`).
    appointments = [a for a in diary_queries.case_appointments(case) if a.kind != AppointmentKind.FOLLOW_UP]
    can_book = access.belongs_to_team(request.user, team)
    rows = [
        {
            "appointment": appointment,
            "clinicians": appointment.clinicians,
            "can_reoffer": can_book and booking.can_reoffer(appointment) and not appointment.reoffers.all(),
            "reoffers": list(appointment.reoffers.all()),
        }
        for appointment in appointments
    ]
    live = next((row for row in rows if row["appointment"].is_live_first_core), None)
    return render(
        request,
        "partnership/case_detail.html",
        {
            "team": team,
            "case": case,
            "rows": rows,
            "live": live,
            "can_book": can_book,
            "outcome_form": OutcomeForm(auto_id="outcome-%s"),
            "step_form": step_form or StepForm(case=case, prefix="step"),
            "steps": case.steps.select_related("by").order_by("-recorded_at", "-pk"),
        },
        status=status,
    )


@login_required
@require_GET
def team_caseload(request: HttpRequest, team_id: int) -> HttpResponse:
    """The team's families at each stage, longest waiting first, with waits against thresholds."""
    team = access.get_team_for_diary(request.user, team_id)
    settings = planning_queries.planning_settings(team)
    lists = caseloads.team_lists(team)
    sections = [
        (key, title, caseloads.rows(lists[key], settings))
        for key, title in (
            ("after_choice_unbooked", "After Choice, no Partnership booking yet"),
            ("waiting_for_choice", "Waiting for Choice"),
            ("in_partnership", "In Partnership"),
        )
    ]
    in_partnership = next(rows for key, _, rows in sections if key == "in_partnership")
    return render(
        request,
        "partnership/team_caseload.html",
        {
            "team": team,
            "sections": sections,
            "settings": settings,
            "reviews_due": sum(1 for row in in_partnership if row.review in ("due", "overdue")),
        },
    )


@login_required
@require_GET
def my_caseload(request: HttpRequest, team_id: int) -> HttpResponse:
    """The clinician's own open cases in the team."""
    team = access.get_team_for_booking(request.user, team_id)
    settings = planning_queries.planning_settings(team)
    return render(
        request,
        "partnership/my_caseload.html",
        {
            "team": team,
            "rows": caseloads.rows(caseloads.my_cases(request.user, team), settings),
            "settings": settings,
        },
    )
