"""Who works with a case: a Specific worker from a stream's next-up rota (a lead may override it,
with a reason), a second Core clinician, a new key worker; and recording a review. Also a
stream's rota page: who is next, and the recent picks with who was skipped and why.

The team's people and admins read; its clinicians and leads write (admins see, clinicians act);
only the team's leads override the rota (403 for anyone else).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts import access
from accounts.forms import NHSFormMixin
from accounts.models import Role, User
from capa.widgets import UKDateField
from partnership import reviews, rota
from partnership.cases import CaseError
from partnership.models import Case, CaseState
from planning import queries as planning_queries
from planning.models import Allocation, SpecificStream

NOTES_LENGTH = 5000


class ClinicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


def _team_clinicians(team):
    return User.objects.filter(
        pk__in=User.objects.filter(
            memberships__team=team,
            memberships__role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
            clinician_profile__isnull=False,
        ).values("pk")
    ).order_by("last_name", "first_name", "pk")


class SpecificWorkerForm(NHSFormMixin, forms.Form):
    stream = forms.ModelChoiceField(
        label="Specific stream",
        queryset=SpecificStream.objects.none(),
        empty_label="Choose",
        error_messages={
            "required": "Choose the Specific stream",
            "invalid_choice": "Choose one of the team's Specific streams with a rota.",
        },
    )
    override_to = ClinicianChoiceField(
        label="Override the rota: give the case to",
        required=False,
        queryset=User.objects.none(),
        empty_label="Nobody: take who is next",
        help_text="Leads only. Leave it to take who the rota says is next.",
        error_messages={"invalid_choice": "Choose a clinician of the team."},
    )
    override_reason = forms.CharField(
        label="Why you are overriding the rota",
        required=False,
        max_length=200,
        error_messages={"max_length": "Keep the reason to 200 characters or fewer."},
    )

    def __init__(self, *args, case: Case, may_override: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stream"].queryset = SpecificStream.objects.filter(
            team_id=case.team_id, is_active=True, allocation=Allocation.ROTA
        )
        if case.specific_stream_id:
            self.initial.setdefault("stream", case.specific_stream_id)
        self.fields["override_to"].queryset = _team_clinicians(case.team)
        if not may_override:
            self.fields["override_to"].widget = forms.HiddenInput()
            self.fields["override_reason"].widget = forms.HiddenInput()


class ClinicianForm(NHSFormMixin, forms.Form):
    clinician = ClinicianChoiceField(
        label="Clinician",
        queryset=User.objects.none(),
        empty_label="Choose",
        error_messages={
            "required": "Choose a clinician",
            "invalid_choice": "Choose a clinician of the team.",
        },
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = _team_clinicians(case.team)


class ReviewForm(NHSFormMixin, forms.Form):
    held_on = UKDateField(
        label="Held on",
        help_text="For example, 17 11 2026",
        error_messages={"required": "Enter the day the review was held"},
    )
    notes = forms.CharField(
        label="What was reviewed",
        required=False,
        max_length=NOTES_LENGTH,
        help_text="Progress against the goals, what changes, outcome scores taken.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    next_review_on = UKDateField(
        label="Next review (optional)",
        required=False,
        help_text="For example, 12 1 2027",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("held_on", timezone.localdate())


def _case(team, case_id: int) -> Case:
    return get_object_or_404(
        Case.objects.select_related("team__organisation", "specific_stream"), pk=case_id, team=team
    )


def _workers_url(case: Case) -> str:
    return reverse("partnership:case-detail", args=[case.team_id, case.pk]) + "#workers"


def _add_problem(form: forms.Form, problem: CaseError) -> None:
    form.add_error(problem.field if problem.field in form.fields else None, problem.message)


def _status(form: forms.Form) -> int:
    return 400 if form.is_bound and form.errors else 200


@login_required
@require_GET
def rota_detail(request: HttpRequest, team_id: int, stream_id: int) -> HttpResponse:
    """A stream's next-up rota: who is next today, everyone in turn with why they are skipped, and
    the recent picks."""
    team = access.get_team_for_diary(request.user, team_id)
    stream = get_object_or_404(
        SpecificStream.objects.select_related("team__organisation"), pk=stream_id, team=team
    )
    return render(
        request,
        "partnership/rota_detail.html",
        {
            "team": team,
            "stream": stream,
            "choice": rota.next_up(stream, timezone.localdate()),
            "picks": rota.recent_picks(stream),
            "is_rota": stream.allocation == Allocation.ROTA,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def specific_worker(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    """A Specific worker joins the case from the stream's next-up rota (leads may override)."""
    team = access.get_team_for_booking(request.user, team_id)
    case = _case(team, case_id)
    may_override = access.leads_team(request.user, team)
    form = SpecificWorkerForm(
        request.POST if request.method == "POST" else None, case=case, may_override=may_override
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["override_to"] is not None and not may_override:
            raise PermissionDenied(rota.MESSAGES["lead_only"])
        try:
            pick = rota.assign_from_rota(
                case, data["stream"], request.user, data["override_to"], data["override_reason"]
            )
        except CaseError as problem:
            _add_problem(form, problem)
        else:
            messages.success(request, f"{pick.picked.get_full_name()} joins as the {pick.stream} worker.")
            return redirect(_workers_url(case))
    stream = form.cleaned_data.get("stream") if form.is_bound and hasattr(form, "cleaned_data") else None
    stream = stream or case.specific_stream
    choice = (
        rota.next_up(stream, timezone.localdate(), case=case)
        if stream is not None and stream.team_id == team.pk and stream.is_active
        else None
    )
    return render(
        request,
        "partnership/worker_specific.html",
        {
            "team": team,
            "case": case,
            "form": form,
            "choice": choice,
            "may_override": may_override,
            "may_join": case.state in (CaseState.AWAITING_SPECIFIC, CaseState.IN_PARTNERSHIP),
        },
        status=_status(form),
    )


def _clinician_page(request, team_id: int, case_id: int, *, act, template: str, done: str) -> HttpResponse:
    team = access.get_team_for_booking(request.user, team_id)
    case = _case(team, case_id)
    form = ClinicianForm(request.POST if request.method == "POST" else None, case=case)
    if request.method == "POST" and form.is_valid():
        clinician = form.cleaned_data["clinician"]
        try:
            act(case, clinician, request.user)
        except CaseError as problem:
            _add_problem(form, problem)
        else:
            messages.success(request, done.format(clinician=clinician.get_full_name()))
            return redirect(_workers_url(case))
    return render(
        request,
        template,
        {
            "team": team,
            "case": case,
            "form": form,
            "workers": case.workers.filter(left_on__isnull=True).select_related(
                "clinician", "specific_stream"
            ),
        },
        status=_status(form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def co_worker(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    """A second Core clinician joins the case (it counts towards their new Core Partnerships)."""
    return _clinician_page(
        request,
        team_id,
        case_id,
        act=rota.add_core_coworker,
        template="partnership/worker_co_worker.html",
        done="{clinician} joins as a Core co-worker.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def key_worker(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    """The case's key worker changes."""
    return _clinician_page(
        request,
        team_id,
        case_id,
        act=rota.change_key_worker,
        template="partnership/worker_key_worker.html",
        done="{clinician} is now the key worker.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_new(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    """Record a review of the case's goals."""
    team = access.get_team_for_booking(request.user, team_id)
    case = _case(team, case_id)
    form = ReviewForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reviews.record_review(case=case, **form.cleaned_data, by=request.user)
        except CaseError as problem:
            _add_problem(form, problem)
        else:
            messages.success(request, "Recorded: the review.")
            return redirect(_workers_url(case))
    settings = planning_queries.planning_settings(team)
    return render(
        request,
        "partnership/review_new.html",
        {
            "team": team,
            "case": case,
            "form": form,
            "state": reviews.review_states([case], settings)[case.pk],
            "in_partnership": case.state == CaseState.IN_PARTNERSHIP,
        },
        status=_status(form),
    )
