"""Settings for Service Engine X, read from the environment through django-environ.

Every variable is listed, with a comment, in `.env.example`; a `.env` file beside `manage.py` is read when present.
Production refuses to start without `SECRET_KEY`; development (`DEBUG=true`) falls back to a fixed key.
"""
import hashlib
import tempfile
from pathlib import Path

import environ
import structlog
from django.core.exceptions import ImproperlyConfigured

from serviceengine.core.rates import parse_rate as _parse_rate
from serviceengine.requestid import add_request_id_of_record as _add_request_id_of_record

BASE_DIR = Path(__file__).resolve().parent.parent
APP_VERSION = "1.0.0"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_structlog",
    "serviceengine.apps.ServiceEngineConfig",
    "clients",
    "catalog",
    "orders",
    "billing",
    "support",
    # issue 13: background jobs (django-tasks; `jobs` before django_tasks_db so its `db_worker` wins) and events
    "django_tasks",
    "jobs",
    "django_tasks_db",
    "events",
    "webhooks",
    "tags",
    "team",
    "search",
    "reports",
    "idempotency",  # issue 14: Idempotency-Key
    "portal",
    "engagements",
    "subscriptions",  # issue 16: subscriptions that bill themselves
]

MIDDLEWARE = [
    # Request ids first: the id is chosen before django-structlog binds it to every log line (issue 14).
    "serviceengine.requestid.RequestIdMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    # RateLimit-* headers of the request's counted window (issue 14), on every answer, the middleware's own too.
    "serviceengine.api.throttling.RateLimitHeadersMiddleware",
    "serviceengine.middleware.ApiPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "serviceengine.middleware.DatabaseUnavailableMiddleware",
    # Outside the view's transaction: claims the key before the view runs, stores the answer after it committed.
    "idempotency.middleware.IdempotencyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jobs.actors.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "serviceengine.urls"
WSGI_APPLICATION = "serviceengine.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: a SQLite file in the project unless DATABASE_URL says otherwise (PostgreSQL in production).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections, checked before reuse so a server survives a database restart.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No ATOMIC_REQUESTS: write transactions are explicit, in the services and in OrgViewSet.dispatch (one per write
# request, contract §11); reads run in autocommit.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that reads the socket instead of sending `SELECT 1` (serviceengine/perf/dbbackend).
    DATABASES["default"]["ENGINE"] = "serviceengine.perf.dbbackend"
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
    # Server-side parameter binding, and psycopg preparing a statement once a connection has run it 5 times: the
    # hot reads are then neither parsed nor planned again on each request. DB_PREPARED_STATEMENTS=false turns both
    # off (needed behind a pooler in transaction mode, such as pgbouncer).
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
    # `.iterator()` uses a named (server-side) cursor, which lives in one server session: DB_SERVER_SIDE_CURSORS=false
    # reads in chunks from a client cursor instead (needed behind a pooler in transaction mode; docs/scaling.md).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = not env.bool("DB_SERVER_SIDE_CURSORS", default=True)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve admin and API-docs assets from the installed packages as well, so a server started without
# `collectstatic` still renders them; production images run `collectstatic` at build time.
WHITENOISE_USE_FINDERS = True

# Request bodies larger than this answer 413 (contract §2).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_BYTES", default=1024 * 1024)

# CORS: explicit origins from configuration; permissive in development when none are given.
CORS_ALLOWED_ORIGINS = [o for o in env.list("CORS_ALLOWED_ORIGINS", default=[]) if o != "*"]
CORS_ALLOW_ALL_ORIGINS = "*" in env.list("CORS_ALLOWED_ORIGINS", default=[]) or (DEBUG and not CORS_ALLOWED_ORIGINS)
CORS_ALLOW_CREDENTIALS = env.bool("CORS_ALLOW_CREDENTIALS", default=False)

# HTTPS hardening, configurable so a server behind a TLS-terminating proxy can turn it on.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^api/health$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)

# Payments (invoices.md): Stripe when a key is set; simulated only when asked for and no key is set.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
PAYMENTS_SIMULATED = env.bool("PAYMENTS_SIMULATED", default=False)

# Client safety (issue 14, README "Retries and limits"). Rates are N/second, N/minute or N/hour.
# API_RATE_LIMIT: requests per API token (a token's own `rate_limit` overrides it).
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="1200/minute")
# AUTH_FAILURE_RATE_LIMIT: failed authentications per client IP before every request from it answers 429.
AUTH_FAILURE_RATE_LIMIT = env.str("AUTH_FAILURE_RATE_LIMIT", default="30/minute")
# The cache holds the rate-limit counters. CACHE_URL=redis://127.0.0.1:6379/1 (django-redis): one count for every
# worker and host. Unset: a file cache in the temp directory (one per database), shared by the worker processes of
# this host only, and not atomic under heavy concurrency: production sets CACHE_URL.
_cache_dir = Path(tempfile.gettempdir()) / (
    "serviceengine-cache-" + hashlib.sha256(repr(DATABASES["default"].get("NAME")).encode()).hexdigest()[:12]
)
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{_cache_dir}")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache":
    CACHES["default"].setdefault("TIMEOUT", 3700)  # its incr() re-sets with the default timeout: ≥ an hour window
