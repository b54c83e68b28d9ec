"""The dashboards' summary table and the change log that decides when a summary may be used.

A `Summary` holds one team's figures for one quarter as `dashboard/quarterly.py` worked them out.
It is used only while nothing it was worked out from has changed since (docs/adr/0010): triggers on
every table the figures read write a `Change` row naming the team (or no team: all of them) in the
writing transaction, and a summary remembers the last change it saw and the transactions still in
flight when it was started. Anything newer, or any of those transactions having committed since,
and the summary is worked out again. A summary can be missing or old; it cannot be wrong.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Now


class Change(models.Model):
    """Something the dashboards count changed in a team (team null: in every team). Written only
    by the database triggers of migration 0001; pruned after two days (`dashboard.tasks`)."""

    id = models.BigAutoField(primary_key=True)
    team_id = models.BigIntegerField(
        null=True, blank=True
    )  # no foreign key: a write never locks the team row
    at = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["team_id", "id"], name="dashboard_changes_by_team")]

    def __str__(self) -> str:
        return f"change {self.pk} in team {self.team_id if self.team_id is not None else '(every team)'}"


class Summary(models.Model):
    """One team's figures for one quarter (`quarterly.TeamActivity`, as JSON) and what they were
    worked out from."""

    team_id = models.BigIntegerField()
    quarter_start = models.DateField()
    start_month = models.PositiveSmallIntegerField()  # the organisation's financial year
    computed_at = models.DateTimeField()  # the `now` the figures were worked out for
    changes_upto = models.BigIntegerField(help_text="The last Change visible when the work started.")
    in_flight = ArrayField(
        models.BigIntegerField(),
        default=list,
        blank=True,
        help_text="Transactions in progress when it started.",
    )
    valid_until = models.DateTimeField(
        null=True, help_text="When the next vacant slot starts (and 'left unbooked' would change)."
    )
    figures = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team_id", "quarter_start", "start_month"], name="dashboard_one_summary_a_quarter"
            )
        ]
        verbose_name_plural = "summaries"

    def __str__(self) -> str:
        return f"team {self.team_id}, quarter from {self.quarter_start:%d/%m/%Y}"
