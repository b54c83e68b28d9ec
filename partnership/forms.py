from __future__ import annotations

from django import forms
from django.utils import timezone

from accounts.forms import NHSFormMixin
from capa.widgets import NHSDateInput, UKDateField


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("choice_date", timezone.localdate())

    def clean_child_date_of_birth(self):
        born = self.cleaned_data["child_date_of_birth"]
        if born and born > timezone.localdate():
            raise forms.ValidationError("The date of birth must be in the past", code="future")
        if born and born.year < 1990:
            raise forms.ValidationError(
                "Check the date of birth: CAMHS sees children and young people", code="old"
            )
        return born
