"""Pages that answer htmx with a part of themselves: a filter or what-if form's results, as the
form changes.

The part is the results; a field's error is also shown by the field, so the answer carries, to be
swapped in out of band, the group of each field that shows an error now and of each that showed
one before. Only the page knows the latter: static/js/capa.js sends their ids with the request.
"""

from __future__ import annotations

from django import forms
from django.forms.boundfield import BoundField
from django.http import HttpRequest

ERRORS_SHOWN = "Capa-Errors-Shown"  # the ids of the form's field groups that show an error


def wants_part(request: HttpRequest, target: str) -> bool:
    """An htmx request for the element with id `target` alone."""
    return bool(request.headers.get("HX-Request")) and request.headers.get("HX-Target") == target


def fields_to_swap(request: HttpRequest, form: forms.Form) -> list[BoundField]:
    """The fields whose groups (`<auto_id>-group`, templates/nhsuk/field.html) the answer swaps in."""
    if not form.is_bound:
        return []
    shown = set(request.headers.get(ERRORS_SHOWN, "").split())
    return [
        field
        for field in form
        if field.auto_id and not field.is_hidden and (field.errors or f"{field.auto_id}-group" in shown)
    ]
