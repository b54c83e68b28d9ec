"""Logging in, lockout by username, session limits and password rules."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SESSION_STARTED_AT
from tests.factories import DEMO_PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def log_in(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_a_clinician_logs_in_and_lands_on_their_home_page(client, choice_clinician):
    response = log_in(client, "sam.clinician", DEMO_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_password_shows_the_error_and_keeps_the_username(client, choice_clinician):
    response = log_in(client, "sam.clinician", "not-the-password")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a correct username and password" in page
    assert 'value="sam.clinician"' in page
    assert "<title>Error: " in page


def test_the_sixth_wrong_password_locks_that_user_but_not_another_from_the_same_address(
    client, choice_clinician, team_lead
):
    for attempt in range(1, 6):
        response = log_in(client, "sam.clinician", f"wrong-{attempt}")
        assert response.status_code == 200
        assert "This account is locked" not in response.content.decode()
    response = log_in(client, "sam.clinician", "wrong-6")
    assert response.status_code == 403
    assert "This account is locked for 15 minutes" in response.content.decode()
    response = log_in(client, "sam.clinician", DEMO_PASSWORD)  # even the right password now
    assert response.status_code == 403
    assert "This account is locked for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session

    other = client.__class__()  # same REMOTE_ADDR (127.0.0.1), another user
    assert log_in(other, "lee.lead", DEMO_PASSWORD).status_code == 302


def test_a_lock_lasts_15_minutes(client, choice_clinician):
    for attempt in range(6):
        log_in(client, "sam.clinician", f"wrong-{attempt}")
    assert log_in(client, "sam.clinician", DEMO_PASSWORD).status_code == 403
    # Move the failures 15 minutes into the past, as if the clinician had waited.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert log_in(client, "sam.clinician", DEMO_PASSWORD).status_code == 302


def test_a_session_ends_after_30_idle_minutes(client, choice_clinician, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.force_login(choice_clinician)
    client.get(reverse("home"))
    assert 29 * 60 < client.session.get_expiry_age() <= 30 * 60
    session = client.session
    session.set_expiry(-1)  # as if 30 minutes had passed without a request
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_session_ends_after_12_hours_however_busy(client, choice_clinician):
    client.force_login(choice_clinician)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session[SESSION_STARTED_AT] = time.time() - 12 * 60 * 60 - 1
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_log_out_takes_a_post_and_ends_the_session(client, choice_clinician):
    client.force_login(choice_clinician)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pass1", "at least 12 characters"),
        ("123456789012345", "entirely numeric"),
        ("password1234", "too common"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, reason, choice_clinician):
    with pytest.raises(ValidationError, match=reason):
        validate_password(password, user=choice_clinician)


def test_changing_the_password_shows_the_rule_next_to_the_field(client, choice_clinician):
    client.force_login(choice_clinician)
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": DEMO_PASSWORD, "new_password1": "tooshort", "new_password2": "tooshort"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "at least 12 characters" in page
    assert 'href="#id_new_password2"' in page or 'href="#id_new_password1"' in page
    choice_clinician.refresh_from_db()
    assert choice_clinician.check_password(DEMO_PASSWORD)
