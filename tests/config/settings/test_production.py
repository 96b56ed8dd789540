"""Production settings: every secret from the environment, HTTPS only, nothing that
would put localhost in an emailed link or leave mail undelivered."""

import os
import secrets
import subprocess
import sys

import pytest


def _production_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "openmarac.config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "DJANGO_ALLOWED_HOSTS": "marac.example.org",
            "OPENMARAC_BASE_URL": "https://marac.example.org",
        }
    )
    env.update(extra)
    return env


def test_production_settings_pass_the_deployment_check():
    result = subprocess.run(
        [sys.executable, "-m", "openmarac", "check", "--deploy"], env=_production_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"OPENMARAC_DEMO_SHOW_MFA_CODE": "true"}, "demo-only setting"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
    ],
)
def test_production_settings_refuse_to_start_unsafely(extra, message):
    result = subprocess.run(
        [sys.executable, "-m", "openmarac", "check"], env=_production_env(**extra), capture_output=True, text=True
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_read_the_mail_relay_from_the_environment():
    probe = "from django.conf import settings as s; print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL)"
    env = _production_env(DJANGO_EMAIL_HOST="smtp.example.org", DJANGO_EMAIL_PORT="2525", DJANGO_EMAIL_HOST_USER="marac")
    result = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {probe}"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["smtp.example.org", "2525", "marac", "True", "False"]


def test_web_processes_keep_their_database_connection_and_check_it_before_reuse():
    code = "from django.conf import settings; d = settings.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    shown = subprocess.run([sys.executable, "-m", "openmarac", "shell", "-v", "0", "-c", code], env=_production_env(), capture_output=True, text=True)
    assert shown.stdout.split() == ["60", "True"], shown.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "openmarac", "shell", "-v", "0", "-c", code], env=_production_env(OPENMARAC_DB_CONN_MAX_AGE="0"), capture_output=True, text=True
    )
    assert shown.stdout.split() == ["0", "True"], shown.stderr
