"""Every POST view of capa, fuzzed over HTTP with 200 generated requests each: missing and bogus
CSRF tokens, wrong types, missing and repeated fields, huge and NUL-laden values, 31 February and
far-off dates, other teams' ids in the URL and the form, and the wrong people posting.

Whatever is posted, the answer is one the app means to give (never a server error: the test
client raises it), and a post that did not succeed changed no row."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import ALLOWED, bogus_token, csrf_token, post_and_watch
from tests.fuzz.post_views import SPECS
from tests.fuzz.strategies import Ref, post_data, resolve

pytestmark = pytest.mark.django_db

EXAMPLES = 200
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OTHER_PERSONAS = ["anonymous", "outsider", "stranger", "admin", "other_admin", "clinician", "lead"]
# Most posts come from a browser without CSRF checks (as Django's test client is), so they reach the
# view; the rest check the token as real requests are checked: missing or wrong is a 403.
CSRF = st.sampled_from(["off"] * 7 + ["valid"] * 2 + ["missing", "bogus"])
JUNK = post_data({})  # views without a form get fields nobody asked for


def personas(main: str) -> st.SearchStrategy[str]:
    return st.sampled_from([main] * 20 + OTHER_PERSONAS)


def url_arguments(url: dict[str, tuple[str, ...]]) -> st.SearchStrategy[dict]:
    """Mostly the team's own records, so the post reaches the form; else each argument is one of
    the team's, another team's, one that does not exist, or any number at all."""
    own = st.fixed_dictionaries({key: st.sampled_from([Ref(n) for n in names]) for key, names in url.items()})
    mixed = st.fixed_dictionaries(
        {
            key: st.one_of(
                st.sampled_from([Ref(n, whose) for n in names for whose in ("own", "other")]),
                st.just(Ref(names[0], "gone")),
                st.integers(min_value=0, max_value=10**25),
            )
            for key, names in url.items()
        }
    )
    return st.one_of(own, own, own, own, mixed)


def requests(spec, world) -> st.SearchStrategy[dict]:
    """Who posts, with which CSRF token, to which records, what: built once per test."""
    return st.fixed_dictionaries(
        {
            "persona": personas(spec.persona),
            "csrf": CSRF,
            "url": url_arguments(spec.url),
            "post": spec.fields(world) if spec.fields else JUNK,
            "query": spec.query(world) if spec.query else st.just({}),
            "upload": spec.upload(world) if spec.upload else st.none(),
        }
    )


@FUZZ
@given(data=st.data())
@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_post_view_survives_hostile_input(world, name, data):
    spec = SPECS[name]
    for record in spec.prepare:
        world.get(record)
    ids = world.ids()
    drawn = data.draw(world.strategy(name, lambda: requests(spec, world)), label="request")
    persona, csrf, upload = drawn["persona"], drawn["csrf"], drawn["upload"]

    url = reverse(name, kwargs=resolve(drawn["url"], ids))
    if drawn["query"]:
        url += "?" + urlencode(resolve(drawn["query"], ids), doseq=True)
    post = resolve(drawn["post"], ids)
    if upload is not None:
        post["file"] = SimpleUploadedFile(upload[0], upload[1])
    client = browser(world, persona, csrf=csrf != "off", fresh=spec.fresh_client)
    if csrf == "valid":
        post["csrfmiddlewaretoken"] = csrf_token(client)
    elif csrf == "bogus":
        csrf_token(client)
        post["csrfmiddlewaretoken"] = bogus_token()

    def succeeded(response) -> bool:
        return response.status_code == 302 and spec.succeeded(response, client)

    response, changed = post_and_watch(lambda: client.post(url, post), succeeded=succeeded)

    event(f"{response.status_code} {'succeeded' if succeeded(response) else 'refused'}")
    assert response.status_code in ALLOWED, (response.status_code, url, post)
    if csrf in ("missing", "bogus"):
        assert response.status_code == 403, (response.status_code, url, post)
    assert changed == [], (response.status_code, url, post)


def browser(world, persona: str, *, csrf: bool, fresh: bool) -> Client:
    if not fresh:
        return world.client(persona, csrf=csrf)
    client = Client(enforce_csrf_checks=csrf)
    if persona != "anonymous":
        client.force_login(world.person(persona))
    return client
