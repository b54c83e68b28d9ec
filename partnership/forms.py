from __future__ import annotations

from django import forms
from django.utils import timezone

from accounts.forms import NHSFormMixin
from capa.widgets import NHSDateInput, UKDateField
from partnership import cases
from partnership.models import Case, ChoiceOutcome, StepKind
from planning.models import SpecificStream


class CaseForm(NHSFormMixin, forms.Form):
    """The minimum to book a family's first Core appointment at the end of Choice."""

    family_reference = forms.CharField(
        label="Family reference",
        max_length=40,
        help_text="The team's reference for the family, for example their record number.",
        error_messages={"required": "Enter the family reference"},
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "spellcheck": "false"}),
    )
    child_first_name = forms.CharField(
        label="Child's first name",
        max_length=100,
        error_messages={"required": "Enter the child's first name"},
    )
    child_last_name = forms.CharField(
        label="Child's last name", max_length=100, error_messages={"required": "Enter the child's last name"}
    )
    child_date_of_birth = UKDateField(
        label="Child's date of birth",
        help_text="For example, 17 5 2014",
        widget=NHSDateInput(autocomplete="bday"),
        error_messages={"required": "Enter the child's date of birth"},
    )
    referral_date = UKDateField(
        label="Referral date",
        help_text="For example, 4 1 2027",
        error_messages={"required": "Enter the referral date"},
    )
    choice_date = UKDateField(
        label="Choice date", help_text="Today, if the family is with you now.", required=False
    )
    nhs_number = forms.CharField(
        label="NHS number (optional)",
        required=False,
        max_length=14,
        help_text="10 digits, for example 485 777 3456",
        widget=forms.TextInput(
            attrs={"class": "nhsuk-input--width-10", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("choice_date", timezone.localdate())

    def clean_nhs_number(self):
        number = "".join(self.cleaned_data.get("nhs_number", "").split())
        if number and not cases.nhs_number_is_valid(number):
            raise forms.ValidationError(cases.MESSAGES["nhs_number"], code="nhs_number")
        return number

    def clean_child_date_of_birth(self):
        born = self.cleaned_data["child_date_of_birth"]
        if born and born > timezone.localdate():
            raise forms.ValidationError("The date of birth must be in the past", code="future")
        if born and born.year < 1990:
            raise forms.ValidationError(
                "Check the date of birth: CAMHS sees children and young people", code="old"
            )
        return born


class ReferralForm(CaseForm):
    """A new referral, before it is screened: who referred, and the family."""

    choice_date = None
    referrer = forms.CharField(
        label="Referred by", required=False, max_length=200, help_text="For example, GP at Riverside Surgery"
    )
    field_order = [
        "family_reference",
        "child_first_name",
        "child_last_name",
        "child_date_of_birth",
        "nhs_number",
        "referral_date",
        "referrer",
    ]

    def __init__(self, *args, **kwargs):
        forms.Form.__init__(self, *args, **kwargs)
        from crispy_forms.helper import FormHelper

        self.helper = FormHelper(self)
        self.helper.form_tag = False


class StepForm(NHSFormMixin, forms.Form):
    """Record what happened to a family: one step of the journey the case may take now."""

    kind = forms.ChoiceField(
        label="What happened", widget=forms.RadioSelect, error_messages={"required": "Choose what happened"}
    )
    on = UKDateField(
        label="On", help_text="For example, 17 11 2026", error_messages={"required": "Enter the date"}
    )
    detail = forms.CharField(
        label="Reason or notes",
        required=False,
        max_length=200,
        help_text="Needed when a referral is not accepted and for Let Go.",
        widget=forms.TextInput(),
    )
    outcome = forms.ChoiceField(
        label="Closed at Choice because",
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (ChoiceOutcome.NO_FURTHER_HELP, ChoiceOutcome.NO_FURTHER_HELP.label),
            (ChoiceOutcome.ANOTHER_AGENCY, ChoiceOutcome.ANOTHER_AGENCY.label),
        ],
    )
    agency = forms.CharField(label="Which agency", required=False, max_length=200)
    goals = forms.CharField(
        label="Goals agreed at Choice",
        required=False,
        max_length=2000,
        help_text="The family's goals, one a line: the care plan letter starts from them.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    stream = forms.ModelChoiceField(
        label="Specific stream", required=False, queryset=SpecificStream.objects.none(), empty_label="Choose"
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = [
            k
            for k in cases.next_steps(case.state)
            if k in cases.RECORDED_ON_THE_CASE and k != StepKind.RE_REFER
        ]
        self.fields["kind"].choices = [(k, StepKind(k).label) for k in allowed]
        self.fields["stream"].queryset = SpecificStream.objects.filter(team_id=case.team_id, is_active=True)
        self.initial.setdefault("on", timezone.localdate())

    def facts(self) -> cases.Facts:
        data = self.cleaned_data
        return cases.Facts(
            detail=data.get("detail") or "",
            outcome=data.get("outcome") or "",
            agency=data.get("agency") or "",
            stream=data.get("stream"),
            goals=data.get("goals") or "",
        )
