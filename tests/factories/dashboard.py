"""Factories for the dashboards' summary table and change log (normally written by
dashboard/summary.py and by database triggers)."""

from __future__ import annotations

from datetime import date, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from dashboard.models import Change, Summary


class ChangeFactory(DjangoModelFactory):
    class Meta:
        model = Change

    team_id = None  # every team


class SummaryFactory(DjangoModelFactory):
    class Meta:
        model = Summary

    team_id = factory.Sequence(lambda n: n + 1)
    quarter_start = date(2026, 10, 1)
    start_month = 4
    computed_at = factory.LazyFunction(timezone.now)
    changes_upto = 0
    valid_until = factory.LazyAttribute(lambda summary: summary.computed_at + timedelta(hours=1))
    figures = factory.LazyFunction(lambda: {"format": 0})  # an old format: never shown
