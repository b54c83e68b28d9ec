"""Every capa model has a factory, and each factory makes a valid, saved row."""

from __future__ import annotations

import inspect

import factory.django
import pghistory.models
import pytest
from django.apps import apps

import tests.factories

FACTORIES = [
    obj
    for _, obj in inspect.getmembers(tests.factories, inspect.isclass)
    if issubclass(obj, factory.django.DjangoModelFactory)
]


def test_every_model_has_a_factory():
    covered = {f._meta.model for f in FACTORIES}
    models = [
        model
        for app in ("accounts", "planning", "diary", "partnership", "dashboard")
        for model in apps.get_app_config(app).get_models()
        if not issubclass(model, pghistory.models.Event)  # written by database triggers, not by us
    ]
    assert [m._meta.label for m in models if m not in covered] == []


@pytest.mark.django_db
@pytest.mark.parametrize("model_factory", FACTORIES, ids=lambda f: f.__name__)
def test_each_factory_makes_a_valid_row(model_factory):
    obj = model_factory()
    obj.full_clean()
    assert type(obj).objects.filter(pk=obj.pk).exists()
