"""The NHS.UK crispy-forms template pack renders each kind of field in NHS.UK markup, with hints and
errors tied to their inputs, and an error summary whose links land on real inputs. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone
from django.utils.dateformat import format as django_format
from hypothesis import given
from hypothesis import strategies as st

from capa.templatetags.nhsuk import UK_DATE, UK_TIME, error_summary, hours, uk_date, uk_datetime, uk_time
from capa.widgets import NHSDateInput, UKDateField


class EveryKindOfField(forms.Form):
    name = forms.CharField(
        help_text="As it appears in the clinical record",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    hours = forms.DecimalField(min_value=0, max_value=60, help_text="Full time is 37.5 hours")
    sessions = forms.IntegerField(widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-2"}))
    profession = forms.ChoiceField(
        choices=[("", "Choose a profession"), ("nurse", "Nurse"), ("psychologist", "Psychologist")]
    )
    nation = forms.ChoiceField(
        widget=forms.RadioSelect,
        choices=[("ENG", "England"), ("WLS", "Wales")],
        help_text="For bank holidays",
    )
    skills = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, choices=[("emdr", "EMDR"), ("dbt", "DBT")], required=False
    )
    active = forms.BooleanField(label="This venue takes new slots", required=False)
    notes = forms.CharField(widget=forms.Textarea, required=False)
    starts_on = UKDateField(label="Start date", help_text="For example, 15 3 2027")
    born_on = UKDateField(label="Date of birth", required=False, widget=NHSDateInput(autocomplete="bday"))
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_tag = False


VALID = {
    "name": "Ann Other",
    "email": "ann.other@nhs.net",
    "password": "correct horse",
    "hours": "37.5",
    "sessions": "3",
    "profession": "nurse",
    "nation": "WLS",
    "skills": ["dbt"],
    "active": "on",
    "starts_on_day": "15",
    "starts_on_month": "3",
    "starts_on_year": "2027",
}


class Elements(HTMLParser):
    """Every start tag of a page as (tag, attributes), to ask about ids, classes and labels."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def by_id(self, element_id: str) -> tuple[str, dict[str, str]]:
        found = [(tag, attrs) for tag, attrs in self.elements if attrs.get("id") == element_id]
        assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
        return found[0]

    def ids(self) -> set[str]:
        return {attrs["id"] for _, attrs in self.elements if "id" in attrs}

    def labels_for(self) -> set[str]:
        return {attrs["for"] for tag, attrs in self.elements if tag == "label" and "for" in attrs}

    def classes(self, element_id: str) -> set[str]:
        return set(self.by_id(element_id)[1].get("class", "").split())


def typed_date(parts: tuple[str, str, str]) -> dict[str, str]:
    return {f"starts_on_{part}": typed for part, typed in zip(("day", "month", "year"), parts, strict=True)}


def render(form) -> str:
    return Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form}))


