"""Each persona logs in and finds their way; wrong passwords and lockouts read clearly; every page
state passes axe-core's WCAG 2.2 A/AA rules."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import DEMO_PASSWORD
from tests.functional.conftest import axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("persona", "sees", "does_not_see"),
    [
        ("choice_clinician", ["Home", "Riverside CAMHS"], ["Teams", "Admin site", "Hillside CAMHS"]),
        ("team_lead", ["Home", "Riverside CAMHS"], ["Teams", "Admin site", "Hillside CAMHS"]),
        ("admin", ["Home", "Teams", "Admin site"], ["Riverside CAMHS"]),
        ("outsider", ["Home", "Hillside CAMHS"], ["Teams", "Admin site", "Riverside CAMHS"]),
    ],
)
def test_each_persona_logs_in_and_sees_their_own_navigation(
    page, live_server, request, persona, sees, does_not_see
):
    user = request.getfixturevalue(persona)
    log_in(page, user.username, DEMO_PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/")
    navigation = page.get_by_role("navigation", name="Primary navigation")
    for label in sees:
        expect(navigation.get_by_role("link", name=label, exact=True)).to_be_visible()
    for label in does_not_see:
        expect(navigation.get_by_role("link", name=label, exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to capa")).to_be_visible()


def test_a_wrong_password_shows_the_nhs_error_summary(page, choice_clinician):
    page.goto("/accounts/login/")
    assert axe_violations(page) == []
    log_in(page, "sam.clinician", "not-my-password")

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Enter a correct username and password")
    expect(page).to_have_title(re.compile(r"^Error: "))
    # The summary's link takes keyboard users to the field to fix.
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Username")).to_be_focused()
    assert axe_violations(page) == []


def test_the_sixth_wrong_password_locks_the_user_but_not_a_colleague_at_the_same_address(
    page, browser, live_server, choice_clinician, team_lead
):
    for attempt in range(5):
        log_in(page, "sam.clinician", f"wrong-password-{attempt}")
        expect(page.get_by_role("alert")).to_contain_text("Enter a correct username and password")

    log_in(page, "sam.clinician", "wrong-password-6")
    expect(page.get_by_role("alert")).to_contain_text("This account is locked for 15 minutes")
    log_in(page, "sam.clinician", DEMO_PASSWORD)  # the right password is refused too, for now
    expect(page.get_by_role("alert")).to_contain_text("This account is locked for 15 minutes")
    expect(page.get_by_role("heading", name="Log in to capa")).to_be_visible()
    assert axe_violations(page) == []

    colleague = browser.new_context(base_url=live_server.url).new_page()  # same 127.0.0.1
    log_in(colleague, "lee.lead", DEMO_PASSWORD)
    expect(colleague).to_have_url(f"{live_server.url}/")
    colleague.context.close()


def test_the_403_and_404_pages_are_accessible(page, choice_clinician, other_team):
    log_in(page, "sam.clinician", DEMO_PASSWORD)

    response = page.goto("/accounts/teams/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert axe_violations(page) == []

    response = page.goto(f"/accounts/teams/{other_team.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert axe_violations(page) == []


def test_a_team_page_lists_the_people_and_venues(page, team, team_lead, choice_clinician):
    log_in(page, "lee.lead", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Riverside CAMHS"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Riverside CAMHS")
    expect(page.get_by_role("table").first).to_contain_text("Sam Clinician")
    assert axe_violations(page) == []
