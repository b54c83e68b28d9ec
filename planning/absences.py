"""Recording absence beyond normal leave (maternity, long sickness, a vacancy, leaving), which
scales a clinician's targets for the weeks it covers."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from accounts.models import Team, User
from planning.models import Absence


class AbsenceError(Exception):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@transaction.atomic(durable=True)
def record_absence(
    *,
    clinician: User,
    team: Team,
    kind: str,
    starts_on: date,
    ends_on: date | None,
    notes: str = "",
    by: User,
) -> Absence:
    """Record an absence; raises AbsenceError if it ends before it starts."""
    if ends_on is not None and ends_on < starts_on:
        raise AbsenceError("The last day must be on or after the first day.", field="ends_on")
    return Absence.objects.create(
        clinician=clinician, team=team, kind=kind, starts_on=starts_on, ends_on=ends_on, notes=notes
    )


@transaction.atomic(durable=True)
def remove_absence(*, absence: Absence, by: User) -> None:
    """Remove an absence recorded by mistake (the audit trail keeps it)."""
    Absence.objects.filter(pk=absence.pk).delete()
