"""Celery tasks of the dashboards: keeping the summary table ready. Both are safe to run twice or
not at all: a page never uses a summary that is no longer right (dashboard/summary.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def refresh_summaries() -> int:
    """Work out again the summaries that changes made stale, and this quarter's of every team, so
    that the dashboards are ready when people open them. Beat sends it every 10 seconds."""
    from dashboard.summary import refresh  # inside: the worker imports tasks before Django is ready

    return refresh()


@shared_task(ignore_result=True)
def prune_summaries() -> None:
    """Delete changes and summaries too old to decide anything. Beat sends it daily."""
    from dashboard.summary import prune

    prune()
