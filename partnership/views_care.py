"""A case's care pages: writing the care plan letter, the letter to print or as a PDF, marking it
sent, and recording an outcome score. The team's people and admins read; its clinicians and leads
write (admins see, clinicians act). Every view of a letter is logged as a view of the child's record.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from accounts.forms import NHSFormMixin
from capa.widgets import UKDateField
from partnership import cases, letters, measures
from partnership.models import CarePlanLetter, Case, CaseState, MeasurePoint, OutcomeMeasure

TEXT_LENGTH = 5000


class LetterForm(NHSFormMixin, forms.Form):
    """The care plan letter: what was agreed at the first Core appointment, and who it goes to."""

    goals = forms.CharField(
        label="Goals",
        required=False,
        max_length=TEXT_LENGTH,
        help_text="The goals agreed at Choice, reviewed with the family. Left empty, the Choice goals.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    formulation = forms.CharField(
        label="Formulation",
        max_length=TEXT_LENGTH,
        help_text="Your shared understanding of what is happening and what keeps it going.",
        error_messages={"required": "Write the formulation."},
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    risk_plan = forms.CharField(
        label="Risk plan",
        max_length=TEXT_LENGTH,
        help_text="What to do and whom to contact if things get worse.",
        error_messages={"required": "Write the risk plan, even if it says there is no current risk."},
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    review_on = UKDateField(
        label="Review date",
        help_text="When you will review the goals together, for example 10 5 2027",
        error_messages={"required": "Enter the review date"},
    )
    to_family = forms.BooleanField(label="Send to the family", required=False)
    to_referrer = forms.BooleanField(label="Send to the referrer", required=False)
    network = forms.CharField(
        label="The agreed network",
        required=False,
        max_length=TEXT_LENGTH,
        help_text="Anyone else the family agreed should have it (school, GP, social worker), one a line.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("goals", case.goals)
        self.initial.setdefault("to_family", True)
        self.initial.setdefault("to_referrer", True)
        if case.referrer:
            self.fields["to_referrer"].label = f"Send to the referrer ({case.referrer})"
        if case.state != CaseState.IN_PARTNERSHIP:  # the page explains why, with no fields to link to
            self.non_field_errors_link = "#maincontent"


class ScoreForm(NHSFormMixin, forms.Form):
    """One outcome score for a case: which measure, when in the episode, the score and its date."""

    measure = forms.ModelChoiceField(
        label="Measure",
        queryset=OutcomeMeasure.objects.none(),
        empty_label="Choose",
        error_messages={
            "required": "Choose the measure",
            "invalid_choice": "Choose one of the measures your organisation uses.",
        },
    )
    point = forms.ChoiceField(
        label="When in the episode",
        choices=MeasurePoint.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose start, review or end",
            "invalid_choice": "Choose start, review or end",
        },
    )
    score = forms.DecimalField(
        label="Score",
        max_digits=6,
        decimal_places=1,
        error_messages={
            "required": "Enter the score",
            "invalid": "Enter the score as a number, like 45 or 7.5",
        },
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-5", "inputmode": "decimal"}),
    )
    scored_on = UKDateField(
        label="Scored on",
        help_text="For example, 17 11 2026",
        error_messages={"required": "Enter the date it was scored"},
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        active = OutcomeMeasure.objects.filter(organisation_id=case.team.organisation_id, is_active=True)
        self.fields["measure"].queryset = active
        self.fields["measure"].label_from_instance = lambda measure: (
            f"{measure.name} ({measures.as_number(measure.lowest)} to {measures.as_number(measure.highest)}, "
            f"{'higher' if measure.higher_is_better else 'lower'} is better)"
        )
        self.initial.setdefault("scored_on", timezone.localdate())


def _case(team, case_id: int) -> Case:
    return get_object_or_404(Case.objects.select_related("team__organisation"), pk=case_id, team=team)


def _letter(team, case_id: int, letter_id: int) -> CarePlanLetter:
    return get_object_or_404(
        CarePlanLetter.objects.select_related("case__team__organisation", "written_by", "sent_by"),
        pk=letter_id,
        case_id=case_id,
        case__team=team,
    )


def _care_url(case: Case) -> str:
    return reverse("partnership:case-detail", args=[case.team_id, case.pk]) + "#care"


def _add_problem(form: forms.Form, problem: cases.CaseError) -> None:
    form.add_error(problem.field if problem.field in form.fields else None, problem.message)


@login_required
@require_http_methods(["GET", "POST"])
def letter_new(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    """Write the care plan letter after the family's first Core appointment."""
    team = access.get_team_for_booking(request.user, team_id)
    case = _case(team, case_id)
    form = LetterForm(request.POST if request.method == "POST" else None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            letter = letters.write_letter(case=case, **form.cleaned_data, by=request.user)
        except cases.CaseError as problem:
            _add_problem(form, problem)
        else:
            messages.success(
                request, "The care plan letter is written. Print it or download the PDF to send."
            )
            return redirect(
                "partnership:letter-detail", team_id=team.pk, case_id=case.pk, letter_id=letter.pk
            )
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "partnership/letter_new.html",
        {
            "team": team,
            "case": case,
            "form": form,
            "in_partnership": case.state == CaseState.IN_PARTNERSHIP,
        },
        status=status,
    )