def test_a_fresh_form_renders_every_kind_of_field_in_nhs_markup():
    html = render(EveryKindOfField())
    page = Elements(html)

    assert '<label class="nhsuk-label" for="id_name">Name</label>' in html
    assert '<div class="nhsuk-hint" id="id_name-hint">As it appears in the clinical record</div>' in html
    assert page.classes("id_name") == {"nhsuk-input"}
    name = page.by_id("id_name")[1]
    assert name["aria-describedby"] == "id_name-hint"
    assert name["autocomplete"] == "name"
    assert page.by_id("id_email")[1]["type"] == "email"
    assert page.by_id("id_password")[1]["autocomplete"] == "current-password"
    assert page.by_id("id_password")[1]["type"] == "password"
    # Never type="number": a text box with a numeric keyboard, the widget's width class kept.
    hours_input = page.by_id("id_hours")[1]
    assert (hours_input["type"], hours_input["inputmode"]) == ("text", "decimal")
    assert "min" not in hours_input
    assert page.by_id("id_sessions")[1]["inputmode"] == "numeric"
    assert page.classes("id_sessions") == {"nhsuk-input", "nhsuk-input--width-2"}
    assert page.by_id("id_profession")[0] == "select"
    assert page.classes("id_profession") == {"nhsuk-select"}
    assert page.classes("id_notes") == {"nhsuk-textarea"}

    # Radios and checkboxes: a fieldset and legend, each option an NHS item with its own label.
    assert '<legend class="nhsuk-fieldset__legend">Nation</legend>' in html
    assert '<fieldset class="nhsuk-fieldset" aria-describedby="id_nation-hint">' in html
    assert '<div class="nhsuk-radios" data-module="nhsuk-radios">' in html
    assert page.classes("id_nation_0") == {"nhsuk-radios__input"}
    wales = page.by_id("id_nation_1")[1]
    assert (wales["name"], wales["type"], wales["value"]) == ("nation", "radio", "WLS")
    assert '<div class="nhsuk-checkboxes" data-module="nhsuk-checkboxes">' in html
    assert page.by_id("id_skills_1")[1]["type"] == "checkbox"
    assert page.classes("id_active") == {"nhsuk-checkboxes__input"}
    assert {"id_nation_0", "id_nation_1", "id_skills_0", "id_skills_1", "id_active"} <= page.labels_for()

    # The date: a fieldset with role="group", three labelled boxes with a numeric keyboard.
    assert '<fieldset class="nhsuk-fieldset" role="group" aria-describedby="id_starts_on-hint">' in html
    assert '<legend class="nhsuk-fieldset__legend">Start date</legend>' in html
    for part, width in (("day", "2"), ("month", "2"), ("year", "4")):
        tag, attrs = page.by_id(f"id_starts_on_{part}")
        assert (tag, attrs["name"], attrs["inputmode"]) == ("input", f"starts_on_{part}", "numeric")
        assert page.classes(f"id_starts_on_{part}") == {
            "nhsuk-input",
            "nhsuk-date-input__input",
            f"nhsuk-input--width-{width}",
        }
        assert f"id_starts_on_{part}" in page.labels_for()
        assert page.by_id(f"id_born_on_{part}")[1]["autocomplete"] == f"bday-{part}"
    assert html.count('class="nhsuk-label nhsuk-date-input__label"') == 6

    assert page.by_id("id_token")[1]["type"] == "hidden"
    assert "nhsuk-error-message" not in html
    assert "nhsuk-form-group--error" not in html
    assert all(label in page.ids() for label in page.labels_for())


def test_an_invalid_form_shows_each_error_by_its_field_and_links_the_summary_to_the_inputs():
    form = EveryKindOfField(
        data={
            **VALID,
            "name": "",
            "hours": "-3",
            "profession": "",
            "nation": "",
            "starts_on_day": "31",
            "starts_on_month": "2",
            "born_on_day": "4",
        }
    )
    assert not form.is_valid()
    html = render(form)
    page = Elements(html)

    assert html.count('<div class="nhsuk-form-group nhsuk-form-group--error"') == 6
    # Each field's group has an id, so that a page can swap it alone (the diary search's filters).
    assert '<div class="nhsuk-form-group nhsuk-form-group--error" id="id_name-group">' in html
    assert (
        '<span class="nhsuk-error-message" id="id_name-error">'
        '<span class="nhsuk-u-visually-hidden">Error:</span> This field is required.</span>'
    ) in html
    assert page.by_id("id_name")[1]["aria-describedby"] == "id_name-hint id_name-error"
    assert page.by_id("id_name")[1]["aria-invalid"] == "true"
    assert "nhsuk-input--error" in page.classes("id_name")
    assert "nhsuk-input--error" in page.classes("id_hours")
    assert "nhsuk-select--error" in page.classes("id_profession")
    assert "nhsuk-input--error" not in page.classes("id_email")
    assert '<fieldset class="nhsuk-fieldset" aria-describedby="id_nation-hint id_nation-error">' in html

    # Only the wrong boxes of a date are marked: the day of 31 February, the missing month and year.
    assert "Date must be a real date" in html
    assert "Date must include a month and year" in html
    assert "nhsuk-input--error" in page.classes("id_starts_on_day")
    assert "nhsuk-input--error" not in page.classes("id_starts_on_month")
    assert "nhsuk-input--error" not in page.classes("id_born_on_day")
    assert "nhsuk-input--error" in page.classes("id_born_on_month")
    assert "nhsuk-input--error" in page.classes("id_born_on_year")

    summary = error_summary(form)["errors"]
    assert [href for _, href in summary] == [
        "#id_name",
        "#id_hours",
        "#id_profession",
        "#id_nation_0",
        "#id_starts_on_day",
        "#id_born_on_month",
    ]
    assert {href.removeprefix("#") for _, href in summary} <= page.ids()


