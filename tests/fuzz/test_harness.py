"""The row check the fuzzing relies on can fail: a refused post that adds, changes or deletes a
row is caught, one that writes nothing (or undoes what it wrote) is not, and a success keeps its
changes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from partnership.models import Case
from tests.factories import CaseFactory
from tests.fuzz.harness import post_and_watch

pytestmark = pytest.mark.django_db


def test_a_row_added_changed_or_deleted_is_caught(team):
    case = CaseFactory(team=team)

    _, added = post_and_watch(lambda: CaseFactory(team=team), succeeded=lambda r: False)
    _, updated = post_and_watch(
        lambda: Case.objects.filter(pk=case.pk).update(child_first_name="Zed"), succeeded=lambda r: False
    )
    _, deleted = post_and_watch(lambda: Case.objects.filter(pk=case.pk).delete(), succeeded=lambda r: False)

    assert "partnership_case" in added
    assert "partnership_case" in updated
    assert "partnership_case" in deleted
    assert Case.objects.filter(pk=case.pk).exists()  # each refused post was rolled back


def test_writing_nothing_or_undoing_it_passes(team):
    case = CaseFactory(team=team)

    def insert_then_fail():
        try:
            with transaction.atomic():
                CaseFactory(team=team, family_reference=case.family_reference)
                raise IntegrityError("refused after all")
        except IntegrityError:
            return None

    _, nothing = post_and_watch(lambda: Case.objects.filter(pk=case.pk).first(), succeeded=lambda r: False)
    _, undone = post_and_watch(insert_then_fail, succeeded=lambda r: False)
    _, same = post_and_watch(
        lambda: Case.objects.filter(pk=case.pk).update(child_first_name=case.child_first_name),
        succeeded=lambda r: False,
    )

    assert nothing == []
    assert undone == []
    assert same == []


def test_a_success_keeps_its_changes(team):
    _, changed = post_and_watch(lambda: CaseFactory(team=team), succeeded=lambda r: True)

    assert changed == []
    assert Case.objects.count() == 1
