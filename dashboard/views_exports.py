"""Downloads of the dashboards' tables: CSV (one table) or an Excel workbook (all tables)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from accounts import access
from dashboard import exports
from planning.quarters import Quarter


def _quarter(request: HttpRequest, start_month: int) -> Quarter | HttpResponse:
    label = request.GET.get("quarter")
    try:
        if label:
            return Quarter.parse(label, start_month=start_month)
        return Quarter.containing(timezone.localdate(), start_month=start_month)
    except ValueError:
        return HttpResponseBadRequest(
            "Not a quarter. Name the quarter like 2027-Q1.", content_type="text/plain; charset=utf-8"
        )


def _respond(request, tables, cover, file_format: str, stem: str) -> HttpResponse:
    if file_format == "csv":
        name = request.GET.get("table") or tables[0].name
        chosen = next((t for t in tables if t.name == name.lower()), None)
        if chosen is None:
            raise Http404("No such table.")
        content, filename = exports.csv_bytes(chosen), f"{stem}-{chosen.name}.csv"
    else:
        content, filename = exports.workbook_bytes(tables, cover), f"{stem}.xlsx"
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def organisation_export(request: HttpRequest, format: str) -> HttpResponse:  # noqa: A002
    teams = list(access.get_organisation_teams_for_admin(request.user).select_related("organisation"))
    if format not in exports.CONTENT_TYPES:
        raise Http404("Dashboards download as xlsx or csv.")
    organisation = teams[0].organisation if teams else None
    start_month = organisation.financial_year_start_month if organisation else 4
    quarter = _quarter(request, start_month)
    if isinstance(quarter, HttpResponse):
        return quarter
    tables = exports.organisation_tables(teams, quarter)
    scope = organisation.name if organisation else "Organisation"
    cover = exports.Cover(
        title="Organisation dashboard",
        scope=scope,
        quarter=quarter,
        by=str(request.user),
        now=timezone.now(),
        filters=[("Teams", str(len(teams)))],
    )
    return _respond(request, tables, cover, format, f"capa-{slugify(scope)}-{quarter.label}")


@login_required
@require_GET
def team_export(request: HttpRequest, team_id: int, format: str) -> HttpResponse:  # noqa: A002
    team = access.get_team_for_capacity(request.user, team_id)
    if format not in exports.CONTENT_TYPES:
        raise Http404("Dashboards download as xlsx or csv.")
    quarter = _quarter(request, team.organisation.financial_year_start_month)
    if isinstance(quarter, HttpResponse):
        return quarter
    tables = exports.team_tables(team, quarter)
    cover = exports.Cover(
        title="Team dashboard",
        scope=f"{team.name} ({team.organisation.name})",
        quarter=quarter,
        by=str(request.user),
        now=timezone.now(),
        filters=[("Trend", "last 8 quarters")],
    )
    return _respond(request, tables, cover, format, f"capa-{slugify(team.name)}-{quarter.label}")
