"""With production's settings, every answer tells the browser to keep to HTTPS and cookies never
travel in the clear; load balancers' health checks are answered over plain HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
HOST = "capa.example.nhs.uk"

REQUESTS = f"""
import json, django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
# Static files are collected at deployment; here they are served unhashed, nothing else changes.
override_settings(STORAGES={{**settings.STORAGES, "staticfiles": {{
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}}}).enable()
client = Client(HTTP_HOST="{HOST}")
plain = client.get("/accounts/login/")
secure = client.get("/accounts/login/", secure=True)
health = client.get("/health")
cookie = secure.cookies["csrftoken"]
print(json.dumps({{
    "plain": [plain.status_code, plain.get("Location")],
    "hsts": secure.get("Strict-Transport-Security"),
    "csrf_cookie": {{"secure": bool(cookie["secure"]), "samesite": cookie["samesite"]}},
    "health": health.status_code,
}}))
print(json.dumps({{
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
}}))
"""


@pytest.mark.django_db
def test_production_answers_carry_hsts_and_secure_cookies():
    database = connection.settings_dict
    server = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    login = quote(database["USER"] or "") + (
        f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    )
    database_url = f"postgres://{login}@{server}/{database['NAME']}"
    dropped = {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    result = subprocess.run(
        [sys.executable, "-c", REQUESTS],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "capa.settings",
            "CAPA_ENV": "production",
            "SECRET_KEY": "a-production-secret-" + "q8Z" * 20,
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": database_url,  # the test database: migrated, and thrown away after
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answers, settings = (json.loads(line) for line in result.stdout.strip().splitlines()[-2:])
    assert answers["plain"] == [301, f"https://{HOST}/accounts/login/"]
    assert answers["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert answers["csrf_cookie"] == {"secure": True, "samesite": "Lax"}
    assert answers["health"] in (200, 503)  # answered over plain HTTP, not sent to HTTPS
    assert settings == {"session_secure": True, "session_httponly": True, "csrf_secure": True}
