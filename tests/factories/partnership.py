from __future__ import annotations

from datetime import date

import factory
from factory.django import DjangoModelFactory

from partnership.models import Case, CaseView
from tests.factories.accounts import TeamFactory, UserFactory


class CaseFactory(DjangoModelFactory):
    """A family referred in January 2027, seen at Choice a fortnight later."""

    class Meta:
        model = Case

    team = factory.SubFactory(TeamFactory)
    family_reference = factory.Sequence(lambda n: f"NS{100000 + n}")
    child_first_name = factory.Faker("first_name", locale="en_GB")
    child_last_name = factory.Faker("last_name", locale="en_GB")
    child_date_of_birth = date(2014, 5, 17)
    referral_date = date(2027, 1, 4)
    choice_date = date(2027, 1, 18)
    created_by = factory.SubFactory(UserFactory)


class CaseViewFactory(DjangoModelFactory):
    class Meta:
        model = CaseView

    case = factory.SubFactory(CaseFactory)
    viewed_by = factory.SubFactory(UserFactory)
