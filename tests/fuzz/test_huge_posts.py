"""Posts too big to read: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a multipart field over it, and
more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS, to every POST view. As a browser's post is, each is
checked for its CSRF token (with a right one), so reading it is the first thing the request does:
the answer is 400 (or 413), never a server error, and no row changes. Also a spreadsheet over the
import's 2 MB limit, which is refused with the form's message."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from planning import imports
from tests.fuzz.harness import csrf_token, post_and_watch
from tests.fuzz.post_views import SPECS

pytestmark = pytest.mark.django_db
URLENCODED = "application/x-www-form-urlencoded"


def url_of(world, spec) -> str:
    return reverse(spec.name, kwargs={key: world.id(names[0]) for key, names in spec.url.items()})


@pytest.fixture(scope="module")
def huge() -> str:
    return "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("shape", ["urlencoded", "multipart", "too many fields"])
def test_a_post_too_big_to_read_is_a_bad_request(world, name, shape, huge):
    spec = SPECS[name]
    for record in spec.prepare:
        world.get(record)
    client = world.client(spec.persona, csrf=True)
    token = csrf_token(client)
    url = url_of(world, spec)
    if shape == "urlencoded":
        post = {"data": f"csrfmiddlewaretoken={token}&notes={huge}", "content_type": URLENCODED}
    elif shape == "multipart":  # the test client's own encoding
        post = {"data": {"csrfmiddlewaretoken": token, "notes": huge}}
    else:
        fields = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
        post = {"data": f"csrfmiddlewaretoken={token}&{fields}", "content_type": URLENCODED}

    response, changed = post_and_watch(lambda: client.post(url, **post), succeeded=lambda response: False)

    assert response.status_code in (400, 413)
    assert changed == []


def test_a_spreadsheet_over_the_limit_is_refused_with_a_message(world):
    client = world.client("lead", csrf=True)
    token = csrf_token(client)
    too_big = SimpleUploadedFile("plans.csv", b"Username\n" + b"x" * imports.MAX_BYTES)
    url = reverse("planning:plans-import", args=[world.id("team")])

    response, changed = post_and_watch(
        lambda: client.post(url, {"csrfmiddlewaretoken": token, "file": too_big}),
        succeeded=lambda response: False,
    )

    assert response.status_code in (200, 400, 413)
    assert changed == []
    assert response.context["form"].errors["file"]
