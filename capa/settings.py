"""capa settings: one module, driven by the environment.

CAPA_ENV chooses the defaults:
- "development" (default): safe local defaults; services come from `.run/services.env`, which
  `scripts/services` writes for the private PostgreSQL and Redis it starts.
- "test": as development, plus a fast password hasher.
- "production": nothing is assumed. A missing SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL or REDIS_URL
  stops start-up with a hint, and HTTPS-only cookies and HSTS are on.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
CAPA_ENV = os.environ.get("CAPA_ENV", "development")
if CAPA_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"CAPA_ENV={CAPA_ENV!r}: use development, test or production.")
PRODUCTION = CAPA_ENV == "production"


def _services_file() -> dict[str, str]:
    """The addresses of the private services that `scripts/services start` wrote, if any."""
    path = BASE_DIR / ".run" / "services.env"
    if PRODUCTION or not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


_SERVICES = _services_file()


def env(name: str, *, default: str | None = None, hint: str = "") -> str:
    """A setting from the environment; in production a missing one stops start-up with a hint."""
    value = os.environ.get(name) or _SERVICES.get(name)
    if value:
        return value
    if default is None or PRODUCTION:
        raise ImproperlyConfigured(f"Set the {name} environment variable. {hint}".strip())
    return default


def env_flag(name: str, *, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env(
    "SECRET_KEY",
    # Only ever used on a developer's machine: production refuses to start without its own.
    default="development-only-key-not-secret-" + "x" * 32,
    hint="Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'",
)
DEBUG = env_flag("DEBUG", default=False)
ALLOWED_HOSTS = env(
    "ALLOWED_HOSTS",
    default="127.0.0.1,localhost,testserver",
    hint="A comma-separated list of the host names capa is served on, e.g. capa.example.nhs.uk.",
).split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",  # so that widget templates come from templates/ too (FORM_RENDERER below)
    "crispy_forms",
    "axes",
    "csp",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "capa",
    "accounts",
    "planning",
    "diary",
    "partnership",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Around everything that may touch the database (sessions, log-in, views): a 503 page, not a
    # server error, when it cannot answer. Static files above it need no database.
    "capa.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.AbsoluteSessionLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    # Last, so that a locked-out login is answered by axes whatever the view did.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "capa.urls"
WSGI_APPLICATION = "capa.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# Database: one PostgreSQL for every app. Web requests must never hang on a busy database.
DATABASES = {
    "default": dj_database_url.parse(
        env(
            "DATABASE_URL",
            hint="On a developer's machine `make run` or `scripts/services start` provides it; "
            "elsewhere e.g. postgres://capa:password@db.example.nhs.uk:5432/capa",
        ),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A hung or unreachable server answers within 5 s (the 503 page) rather than hanging the page.
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 3
# Web processes only (capa/wsgi.py sets CAPA_PROCESS=web before these settings load): a statement
# running longer than 15 s, or waiting over 5 s for a lock, is cancelled and the person gets the 503
# page (capa/middleware.py) well inside gunicorn's 30 s worker timeout, instead of a hung page. Diary
# writes set their own shorter lock timeout. Celery workers, beat and management commands (quarterly
# publication, seed_demo, migrations) legitimately run longer and keep PostgreSQL's defaults.
if os.environ.get("CAPA_PROCESS") == "web":
    _options = DATABASES["default"]["OPTIONS"]
    _options["options"] = f"{_options.get('options', '')} -c statement_timeout=15s -c lock_timeout=5s".strip()
# A form's choices are iterated with .iterator(); server-side cursors would make each a three-
# statement round trip (and break behind a transaction-pooling PgBouncer).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Celery: Redis is the broker only; nothing a page needs lives there.
REDIS_URL = env(
    "REDIS_URL",
    hint="On a developer's machine `make run` or `scripts/services start` provides it; "
    "elsewhere e.g. redis://redis.example.nhs.uk:6379/0",
)
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Nothing is scheduled further ahead than this, so an unacknowledged task is never run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 60 * 60))
}
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a task whose worker died is redelivered, not dropped
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# Publishing each quarter's first Core slot targets (diary/publication.py).
PUBLICATION_LEAD_DAYS = int(os.environ.get("PUBLICATION_LEAD_DAYS", 42))
REMINDER_DAYS_BEFORE = tuple(int(d) for d in os.environ.get("REMINDER_DAYS_BEFORE", "21,7").split(","))
PUBLICATION_TEST_HOLD_FILE = os.environ.get("PUBLICATION_TEST_HOLD_FILE", "") if not PRODUCTION else ""
CELERY_TASK_IGNORE_RESULT = True

# Accounts, log-in and sessions
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 30 * 60  # idle limit: every request pushes the expiry 30 minutes on
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_LIMIT = timedelta(hours=12)  # enforced by AbsoluteSessionLimitMiddleware
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout by username, not address: a whole trust shares one outgoing IP address.
AXES_FAILURE_LIMIT = 6  # five wrong passwords in a row are allowed; the sixth locks the username
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failed log-in is kept for the audit, not only counted
SILENCED_SYSTEM_CHECKS = [
    # axes.W006 asks for the IP address in the lockout key. Deliberately not: every user of a
    # trust comes from one address, so one mistyping user would lock out the whole trust.
    "axes.W006",
]

# Security headers. No inline script or style anywhere, so the policy needs no 'unsafe-inline'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", default=True)
    # Load balancers check health over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^health$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS]

# Language and time: UK English, UK dates, London time, every datetime aware.
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "D j M Y"  # Tue 14 Jan 2027
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "D j M Y, H:i"

# Static files: vendored NHS.UK frontend and htmx, served by WhiteNoise with hashed names.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
CRISPY_ALLOWED_TEMPLATE_PACKS = ["nhsuk"]
CRISPY_TEMPLATE_PACK = "nhsuk"
CRISPY_FAIL_SILENTLY = False

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_TIMEOUT = 10  # a mail server that hangs must not hold a worker for long
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "capa@localhost")
# Links in emails and letters point here (no request to take the host from in the worker).
CAPA_BASE_URL = os.environ.get(
    "CAPA_BASE_URL", f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://127.0.0.1:8000"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
