"""The NHS.UK date input: day, month and year boxes, checked as the NHS and GOV.UK date pattern
recommends, with each message naming what is wrong and only the wrong boxes highlighted.

    starts_on = UKDateField(label="Start date", help_text="For example, 15 3 2027")

posts `starts_on_day`, `starts_on_month` and `starts_on_year`; the boxes' ids are
`id_starts_on_day` and so on, and an error summary links to the first box that is wrong.
"""

from __future__ import annotations

import calendar
from datetime import date

from django import forms
from django.core.exceptions import ValidationError

PARTS = ("day", "month", "year")
WIDTHS = {"day": 2, "month": 2, "year": 4}
# Where a ValidationError names the boxes to highlight: params={ERROR_PARTS: ("month",)}.
ERROR_PARTS = "date_parts"
# The month box also takes a month's name: people type "Jan", "january" or "Sept".
MONTH_NAMES = {
    **{name.lower(): number for number, name in enumerate(calendar.month_name) if name},
    **{name.lower(): number for number, name in enumerate(calendar.month_abbr) if name},
    "sept": 9,
}


class NHSDateInput(forms.MultiWidget):
    """Three text boxes with a numeric keyboard (never type="number", which browsers mangle).

    `autocomplete="bday"` asks browsers to fill in a date of birth (bday-day, bday-month, ...).
    The template pack passes the parts to highlight as the `error_parts` attribute.
    """

    template_name = "nhsuk/widgets/date_input.html"

    def __init__(self, attrs=None, *, autocomplete: str | None = None):
        widgets = {}
        for part in PARTS:
            part_attrs = {"inputmode": "numeric", "spellcheck": "false"}
            if autocomplete:
                part_attrs["autocomplete"] = f"{autocomplete}-{part}"
            widgets[part] = forms.TextInput(attrs=part_attrs)
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def get_context(self, name, value, attrs):
        attrs = dict(attrs or {})
        error_parts = attrs.pop("error_parts", ())
        context = super().get_context(name, value, attrs)
        field_id = context["widget"]["attrs"].get("id")
        for part, subwidget in zip(PARTS, context["widget"]["subwidgets"], strict=True):
            subwidget["part"] = part
            part_attrs = subwidget["attrs"]
            if field_id:
                part_attrs["id"] = part_id(field_id, part)
            classes = ["nhsuk-input", "nhsuk-date-input__input", f"nhsuk-input--width-{WIDTHS[part]}"]
            part_attrs.pop("aria-invalid", None)
            if part in error_parts:
                classes.append("nhsuk-input--error")
                part_attrs["aria-invalid"] = "true"
            part_attrs["class"] = " ".join(classes)
        return context

    def id_for_label(self, id_):
        return part_id(id_, "day") if id_ else id_


def part_id(field_id: str, part: str) -> str:
    return f"{field_id}_{part}"


def error_parts(errors) -> tuple[str, ...]:
    """The boxes to highlight for a date field's errors: those the errors name, else all three."""
    named = []
    for error in errors:
        params = getattr(error, "params", None) or {}
        named.extend(part for part in params.get(ERROR_PARTS, ()) if part not in named)
    if errors and not named:
        return PARTS
    return tuple(part for part in PARTS if part in named)


class UKDateField(forms.Field):
    """A date typed as day, month and year.

    Messages follow the NHS date input pattern; override any of them with `error_messages`, e.g.
    `error_messages={"required": "Enter the start date"}`.
    """

    widget = NHSDateInput
    default_error_messages = {
        "required": "Enter a date",
        "missing": "Date must include a %(missing)s",
        "not_real": "Date must be a real date",
        "year": "Year must include 4 numbers",
    }

    def to_python(self, value):
        if isinstance(value, date):
            return value
        if not isinstance(value, list | tuple):
            value = ["", "", ""]
        parts = {part: str(typed or "").strip() for part, typed in zip(PARTS, value, strict=False)}
        parts = {part: parts.get(part, "") for part in PARTS}
        if not any(parts.values()):
            return None

        missing = tuple(part for part in PARTS if not parts[part])
        if missing:
            raise self._error("missing", missing, missing=" and ".join(missing))
        month = MONTH_NAMES.get(parts["month"].lower(), parts["month"])
        numbers = {"day": parts["day"], "month": str(month), "year": parts["year"]}
        # isdigit() alone accepts "²", which int() refuses: only 0-9 are numbers here.
        not_numbers = tuple(
            part for part in PARTS if not (numbers[part].isascii() and numbers[part].isdigit())
        )
        if not_numbers:
            raise self._error("not_real", not_numbers)
        if len(numbers["year"]) != 4:
            raise self._error("year", ("year",))
        day, month, year = (int(numbers[part]) for part in PARTS)
        if not 1 <= month <= 12:
            raise self._error("not_real", ("month",))
        if year < 1:
            raise self._error("not_real", ("year",))
        if not 1 <= day <= calendar.monthrange(year, month)[1]:
            raise self._error("not_real", ("day",))
        return date(year, month, day)

    def _error(self, code: str, parts: tuple[str, ...], **params) -> ValidationError:
        return ValidationError(self.error_messages[code], code=code, params={ERROR_PARTS: parts, **params})
