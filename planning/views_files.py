"""Job plans in and out of spreadsheets: the import page and the Excel and CSV downloads.

Each view: access, form, one domain call, response. The rules are in `planning.imports` and
`planning.exports`.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from accounts import access
from accounts.forms import NHSFormMixin
from planning import exports, imports
from planning.quarters import Quarter


class PlansImportForm(NHSFormMixin, forms.Form):
    file = forms.FileField(
        label="Upload a file of job plans",
        help_text="A CSV file (UTF-8) or an Excel workbook (.xlsx) of 2 MB at most, with one row for "
        "each clinician.",
        error_messages={
            "required": "Choose a CSV file or an Excel workbook of job plans.",
            "empty": imports.MESSAGES["empty"],
        },
        widget=forms.FileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    agree = forms.BooleanField(
        required=False,
        label="Agree the imported plans",
        help_text="Each plan is put in force from its quarter, replacing a plan agreed before for the "
        "same quarter. Leave this unticked to save them as drafts, to agree one by one.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def plans_import(request: HttpRequest, team_id: int) -> HttpResponse:
    team = access.get_team_for_job_planning(request.user, team_id)
    form = PlansImportForm(request.POST, request.FILES) if request.method == "POST" else PlansImportForm()
    if request.method == "POST" and form.is_valid():
        try:
            result = imports.import_plans(
                team=team,
                uploaded_file=form.cleaned_data["file"],
                agree=form.cleaned_data["agree"],
                by=request.user,
            )
        except imports.ImportProblems as problems:
            for error in problems.errors:
                form.add_error("file", error)
        else:
            messages.success(request, result.message)
            return redirect("planning:team-capacity", team_id=team.pk)
    return render(
        request,
        "planning/plans_import.html",
        {"form": form, "team": team, "columns": imports.column_guide(team)},
    )


@login_required
@require_http_methods(["GET"])
def plans_export(request: HttpRequest, team_id: int, file_format: str) -> HttpResponse:
    team = access.get_team_for_capacity(request.user, team_id)
    if file_format not in exports.FORMATS:
        raise Http404("Plans download as xlsx or csv.")
    start_month = team.organisation.financial_year_start_month
    label = request.GET.get("quarter")
    try:
        quarter = (
            Quarter.parse(label, start_month=start_month)
            if label
            else Quarter.containing(timezone.localdate(), start_month=start_month)
        )
    except ValueError:
        return HttpResponseBadRequest(
            f'"{label}" is not a quarter. Name the quarter like 2027-Q1.',
            content_type="text/plain; charset=utf-8",
        )
    exported = exports.export_plans(team=team, quarter=quarter, file_format=file_format, by=request.user)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = content_disposition_header(True, exported.filename)
    response["Cache-Control"] = "private, no-store"  # people's names and hours: keep no copies
    return response
