"""The audit trail: database triggers (django-pghistory) record every insert, update and delete,
so bulk updates and raw SQL are caught too. The acting user and URL come from the request
(pghistory's HistoryMiddleware); commands add their own context."""

import pghistory


def audited(**kwargs):
    """Record every insert, update and delete of the model, with the acting user as context."""
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), **kwargs
    )
