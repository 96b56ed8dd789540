"""The security headers, asserted on what the server sends: the sign-in page, a page
shown to a signed-in user, and (in a separate process with the production settings)
HSTS and the HTTPS redirect."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from openmarac.accounts.models import Role

from .conftest import sign_in
from .factories import TEST_PASSWORD


def _csp(response):
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _assert_common(response):
    csp = _csp(response)
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in csp.get(directive, []) and "'unsafe-eval'" not in csp.get(directive, [])
    # No fallback to default-src for scripts and styles: both are named, self only.
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_sign_in_page_headers(client, db):
    response = client.get(reverse("accounts:sign-in"))
    assert response.status_code == 200
    _assert_common(response)


@pytest.mark.parametrize("url_name", ["core:home", "accounts:mfa-verify"])
def test_signed_in_pages_are_never_stored(client, make_member, url_name):
    user = make_member(Role.COORDINATOR)
    if url_name == "core:home":
        sign_in(client, user)
    else:
        client.force_login(user)  # the code step already shows who is signing in
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    _assert_common(response)
    assert "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


def test_the_session_cookie_cannot_be_read_by_script(client, make_member):
    response = client.post(reverse("accounts:sign-in"), {"username": make_member(Role.CHAIR).email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # Ends with the browser, and in any case at the absolute lifetime.
    assert not cookie["expires"]


_PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
# A deployment runs collectstatic for the hashed file names; the probe has no build, so
# it names static files plainly. Nothing else differs from production.
settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
plain = Client().get("/sign-in/", HTTP_HOST="marac.example.org")
secure = Client().get("/sign-in/", secure=True, HTTP_HOST="marac.example.org")
print(json.dumps({
    "plain": {"status": plain.status_code, "location": plain.get("Location", "")},
    "secure": {"status": secure.status_code, "headers": dict(secure.headers)},
    "cookies": {"session": settings.SESSION_COOKIE_SECURE, "csrf": settings.CSRF_COOKIE_SECURE},
}))
"""


def test_production_settings_send_hsts_and_redirect_to_https(tmp_path):
    """The production module refuses to start without a real secret, so it runs in its
    own process with a complete environment, as a deployment would."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "openmarac.config.settings.production",
        "DJANGO_SECRET_KEY": "p" * 64,
        "DJANGO_ALLOWED_HOSTS": "marac.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "OPENMARAC_BASE_URL": "https://marac.example.org",
        "PYTHONPATH": str(settings.SRC_DIR.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    result = subprocess.run([sys.executable, "-c", _PRODUCTION_PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["plain"]["status"] == 301 and answer["plain"]["location"].startswith("https://")
    headers = answer["secure"]["headers"]
    assert answer["secure"]["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert answer["cookies"] == {"session": True, "csrf": True}
