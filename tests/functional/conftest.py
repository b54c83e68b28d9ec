"""Browser journeys: Debian's chromium driven by Playwright against pytest-django's live server.

Playwright cannot download a browser here, so it launches /usr/bin/chromium. axe-core (vendored
in tests/functional/vendor) checks every page state for WCAG 2.2 A and AA violations.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures here are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
EXPECTED_STATUS_MESSAGE = re.compile(
    r"Failed to load resource: the server responded with a status of 40[0349]"
)
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    # A blocked inline script or style shows up as a console error: the CSP must never fire. Chrome
    # also logs every 400, 403, 404 or 409 page it is shown (a form sent back with its errors, a page
    # the user may not see, a slot just taken); the tests ask for those on purpose.
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not EXPECTED_STATUS_MESSAGE.search(message.text)
            and problems.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert problems == [], f"browser console errors: {problems}"


def axe_violations(page: Page) -> list[str]:
    """WCAG 2.2 A/AA violations axe-core finds on the page as it is now."""
    page.evaluate(AXE_SOURCE)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
    ]


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
