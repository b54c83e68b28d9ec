"""One factory per model. Related values agree: a membership's team belongs to the organisation
of everything else made with it, and every person can log in with DEMO_PASSWORD."""

from tests.factories.accounts import (
    DEMO_PASSWORD,
    AdminMembershipFactory,
    ClinicianProfileFactory,
    ClinicianSkillFactory,
    MembershipFactory,
    OrganisationFactory,
    SkillFactory,
    TeamFactory,
    UserFactory,
    VenueFactory,
)
from tests.factories.diary import (
    AppointmentFactory,
    AppointmentSlotFactory,
    CalendarFeedFactory,
    ClinicianTimeFactory,
    OutboxEmailFactory,
    SlotFactory,
    TeamSessionFactory,
)
from tests.factories.partnership import CaseFactory, CaseViewFactory
from tests.factories.planning import (
    AbsenceFactory,
    JobPlanFactory,
    JobPlanLineFactory,
    PlanningSettingsFactory,
    ReferralRateFactory,
    SpecificStreamFactory,
)

__all__ = [
    "AppointmentFactory",
    "AppointmentSlotFactory",
    "CalendarFeedFactory",
    "CaseFactory",
    "CaseViewFactory",
    "ClinicianTimeFactory",
    "OutboxEmailFactory",
    "SlotFactory",
    "TeamSessionFactory",
    "AbsenceFactory",
    "JobPlanFactory",
    "JobPlanLineFactory",
    "PlanningSettingsFactory",
    "ReferralRateFactory",
    "SpecificStreamFactory",
    "DEMO_PASSWORD",
    "AdminMembershipFactory",
    "ClinicianProfileFactory",
    "ClinicianSkillFactory",
    "MembershipFactory",
    "OrganisationFactory",
    "SkillFactory",
    "TeamFactory",
    "UserFactory",
    "VenueFactory",
]
