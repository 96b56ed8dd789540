"""Settings shared by every environment. Values that differ per deployment come from
the environment (or a `.env` file beside the project) through django-environ."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

SRC_DIR = Path(__file__).resolve().parents[2]  # src/openmarac
PROJECT_DIR = SRC_DIR.parents[1]
# Installed from a wheel (`pip install .`) there is no project folder: the front-end
# files travel inside the package (setup.py) and var/ is in the current folder.
INSTALLED_PACKAGE = not (PROJECT_DIR / "pyproject.toml").is_file()
VAR_DIR = Path(environ.Env().str("OPENMARAC_VAR_DIR", default=str(Path.cwd() / "var" if INSTALLED_PACKAGE else PROJECT_DIR / "var")))

env = environ.Env()
environ.Env.read_env(PROJECT_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # One-time recovery codes, for a lost phone without waiting for a coordinator.
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "govuk_frontend_django",
    "rest_framework",
    "drf_spectacular",
    "openmarac.core",
    "openmarac.accounts",
    "openmarac.access",
    "openmarac.audit",
    "openmarac.people",
    "openmarac.risk",
    "openmarac.referrals",
    "openmarac.notifications",
    "openmarac.meetings",
    "openmarac.actions",
    "openmarac.governance",
    "openmarac.records",
    "openmarac.api",
    "openmarac.background",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Inside MessageMiddleware, so its warnings are stored with the response.
    "openmarac.core.language.CarefulLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "openmarac.accounts.middleware.SessionLifetimeMiddleware",
    "openmarac.accounts.middleware.RequireMfaMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "openmarac.core.middleware.NoStoreMiddleware",
    # Last, so a lockout answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "openmarac.config.urls"
WSGI_APPLICATION = "openmarac.config.wsgi.application"

# Draws the plainest widgets in Python (core/forms.py says why).
FORM_RENDERER = "openmarac.core.forms.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "openmarac.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'openmarac.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts: concurrent writers then queue
    # instead of failing, and the audit chain is appended one row at a time.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
# The queries the busiest pages run on every request are prepared on each PostgreSQL
# connection, planned once instead of on every request (core/compiled.py). Turn off
# behind a pooler that shares server connections between sessions (PgBouncer in
# transaction or statement mode), where a statement prepared on one is not on the next.
OPENMARAC_PREPARED_STATEMENTS = env.bool("OPENMARAC_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "openmarac.accounts.validators.PersonalDetailsValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"
# Invitation and password-reset links last one day.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Sessions: an idle timeout and an absolute lifetime, both enforced by
# SessionLifetimeMiddleware; the cookie itself ends with the browser.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
OPENMARAC_SESSION_IDLE_MINUTES = env.int("OPENMARAC_SESSION_IDLE_MINUTES", default=30)
OPENMARAC_SESSION_ABSOLUTE_HOURS = env.int("OPENMARAC_SESSION_ABSOLUTE_HOURS", default=10)
SESSION_COOKIE_AGE = OPENMARAC_SESSION_ABSOLUTE_HOURS * 60 * 60
# How often the live case screen asks for others' changes. Polls never count as
# activity (accounts/middleware.py), so this does not lengthen a session.
OPENMARAC_LIVE_POLL_SECONDS = env.int("OPENMARAC_LIVE_POLL_SECONDS", default=10)
# Meeting operations wait for their day (meetings/dates.py) unless the coordinator records why.
OPENMARAC_DATE_GUARDS = env.bool("OPENMARAC_DATE_GUARDS", default=True)
# The governance dashboard's figures are worked out at most this often for a Marac and a
# period (0: on every request); the page says when. The data return is always fresh.
OPENMARAC_FIGURES_KEEP_SECONDS = env.int("OPENMARAC_FIGURES_KEEP_SECONDS", default=300)
# How long break-glass access to a restricted case lasts. Short on purpose: long
# enough to deal with an emergency, short enough that access is not left open.
OPENMARAC_BREAK_GLASS_MINUTES = env.int("OPENMARAC_BREAK_GLASS_MINUTES", default=30)

# The REST API (docs/api.md). Agency systems authenticate with per-agency credentials
# only: no session, so no CSRF, and nothing a browser could be tricked into sending.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["openmarac.api.authentication.CredentialAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["openmarac.api.throttling.CredentialRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "openmarac.api.exceptions.handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpenMarac API",
    "DESCRIPTION": "Referrals, cases, meetings, actions, research and flags for agency systems. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {"YesNoUnknownEnum": "openmarac.people.models.YesNoUnknown.choices"},
}
# Requests a credential may make per minute (429 with Retry-After beyond). The count is
# kept in the shared cache (below).
OPENMARAC_API_RATE_PER_MINUTE = env.int("OPENMARAC_API_RATE_PER_MINUTE", default=120)
# How long a POST's Idempotency-Key is remembered.
OPENMARAC_API_IDEMPOTENCY_HOURS = 24
# The expiry offered for a new credential (at most a year).
OPENMARAC_API_CREDENTIAL_DAYS = 365
CSRF_COOKIE_HTTPONLY = True

# Lockout after repeated failed sign-ins (django-axes), per account and address.
AXES_FAILURE_LIMIT = env.int("OPENMARAC_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Extra folders of risk checklist definitions (JSON) beyond the shipped SafeLives one.
OPENMARAC_CHECKLIST_DIRS = env.list("OPENMARAC_CHECKLIST_DIRS", default=[])

# A JSON file replacing the careful-language list (see openmarac/core/language.py).
OPENMARAC_LANGUAGE_NUDGES = env.str("OPENMARAC_LANGUAGE_NUDGES", default="")

OTP_TOTP_ISSUER = "OpenMarac"
# Demo only: shows the current code on the verification page for demo accounts so a
# newcomer can sign in without a phone. Production settings refuse to start with it.
OPENMARAC_DEMO_SHOW_MFA_CODE = env.bool("OPENMARAC_DEMO_SHOW_MFA_CODE", default=False)

# Security headers. CSP allows no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("OPENMARAC_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [
    ("govuk-frontend", PROJECT_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    ("htmx", PROJECT_DIR / "node_modules" / "htmx.org" / "dist"),
    # openmarac.css, compiled from assets/openmarac.scss by `npm run build`.
    PROJECT_DIR / "build" / "static",
]
if INSTALLED_PACKAGE:
    STATICFILES_DIRS = [SRC_DIR / "static_dist"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="OpenMarac <no-reply@openmarac.invalid>")
# Absolute links in emails (invitations, notifications) start with this.
OPENMARAC_BASE_URL = env.str("OPENMARAC_BASE_URL", default="http://127.0.0.1:8000")

# Background work (django-tasks). `openmarac worker` runs the queued tasks and the
# periodic jobs (background/schedule.py). One machine: the database queue, no other
# server. Several machines: RQ on Redis (OPENMARAC_TASK_BACKEND=rq and REDIS_URL).
# "immediate" runs each task inside the request that enqueued it (the tests use it).
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
OPENMARAC_TASK_BACKEND = env.str("OPENMARAC_TASK_BACKEND", default="database")
if OPENMARAC_TASK_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"OPENMARAC_TASK_BACKEND must be one of {', '.join(TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[OPENMARAC_TASK_BACKEND]}}
# Redis, for the RQ queue and (when set) the cache.
REDIS_URL = env.str("REDIS_URL", default="")
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 600}}
# The cache is shared by every web process and the worker (the dashboard's kept figures,
# which the worker works out ahead of the first request, and the API's request counts):
# Redis when there is one, otherwise a table in the database (made by `migrate`).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Room for every Marac's kept figures (about 13 kB each) beside the API's counts:
    # past MAX_ENTRIES the table culls a third of its rows, kept figures included.
    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "openmarac_cache", "OPTIONS": {"MAX_ENTRIES": 5000},
    }}
# A failed task is tried again after 30 s, 2 min, 8 min, 32 min; after the fifth
# failure it is given up and listed for the system administrator.
OPENMARAC_TASK_RETRY_BASE_SECONDS = env.int("OPENMARAC_TASK_RETRY_BASE_SECONDS", default=30)
OPENMARAC_TASK_MAX_ATTEMPTS = env.int("OPENMARAC_TASK_MAX_ATTEMPTS", default=5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
