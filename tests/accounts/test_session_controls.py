"""Session controls the security checklist (docs/security.md) relies on."""

from django.test import Client
from django.urls import reverse

from openmarac.accounts import mfa
from openmarac.accounts.models import Role

from ..conftest import sign_in
from ..factories import TEST_PASSWORD


def _password_step(client, user):
    return client.post(reverse("accounts:sign-in"), {"username": user.email, "password": TEST_PASSWORD})


def test_signing_in_issues_a_new_session_id(client, make_member):
    user = make_member(Role.CHAIR)
    client.get(reverse("accounts:sign-in"))
    session = client.session
    session["probe"] = "before sign-in"
    session.save()
    before = session.session_key
    _password_step(client, user)
    after_password = client.session.session_key
    client.post(reverse("accounts:mfa-verify"), {"code": mfa.current_code(user.totpdevice_set.get())})
    assert before != after_password
    assert client.get(reverse("core:home")).status_code == 200


def test_a_code_works_once_only(make_member):
    user = make_member(Role.CHAIR)
    code = mfa.current_code(user.totpdevice_set.get())
    first, second = Client(), Client()
    _password_step(first, user)
    _password_step(second, user)
    assert first.post(reverse("accounts:mfa-verify"), {"code": code}).status_code == 302
    response = second.post(reverse("accounts:mfa-verify"), {"code": code})
    assert response.status_code == 200 and "That code was not accepted" in response.content.decode()
    assert second.get(reverse("core:home")).url.startswith(reverse("accounts:mfa-verify"))


def test_a_new_password_ends_every_other_session(make_member):
    user = make_member(Role.CHAIR)
    elsewhere = sign_in(Client(), user)
    assert elsewhere.get(reverse("core:home")).status_code == 200
    user.set_password("a completely different passphrase 42")
    user.save()
    assert elsewhere.get(reverse("core:home")).url.startswith(reverse("accounts:sign-in"))
