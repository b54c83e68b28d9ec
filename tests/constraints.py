"""Helpers for tests that prove a database constraint refuses a write around the model layer."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

TESTED: dict[str, str] = {}


def refuses(constraint: str):
    """Mark a test as the proof for one named constraint."""

    def register(test):
        TESTED[constraint] = test.__name__
        return test

    return register


def assert_refused(constraint: str, write) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        write()
