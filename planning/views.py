"""Job plan pages, the team capacity page with its what-if, and the organisation overview.

Each view: access, form, one domain call or read, response. The figures come from
`planning.figures`, the writes from `planning.job_plans` and `planning.referrals`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from accounts.models import Team
from capa import partials
from capa.ids import is_id
from capa.templatetags.nhsuk import hours as hours_text
from capa.templatetags.nhsuk import uk_date
from diary import choice
from planning import absences, capacity, charts, figures, job_plans, queries, referrals
from planning.forms import (
    AbsenceForm,
    JobPlanForm,
    ReferralRateForm,
    WhatIfForm,
    initial_from_hours,
    quarter_choices,
)
from planning.models import Absence, JobPlan
from planning.quarters import Quarter

EDITABLE_QUARTERS = 6  # this quarter and the next five can be planned


def this_quarter(team: Team) -> Quarter:
    return Quarter.containing(timezone.localdate(), start_month=team.organisation.financial_year_start_month)


def quarter_from_request(request: HttpRequest, team: Team) -> Quarter:
    """The quarter named by `?quarter=2027-Q1`, or this quarter; a malformed one is a 404."""
    label = request.GET.get("quarter")
    if not label:
        return this_quarter(team)
    try:
        return Quarter.parse(label, start_month=team.organisation.financial_year_start_month)
    except ValueError:
        raise Http404("No such quarter.") from None


# --- The team capacity page and its what-if ----------------------------------------------------


@login_required
@require_GET
def team_capacity(request: HttpRequest, team_id: int) -> HttpResponse:
    team = access.get_team_for_capacity(request.user, team_id)
    quarter = quarter_from_request(request, team)
    planning = queries.one_team_planning(team)
    memo: dict = {}  # the plans' figures, worked out once for every quarter this page shows
    now = figures.team_quarter(planning, quarter, memo=memo)
    following = figures.team_quarter(planning, quarter.next(), memo=memo)
    what_if_form = WhatIfForm(
        request.GET if "what_if" in request.GET else None,
        clinicians=[m.user for m in planning.members],
        initial=_what_if_initial(now),
        auto_id="what-if-%s",
    )
    what_if = figures.NO_CHANGE
    if what_if_form.is_bound and what_if_form.is_valid():
        rate = what_if_form.cleaned_data["transfer_rate"]
        what_if = figures.WhatIf(
            referrals_per_week=what_if_form.cleaned_data["referrals_per_week"],
            transfer_rate=None if rate is None else rate / 100,
            hours=what_if_form.hours_changes(_current_hours(now)),
        )
    projected = figures.projection(planning, quarter, what_if, memo=memo if what_if.is_empty else None)
    context = {
        "team": team,
        "quarter": quarter,
        "quarters": [now, following],
        "can_plan": access.leads_team(request.user, team),
        "what_if_form": what_if_form,
        "what_if": what_if,
        "projected": projected,
        "projection_chart": charts.projection_chart(projected),
        "balance_chart": charts.targets_against_need_chart([now, following]),
        "choice_look_ahead": choice.look_ahead(team, weeks=planning.settings.choice_look_ahead_weeks),
    }
    if partials.wants_part(request, "what-if-results"):
        swapped = partials.fields_to_swap(request, what_if_form)
        return render(
            request, "planning/_what_if_results.html", {**context, "partial": True, "swapped": swapped}
        )
    return render(request, "planning/team_capacity.html", context)


def _current_hours(team_quarter: figures.TeamQuarter) -> dict[int, dict[str, object]]:
    return {
        row.clinician.pk: {"choice": row.week.choice, "core": row.week.core}
        for row in team_quarter.clinicians
        if row.week is not None
    }


def _what_if_initial(team_quarter: figures.TeamQuarter) -> dict[str, object]:
    """The what-if boxes start from the plans and figures in force, written as people write them."""
    initial: dict[str, object] = {
        "referrals_per_week": hours_text(team_quarter.referrals.per_week),
        "transfer_rate": capacity.one_decimal(team_quarter.figures.transfer_rate * 100),
    }
    for clinician_id, hours in _current_hours(team_quarter).items():
        initial[f"choice_{clinician_id}"] = hours_text(hours["choice"])
        initial[f"core_{clinician_id}"] = hours_text(hours["core"])
    return initial


@login_required
@require_GET
def organisation_capacity(request: HttpRequest) -> HttpResponse:
    """Every team of the admin's organisation side by side for this quarter."""
    teams = list(access.get_organisation_teams_for_admin(request.user).select_related("organisation"))
    quarters = {team.pk: this_quarter(team) for team in teams}
    # Teams of one organisation share its quarters, so one day gives every team's plans in force.
    first_day = min((q.start for q in quarters.values()), default=None)
    planning = queries.team_planning(teams, in_force_on=first_day)
    rows = [figures.team_quarter(planning[team.pk], quarters[team.pk], whole_numbers=False) for team in teams]
    return render(
        request, "planning/organisation_capacity.html", {"rows": list(zip(teams, rows, strict=True))}
    )


