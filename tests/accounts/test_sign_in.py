from django.core import mail
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from openmarac.accounts import mfa
from openmarac.accounts.models import Role
from openmarac.audit.models import AuditEvent

from ..conftest import sign_in
from ..factories import TEST_PASSWORD, UserFactory


def _password_step(client, user, password=TEST_PASSWORD):
    return client.post(reverse("accounts:sign-in"), {"username": user.email, "password": password})


def test_password_alone_reaches_only_the_code_page(client, make_member):
    user = make_member(Role.CHAIR)
    response = _password_step(client, user)
    assert response.status_code == 302
    home = client.get(reverse("core:home"))
    assert home.status_code == 302 and home.url == reverse("accounts:mfa-verify")


def test_correct_code_completes_sign_in_and_is_audited(client, make_member):
    user = make_member(Role.CHAIR)
    _password_step(client, user)
    code = mfa.current_code(user.totpdevice_set.get())
    response = client.post(reverse("accounts:mfa-verify"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 200
    assert AuditEvent.objects.filter(actor=user, action="signed_in", summary="Second factor accepted").exists()


def test_wrong_code_is_refused_with_a_clear_message(client, make_member):
    user = make_member(Role.CHAIR)
    _password_step(client, user)
    device = user.totpdevice_set.get()
    wrong = f"{(int(mfa.current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:mfa-verify"), {"code": wrong})
    assert response.status_code == 200
    assert "That code was not accepted" in response.content.decode()
    assert AuditEvent.objects.filter(actor=user, action="mfa_failed").exists()


def test_letters_in_code_keep_what_was_typed(client, make_member):
    user = make_member(Role.CHAIR)
    _password_step(client, user)
    response = client.post(reverse("accounts:mfa-verify"), {"code": "12a456"})
    body = response.content.decode()
    assert "no letters or spaces" in body and 'value="12a456"' in body


def test_account_without_device_is_sent_to_set_up(client, db):
    user = UserFactory()
    _password_step(client, user)
    assert client.get(reverse("accounts:mfa-verify")).url == reverse("accounts:mfa-setup")
    page = client.get(reverse("accounts:mfa-setup"))
    assert "data:image/svg+xml;base64," in page.content.decode()
    device = user.totpdevice_set.get(confirmed=False)
    response = client.post(reverse("accounts:mfa-setup"), {"code": mfa.current_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("core:home")).status_code == 200


def test_failed_password_is_audited_and_locks_out_after_the_limit(client, make_member, settings):
    user = make_member(Role.CHAIR)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _password_step(client, user, password="wrong password")
    assert AuditEvent.objects.filter(action="sign_in_failed").count() == settings.AXES_FAILURE_LIMIT
    response = _password_step(client, user)  # the right password, too late
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_inactive_account_cannot_sign_in(client, make_member):
    user = make_member(Role.CHAIR)
    user.is_active = False
    user.save()
    response = _password_step(client, user)
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.content.decode()


def test_idle_session_is_signed_out(client, make_member, settings):
    user = make_member(Role.CHAIR)
    sign_in(client, user)
    assert client.get(reverse("core:home")).status_code == 200
    later = timezone.now() + timezone.timedelta(minutes=settings.OPENMARAC_SESSION_IDLE_MINUTES + 1)
    with freeze_time(later):
        response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:sign-in"))
    assert AuditEvent.objects.filter(actor=user, action="session_ended").exists()


def test_active_session_still_ends_at_absolute_lifetime(client, make_member, settings):
    user = make_member(Role.CHAIR)
    sign_in(client, user)
    start = timezone.now()
    step = timezone.timedelta(minutes=settings.OPENMARAC_SESSION_IDLE_MINUTES - 5)
    moment = start
    while moment - start < timezone.timedelta(hours=settings.OPENMARAC_SESSION_ABSOLUTE_HOURS):
        moment += step
        with freeze_time(moment):
            response = client.get(reverse("core:home"))
    assert response.status_code == 302


def test_password_reset_does_not_sign_in_or_bypass_mfa(client, make_member):
    user = make_member(Role.CHAIR)
    client.post(reverse("accounts:password-reset"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("127.0.0.1:8000", 1)[1]
    response = client.get(path, follow=True)
    form_path = response.redirect_chain[-1][0]
    new_password = "a brand new passphrase 2026"
    response = client.post(form_path, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 302  # not signed in
    _password_step(client, user, password=new_password)
    assert client.get(reverse("core:home")).url == reverse("accounts:mfa-verify")


def test_password_reset_for_unknown_address_looks_the_same(client, db):
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@nowhere.example"})
    assert response.status_code == 302 and response.url == reverse("accounts:password-reset-sent")
    assert mail.outbox == []


def test_sign_in_does_not_redirect_off_site(client, make_member):
    user = make_member(Role.CHAIR)
    _password_step(client, user)
    code = mfa.current_code(user.totpdevice_set.get())
    response = client.post(reverse("accounts:mfa-verify") + "?next=https://evil.example/", {"code": code})
    assert response.url == reverse("core:home")


def test_sign_out_is_audited(client, make_member):
    user = make_member(Role.CHAIR)
    sign_in(client, user)
    client.post(reverse("accounts:sign-out"))
    assert AuditEvent.objects.filter(actor=user, action="signed_out").exists()
    assert client.get(reverse("core:home")).status_code == 302


def test_demo_setting_shows_the_current_code(client, make_member, settings):
    settings.OPENMARAC_DEMO_SHOW_MFA_CODE = True
    user = make_member(Role.CHAIR)
    _password_step(client, user)
    body = client.get(reverse("accounts:mfa-verify")).content.decode()
    assert "Demo only: the current code is" in body

