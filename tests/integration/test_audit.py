"""Changes to planning and clinical data are recorded with who made them, however they were made."""

from __future__ import annotations

import pghistory.models
import pytest
from django.apps import apps
from django.urls import reverse

from accounts.models import ClinicianProfile, Venue
from tests.factories import ClinicianProfileFactory, VenueFactory

pytestmark = pytest.mark.django_db

AUDITED_APPS = ("accounts", "planning", "diary", "partnership")
# Tables that are themselves records of what happened, written once and never edited: a trail of
# their changes would only repeat them.
SELF_RECORDING = {
    "diary.OutboxEmail",  # the email sent, its attempts and errors
    "partnership.CaseView",  # who opened a child's record, and when
    "diary.TargetChange",  # what republishing changed, by whom and when
    "diary.ReminderSent",  # which reminder went to whom
    "diary.Notice",  # the message itself; only its read time changes
    "partnership.CaseStep",  # a step of a case's journey: what, who, when; never updated
    "partnership.RotaPick",  # who the rota picked, whom it skipped and why; never updated
}


def test_every_capa_model_has_an_audit_trail():
    tracked = {
        model._meta.concrete_model
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event)
        for model in [model.pgh_tracked_model]
    }
    untracked = [
        model._meta.label
        for app in AUDITED_APPS
        for model in apps.get_app_config(app).get_models()
        if not issubclass(model, pghistory.models.Event)
        and model not in tracked
        and model._meta.label not in SELF_RECORDING
    ]
    assert untracked == []


def test_an_edit_in_the_admin_is_recorded_with_the_acting_user(client, admin, team):
    venue = VenueFactory(team=team, name="Riverside Clinic")
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_venue_change", args=[venue.pk]),
        {
            "team": team.pk,
            "name": "Riverside Clinic (new building)",
            "address": "2 Mill Lane",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    event = pghistory.models.Events.objects.tracks(venue).filter(pgh_label="update").get()
    assert event.pgh_data["name"] == "Riverside Clinic (new building)"
    assert event.pgh_context["user"] == admin.pk
    assert event.pgh_context["url"] == reverse("admin:accounts_venue_change", args=[venue.pk])


def test_bulk_updates_and_deletes_are_caught_too():
    profile = ClinicianProfileFactory()
    venue = VenueFactory()
    ClinicianProfile.objects.filter(pk=profile.pk).update(contracted_hours_per_week=30)
    Venue.objects.filter(pk=venue.pk).delete()
    labels = set(pghistory.models.Events.objects.tracks(profile).values_list("pgh_label", flat=True))
    assert labels == {"insert", "update"}
    assert pghistory.models.Events.objects.filter(pgh_obj_model="accounts.Venue", pgh_label="delete").exists()


def test_raw_sql_is_caught_too():
    """The trail is kept by triggers in PostgreSQL, so a write that skips Django entirely is in it."""
    from django.db import connection

    venue = VenueFactory(name="Riverside Clinic")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_venue SET name = 'Riverside Clinic (annexe)' WHERE id = %s", [venue.pk]
        )
    event = pghistory.models.Events.objects.tracks(venue).filter(pgh_label="update").get()
    assert event.pgh_data["name"] == "Riverside Clinic (annexe)"


def test_the_audit_history_is_readable_in_the_admin(client, admin, team):
    venue = VenueFactory(team=team)
    client.force_login(admin)
    response = client.get(reverse("admin:pghistory_events_changelist"), {"obj": f"accounts.venue:{venue.pk}"})
    assert response.status_code == 200
    assert "insert" in response.content.decode()