@login_required
@require_http_methods(["GET", "POST"])
def referrals_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    team = access.get_team_for_job_planning(request.user, team_id)
    first = this_quarter(team)
    form = ReferralRateForm(
        request.POST or None,
        quarters=quarter_choices(first, EDITABLE_QUARTERS),
        initial={"quarter": first.label},
    )
    if request.method == "POST" and form.is_valid():
        quarter = Quarter.parse(form.cleaned_data["quarter"], start_month=first.start_month)
        referrals.set_referral_rate(
            team=team,
            quarter_start=quarter.start,
            referrals_per_week=form.cleaned_data["referrals_per_week"],
            by=request.user,
        )
        messages.success(
            request,
            f"Accepted referrals for {quarter} set to "
            f"{capacity.one_decimal(form.cleaned_data['referrals_per_week'])} a week.",
        )
        return redirect("planning:team-capacity", team_id=team.pk)
    return render(request, "planning/referrals_edit.html", {"team": team, "form": form})


# --- A clinician's job plan ---------------------------------------------------------------------


@login_required
@require_GET
def plan_detail(request: HttpRequest, team_id: int, clinician_id: int) -> HttpResponse:
    team, clinician = access.get_plan_owner_for_user(request.user, team_id, clinician_id)
    planning = queries.one_team_planning(team)
    quarter = this_quarter(team)
    rows = {
        each: next(
            r for r in figures.team_quarter(planning, each).clinicians if r.clinician.pk == clinician.pk
        )
        for each in (quarter, quarter.next())
    }
    return render(
        request,
        "planning/plan_detail.html",
        {
            "team": team,
            "clinician": clinician,
            "in_force": list(rows.items()),
            "versions": queries.plan_versions(clinician=clinician, team=team),
            "can_plan": access.leads_team(request.user, team),
            "absences": planning.absences.get(clinician.pk, []),
            "last_quarter_plan": figures.plan_in_force(
                planning.agreed_plans.get(clinician.pk, []), quarter.previous()
            ),
        },
    )


def _plan_form(request: HttpRequest, team: Team, clinician, *, data=None) -> JobPlanForm:
    first = this_quarter(team)
    start_from = _plan_to_start_from(request, team, clinician)
    initial: dict[str, object] = {"quarter": first.next().label}
    if start_from is not None:
        initial.update(initial_from_hours(job_plans.plan_hours(start_from)))
        initial["choice_pattern"] = start_from.choice_pattern
    return JobPlanForm(
        data,
        clinician=clinician,
        streams=list(team.specific_streams.filter(is_active=True).order_by("name")),
        quarters=quarter_choices(first, EDITABLE_QUARTERS),
        initial=initial,
    )


