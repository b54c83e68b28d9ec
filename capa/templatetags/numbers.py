"""Numbers as people read them: `{{ target|one_decimal }}` gives 9.4 for 66/7,
`{{ share|percent }}` gives 35% for 7/20, `{{ target|fraction }}` gives 66/7 for an exact figure."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django import template

register = template.Library()


def _exact(value) -> Fraction | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = Decimal(str(value))
    try:
        return Fraction(value)
    except (TypeError, ValueError):
        return None


@register.filter
def one_decimal(value) -> str:
    exact = _exact(value)
    if exact is None:
        return ""
    from planning.capacity import one_decimal as to_one_decimal  # the maths decides how to round

    return to_one_decimal(exact)


@register.filter
def percent(value) -> str:
    exact = _exact(value)
    return "" if exact is None else f"{one_decimal(exact * 100)}%"


@register.filter
def fraction(value) -> str:
    exact = _exact(value)
    if exact is None:
        return ""
    return str(exact.numerator) if exact.denominator == 1 else f"{exact.numerator}/{exact.denominator}"
