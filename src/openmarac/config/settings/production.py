"""Production: every secret from the environment, HTTPS only, no demo shortcuts."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import OPENMARAC_DEMO_SHOW_MFA_CODE, SECRET_KEY, env

# Refused here, before anything starts; `openmarac check --deploy` (accounts/checks.py)
# also refuses a base URL that is not the public https address and an email backend
# that never delivers.
if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a random value of at least 50 characters.")
if OPENMARAC_DEMO_SHOW_MFA_CODE:
    raise ImproperlyConfigured(
        "OPENMARAC_DEMO_SHOW_MFA_CODE is a demo-only setting and must not be set in production."
    )

DEBUG = False
# Each web process keeps its database connection between requests (opening one costs a
# request more than most pages' queries), checked before reuse so a restarted database
# is reconnected to instead of failing a request. Each gunicorn worker holds one.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("OPENMARAC_DB_CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# The mail relay. STARTTLS by default: emails carry links into the service (never case
# details), and the relay's password must not cross the network in clear.
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_SSL = env.bool("DJANGO_EMAIL_USE_SSL", default=False)
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=not EMAIL_USE_SSL)
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=30)
# No default: the development address would put localhost in every emailed link.
OPENMARAC_BASE_URL = env.str("OPENMARAC_BASE_URL", default="")

# Behind the reverse proxy, which ends TLS: the load balancer's and the service
# manager's probes may call the app over plain HTTP on the loopback address.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# One JSON object a line on standard output (journald or the container runtime keeps
# it), without personal data (core/logging.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "openmarac.core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "openmarac": {"level": env.str("OPENMARAC_LOG_LEVEL", default="INFO")},
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
