"""The case page's panel for the appointments after the first."""

from django import template

register = template.Library()


@register.inclusion_tag("partnership/_case_follow_ups.html", takes_context=True)
def follow_ups_panel(context, case):
    return {"case": case, "team": context.get("team"), "can_book": context.get("can_book")}
