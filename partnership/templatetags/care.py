"""The case page's panel for the care plan letter and outcome measures."""

from django import template

register = template.Library()


@register.inclusion_tag("partnership/_case_care.html", takes_context=True)
def care_panel(context, case):
    return {"case": case, "team": context.get("team"), "can_book": context.get("can_book")}
