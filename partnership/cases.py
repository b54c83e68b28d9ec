"""Writing cases. The whole journey from referral to Let Go comes with case tracking; for now a
case is opened with the minimum a booking needs."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from accounts.models import Team, User
from partnership.models import Case, CaseView

MESSAGES = {
    "duplicate": "This family already has a case from a referral on that date: open it from the cases.",
    "born_after_referral": "The date of birth must be before the referral date.",
    "choice_before_referral": "The Choice date must be on or after the referral date.",
}


class CaseError(Exception):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@transaction.atomic(durable=True)
def open_case(
    *,
    team: Team,
    family_reference: str,
    child_first_name: str,
    child_last_name: str,
    child_date_of_birth: date,
    referral_date: date,
    choice_date: date | None,
    by: User,
) -> Case:
    """Open a family's episode in the team. Raises CaseError if the dates disagree or the same
    referral already has a case."""
    if child_date_of_birth > referral_date:
        raise CaseError(MESSAGES["born_after_referral"], field="child_date_of_birth")
    if choice_date is not None and choice_date < referral_date:
        raise CaseError(MESSAGES["choice_before_referral"], field="choice_date")
    try:
        with transaction.atomic():
            return Case.objects.create(
                team=team,
                family_reference=family_reference.strip(),
                child_first_name=child_first_name.strip(),
                child_last_name=child_last_name.strip(),
                child_date_of_birth=child_date_of_birth,
                referral_date=referral_date,
                choice_date=choice_date,
                created_by=by,
            )
    except IntegrityError:
        raise CaseError(MESSAGES["duplicate"], field="family_reference") from None


def record_view(*, case: Case, by: User, what: str = "case") -> None:
    """Log that someone opened a child's record (DESIGN.md: viewing a child's case is logged)."""
    CaseView.objects.create(case=case, viewed_by=by, what=what)
