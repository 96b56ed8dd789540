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