elif CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    CACHES["default"].setdefault("OPTIONS", {})
    CACHES["default"]["OPTIONS"].setdefault("SOCKET_CONNECT_TIMEOUT", 1)
    CACHES["default"]["OPTIONS"].setdefault("SOCKET_TIMEOUT", 1)
# NUM_PROXIES: proxies in front of the server that append to X-Forwarded-For; the client IP of the failed-auth
# limit is then read from it. 0 (default): X-Forwarded-For is ignored (it could be forged), REMOTE_ADDR is used.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# IDEMPOTENCY_KEY_TTL_HOURS: how long a key's answer is kept for replay (then purged by an hourly job).
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
if IDEMPOTENCY_KEY_TTL_HOURS < 1:
    raise ImproperlyConfigured("IDEMPOTENCY_KEY_TTL_HOURS must be at least 1.")
for _name in ("API_RATE_LIMIT", "AUTH_FAILURE_RATE_LIMIT"):
    try:
        _parse_rate(globals()[_name])
    except ValueError as _exc:
        raise ImproperlyConfigured(f"{_name}: {_exc}") from None

# Client loop (issue 15): Stripe events, client links, e-mail.
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")  # origin of e-mailed links; default: the request's own
CLIENT_LINK_MAX_AGE_DAYS = env.int("CLIENT_LINK_MAX_AGE_DAYS", default=30)
# EMAIL_URL in django-environ's syntax (smtp://user:pass@host:587, smtp+tls://…, consolemail://); by default the
# mails are printed to the terminal. Production: an SMTP URL, or django-anymail (see README).
vars().update({k: v for k, v in env.email_url("EMAIL_URL", default="consolemail://").items() if v is not None})
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)  # seconds; a timeout is a failed send, retried
# Seconds before each retry of a failed send; after the last one the event `email.failed` is recorded.
EMAIL_RETRY_DELAYS = [int(x) for x in env.list("EMAIL_RETRY_DELAYS", default=["5", "15", "30"])]
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@localhost")

