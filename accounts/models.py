"""Who works where: organisations, teams, people, their roles, skills and venues."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from capa.audit import audited


@audited(exclude=["password", "last_login"])
class User(AbstractUser):
    """A person who logs in. What they may do comes from their memberships."""

    class Meta(AbstractUser.Meta):
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Month(models.IntegerChoices):
    JANUARY = 1, "January"
    FEBRUARY = 2, "February"
    MARCH = 3, "March"
    APRIL = 4, "April"
    MAY = 5, "May"
    JUNE = 6, "June"
    JULY = 7, "July"
    AUGUST = 8, "August"
    SEPTEMBER = 9, "September"
    OCTOBER = 10, "October"
    NOVEMBER = 11, "November"
    DECEMBER = 12, "December"


@audited()
class Organisation(models.Model):
    """An NHS trust or provider running one or more CAPA teams."""

    name = models.CharField(max_length=200, unique=True)
    financial_year_start_month = models.PositiveSmallIntegerField(
        choices=Month.choices,
        default=Month.APRIL,
        help_text="Quarters are counted from this month. NHS financial years start in April.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(financial_year_start_month__gte=1, financial_year_start_month__lte=12),
                name="organisation_year_starts_in_a_real_month",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Nation(models.TextChoices):
    """The UK nation whose bank holidays a team keeps (codes as the `holidays` package uses)."""

    ENGLAND = "ENG", "England"
    WALES = "WLS", "Wales"
    SCOTLAND = "SCT", "Scotland"
    NORTHERN_IRELAND = "NIR", "Northern Ireland"


@audited()
class Team(models.Model):
    """A CAMHS team running CAPA: its own diary, job plans and targets."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)
    nation = models.CharField(
        max_length=3,
        choices=Nation.choices,
        default=Nation.ENGLAND,
        help_text="Slots are never put on this nation's bank holidays.",
    )
    phone = models.CharField(
        "phone number for families",
        max_length=30,
        blank=True,
        help_text="The number families call to change or cancel an appointment; printed on their letters.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_name_unique_in_organisation"),
            models.CheckConstraint(condition=Q(nation__in=Nation.values), name="team_nation_is_a_uk_nation"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:team-detail", kwargs={"team_id": self.pk})


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    TEAM_LEAD = "team_lead", "Team lead"
    ADMIN = "admin", "Admin"


@audited()
class Membership(models.Model):
    """A person's role: clinician or team lead in a team, or admin across an organisation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="admin_memberships",
        help_text="For admins only: they see every team of the organisation.",
    )

    class Meta:
        ordering = ["team__name", "role"]
        constraints = [
            # A team role names a team; an admin names an organisation. Never both, never neither,
            # so the organisation of a team role is always its team's and cannot disagree.
            models.CheckConstraint(
                condition=(
                    Q(role=Role.ADMIN, organisation__isnull=False, team__isnull=True)
                    | Q(
                        role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
                        team__isnull=False,
                        organisation__isnull=True,
                    )
                ),
                name="membership_team_role_has_team_admin_has_organisation",
            ),
            models.UniqueConstraint(
                fields=["user", "team"],
                condition=Q(team__isnull=False),
                name="membership_one_role_per_team",
            ),
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=Q(organisation__isnull=False),
                name="membership_one_admin_role_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        where = self.team or self.organisation
        return f"{self.user}: {self.get_role_display()}, {where}"


class SkillKind(models.TextChoices):
    DOMAIN = "domain", "ABCD'S domain"
    ADVANCED_SKILL = "advanced_skill", "Advanced skill"


class SkillLevel(models.TextChoices):
    CORE = "core", "Core"
    ADVANCED = "advanced", "Advanced"


@audited()
class Skill(models.Model):
    """An entry of the organisation's skill catalogue: an ABCD'S domain at a level, or an
    advanced skill such as EMDR or autism assessment."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="skills")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=SkillKind.choices)
    level = models.CharField(max_length=10, choices=SkillLevel.choices)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["kind", "name", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name", "level"], name="skill_unique_in_catalogue"
            ),
            models.CheckConstraint(
                condition=Q(kind=SkillKind.DOMAIN) | Q(level=SkillLevel.ADVANCED),
                name="skill_advanced_skills_are_at_advanced_level",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == SkillKind.DOMAIN:
            return f"{self.name} ({self.get_level_display().lower()})"
        return self.name


class Profession(models.TextChoices):
    PSYCHIATRIST = "psychiatrist", "Psychiatrist"
    CLINICAL_PSYCHOLOGIST = "clinical_psychologist", "Clinical psychologist"
    MENTAL_HEALTH_NURSE = "mental_health_nurse", "Mental health nurse"
    FAMILY_THERAPIST = "family_therapist", "Family therapist"
    CHILD_PSYCHOTHERAPIST = "child_psychotherapist", "Child psychotherapist"
    SOCIAL_WORKER = "social_worker", "Social worker"
    OCCUPATIONAL_THERAPIST = "occupational_therapist", "Occupational therapist"
    CBT_THERAPIST = "cbt_therapist", "CBT therapist"
    PSYCHOLOGICAL_PRACTITIONER = "psychological_practitioner", "Psychological wellbeing practitioner"
    OTHER = "other", "Other"


@audited()
class ClinicianProfile(models.Model):
    """What job planning needs to know about a clinician: profession, hours and skills."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="clinician_profile")
    profession = models.CharField(max_length=40, choices=Profession.choices)
    contracted_hours_per_week = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("37.50"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("60"))],
        help_text="Full time in the NHS is 37.5 hours a week.",
    )
    skills = models.ManyToManyField(Skill, through="ClinicianSkill", related_name="clinicians")

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contracted_hours_per_week__gt=0, contracted_hours_per_week__lte=168),
                name="clinician_contracted_hours_fit_in_a_week",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_profession_display()})"


@audited()
class ClinicianSkill(models.Model):
    profile = models.ForeignKey(ClinicianProfile, on_delete=models.CASCADE)
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "skill"], name="clinician_skill_listed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.profile.user}: {self.skill}"


@audited()
class Venue(models.Model):
    """A place where a team sees families: a clinic, a school, a health centre."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="venues")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Only active venues take new slots.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="venue_name_unique_in_team"),
        ]

    def __str__(self) -> str:
        return self.name
