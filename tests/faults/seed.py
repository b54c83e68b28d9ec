"""Extra rows for the fault tests, written once into the template cluster after `seed_demo`:

- `LOAD_PAIRS` vacant first Core slots in Riverside CAMHS (each its own hour, so no two clash) and
  as many families waiting for their first Core booking (opened at the end of Choice, so their
  recorded steps agree with their state), to book one pair per request under load;
- an organisation of twelve teams of five clinicians with agreed plans, whose publication takes
  three batches (so a worker can be killed between them).

Run in a subprocess with DATABASE_URL pointing at the cluster; prints the ids the tests need as JSON.
"""

from __future__ import annotations

import json
import os
from datetime import date

LOAD_PAIRS = 800
LOAD_CLINICIANS = 20
TWELVE_TEAMS = 12
PER_TEAM = 5


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capa.settings")
    django.setup()
    import factory.random
    from django.conf import settings

    # Nobody made here logs in (the tests log in as the demo's people): no slow password hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    from accounts.models import Team, User
    from partnership import cases
    from planning.models import Activity
    from tests.factories import OrganisationFactory, SlotFactory, TeamFactory, VenueFactory
    from tests.factories.diary import clinician_in
    from tests.factories.plans import agreed_plan_for
    from tests.factories.plans import clinician_in as planned_clinician_in

    factory.random.reseed_random("capa-faults")
    team = Team.objects.get(name="Riverside CAMHS")
    venue = VenueFactory(team=team, name="Fault-test clinic")
    clinicians = [clinician_in(team) for _ in range(LOAD_CLINICIANS)]
    booker = User.objects.get(username="tom.baker")
    pairs = []
    for n in range(LOAD_PAIRS):
        slot = SlotFactory(
            team=team, venue=venue, clinicians=[clinicians[n % LOAD_CLINICIANS]], created_by=booker
        )
        case = cases.open_case(  # with its recorded steps, as the Choice clinician opens one
            team=team,
            family_reference=f"FT{n:06d}",
            child_first_name="Fault",
            child_last_name=f"Test {n}",
            child_date_of_birth=date(2014, 5, 17),
            referral_date=date(2026, 9, 7),
            choice_date=date(2026, 9, 21),
            by=booker,
        )
        pairs.append((case.pk, slot.pk))

    organisation = OrganisationFactory(financial_year_start_month=4)
    for _ in range(TWELVE_TEAMS):
        other = TeamFactory(organisation=organisation)
        for _ in range(PER_TEAM):
            agreed_plan_for(
                planned_clinician_in(other),
                other,
                effective_from=date(2027, 1, 1),
                hours={Activity.CORE: "10.5", Activity.OTHER: "27"},
            )

    print(
        json.dumps(
            {
                "team": team.pk,
                "organisation": team.organisation_id,
                "clinician": booker.pk,
                "pairs": pairs,
                "twelve_teams": organisation.pk,
            }
        )
    )


if __name__ == "__main__":
    main()
