"""Production refuses to start without its own secrets, and says how to provide them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_check(**env: str) -> subprocess.CompletedProcess:
    # Production is judged without the test run's own settings (the browser tests allow sync ORM
    # calls beside Playwright's event loop, which production must never do).
    dropped = {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("missing", "hint"), [("SECRET_KEY", "secrets.token_urlsafe"), ("ALLOWED_HOSTS", "host")]
)
def test_production_without_a_secret_stops_with_a_hint(missing, hint):
    values = {
        "CAPA_ENV": "production",
        "SECRET_KEY": "s" * 20 + "x1y2z3" * 10,
        "ALLOWED_HOSTS": "capa.nhs.uk",
    }
    del values[missing]
    result = run_check(**values)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr
    assert hint in result.stderr


def test_production_settings_pass_the_deployment_checklist_with_no_warning():
    result = run_check(
        CAPA_ENV="production",
        SECRET_KEY="a-production-secret-" + "q8Z" * 20,
        ALLOWED_HOSTS="capa.example.nhs.uk",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_a_web_worker_freezes_what_it_loaded_so_full_collections_skip_it():
    """capa/wsgi.py hides Django and the apps from the garbage collector (p95 stalls otherwise)."""
    result = subprocess.run(
        [sys.executable, "-c", "import gc, capa.wsgi; print(gc.get_freeze_count())"],
        cwd=ROOT,
        env={**os.environ, "CAPA_ENV": "test"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 10_000  # every module, class and function loaded so far