def _plan_to_start_from(request: HttpRequest, team: Team, clinician) -> JobPlan | None:
    """`?from=<plan id>` (one of this clinician's versions), else the latest version."""
    versions = JobPlan.objects.filter(clinician=clinician, team=team).prefetch_related("lines")
    chosen = request.GET.get("from", "")
    if chosen:
        if not is_id(chosen):
            raise Http404("No such plan.")
        plan = versions.filter(pk=int(chosen)).first()
        if plan is None:
            raise Http404("No such plan.")
        return plan
    return versions.order_by("-version").first()


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, team_id: int, clinician_id: int) -> HttpResponse:
    team = access.get_team_for_job_planning(request.user, team_id)
    clinician = access.get_clinician_in_team(team, clinician_id)
    form = _plan_form(request, team, clinician, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and request.POST.get("action") != "totals" and form.is_valid():
        quarter = Quarter.parse(form.cleaned_data["quarter"], start_month=this_quarter(team).start_month)
        try:
            plan = job_plans.save_plan(
                clinician=clinician,
                team=team,
                effective_from=quarter.start,
                hours=form.plan_hours,
                choice_pattern=form.cleaned_data["choice_pattern"],
                notes=form.cleaned_data["notes"],
                by=request.user,
            )
        except job_plans.PlanError as problem:
            form.add_error(problem.field, problem.message)
        else:
            messages.success(
                request,
                f"Version {plan.version} of {clinician}'s plan is saved as a draft. "
                f"Agree it to put it in force from {quarter}.",
            )
            return redirect("planning:plan-detail", team_id=team.pk, clinician_id=clinician.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "planning/plan_edit.html",
        {"team": team, "clinician": clinician, "form": form, "totals": _totals(team, form)},
        status=status,
    )


@login_required
@require_POST
def plan_agree(request: HttpRequest, team_id: int, plan_id: int) -> HttpResponse:
    team = access.get_team_for_job_planning(request.user, team_id)
    plan = get_object_or_404(JobPlan.objects.select_related("clinician"), pk=plan_id, team=team)
    try:
        job_plans.agree_plan(plan=plan, by=request.user)
    except job_plans.PlanError as problem:
        messages.info(request, problem.message)
    else:
        quarter = Quarter.containing(plan.effective_from, start_month=this_quarter(team).start_month)
        messages.success(
            request,
            f"Version {plan.version} of {plan.clinician}'s plan is agreed and in force from {quarter}.",
        )
    return redirect("planning:plan-detail", team_id=team.pk, clinician_id=plan.clinician_id)


@login_required
@require_POST
def plan_totals(request: HttpRequest, team_id: int, clinician_id: int) -> HttpResponse:
    """The live totals beside the grid (htmx), from whatever has been typed; nothing is saved."""
    team = access.get_team_for_job_planning(request.user, team_id)
    clinician = access.get_clinician_in_team(team, clinician_id)
    form = _plan_form(request, team, clinician, data=request.POST)
    return render(request, "planning/_plan_totals.html", {"totals": _totals(team, form)})


def _totals(team: Team, form: JobPlanForm) -> figures.PlanPreview:
    hours = form.typed_hours() if form.is_bound else form.initial_hours()
    pattern = form.data.get("choice_pattern") if form.is_bound else form.initial.get("choice_pattern")
    return figures.plan_preview(
        hours=hours,
        contracted_hours=form.contracted_hours,
        settings=queries.planning_settings(team),
        streams=form.streams,
        choice_pattern=pattern or "",
    )


# --- Absence beyond normal leave -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def absence_add(request: HttpRequest, team_id: int, clinician_id: int) -> HttpResponse:
    team = access.get_team_for_job_planning(request.user, team_id)
    clinician = access.get_clinician_in_team(team, clinician_id)
    form = AbsenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            absences.record_absence(
                clinician=clinician,
                team=team,
                kind=form.cleaned_data["kind"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                notes=form.cleaned_data["notes"],
                by=request.user,
            )
        except absences.AbsenceError as problem:
            form.add_error(problem.field, problem.message)
        else:
            messages.success(request, f"The absence is recorded; {clinician}'s targets are scaled for it.")
            return redirect("planning:plan-detail", team_id=team.pk, clinician_id=clinician.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "planning/absence_add.html",
        {"team": team, "clinician": clinician, "form": form},
        status=status,
    )


@login_required
@require_POST
def absence_remove(request: HttpRequest, team_id: int, absence_id: int) -> HttpResponse:
    team = access.get_team_for_job_planning(request.user, team_id)
    absence = get_object_or_404(Absence.objects.select_related("clinician"), pk=absence_id, team=team)
    absences.remove_absence(absence=absence, by=request.user)
    messages.success(request, f"The absence from {uk_date(absence.starts_on)} is removed.")
    return redirect("planning:plan-detail", team_id=team.pk, clinician_id=absence.clinician_id)
