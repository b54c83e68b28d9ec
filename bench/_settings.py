"""Settings for the benchmarks' own gunicorn: the project's settings with two changes.

- `ROOT_URLCONF` adds the yardstick, a logged-in no-op page (`bench/_urls.py`), which the project
  itself must not serve.
- Static file URLs come from the plain storage, and there is no STATIC_ROOT for WhiteNoise to
  serve from: with `DEBUG=0` the project's manifest storage needs a `collectstatic` run first, and a
  benchmark should not write into the checkout. Working out a URL costs about the same either way,
  and no page measured here is a static file.

Not a benchmark: `make bench` runs every bench/*.py, and run directly this only reads the settings.
"""

from capa.settings import *  # noqa: F403  (the project's settings, changed below)
from capa.settings import STORAGES

ROOT_URLCONF = "bench._urls"
STATIC_ROOT = None
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
