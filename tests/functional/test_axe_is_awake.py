"""The accessibility checks can fail: axe-core finds a violation that we plant on purpose."""

import pytest

from tests.functional.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_axe_reports_an_unlabelled_input_planted_in_the_login_page(page):
    page.goto("/accounts/login/")
    assert axe_violations(page) == []
    page.evaluate("document.querySelector('label[for=id_username]').remove()")
    assert any(v.startswith("label ") for v in axe_violations(page))
