"""Nothing escapes the fuzzing: every URL of capa that takes a POST is fuzzed by
`test_post_views.py`, every other URL is listed as GET-only (and really refuses a POST), and every
form class in capa's code is fuzzed by `test_forms.py`. A new view or form fails here until it is
fuzzed (or, for a GET-only view, listed)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from django import forms
from django.urls import URLPattern, URLResolver, get_resolver

from tests.fuzz import test_forms, test_post_views
from tests.fuzz.forms import MAKERS
from tests.fuzz.post_views import GET_ONLY, SPECS

APPS = ("accounts", "planning", "diary", "partnership", "dashboard", "capa")


def url_patterns(entries=None, namespace: str = ""):
    """Every named URL pattern of capa but the Django admin's, as (name, pattern)."""
    for entry in get_resolver().url_patterns if entries is None else entries:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or '<unnamed ' + str(entry.pattern) + '>'}", entry


def allowed_methods(view) -> set[str] | None:
    """The HTTP methods a view answers, from its class or its require_http_methods() decorator;
    None when it does not say (then it answers POST as readily as GET)."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if m != "options" and hasattr(view_class, m)}
    while view is not None:
        for cell in getattr(view, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if is_method_list(value):
                return set(value)
        view = getattr(view, "__wrapped__", None)
    return None


def is_method_list(value) -> bool:
    """require_http_methods(["GET", "POST"]) keeps its list in the closure of the view it makes."""
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(m, str) and m.isupper() for m in value)
    )


def takes_post(view) -> bool:
    methods = allowed_methods(view)
    return methods is None or "POST" in methods


def test_every_url_is_fuzzed_or_listed_as_get_only():
    names = {name for name, _ in url_patterns()}
    assert sorted(names - set(SPECS) - GET_ONLY) == [], "fuzz these POST views, or list them as GET_ONLY"
    assert sorted(set(SPECS) & GET_ONLY) == []
    assert sorted((set(SPECS) | GET_ONLY) - names) == [], "these URLs no longer exist"


def test_the_fuzzed_urls_are_exactly_those_that_take_a_post():
    posts = {name for name, pattern in url_patterns() if takes_post(pattern.callback)}
    assert sorted(posts - set(SPECS)) == [], "these URLs take a POST but are not fuzzed"
    assert sorted(set(SPECS) - posts) == [], "these fuzzed URLs refuse a POST: list them as GET_ONLY"


def test_the_decorators_are_read_right():
    """The reading of views' methods, checked on views whose methods are known."""
    from accounts.views import LoginView
    from diary.views import book, remove_slot, search_page
    from diary.views_calendar import feed

    assert allowed_methods(search_page) == {"GET"}
    assert allowed_methods(feed) == {"GET"}
    assert allowed_methods(book) == {"GET", "POST"}
    assert allowed_methods(remove_slot) == {"POST"}
    assert "POST" in allowed_methods(LoginView.as_view())
    assert allowed_methods(lambda request: None) is None


def project_form_classes() -> set[type]:
    found = set()
    for app in APPS:
        package = importlib.import_module(app)
        for module_info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" in module_info.name or module_info.name.endswith(("wsgi", "asgi", "celery")):
                continue
            module = importlib.import_module(module_info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == module.__name__ and issubclass(cls, forms.BaseForm):
                    found.add(cls)
    return found


def test_every_form_class_is_fuzzed():
    found = project_form_classes()
    assert len(found) >= 20
    assert sorted(c.__qualname__ for c in found - set(MAKERS)) == [], "add these forms to tests/fuzz/forms.py"


def test_each_view_and_form_gets_at_least_200_examples():
    assert test_post_views.FUZZ.max_examples >= 200
    assert test_forms.FUZZ.max_examples >= 200
