from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from partnership.models import (
    CarePlanLetter,
    Case,
    CaseState,
    CaseStep,
    CaseView,
    CaseWorker,
    ChoiceOutcome,
    JoinedVia,
    MeasurePoint,
    OutcomeMeasure,
    OutcomeScore,
    Review,
    RotaPick,
    StepKind,
    WorkerRole,
)
from tests.factories.accounts import OrganisationFactory, TeamFactory, UserFactory


class CaseFactory(DjangoModelFactory):
    """A family referred in September 2026, seen at Choice a fortnight later with Core Partnership
    agreed: waiting for its first Core booking (the state a case opened at the end of Choice is in).
    The dates are in the past, as they are for any family being booked."""

    class Meta:
        model = Case

    team = factory.SubFactory(TeamFactory)
    family_reference = factory.Sequence(lambda n: f"NS{100000 + n}")
    child_first_name = factory.Faker("first_name", locale="en_GB")
    child_last_name = factory.Faker("last_name", locale="en_GB")
    child_date_of_birth = date(2014, 5, 17)
    referral_date = date(2026, 9, 7)
    accepted_on = date(2026, 9, 8)
    choice_date = date(2026, 9, 21)
    choice_outcome = ChoiceOutcome.CORE
    state = CaseState.AWAITING_FIRST_CORE
    created_by = factory.SubFactory(UserFactory)


class CaseViewFactory(DjangoModelFactory):
    class Meta:
        model = CaseView

    case = factory.SubFactory(CaseFactory)
    viewed_by = factory.SubFactory(UserFactory)


class CaseStepFactory(DjangoModelFactory):
    class Meta:
        model = CaseStep

    case = factory.SubFactory(CaseFactory)
    kind = StepKind.TO_CORE
    from_state = CaseState.CHOICE_ATTENDED
    to_state = CaseState.AWAITING_FIRST_CORE
    happened_on = date(2026, 9, 21)
    by = factory.SubFactory(UserFactory)


class CaseWorkerFactory(DjangoModelFactory):
    class Meta:
        model = CaseWorker

    case = factory.SubFactory(CaseFactory)
    clinician = factory.SubFactory(UserFactory)
    role = WorkerRole.KEY_WORKER
    joined_on = date(2026, 10, 5)
    via = JoinedVia.DIARY
    added_by = factory.SelfAttribute("clinician")


class RotaPickFactory(DjangoModelFactory):
    class Meta:
        model = RotaPick

    stream = factory.SubFactory("tests.factories.planning.SpecificStreamFactory")
    case = factory.SubFactory(CaseFactory, team=factory.SelfAttribute("..stream.team"))
    picked = factory.SubFactory(UserFactory)
    next_up = factory.SelfAttribute("picked")
    by = factory.SubFactory(UserFactory)


class ReviewFactory(DjangoModelFactory):
    class Meta:
        model = Review

    case = factory.SubFactory(CaseFactory)
    held_on = date(2026, 11, 2)
    by = factory.SubFactory(UserFactory)


class CarePlanLetterFactory(DjangoModelFactory):
    class Meta:
        model = CarePlanLetter

    case = factory.SubFactory(CaseFactory)
    goals = "Sleep through the night most nights.\nBack at school full time."
    formulation = "Anxiety kept going by avoidance of school."
    risk_plan = "No current risk to self or others. Contact the duty line if that changes."
    review_on = date(2027, 1, 11)
    written_by = factory.SubFactory(UserFactory)


class OutcomeMeasureFactory(DjangoModelFactory):
    class Meta:
        model = OutcomeMeasure
        django_get_or_create = ("organisation", "name")

    organisation = factory.SubFactory(OrganisationFactory)
    name = "C-GAS"
    lowest = Decimal("1")
    highest = Decimal("100")
    higher_is_better = True


class OutcomeScoreFactory(DjangoModelFactory):
    class Meta:
        model = OutcomeScore

    case = factory.SubFactory(CaseFactory)
    measure = factory.SubFactory(
        OutcomeMeasureFactory, organisation=factory.SelfAttribute("..case.team.organisation")
    )
    point = MeasurePoint.START
    score = Decimal("45")
    scored_on = date(2026, 10, 5)
    by = factory.SubFactory(UserFactory)