def test_non_field_errors_are_in_the_summary_and_link_to_the_first_field():
    form = EveryKindOfField(data=VALID)
    assert form.is_valid()
    form.add_error(None, "That slot was just taken. Here are the next free ones.")
    form.add_error("token", "The page was out of date.")
    assert error_summary(form)["errors"] == [
        ("That slot was just taken. Here are the next free ones.", "#id_name"),
        ("The page was out of date.", "#id_name"),
    ]
    html = Template("{% load nhsuk %}{% error_summary form %}").render(Context({"form": form}))
    assert '<div class="nhsuk-error-summary" data-module="nhsuk-error-summary" tabindex="-1">' in html
    assert '<div role="alert">' in html
    assert '<h2 class="nhsuk-error-summary__heading">There is a problem</h2>' in html
    assert '<li><a href="#id_name">That slot was just taken. Here are the next free ones.</a></li>' in html
    assert (
        Template("{% load nhsuk %}{% error_summary form %}")
        .render(Context({"form": EveryKindOfField()}))
        .strip()
        == ""
    )


def test_the_error_summary_covers_every_form_of_a_formset():
    formset = forms.formset_factory(EveryKindOfField, extra=0)(
        data={
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "0",
            **{f"form-0-{key}": value for key, value in VALID.items()},
            **{f"form-1-{key}": value for key, value in VALID.items() if key != "name"},
        }
    )
    assert not formset.is_valid()
    assert error_summary(formset)["errors"] == [("This field is required.", "#id_form-1-name")]


def test_the_page_title_says_error_and_the_summary_is_an_alert_at_the_top_of_main():
    form = EveryKindOfField(data={})
    form.is_valid()
    page = render_to_string("accounts/login.html", {"form": form}, request=RequestFactory().get("/"))
    assert "<title>Error: Log in – capa – NHS</title>" in page
    main = page[page.index('<main class="nhsuk-main-wrapper" id="maincontent">') :]
    assert main.index('<div role="alert">') < main.index("<h1>Log in to capa</h1>")
    assert page.count("<h1") == 1

    fresh = render_to_string(
        "accounts/login.html", {"form": EveryKindOfField()}, request=RequestFactory().get("/")
    )
    assert "<title>Log in – capa – NHS</title>" in fresh
    assert "nhsuk-error-summary" not in fresh


def test_crispy_layouts_and_buttons_render_in_nhs_markup():
    form = EveryKindOfField()
    form.helper.form_tag = True
    form.helper.layout = Layout(Fieldset("About the clinician", "name", "hours"), "starts_on")
    form.helper.add_input(Submit("save", "Save"))
    html = render(form)
    assert '<form method="post" novalidate>' in html
    legend = '<legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">About the clinician</legend>'
    assert legend in html
    assert (
        '<button class="nhsuk-button" data-module="nhsuk-button" type="submit" name="save" value="Save"'
        ' id="submit-id-save">Save</button>'
    ) in html
    assert "btn" not in html
    assert 'id="id_starts_on_day"' in html
    assert 'id="id_email"' not in html


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("31", "2", "2027"), "Date must be a real date"),
        (("29", "2", "2027"), "Date must be a real date"),
        (("1", "13", "2027"), "Date must be a real date"),
        (("0", "1", "2027"), "Date must be a real date"),
        (("one", "2", "2027"), "Date must be a real date"),
        (("²", "2", "2027"), "Date must be a real date"),
        (("1", "2", "0000"), "Date must be a real date"),
        (("", "2", "2027"), "Date must include a day"),
        (("1", "", "2027"), "Date must include a month"),
        (("1", "", ""), "Date must include a month and year"),
        (("1", "2", "27"), "Year must include 4 numbers"),
        (("1", "2", "202"), "Year must include 4 numbers"),
        (("", "", ""), "Enter a date"),
    ],
)
def test_the_date_input_explains_what_is_wrong(parts, message):
    form = EveryKindOfField(data={**VALID, **typed_date(parts)})
    assert not form.is_valid()
    assert form.errors["starts_on"] == [message]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("29", "2", "2028"), date(2028, 2, 29)),
        ((" 1 ", "03", "2027"), date(2027, 3, 1)),
        (("1", "Sept", "2027"), date(2027, 9, 1)),
        (("14", "january", "2027"), date(2027, 1, 14)),
    ],
)
def test_a_real_date_is_accepted(parts, expected):
    form = EveryKindOfField(data={**VALID, **typed_date(parts)})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["starts_on"] == expected
    assert form.cleaned_data["born_on"] is None