@login_required
@require_GET
def letter_detail(request: HttpRequest, team_id: int, case_id: int, letter_id: int) -> HttpResponse:
    """The letter to print (or save as a PDF), with marking it sent."""
    team = access.get_team_for_diary(request.user, team_id)
    letter = _letter(team, case_id, letter_id)
    return _letter_page(request, team, letter)


def _letter_page(request, team, letter, *, problem: str = "", status: int = 200) -> HttpResponse:
    cases.record_view(case=letter.case, by=request.user, what="care plan letter")
    return render(
        request,
        "partnership/letter_detail.html",
        {
            "team": team,
            "case": letter.case,
            "letter": letter,
            "recipients": letters.recipients(letter),
            "sent_to": letters.network_lines(letter.sent_to),
            "can_book": access.belongs_to_team(request.user, team),
            "problem": problem,
        },
        status=status,
    )


@login_required
@require_GET
def letter_pdf(request: HttpRequest, team_id: int, case_id: int, letter_id: int) -> HttpResponse:
    team = access.get_team_for_diary(request.user, team_id)
    letter = _letter(team, case_id, letter_id)
    cases.record_view(case=letter.case, by=request.user, what="care plan letter PDF")
    response = HttpResponse(letters.letter_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="care-plan-letter-{letter.case.pk}-{letter.pk}.pdf"'
    return response


@login_required
@require_POST
def letter_sent(request: HttpRequest, team_id: int, case_id: int, letter_id: int) -> HttpResponse:
    """Record that the letter went out today, to its recipients as they stand."""
    team = access.get_team_for_booking(request.user, team_id)
    letter = _letter(team, case_id, letter_id)
    try:
        letters.mark_sent(letter=letter, by=request.user)
    except cases.CaseError as problem:
        return _letter_page(request, team, letter, problem=problem.message, status=400)
    messages.success(request, "Recorded: the care plan letter was sent.")
    return redirect(_care_url(letter.case))


@login_required
@require_http_methods(["GET", "POST"])
def score_new(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    """Record an outcome score (SDQ, C-GAS, ...) at the start, a review or the end."""
    team = access.get_team_for_booking(request.user, team_id)
    case = _case(team, case_id)
    if not OutcomeMeasure.objects.filter(organisation_id=team.organisation_id).exists():
        measures.ensure_default_measures(team.organisation)
    form = ScoreForm(request.POST if request.method == "POST" else None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            score = measures.record_score(case=case, **form.cleaned_data, by=request.user)
        except cases.CaseError as problem:
            _add_problem(form, problem)
        else:
            messages.success(request, f"Recorded: {score.measure} {score.get_point_display().lower()} score.")
            return redirect(_care_url(case))
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "partnership/score_new.html",
        {"team": team, "case": case, "form": form, "changes": measures.score_changes(case)},
        status=status,
    )
