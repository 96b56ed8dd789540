"""Base settings: the values a deployment may tune come from the environment."""

import os
import subprocess
import sys

PROBE = "import django; django.setup(); from django.conf import settings as s; print(s.OPENMARAC_BREAK_GLASS_MINUTES, s.OPENMARAC_LIVE_POLL_SECONDS)"


def _settings_with(**environ):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "openmarac.config.settings.dev", **environ}
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_break_glass_time_and_live_polling_have_safe_defaults():
    assert _settings_with() == ["30", "10"]


def test_break_glass_time_and_live_polling_come_from_the_environment():
    assert _settings_with(OPENMARAC_BREAK_GLASS_MINUTES="15", OPENMARAC_LIVE_POLL_SECONDS="20") == ["15", "20"]