def test_a_date_is_shown_again_in_its_three_boxes():
    page = Elements(render(EveryKindOfField(initial={"starts_on": date(2027, 3, 15)})))
    assert [page.by_id(f"id_starts_on_{part}")[1]["value"] for part in ("day", "month", "year")] == [
        "15",
        "3",
        "2027",
    ]
    typed = {**VALID, "starts_on_day": "31", "starts_on_month": "Feb", "starts_on_year": "2027"}
    page = Elements(render(EveryKindOfField(data=typed)))
    assert page.by_id("id_starts_on_month")[1]["value"] == "Feb"  # what the user typed, kept


def test_uk_dates_times_and_hours():
    winter = datetime(2027, 1, 14, 14, 30, tzinfo=UTC)
    summer = datetime(2027, 7, 14, 13, 30, tzinfo=UTC)  # 14:30 in London (BST)
    assert uk_date(date(2027, 1, 14)) == "Thu 14 Jan 2027"
    assert uk_datetime(winter) == "Thu 14 Jan 2027, 14:30"
    assert uk_time(summer) == "14:30"
    assert uk_date(None) == ""
    assert [hours(Decimal("37.50")), hours(Decimal("40.00")), hours(Decimal("7.25")), hours(None)] == [
        "37.5",
        "40",
        "7.25",
        "",
    ]


# Hypothesis takes naive bounds; London's offset before 1847 was not whole minutes, so from 1900.
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1),  # noqa: DTZ001
        max_value=datetime(2200, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
)
def test_uk_dates_and_times_are_what_django_would_write_in_london(moment):
    """The filters write the text out themselves (for speed): the same as Django's own date format
    of the London time, on both sides of every clock change."""
    london = timezone.localtime(moment)
    assert uk_date(moment) == django_format(london, UK_DATE)
    assert uk_time(moment) == django_format(london, UK_TIME)
    assert uk_date(london.date()) == django_format(london.date(), UK_DATE)


@pytest.mark.parametrize("widget_class", [forms.Select, forms.SelectMultiple])
def test_select_boxes_write_the_same_html_as_djangos_own_templates(widget_class):
    """templates/django/forms/widgets/select.html writes its options in place (for speed): the same
    options, groups, selection and attributes as Django's own select and option templates."""
    from django.forms.renderers import DjangoTemplates, TemplatesSetting
    from django.test.html import parse_html

    choices = [
        ("", "Anyone"),
        ("Core", [(1, "Pat O'Neill"), (2, "Sam <Smith>")]),
        (3, "Alex Jones"),
    ]
    widget = widget_class(choices=choices, attrs={"class": "nhsuk-select", "disabled": True})
    value = [2, 3] if widget_class is forms.SelectMultiple else 2
    ours = widget.render("clinician", value, attrs={"id": "id_clinician"}, renderer=TemplatesSetting())
    djangos = widget.render("clinician", value, attrs={"id": "id_clinician"}, renderer=DjangoTemplates())
    assert "<optgroup" in ours
    assert "selected" in ours
    assert parse_html(ours) == parse_html(djangos)
