"""Local development and the demo: SQLite under var/, mail written to var/mail."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-not-secret-" + "x" * 40)
OPENMARAC_DEMO_SHOW_MFA_CODE = env.bool("OPENMARAC_DEMO_SHOW_MFA_CODE", default=True)
# Serve static files straight from node_modules and the apps, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
VAR_DIR.mkdir(parents=True, exist_ok=True)
