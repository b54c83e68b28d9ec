"""A believable demo trust: three CAPA teams, their clinicians, skills and venues.

Deterministic (a seeded generator, fixed names) and idempotent (every row is found by its natural
key and brought to the same values), so `make run` can call it every time. Later capabilities add
job plans, slots and cases to the same people.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import pghistory
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import (
    ClinicianProfile,
    ClinicianSkill,
    Membership,
    Nation,
    Organisation,
    Profession,
    Role,
    Skill,
    SkillKind,
    SkillLevel,
    Team,
    User,
    Venue,
)

DEMO_PASSWORD = "capa-demo-password"  # shown in the README; demo data only
ORGANISATION_NAME = "Northshire NHS Foundation Trust"

ABCDS_DOMAINS = {
    "Assessment": "Assessment of the child and family, including risk.",
    "Behavioural": "Behavioural approaches, including parenting work.",
    "Cognitive": "Cognitive and cognitive behavioural approaches.",
    "Dynamic": "Psychodynamic understanding and approaches.",
    "Systemic": "Systemic and family approaches.",
}
ADVANCED_SKILLS = {
    "EMDR": "Eye movement desensitisation and reprocessing for trauma.",
    "DBT": "Dialectical behaviour therapy.",
    "Autism assessment": "Multidisciplinary autism diagnostic assessment (ADOS, ADI-R).",
    "Psychometrics": "Cognitive and psychometric testing.",
    "Systemic family therapy": "Family therapy by a qualified systemic practitioner.",
    "Prescribing": "Medication review and prescribing.",
    "Psychodynamic psychotherapy": "Long-term individual child psychotherapy.",
    "Eating disorders": "Assessment and treatment in the eating-disorder pathway.",
}

# Each profession's usual advanced skills, and the ABCD'S domain it holds at advanced level.
PROFESSION_SKILLS: dict[str, tuple[list[str], list[str]]] = {
    Profession.PSYCHIATRIST: (["Prescribing"], ["Assessment"]),
    Profession.CLINICAL_PSYCHOLOGIST: (["Psychometrics", "Autism assessment"], ["Cognitive"]),
    Profession.MENTAL_HEALTH_NURSE: (["DBT"], ["Behavioural"]),
    Profession.FAMILY_THERAPIST: (["Systemic family therapy"], ["Systemic"]),
    Profession.CHILD_PSYCHOTHERAPIST: (["Psychodynamic psychotherapy"], ["Dynamic"]),
    Profession.SOCIAL_WORKER: ([], ["Systemic"]),
    Profession.OCCUPATIONAL_THERAPIST: (["Autism assessment"], ["Behavioural"]),
    Profession.CBT_THERAPIST: (["EMDR"], ["Cognitive"]),
}


@dataclass(frozen=True)
class DemoTeam:
    name: str
    nation: str
    venues: list[tuple[str, str]]
    lead: tuple[str, str, str]  # first name, last name, profession
    clinicians: list[tuple[str, str, str]]
    phone: str = ""  # Ofcom's numbers for drama (01632 960xxx): they ring nobody


TEAMS = [
    DemoTeam(
        name="Riverside CAMHS",
        nation=Nation.ENGLAND,
        phone="01632 960001",
        venues=[
            ("Riverside Clinic", "12 Mill Lane, Northshire NS1 4AB"),
            ("Eastgate Health Centre", "Eastgate, Northshire NS2 7QP"),
            ("St Anne's Academy (school base)", "Church Road, Northshire NS1 9HD"),
        ],
        lead=("Priya", "Shah", Profession.CLINICAL_PSYCHOLOGIST),
        clinicians=[
            ("Tom", "Baker", Profession.MENTAL_HEALTH_NURSE),
            ("Aisha", "Rahman", Profession.CLINICAL_PSYCHOLOGIST),
            ("Owen", "Jones", Profession.FAMILY_THERAPIST),
            ("Hannah", "Clarke", Profession.SOCIAL_WORKER),
            ("Ben", "Walsh", Profession.PSYCHIATRIST),
            ("Chloe", "Evans", Profession.CBT_THERAPIST),
            ("Daniel", "Murphy", Profession.OCCUPATIONAL_THERAPIST),
            ("Ruth", "Adeyemi", Profession.CHILD_PSYCHOTHERAPIST),
            ("Sophie", "Turner", Profession.MENTAL_HEALTH_NURSE),
        ],
    ),
    DemoTeam(
        name="Hillside CAMHS",
        nation=Nation.ENGLAND,
        phone="01632 960002",
        venues=[
            ("Hillside Centre", "3 Station Road, Hilltown HT4 2LS"),
            ("Moorview Surgery", "Moor Lane, Hilltown HT5 1RB"),
        ],
        lead=("Mark", "Ellis", Profession.FAMILY_THERAPIST),
        clinicians=[
            ("Grace", "Okafor", Profession.MENTAL_HEALTH_NURSE),
            ("James", "Hughes", Profession.CLINICAL_PSYCHOLOGIST),
            ("Fatima", "Begum", Profession.PSYCHIATRIST),
            ("Lewis", "Grant", Profession.SOCIAL_WORKER),
            ("Megan", "Price", Profession.CBT_THERAPIST),
            ("Nathan", "Cole", Profession.MENTAL_HEALTH_NURSE),
            ("Olivia", "Reid", Profession.FAMILY_THERAPIST),
            ("Zara", "Hussain", Profession.OCCUPATIONAL_THERAPIST),
        ],
    ),
    DemoTeam(
        name="Coastal CAMHS",
        nation=Nation.ENGLAND,
        phone="01632 960003",
        venues=[
            ("Harbour House", "1 Quay Street, Seaport SP1 1AA"),
            ("Seaport Community Hospital", "Cliff Road, Seaport SP3 6TT"),
        ],
        lead=("Helen", "Morris", Profession.MENTAL_HEALTH_NURSE),
        clinicians=[
            ("Adam", "Fletcher", Profession.CLINICAL_PSYCHOLOGIST),
            ("Bethan", "Lloyd", Profession.MENTAL_HEALTH_NURSE),
            ("Callum", "Reilly", Profession.PSYCHIATRIST),
            ("Deborah", "Okoro", Profession.CHILD_PSYCHOTHERAPIST),
            ("Ella", "Fraser", Profession.SOCIAL_WORKER),
            ("Finn", "Taylor", Profession.CBT_THERAPIST),
            ("Imogen", "West", Profession.FAMILY_THERAPIST),
            ("Kwame", "Mensah", Profession.MENTAL_HEALTH_NURSE),
        ],
    ),
]
ADMIN = ("Alex", "Morgan")
CONTRACTED_HOURS = [Decimal("37.50")] * 6 + [Decimal("30.00"), Decimal("22.50"), Decimal("15.00")]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    where: str


def username_for(first_name: str, last_name: str) -> str:
    return f"{first_name}.{last_name}".lower()


@transaction.atomic
def seed_demo() -> list[DemoLogin]:
    """Create or bring up to date the demo trust; return one login per role to show the user."""
    rng = random.Random(2026)  # fixed seed: the same trust on every machine and every run
    with pghistory.context(command="seed_demo"):
        organisation, _ = Organisation.objects.update_or_create(
            name=ORGANISATION_NAME, defaults={"financial_year_start_month": 4}
        )
        skills = _seed_skills(organisation)
        admin = _seed_user(*ADMIN, is_staff=True, is_superuser=True)
        Membership.objects.update_or_create(
            user=admin, organisation=organisation, defaults={"role": Role.ADMIN, "team": None}
        )
        logins = [DemoLogin(admin.username, "Admin (and Django admin site)", ORGANISATION_NAME)]
        for demo_team in TEAMS:
            team, _ = Team.objects.update_or_create(
                organisation=organisation,
                name=demo_team.name,
                defaults={"nation": demo_team.nation, "phone": demo_team.phone},
            )
            for name, address in demo_team.venues:
                Venue.objects.update_or_create(
                    team=team, name=name, defaults={"address": address, "is_active": True}
                )
            lead = _seed_clinician(team, *demo_team.lead, role=Role.TEAM_LEAD, skills=skills, rng=rng)
            clinicians = [
                _seed_clinician(team, first, last, profession, role=Role.CLINICIAN, skills=skills, rng=rng)
                for first, last, profession in demo_team.clinicians
            ]
            if demo_team is TEAMS[0]:
                logins.append(DemoLogin(lead.username, "Team lead", team.name))
                logins.append(DemoLogin(clinicians[0].username, "Clinician", team.name))
            elif demo_team is TEAMS[1]:
                logins.append(DemoLogin(clinicians[0].username, "Clinician (another team)", team.name))
    return logins


def _seed_skills(organisation: Organisation) -> dict[tuple[str, str], Skill]:
    skills = {}
    for name, description in ABCDS_DOMAINS.items():
        for level in (SkillLevel.CORE, SkillLevel.ADVANCED):
            skills[name, level], _ = Skill.objects.update_or_create(
                organisation=organisation,
                name=name,
                level=level,
                defaults={"kind": SkillKind.DOMAIN, "description": description},
            )
    for name, description in ADVANCED_SKILLS.items():
        skills[name, SkillLevel.ADVANCED], _ = Skill.objects.update_or_create(
            organisation=organisation,
            name=name,
            level=SkillLevel.ADVANCED,
            defaults={"kind": SkillKind.ADVANCED_SKILL, "description": description},
        )
    return skills


@cache
def _demo_password_hash() -> str:
    # Hashing is slow on purpose; the demo people share one password, so hash it once.
    return make_password(DEMO_PASSWORD)


def _seed_user(first_name: str, last_name: str, **flags: bool) -> User:
    username = username_for(first_name, last_name)
    user, created = User.objects.update_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@northshire.example.nhs.uk",
            "is_active": True,
            **flags,
        },
    )
    if created:  # never reset a password someone has changed since
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    return user


def _seed_clinician(
    team: Team,
    first_name: str,
    last_name: str,
    profession: str,
    *,
    role: str,
    skills: dict[tuple[str, str], Skill],
    rng: random.Random,
) -> User:
    user = _seed_user(first_name, last_name)
    Membership.objects.update_or_create(user=user, team=team, defaults={"role": role, "organisation": None})
    hours = rng.choice(CONTRACTED_HOURS)
    profile, _ = ClinicianProfile.objects.update_or_create(
        user=user, defaults={"profession": profession, "contracted_hours_per_week": hours}
    )
    advanced_skills, advanced_domains = PROFESSION_SKILLS.get(profession, ([], []))
    # Everyone holds every ABCD'S domain at core level at least; some add one more at advanced level.
    extra_domain = rng.choice(sorted(ABCDS_DOMAINS))
    advanced = {*advanced_domains, extra_domain}
    wanted = {
        skills[name, SkillLevel.ADVANCED if name in advanced else SkillLevel.CORE] for name in ABCDS_DOMAINS
    }
    wanted |= {skills[name, SkillLevel.ADVANCED] for name in advanced_skills}
    ClinicianSkill.objects.filter(profile=profile).exclude(skill__in=wanted).delete()
    for skill in wanted:
        ClinicianSkill.objects.get_or_create(profile=profile, skill=skill)
    return user