# Benchmark only (bench/run.sh): adds `/bench/bare`, a bare Django view to compare the API against. Never in production.
BENCHMARK_ENDPOINTS = env.bool("BENCHMARK_ENDPOINTS", default=False)
# A read serializer asking a fast-path row for a column its plan did not select raises instead of rendering null.
READ_STRICT = env.bool("READ_STRICT", default=DEBUG)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["serviceengine.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["serviceengine.api.authentication.HasOrganization"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["serviceengine.api.renderers.FastJSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "serviceengine.api.pagination.EnvelopePagination",
    "DEFAULT_SCHEMA_CLASS": "serviceengine.api.schema.ContractAutoSchema",
    # No OPTIONS metadata: the contract routes no OPTIONS (405); CORS preflights are answered by corsheaders.
    "DEFAULT_METADATA_CLASS": None,
    "EXCEPTION_HANDLER": "serviceengine.api.exceptions.handle",
    # Rate limits run inside authentication (serviceengine/api/throttling.py), not as DEFAULT_THROTTLE_CLASSES.
    "NUM_PROXIES": NUM_PROXIES,
    "NON_FIELD_ERRORS_KEY": "root",
    "UNAUTHENTICATED_USER": None,
    "STRICT_JSON": True,
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Service Engine X API",
    "DESCRIPTION": (
        "Multi-tenant API for service businesses: clients, services, orders, proposals, invoices and tickets. "
        "Every endpoint except `/api/health` and `/api` takes `Authorization: Bearer <token>`."
    ),
    "VERSION": APP_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api",
    "ENUM_NAME_OVERRIDES": {},
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# Structured logs (issue 14): every line of a request carries its `request_id` (django-structlog binds it).
# LOG_FORMAT=json (one JSON object per line; the default unless DEBUG) or console (key=value, readable).
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or console, got {LOG_FORMAT!r}")
_LOG_PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    _add_request_id_of_record,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
            "foreign_pre_chain": [*_LOG_PRE_CHAIN, structlog.stdlib.ExtraAdder()],
        },
        "console": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(colors=False),
            ],
            "foreign_pre_chain": _LOG_PRE_CHAIN,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django_structlog": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}

# Background jobs and events (issue 13). Django's Tasks API through the `django-tasks` backport: the database
# backend (django-tasks-db; `manage.py db_worker`) by default, Redis (django-tasks-rq; `manage.py rqworker` +
# `manage.py run_periodic`) with TASKS_BACKEND=rq, or `immediate` (run in the request; tests and demos only).
TASKS_BACKEND = env.str("TASKS_BACKEND", default="database")
if TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": env.str("TASKS_REDIS_URL", default="redis://127.0.0.1:6379/0")}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
elif TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    raise ImproperlyConfigured("TASKS_BACKEND must be one of: database, rq, immediate.")
EVENT_RETENTION_DAYS = env.int("EVENT_RETENTION_DAYS", default=90)


def _durations(values: list[str]) -> list[int]:
    """Seconds from `5`, `5s`, `5m`, `2h` or `1d` (a retry schedule)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    out = []
    for value in (v.strip().lower() for v in values if v.strip()):
        unit = units.get(value[-1])
        try:
            out.append(int(float(value[:-1] if unit else value) * (unit or 1)))
        except ValueError:
            raise ImproperlyConfigured(f"WEBHOOK_RETRY_SCHEDULE: {value!r} is not a duration") from None
    return out


# Webhooks (issue 13). Private/loopback URLs are refused unless WEBHOOKS_ALLOW_PRIVATE_URLS (UNSAFE in production).
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=False)
WEBHOOK_RETRY_SCHEDULE = _durations(env.list("WEBHOOK_RETRY_SCHEDULE", default=["5s", "5m", "30m", "2h", "5h", "10h", "10h"]))
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=20)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# How long an attempt may hold a delivery before another worker may take it over (worker killed mid-attempt).
WEBHOOK_DELIVERY_LEASE_SECONDS = env.int("WEBHOOK_DELIVERY_LEASE_SECONDS", default=30)
# RequestIdMiddleware has already replaced an insane caller id with a generated one: django-structlog takes it as is.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.filter_by_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.UnicodeDecoder(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    cache_logger_on_first_use=True,
)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "EndpointStatusEnum": "webhooks.models.EndpointStatus",
    "DeliveryStatusEnum": "webhooks.models.DeliveryStatus",
})
