"""Template helpers for NHS.UK frontend markup: form widgets, the error summary, UK dates and times.

- `{% error_summary form %}`: the NHS error summary (base.html shows it for a `form` in the context).
- `{% swapped_field form.date_to %}`: the field's group again, for htmx to swap in out of band.
- `{{ slot.starts_at|uk_datetime }}`: Tue 14 Jan 2027, 14:30 (London time); `uk_date`, `uk_time`.
- `{{ profile.contracted_hours_per_week|hours }}`: 37.5.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils import timezone

from capa.widgets import PARTS, NHSDateInput, error_parts, part_id

register = template.Library()

UK_DATE = "D j M Y"  # Tue 14 Jan 2027
UK_TIME = "H:i"  # 14:30
# Written out rather than through django.utils.dateformat (seven times slower: a search page or a
# week's diary shows a hundred dates). capa is in British English; tests/unit keeps both equal.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BASE_CLASS = {"input": "nhsuk-input", "select": "nhsuk-select", "textarea": "nhsuk-textarea"}
# crispy-forms' Submit, Button and Reset carry Bootstrap classes; NHS.UK buttons have their own.
BOOTSTRAP_BUTTON_CLASSES = {"btn", "btn-primary", "btn-secondary", "btn-inverse", "hidden"}


@register.filter
def field_kind(field: BoundField) -> str:
    """Which NHS.UK component renders this field."""
    widget = field.field.widget
    if isinstance(widget, NHSDateInput):
        return "date"
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxSelectMultiple):  # a subclass of RadioSelect: ask first
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


@register.filter
def described_by_ids(field: BoundField) -> str:
    """The ids of the field's hint and error message, for aria-describedby."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}-hint")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    return " ".join(ids)


def _join(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


@register.simple_tag
def nhsuk_widget(field: BoundField, extra_class: str = "") -> str:
    """The field's input in NHS.UK markup: component and error classes, aria-describedby for the hint
    and error message. Attributes set on the widget (autocomplete, width classes, ...) are kept."""
    kind = field_kind(field)
    widget = field.field.widget
    if kind == "date":
        attrs = {"error_parts": error_parts(field.errors.as_data()) if field.errors else ()}
        return field.as_widget(attrs=attrs)
    if kind == "checkbox":
        return field.as_widget(
            attrs={
                "class": _join("nhsuk-checkboxes__input", widget.attrs.get("class"), extra_class),
                "aria-describedby": _join(widget.attrs.get("aria-describedby"), described_by_ids(field)),
            }
        )
    base = BASE_CLASS.get(kind, "nhsuk-input")
    attrs = {
        "class": _join(
            base, widget.attrs.get("class"), extra_class, (f"{base}--error" if field.errors else "")
        ),
        "aria-describedby": _join(widget.attrs.get("aria-describedby"), described_by_ids(field)),
    }
    if not attrs["aria-describedby"]:
        del attrs["aria-describedby"]
    if isinstance(widget, forms.NumberInput):
        # NHS.UK and GOV.UK: never type="number" (it rounds, scrolls and rejects "37,5" silently).
        # A text box with a numeric keyboard instead; the form field still checks the number.
        decimal = isinstance(field.field, forms.DecimalField | forms.FloatField)
        text_attrs = {k: v for k, v in widget.attrs.items() if k not in {"min", "max", "step"}}
        text_attrs.setdefault("inputmode", "decimal" if decimal else "numeric")
        text_attrs.setdefault("spellcheck", "false")
        return field.as_widget(widget=forms.TextInput(attrs=text_attrs), attrs=attrs)
    return field.as_widget(attrs=attrs)


@register.filter
def first_input_id(field: BoundField) -> str:
    """Where an error summary link takes the user: the first wrong box of a date, the first option
    of radios or checkboxes, otherwise the input itself."""
    kind = field_kind(field)
    if kind == "date":
        parts = error_parts(field.errors.as_data()) or PARTS
        return part_id(field.auto_id, parts[0])
    if kind in {"radios", "checkboxes"}:
        return f"{field.auto_id}_0"
    return field.auto_id


@register.filter
def legend_class(label_class: str | None) -> str:
    """A helper's label size (nhsuk-label--m) as the matching legend size for fieldsets."""
    return " ".join(
        c.replace("nhsuk-label--", "nhsuk-fieldset__legend--") for c in (label_class or "").split()
    )


@register.filter
def button_classes(field_classes: str | None) -> str:
    """Extra classes for a crispy-forms button, without crispy's own Bootstrap ones."""
    return " ".join(c for c in (field_classes or "").split() if c not in BOOTSTRAP_BUTTON_CLASSES)


def _form_errors(form) -> list[tuple[str, str]]:
    """(message, #link) for each error of one form, in the order the fields are on the page."""
    if hasattr(form, "non_form_errors"):  # a formset: its own errors, then each form's
        first = next(
            (f"#{first_input_id(field)}" for each in form.forms for field in each.visible_fields()),
            "#maincontent",
        )
        errors = [(str(message), first) for message in form.non_form_errors()]
        for each in form.forms:
            errors.extend(_form_errors(each))
        return errors
    visible = form.visible_fields()
    fallback = f"#{first_input_id(visible[0])}" if visible else "#maincontent"
    # A form may point its own errors elsewhere, e.g. a plan that does not add up at its grid.
    fallback = getattr(form, "non_field_errors_link", None) or fallback
    errors = [(str(message), fallback) for message in form.non_field_errors()]
    errors.extend((str(message), fallback) for field in form.hidden_fields() for message in field.errors)
    for field in visible:
        errors.extend((str(message), f"#{first_input_id(field)}") for message in field.errors)
    return errors


@register.inclusion_tag("nhsuk/field.html")
def swapped_field(field: BoundField) -> dict:
    """The field's group, marked for htmx to swap in place of the one on the page (hx-swap-oob):
    a form that answers as it changes shows its errors by the fields, not only in the summary."""
    return {"field": field, "oob": True}


@register.inclusion_tag("nhsuk/error_summary.html")
def error_summary(*forms_or_formsets, quiet: bool = False) -> dict:
    """The NHS.UK error summary for one or more forms: every error a link to the box to fix.

    Non-field errors (a wrong password, a slot just taken) link to the form's first field. A
    `quiet` summary does not take the focus when it appears: it is swapped in beside a form that
    the user is still filling in (the search filters), and moving them would lose their typing."""
    errors = []
    for form in forms_or_formsets:
        if form is not None and form != "":
            errors.extend(_form_errors(form))
    return {"errors": errors, "quiet": quiet}


def _local(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def uk_date(value) -> str:
    """Tue 14 Jan 2027: a date, or the London date of an aware datetime."""
    if not isinstance(value, date):
        return ""
    day = _local(value)
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year:04d}"


@register.filter
def uk_time(value) -> str:
    """14:30 in London time."""
    if not isinstance(value, datetime):
        return ""
    moment = _local(value)
    return f"{moment.hour:02d}:{moment.minute:02d}"


@register.filter
def uk_datetime(value) -> str:
    """Tue 14 Jan 2027, 14:30 in London time."""
    if not isinstance(value, datetime):
        return uk_date(value)
    return f"{uk_date(value)}, {uk_time(value)}"


@register.filter
def hours(value) -> str:
    """Hours without trailing zeros: 37.50 as 37.5, 40.00 as 40, 7.25 as 7.25."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
