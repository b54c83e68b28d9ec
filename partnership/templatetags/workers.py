"""The case page's panel for the key worker, co-workers, the Specific rota and reviews."""

from django import template

register = template.Library()


@register.inclusion_tag("partnership/_case_workers.html", takes_context=True)
def workers_panel(context, case):
    return {"case": case, "team": context.get("team"), "can_book": context.get("can_book")}
