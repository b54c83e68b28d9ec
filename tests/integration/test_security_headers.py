"""Every page carries the security headers, and an error never shows a traceback."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path, reverse

pytestmark = pytest.mark.django_db


def test_pages_send_a_strict_content_security_policy(client, choice_clinician):
    for url in (reverse("accounts:login"), reverse("home")):
        if url == reverse("home"):
            client.force_login(choice_clinician)
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "unsafe-inline" not in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script_or_style(client, choice_clinician):
    client.force_login(choice_clinician)
    for url in (reverse("home"), reverse("accounts:password-change")):
        page = client.get(url).content.decode()
        assert " style=" not in page
        assert "<script>" not in page
        assert " onclick=" not in page


def broken_view(request):
    raise RuntimeError("secret internals")


urlpatterns = [path("broken/", broken_view)]
handler500 = "capa.views.server_error"


@pytest.mark.urls(__name__)
def test_a_server_error_shows_a_plain_page_without_a_traceback():
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "secret internals" not in page
    assert "Traceback" not in page
    assert "Sorry, there is a problem with the service" in page


def test_a_missing_page_is_a_friendly_404(client, choice_clinician):
    client.force_login(choice_clinician)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
