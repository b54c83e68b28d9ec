"""The case page's panel for the key worker, co-workers, the Specific rota and reviews."""

from django import template

from partnership import reviews
from partnership.models import CLOSED_STATES, CaseState, CaseWorker, WorkerRole
from planning import queries as planning_queries
from planning.models import Allocation, SpecificStream

register = template.Library()


@register.inclusion_tag("partnership/_case_workers.html", takes_context=True)
def workers_panel(context, case):
    """Who works with the case (now and before), its review state and its reviews: a handful of
    queries whatever the number of workers and reviews."""
    team = context.get("team")
    workers = list(
        CaseWorker.objects.filter(case=case).select_related("clinician", "specific_stream", "added_by")
    )
    current = [worker for worker in workers if worker.left_on is None]
    settings = planning_queries.planning_settings(team or case.team)
    is_open = case.state not in CLOSED_STATES
    return {
        "case": case,
        "team": team,
        "can_book": context.get("can_book"),
        "key_worker": next((w for w in current if w.role == WorkerRole.KEY_WORKER), None),
        "co_workers": [w for w in current if w.role == WorkerRole.CORE_COWORKER],
        "specific_workers": [w for w in current if w.role == WorkerRole.SPECIFIC_WORKER],
        "past_workers": [w for w in workers if w.left_on is not None],
        "review": reviews.review_states([case], settings)[case.pk],
        "reviews": list(case.reviews.select_related("by").order_by("-held_on", "-pk")),
        "rota_streams": list(
            SpecificStream.objects.filter(team_id=case.team_id, is_active=True, allocation=Allocation.ROTA)
        ),
        "is_open": is_open,
        "may_add_specific": case.state in (CaseState.AWAITING_SPECIFIC, CaseState.IN_PARTNERSHIP),
        "in_partnership": case.state == CaseState.IN_PARTNERSHIP,
    }
