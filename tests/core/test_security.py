import os
import secrets
import subprocess
import sys

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from openmarac.accounts.models import Role

from ..conftest import sign_in


def test_signed_in_pages_are_not_cached_and_carry_security_headers(client, make_member):
    sign_in(client, make_member(Role.CHAIR))
    response = client.get(reverse("core:home"))
    assert response["Cache-Control"] == "no-store, private"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_and_show_the_marking(client, make_member):
    sign_in(client, make_member(Role.CHAIR))
    body = client.get(reverse("core:home")).content.decode()
    assert "OFFICIAL-SENSITIVE" in body
    assert "<script>" not in body and "onclick" not in body


def test_error_page_leaks_nothing(client, make_member):
    sign_in(client, make_member(Role.CHAIR))
    response = client.get("/maracs/does-not-exist/users/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "does-not-exist" not in body and "Traceback" not in body


def test_server_error_page_renders_without_context():
    html = render_to_string("500.html")
    assert "Sorry, there is a problem with the service" in html


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
