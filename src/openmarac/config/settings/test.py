"""Test settings: same middleware and security as production, fast hashing."""

from .dev import *  # noqa: F403

SECRET_KEY = "test-only-not-secret-" + "x" * 40
OPENMARAC_DEMO_SHOW_MFA_CODE = False
# Argon2 is slow by design; tests hash many passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in the request that enqueues them, so a test sees the email at once; the
# database and RQ queues have tests of their own (tests/background).
TASKS = {"default": {"BACKEND": TASK_BACKENDS["immediate"]}}  # noqa: F405
OPENMARAC_TASK_BACKEND = "immediate"
# Most tests build a meeting and run it in the same minute; tests/meetings/test_dates.py
# and the meeting-day browser journey switch the date guards on.
OPENMARAC_DATE_GUARDS = False
# Worked out on every request, so a test sees the figures of the data it has just made;
# tests/governance/test_kept_figures.py keeps them.
OPENMARAC_FIGURES_KEEP_SECONDS = 0
# Each test process its own cache in memory; tests/core/test_cache.py uses the
# database's, as a deployment without Redis does.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
