"""Django settings, all read from the environment (docs/deploy.md lists every variable).

The defaults make a development site on this machine: SQLite under ./var, the console
e-mail backend, DEBUG on only when CYBERBASICS_DEBUG says so. A real deployment sets
CYBERBASICS_SECRET_KEY, CYBERBASICS_DATABASE_URL (PostgreSQL), CYBERBASICS_ALLOWED_HOSTS
and the e-mail variables, and leaves CYBERBASICS_LAB unset.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

WEB_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("CYBERBASICS_VAR", "var")).resolve()
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """`sqlite:///path` (relative to the working folder) or `postgres://user:pw@host:port/db`;
    for PostgreSQL, query parameters are libpq's connection options (`?sslmode=verify-full`)
    and a Unix socket folder is written URL-encoded as the host (`%2Frun%2Fpostgresql`)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": Path(path).resolve() if path else VAR_DIR / "cyberbasics.sqlite3",
            # One writer at a time: take the write lock when a transaction begins, so a
            # web request and a worker never deadlock upgrading a read lock; WAL lets the
            # pages read while the worker writes.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20,
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
        }
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "OPTIONS": dict(parse_qsl(parts.query)),
        }
    raise ImproperlyConfigured(f"CYBERBASICS_DATABASE_URL: unknown scheme {parts.scheme!r} "
                               "(use sqlite:///path or postgres://user:password@host/name)")


DEBUG = _flag("CYBERBASICS_DEBUG")
SECRET_KEY = os.environ.get("CYBERBASICS_SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or _flag("CYBERBASICS_LAB")):
        raise ImproperlyConfigured("set CYBERBASICS_SECRET_KEY (a long random string)")
    SECRET_KEY = "cyberbasics-development-only-not-secret"
ALLOWED_HOSTS = _list("CYBERBASICS_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = _list("CYBERBASICS_CSRF_TRUSTED_ORIGINS")
# How many proxies in front append to X-Forwarded-For (web/client_address.py); 0 trusts none.
CYBERBASICS_PROXY_COUNT = int(os.environ.get("CYBERBASICS_PROXY_COUNT", "0"))
# Behind a TLS-terminating proxy the cookies are Secure; plain HTTP is for this machine only.
HTTPS = _flag("CYBERBASICS_HTTPS", default=not (DEBUG or _flag("CYBERBASICS_LAB")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "cyberbasics.web.accounts",
    "cyberbasics.web.programmes",
    "cyberbasics.web.businesses",
    "cyberbasics.web.reviews",
    "cyberbasics.web.audit",
    "cyberbasics.web.jobs",
    "cyberbasics.web.helpnow",
    "cyberbasics.web.incidents",
    "cyberbasics.web.mailcheck",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cyberbasics.web.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "cyberbasics.web.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cyberbasics.web.urls"
WSGI_APPLICATION = "cyberbasics.web.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [WEB_DIR / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.template.context_processors.i18n",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "cyberbasics.web.context.site",
    ]},
}]

DATABASES = {"default": database_from_url(os.environ.get(
    "CYBERBASICS_DATABASE_URL", "sqlite:///" + str(VAR_DIR / "cyberbasics.sqlite3")))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "businesses:home"
LOGOUT_REDIRECT_URL = "home"

SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True  # htmx reads the token from a <meta>
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 14 * 24 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _flag("CYBERBASICS_SSL_REDIRECT", default=True)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pl", "Polski"), ("es", "Español"), ("it", "Italiano"),
             ("ro", "Română")]
LOCALE_PATHS = [WEB_DIR / "locale"]
FORMAT_MODULE_PATH = ["cyberbasics.web.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Browser libraries come from npm (package.json at the repository's root; `make` runs npm).
NODE_MODULES = Path(os.environ.get("CYBERBASICS_NODE_MODULES",
                                   WEB_DIR.parents[2] / "node_modules"))
# The site's own files (cyberbasics/site.css, site.js) live beside the templates, outside
# any app, so they are listed here too.
STATICFILES_DIRS = [WEB_DIR / "static", ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist")]
# Served by WhiteNoise from the app folders as they are (no collectstatic needed here).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = os.environ.get("CYBERBASICS_EMAIL_BACKEND",
                               "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("CYBERBASICS_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CYBERBASICS_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("CYBERBASICS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CYBERBASICS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _flag("CYBERBASICS_EMAIL_STARTTLS")
DEFAULT_FROM_EMAIL = os.environ.get("CYBERBASICS_EMAIL_FROM", "Cyber Basics <noreply@localhost>")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# `cyberbasics_worker` (docs/decisions/0004-task-leases.md): a worker silent for this long is
# presumed dead and its task runs again, at most this many times in all.
CYBERBASICS_TASK_LEASE_SECONDS = float(os.environ.get("CYBERBASICS_TASK_LEASE_SECONDS", "30"))
CYBERBASICS_TASK_MAX_ATTEMPTS = int(os.environ.get("CYBERBASICS_TASK_MAX_ATTEMPTS", "3"))

# Where scans resolve names, which CA they trust and which ports they use: in the lab, the
# file `cyberbasics lab --state-file` writes; otherwise the configured nameservers.
CYBERBASICS_LAB_STATE = os.environ.get("CYBERBASICS_LAB_STATE", "")
# The evidence log (web/incidents): attached files live here, never served by URL.
CYBERBASICS_EVIDENCE_DIR = os.environ.get("CYBERBASICS_EVIDENCE_DIR") or str(VAR_DIR / "evidence")
CYBERBASICS_EVIDENCE_ANONYMOUS_DAYS = int(os.environ.get("CYBERBASICS_EVIDENCE_ANONYMOUS_DAYS",
                                                         "30"))
CYBERBASICS_EVIDENCE_MAX_FILE_BYTES = int(os.environ.get("CYBERBASICS_EVIDENCE_MAX_FILE_BYTES",
                                                         str(10 * 1024 * 1024)))
CYBERBASICS_EVIDENCE_MAX_LOG_BYTES = int(os.environ.get("CYBERBASICS_EVIDENCE_MAX_LOG_BYTES",
                                                        str(50 * 1024 * 1024)))
# Limits on Help now's anonymous, expensive pages, per client address (web/limits.py;
# 0 turns one off), and the site-wide cap on anonymous evidence files (incidents/anonymous.py).
CYBERBASICS_EVIDENCE_ANONYMOUS_TOTAL_BYTES = int(os.environ.get(
    "CYBERBASICS_EVIDENCE_ANONYMOUS_TOTAL_BYTES", str(2 * 1024 ** 3)))
CYBERBASICS_LIMIT_EVIDENCE_LOGS_PER_HOUR = int(os.environ.get(
    "CYBERBASICS_LIMIT_EVIDENCE_LOGS_PER_HOUR", "10"))
CYBERBASICS_LIMIT_BREACH_PDFS_PER_10_MINUTES = int(os.environ.get(
    "CYBERBASICS_LIMIT_BREACH_PDFS_PER_10_MINUTES", "20"))
CYBERBASICS_LIMIT_EMAIL_CHECKS_PER_10_MINUTES = int(os.environ.get(
    "CYBERBASICS_LIMIT_EMAIL_CHECKS_PER_10_MINUTES", "60"))
CYBERBASICS_NAMESERVERS = _list("CYBERBASICS_NAMESERVERS")
CYBERBASICS_SITE_URL = os.environ.get("CYBERBASICS_SITE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CYBERBASICS_LOG_LEVEL", "INFO")},
}
