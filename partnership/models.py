"""Cases: a family's episode of care in a team. This is the minimum a booking attaches to; case
tracking from referral to Let Go completes it later."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from accounts.models import Team
from capa.audit import audited


@audited()
class Case(models.Model):
    """One episode of a child's care in a team, from referral. A re-referral opens a new one."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cases")
    family_reference = models.CharField(
        max_length=40, help_text="The team's reference for the family, e.g. the record number."
    )
    child_first_name = models.CharField(max_length=100)
    child_last_name = models.CharField(max_length=100)
    child_date_of_birth = models.DateField()
    referral_date = models.DateField()
    choice_date = models.DateField(null=True, blank=True, help_text="The day of the Choice appointment.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-referral_date", "child_last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "family_reference", "referral_date"], name="case_one_episode_per_referral"
            ),
            models.CheckConstraint(
                condition=Q(child_date_of_birth__lte=F("referral_date")),
                name="case_child_born_before_referral",
            ),
            models.CheckConstraint(
                condition=Q(choice_date__isnull=True) | Q(choice_date__gte=F("referral_date")),
                name="case_choice_after_referral",
            ),
        ]
        indexes = [models.Index(fields=["team", "family_reference"])]

    def __str__(self) -> str:
        return f"{self.child_first_name} {self.child_last_name} ({self.family_reference})"

    def get_absolute_url(self) -> str:
        return reverse("partnership:case-detail", kwargs={"team_id": self.team_id, "case_id": self.pk})

    @property
    def child_name(self) -> str:
        return f"{self.child_first_name} {self.child_last_name}"


class CaseView(models.Model):
    """Someone opened a child's case or letter: who looked at which child's record, and when.

    Not audited by triggers (it is itself the audit), and never updated."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="views")
    viewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    viewed_at = models.DateTimeField(auto_now_add=True)
    what = models.CharField(max_length=40, default="case", help_text="The page: the case or a letter.")

    class Meta:
        ordering = ["-viewed_at"]
        indexes = [models.Index(fields=["case", "-viewed_at"])]

    def __str__(self) -> str:
        return f"{self.viewed_by} viewed {self.case} ({self.what})"
