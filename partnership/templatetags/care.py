"""The case page's panel for the care plan letter and outcome measures."""

from decimal import Decimal

from django import template

from partnership import letters, measures
from partnership.models import CaseState

register = template.Library()


@register.inclusion_tag("partnership/_case_care.html", takes_context=True)
def care_panel(context, case):
    """The case's letters (sent or not) and how each outcome measure has moved: two queries
    whatever the number of letters and scores."""
    return {
        "case": case,
        "team": context.get("team"),
        "can_book": context.get("can_book"),
        "letters": letters.letters_of(case),
        "changes": measures.score_changes(case),
        "may_write_letter": case.state == CaseState.IN_PARTNERSHIP,
    }


@register.filter
def score(value) -> str:
    """A score as people write it: 45, 7.5; a change with its sign: +12, -3.5."""
    if value is None or value == "":
        return ""
    return measures.as_number(Decimal(value))


@register.filter
def signed_score(value) -> str:
    if value is None or value == "":
        return ""
    number = measures.as_number(Decimal(value))
    return f"+{number}" if value > 0 else number
