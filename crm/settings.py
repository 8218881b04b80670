"""Knudepunkt settings: one module, every deployment difference comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# A development key only; production must set SECRET_KEY (check --deploy fails on this one).
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-knudepunkt-development-only")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "crm",
    "referrals",
    "contracts",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "crm.bad_input.RefuseNulMiddleware",  # after Locale: the refusal speaks the language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.scoping.RequestScopeMiddleware",  # the user's municipality ids, once per request
    "django_otp.middleware.OTPMiddleware",
    "crm.middleware.NoStoreMiddleware",  # before the next two: their redirects are covered too
    "crm.middleware.AbsoluteSessionLimitMiddleware",
    "crm.middleware.TwoFactorRequiredMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/knudepunkt")
}
# Each process takes its connections from a bounded pool (psycopg_pool): at most
# DB_POOL_MAX_SIZE at once, a request waits up to DB_POOL_TIMEOUT seconds for one and then fails.
# Size it so that processes x DB_POOL_MAX_SIZE stays under PostgreSQL's max_connections. Django
# keeps no connections of its own beside the pool (CONN_MAX_AGE must be 0); with
# CONN_HEALTH_CHECKS the pool checks a connection before it hands it out.
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
    "max_size": env.int("DB_POOL_MAX_SIZE", default=4),
    "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # zxcvbn's estimate, without the product's and the operators' names (crm.security).
    {"NAME": "crm.security.PasswordStrengthValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out users before any check
    "crm.auth.UsernameOrEmailBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: 30 minutes idle (the cookie is renewed on every request) and 12 hours in all
# (crm.middleware.AbsoluteSessionLimitMiddleware).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_LIMIT = timedelta(hours=12)
SESSION_COOKIE_HTTPONLY = True

# Lockout after repeated failed logins, counted per account and IP address together: every
# spelling of an account (user name in any case, e-mail address) counts as that account
# (crm.auth.lockout_name). Per account alone would let anyone lock any user out; per address
# alone would lock out a whole town hall behind one NAT address.
AXES_USERNAME_CALLABLE = "crm.auth.lockout_name"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
# Every failed login is kept (AccessFailureLog, with whether it locked the account): the
# managers' login log reads it, since the counters above are reset by a good login.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# How many days each access log is kept; a nightly task deletes older rows (crm.audit,
# reporting.tasks). CPR reveals, reads on a consent and exports of person data answer "who has
# seen my data" in an access request; logins serve security monitoring only.
CPR_REVEAL_LOG_DAYS = env.int("CPR_REVEAL_LOG_DAYS", default=2 * 365)
CONSENT_READ_LOG_DAYS = env.int("CONSENT_READ_LOG_DAYS", default=2 * 365)
EXPORT_LOG_DAYS = env.int("EXPORT_LOG_DAYS", default=2 * 365)
LOGIN_LOG_DAYS = env.int("LOGIN_LOG_DAYS", default=180)
# An access request's PDF is for handing to the person; it is deleted after this many days.
ACCESS_REQUEST_DAYS = env.int("ACCESS_REQUEST_DAYS", default=30)

# The second factor after the password (crm.security, crm.middleware.TwoFactorRequiredMiddleware):
# TOTP apps and recovery codes. The issuer names the entry in the user's authenticator app.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Knudepunkt")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin shows no TOTP key or recovery code

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Dansk")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True
# dd.mm.yyyy in both languages (formats/ overrides Django's English date format).
FORMAT_MODULE_PATH = ["crm.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".data" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".data" / "media")
# Stored files (reports, signed forms, evidence) in an S3-compatible bucket when one is named,
# so that every app server and worker reads what another wrote; local files (MEDIA_ROOT)
# otherwise, for one machine. Files are only ever served through views that check the user's
# rights (never by a public bucket URL), so the bucket stays private.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,  # MinIO
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),
            "default_acl": None,  # the bucket's own (private) policy
            "file_overwrite": False,  # a second report of the same name gets a new name
        },
    }

# A strict Content-Security-Policy: no inline script or style anywhere, nothing from a CDN.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Production hardening behind TLS: HTTPS=true (docker-compose sets it) turns on the redirect,
# HSTS and secure cookies; `python manage.py check --deploy` is then clean.
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="knudepunkt@localhost")
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")  # links in e-mails

# CPR numbers: Fernet keys (comma-separated, newest first) and the HMAC look-up key. The
# defaults are for development and tests only; `check --deploy` refuses them (crm/checks.py).
DEVELOPMENT_CPR_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktbm90LWZvci1wciE="
DEVELOPMENT_CPR_LOOKUP_KEY = "development-only-cpr-lookup-key"
CPR_ENCRYPTION_KEYS = env.list("CPR_ENCRYPTION_KEYS", default=[DEVELOPMENT_CPR_ENCRYPTION_KEY])
CPR_LOOKUP_KEY = env.str("CPR_LOOKUP_KEY", default=DEVELOPMENT_CPR_LOOKUP_KEY)

# Referral deadlines: days that are not working days besides weekends and public holidays
# ("MM-DD"): Constitution Day, Christmas Eve, New Year's Eve. Empty the list to work them.
REFERRAL_CLOSED_DAYS = env.list("REFERRAL_CLOSED_DAYS", default=["06-05", "12-24", "12-31"])

# Celery: with REDIS_URL unset, tasks run in-process (crm.celery logs that at start-up).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it has finished, not when a worker takes it: a worker that dies
# (machine gone, SIGKILL, out of memory) leaves its task to another. Every task is idempotent.
# - reject_on_worker_lost: a pool child that dies hands its task back at once;
# - visibility_timeout: a task taken by a worker that vanished as a whole goes back to the queue
#   after this many seconds. It must exceed the longest task (an annual report PDF, a contract's
#   attainment at national volume: minutes), or a slow task would also run elsewhere;
# - prefetch 1: a worker holds one task in reserve, so a fan-out spreads over all workers.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True  # a running task shows as STARTED, not PENDING
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # How often a worker looks for such tasks: every interval x throttle seconds (100 s).
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_RESTORE_THROTTLE", default=10),
}
# Seconds the attainment task waits before it starts: only for the test that kills a worker
# while a task runs (tests/contracts/test_attainment_fanout.py). Always 0 in production.
ATTAINMENT_TASK_PAUSE = env.float("ATTAINMENT_TASK_PAUSE", default=0)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="knudepunkt")
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "referral-deadlines": {
        "task": "referrals.tasks.scan_referral_deadlines",
        "schedule": 15 * 60,  # every 15 minutes; the scan is idempotent
    },
    "contract-attainment": {
        "task": "contracts.tasks.compute_all_active_contracts",
        "schedule": crontab(hour=2, minute=30),  # nightly
    },
    "register-refresh": {
        "task": "crm.tasks.refresh_from_register",
        "schedule": crontab(hour=1, minute=15),  # nightly; resumes where the last run stopped
    },
    "access-log-purge": {
        "task": "crm.tasks.purge_access_logs",
        "schedule": crontab(hour=4, minute=15),  # nightly; each log after its retention
    },
    "export-log-purge": {
        "task": "reporting.tasks.purge_logs",
        "schedule": crontab(hour=4, minute=20),  # nightly; exports and access-request PDFs
    },
    "retention": {
        "task": "crm.tasks.run_retention",
        "schedule": crontab(hour=3, minute=45),  # nightly, after the attainment snapshots
    },
    "surveys": {
        "task": "contracts.tasks.send_surveys",
        "schedule": crontab(minute=5),  # hourly; a session is surveyed at most once
    },
}

# The company register (crm.register): Erhvervsstyrelsen's system-to-system access and/or
# cvrapi.dk. Neither set: lookup is off and companies are typed in by hand.
CVR_REGISTER_URL = env.str("CVR_REGISTER_URL", default="")  # e.g. http://distribution.virk.dk
CVR_REGISTER_USER = env.str("CVR_REGISTER_USER", default="")
CVR_REGISTER_PASSWORD = env.str("CVR_REGISTER_PASSWORD", default="")
CVRAPI_URL = env.str("CVRAPI_URL", default="")  # e.g. https://cvrapi.dk/api
CVRAPI_TOKEN = env.str("CVRAPI_TOKEN", default="")
CVR_USER_AGENT = env.str("CVR_USER_AGENT", default="Knudepunkt CRM (erhvervsservice)")
CVR_REGISTER_TIMEOUT = env.float("CVR_REGISTER_TIMEOUT", default=3.0)  # seconds a page waits
CVR_REFRESH_PER_SECOND = env.float("CVR_REFRESH_PER_SECOND", default=2.0)  # nightly refresh

# Shared by every app server and worker: sessions, the login lockout (django-axes) and the
# second factor's throttling live in PostgreSQL; the cache in Redis when there is one (one
# process's memory otherwise, for development).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("CACHE_URL", default=REDIS_URL),
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="knudepunkt"),
        }
    }
SESSION_ENGINE = "django.contrib.sessions.backends.db"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous call answers 401 with a WWW-Authenticate header.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "crm.pagination.Pagination",
    "PAGE_SIZE": 50,
}
# API tokens (crm.tokens) keep a session's limits unless configured: they end after
# API_TOKEN_IDLE_MINUTES without use and API_TOKEN_MAX_HOURS after they were made, however used.
# Only a digest of each token is stored.
REST_KNOX = {
    "TOKEN_TTL": timedelta(minutes=env.int("API_TOKEN_IDLE_MINUTES", default=30)),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(hours=env.int("API_TOKEN_MAX_HOURS", default=12)),
    "AUTH_HEADER_PREFIX": "Token",
}
API_TOKENS_PER_USER = 10

SPECTACULAR_SETTINGS = {
    "TITLE": "Knudepunkt API",
    "DESCRIPTION": "CRM for Danish public business service. All data is scoped to the "
    "municipalities the caller's operator serves.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from our own static files: no CDN, so the CSP can stay strict.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"ImportKindEnum": "crm.models.imports.ImportBatch.Kind"},
    # 400/401/403/404 (and 412/428 on changes) on every operation: crm/schema.py.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crm.schema.document_refusals",
    ],
}

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous users have no rights

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "weasyprint": {"level": "WARNING"},  # its progress messages are INFO
        "fontTools": {"level": "WARNING"},
    },
}
