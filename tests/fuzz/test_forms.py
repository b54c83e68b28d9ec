"""Hypothesis on every form of capa, 200 examples each: whatever is posted, `is_valid()` never
raises; a form that refuses the data says why, beside a field or for the whole form; and the data
it accepts is of the types its fields promise.

The values are drawn from each form's own fields, so a field added later is fuzzed too: choices
and the records a choice names (this team's, another team's, none), numbers, times, dates as three
boxes (31 February, far past and future), text with NUL bytes, huge text, and files."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.forms import NON_FIELD_ERRORS
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from capa.widgets import UKDateField
from tests.fuzz.forms import MAKERS
from tests.fuzz.strategies import booleans, date_parts, long_text, numbers, text, times

pytestmark = pytest.mark.django_db

EXAMPLES = 200
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def choices_of(field: forms.Field) -> list[str]:
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):  # a group of choices
            values.extend(str(v) for v, _ in label)
        else:
            values.append(str(value.value if hasattr(value, "value") else value))
    return values


def records_for(field: forms.ModelChoiceField) -> list[str]:
    """Ids the field's model has anywhere (this team's and others'), and one none has."""
    model = field.queryset.model
    return [str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:20]] + ["987654321"]


def value_for(field: forms.Field) -> st.SearchStrategy:
    if isinstance(field, forms.ModelMultipleChoiceField):
        return st.lists(st.sampled_from(records_for(field)) | text, max_size=3)
    if isinstance(field, forms.ModelChoiceField):
        return st.sampled_from(records_for(field)) | text
    if isinstance(field, forms.MultipleChoiceField):
        return st.lists(st.sampled_from(choices_of(field) or [""]) | text, max_size=3)
    if isinstance(field, forms.ChoiceField):
        return st.sampled_from(choices_of(field) or [""]) | text
    if isinstance(field, forms.DecimalField | forms.IntegerField | forms.FloatField):
        return numbers
    if isinstance(field, forms.TimeField):
        return times
    if isinstance(field, forms.BooleanField):
        return booleans
    if isinstance(field, forms.CharField):
        return long_text if (field.max_length or 0) > 300 else text
    return text


def data_for(form: forms.Form) -> st.SearchStrategy[tuple[MultiValueDict, MultiValueDict]]:
    """Posted data for the form's fields (each maybe missing, repeated or an empty list), dates as
    three boxes, files for file fields, and fields nobody asked for."""
    values, dates, files = {}, [], {}
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        if isinstance(field, UKDateField):
            dates.append(date_parts(key))
        elif isinstance(field, forms.FileField):
            files[key] = st.tuples(
                st.sampled_from(["plans.csv", "plans.xlsx", "x", "a\x00.csv"]),
                st.binary(max_size=300) | long_text.map(lambda t: t.encode("utf-8", errors="replace")),
            )
        else:
            values[key] = value_for(field)
    single_or_many = {k: v | st.lists(v, max_size=3) for k, v in values.items()}
    junk = st.dictionaries(st.text(min_size=1, max_size=10), text, max_size=2)
    return st.tuples(
        st.fixed_dictionaries({}, optional=single_or_many),
        *dates,
        junk,
        st.fixed_dictionaries({}, optional=files),
    ).map(_as_post)


def _as_post(parts) -> tuple[MultiValueDict, MultiValueDict]:
    *fields, uploads = parts
    data = MultiValueDict()
    for part in reversed(fields):
        for key, value in part.items():
            data.setlist(key, value if isinstance(value, list) else [value])
    files = MultiValueDict({key: [SimpleUploadedFile(*upload)] for key, upload in uploads.items()})
    return data, files


TYPES = (str, int, bool, Decimal, date, time, list, type(None))


@FUZZ
@given(drawn=st.data())
@pytest.mark.parametrize("form_class", list(MAKERS), ids=lambda cls: cls.__name__)
def test_a_form_never_fails_and_explains_what_it_refuses(world, form_class, drawn):
    make = MAKERS[form_class]
    blank = make(world, None, None)
    data, files = drawn.draw(world.strategy(form_class, lambda: data_for(blank)), label="data")
    form = make(world, data, files)

    valid = form.is_valid()
    event("valid" if valid else "refused")
    if valid:
        assert set(form.cleaned_data) <= set(form.fields)
        for name, value in form.cleaned_data.items():
            field = form.fields[name]
            if not isinstance(field, forms.ModelChoiceField | forms.FileField):
                assert isinstance(value, TYPES) or hasattr(value, "_meta"), (name, value)
    else:
        assert form.errors, data
        for name, errors in form.errors.as_data().items():
            assert name == NON_FIELD_ERRORS or name in form.fields, name
            assert errors
            assert all(str(message) for error in errors for message in error), (name, errors)
