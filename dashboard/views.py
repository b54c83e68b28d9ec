"""The quarterly dashboards: the organisation's teams side by side (admins), a team's quarter
(its leads and admins), a clinician's quarter (the clinician, their leads, admins), and the rows
behind each figure (which slots went unbooked, which families waited longest).

Figures come from `dashboard/quarterly.py`; views only choose the quarter, check access and lay
the figures out."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import access
from accounts.models import Team
from dashboard import charts, quarterly, rag, rows_behind, summary
from planning.models import PlanningSettings
from planning.quarters import Quarter
from planning.queries import planning_settings

TREND_QUARTERS = 8


def _quarter(request: HttpRequest, team: Team) -> Quarter:
    """`?quarter=2026-Q3`, or this quarter; a malformed or far-off one is a 404."""
    start_month = team.organisation.financial_year_start_month
    label = request.GET.get("quarter", "")
    if not label:
        return Quarter.containing(timezone.localdate(), start_month=start_month)
    try:
        quarter = Quarter.parse(label[:20], start_month=start_month)
    except ValueError:
        raise Http404("No such quarter.") from None
    if not 2000 <= quarter.year <= timezone.localdate().year + 5:
        raise Http404("No such quarter.")
    return quarter


def _neighbours(quarter: Quarter) -> dict:
    return {"previous_quarter": quarter.previous(), "next_quarter": quarter.next()}


@login_required
@require_GET
def organisation(request: HttpRequest) -> HttpResponse:
    teams = list(access.get_organisation_teams_for_admin(request.user).select_related("organisation"))
    if not teams:
        raise PermissionDenied("There are no teams to show.")
    quarter = _quarter(request, teams[0])
    found = summary.activities(teams, [quarter])
    # The thresholds only (the plans are already in the activities): one query, not the plans again.
    saved = {s.team_id: s for s in PlanningSettings.objects.filter(team__in=teams)}
    rows = []
    for team in teams:
        activity = found[team.pk, quarter]
        settings = saved.get(team.pk) or PlanningSettings(team=team)
        rows.append({"activity": activity, "rating": rag.rate(activity, settings)})
    return render(
        request,
        "dashboard/organisation.html",
        {
            "quarter": quarter,
            "rows": rows,
            "totals": quarterly.totals([row["activity"] for row in rows]),
            "chart": charts.teams_chart([row["activity"] for row in rows]),
            **_neighbours(quarter),
        },
    )


@login_required
@require_GET
def team(request: HttpRequest, team_id: int) -> HttpResponse:
    team = access.get_team_for_capacity(request.user, team_id)
    quarter = _quarter(request, team)
    trend_quarters = quarterly.last_quarters(quarter, TREND_QUARTERS)
    found = summary.activities([team], trend_quarters)
    activity = found[team.pk, quarter]
    trend = [found[team.pk, q] for q in trend_quarters]
    settings = planning_settings(team)
    return render(
        request,
        "dashboard/team.html",
        {
            "team": team,
            "quarter": quarter,
            "activity": activity,
            "rating": rag.rate(activity, settings),
            "settings": settings,
            "trend": trend,
            "trend_chart": charts.trend_chart(trend),
            "clinicians_chart": charts.clinicians_chart(activity),
            "waits_chart": charts.waits_chart(activity, settings),
            "can_see_people": True,
            **_neighbours(quarter),
        },
    )


@login_required
@require_GET
def clinician(request: HttpRequest, team_id: int, clinician_id: int) -> HttpResponse:
    team, person = access.get_plan_owner_for_user(request.user, team_id, clinician_id)
    quarter = _quarter(request, team)
    trend_quarters = quarterly.last_quarters(quarter, TREND_QUARTERS)
    found = summary.activities([team], trend_quarters)
    trend = []
    for q in trend_quarters:
        mine = next((row for row in found[team.pk, q].clinicians if row.clinician.pk == person.pk), None)
        trend.append((q, mine))
    this = trend[-1][1]
    return render(
        request,
        "dashboard/clinician.html",
        {
            "team": team,
            "person": person,
            "quarter": quarter,
            "mine": this,
            "trend": trend,
            "trend_chart": charts.clinician_trend_chart(person, trend),
            **_neighbours(quarter),
        },
    )


@login_required
@require_GET
def team_slots(request: HttpRequest, team_id: int) -> HttpResponse:
    """The first Core slots behind one figure of a team's (or a clinician's) quarter."""
    team = access.get_team_for_capacity(request.user, team_id)
    quarter = _quarter(request, team)
    what = request.GET.get("what", "offered")
    if what not in rows_behind.SLOT_MEASURES:
        raise Http404("No such figure.")
    person = None
    raw = request.GET.get("clinician", "")
    if raw:
        from capa.ids import is_id

        if not is_id(raw):
            raise Http404("No such clinician.")
        person = access.get_clinician_in_team(team, int(raw))
    slots = rows_behind.slots_behind(team, quarter, what, clinician=person)
    return render(
        request,
        "dashboard/slots.html",
        {
            "team": team,
            "quarter": quarter,
            "what": what,
            "what_label": rows_behind.SLOT_MEASURES[what],
            "person": person,
            "slots": slots,
        },
    )


@login_required
@require_GET
def team_waits(request: HttpRequest, team_id: int) -> HttpResponse:
    """The families behind a team's waits in a quarter, longest first."""
    team = access.get_team_for_capacity(request.user, team_id)
    quarter = _quarter(request, team)
    wait = request.GET.get("wait", "referral_to_choice")
    if wait not in rows_behind.WAITS:
        raise Http404("No such wait.")
    return render(
        request,
        "dashboard/waits.html",
        {
            "team": team,
            "quarter": quarter,
            "wait": wait,
            "wait_label": rows_behind.WAITS[wait],
            "families": rows_behind.waits_behind(team, quarter, wait),
            "settings": planning_settings(team),
        },
    )


@login_required
@require_GET
def team_cases(request: HttpRequest, team_id: int) -> HttpResponse:
    """The families behind a count of a team's quarter (accepted, new Core Partnerships...)."""
    team = access.get_team_for_capacity(request.user, team_id)
    quarter = _quarter(request, team)
    what = request.GET.get("what", "accepted")
    if what not in rows_behind.CASE_MEASURES:
        raise Http404("No such figure.")
    return render(
        request,
        "dashboard/cases.html",
        {
            "team": team,
            "quarter": quarter,
            "what_label": rows_behind.CASE_MEASURES[what],
            "cases": rows_behind.cases_behind(team, quarter, what),
        },
    )
