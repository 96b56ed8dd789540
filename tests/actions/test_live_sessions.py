"""An open case screen polls for others' changes; the polls must not keep an unattended
session alive, and a screen whose session has ended must close, keeping what was typed."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from openmarac.accounts import services as account_services
from openmarac.accounts.models import Role
from openmarac.accounts.signals import LAST_ACTIVITY
from openmarac.audit.models import AuditEvent
from openmarac.meetings.models import DeclarationSignature

from ..conftest import sign_in

HTMX = {"HTTP_HX_REQUEST": "true"}


def _screen(staff, hearing, who="coordinator"):
    meeting = hearing.item.meeting
    user = staff[who]
    DeclarationSignature.objects.get_or_create(meeting=meeting, user=user, defaults={"statement": "x"})
    page = reverse("actions:hearing", args=[meeting.public_id, hearing.item.pk])
    live = reverse("actions:hearing-live", args=[meeting.public_id, hearing.item.pk])
    return user, page, live


def _poll(client, live, page):
    return client.get(live, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{page}")


def test_polling_does_not_count_as_activity_and_the_screen_signs_out(staff, heard, settings):
    user, page, live = _screen(staff, heard())
    client = sign_in(Client(), user)
    start = timezone.now()
    with freeze_time(start):
        assert client.get(page).status_code == 200
    idle = settings.OPENMARAC_SESSION_IDLE_MINUTES
    # Polls every few minutes up to the limit: each one is answered, none extends it.
    for minutes in range(5, idle, 5):
        with freeze_time(start + timedelta(minutes=minutes)):
            response = _poll(client, live, page)
        assert response.status_code == 200 and "HX-Redirect" not in response
    with freeze_time(start + timedelta(minutes=idle, seconds=1)):
        response = _poll(client, live, page)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('accounts:sign-in')}?next={quote(page, safe='')}"
    assert response["HX-Trigger"] == "openmarac:signed-out"
    assert b"Case" not in response.content  # nothing of the case in the answer
    assert AuditEvent.objects.filter(actor=user, action="session_ended", summary="Timed out").exists()
    sign_in_page = client.get(response["HX-Redirect"])
    assert f"You were signed out after {idle} minutes without activity" in sign_in_page.content.decode()
    # The session is gone: the page itself now asks for sign-in.
    assert client.get(page).url.startswith(reverse("accounts:sign-in"))


def test_a_poll_cannot_be_disguised_as_activity(staff, heard, settings):
    """Whether a request counts is decided by the URL it reaches, not by its headers:
    the poll URL without htmx headers still does not extend the session."""
    user, page, live = _screen(staff, heard())
    client = sign_in(Client(), user)
    start = timezone.now()
    with freeze_time(start):
        client.get(page)
    with freeze_time(start + timedelta(minutes=settings.OPENMARAC_SESSION_IDLE_MINUTES - 1)):
        assert client.get(live).status_code == 200
    assert client.session[LAST_ACTIVITY] == start.timestamp()
    with freeze_time(start + timedelta(minutes=settings.OPENMARAC_SESSION_IDLE_MINUTES + 1)):
        response = client.get(live)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:sign-in"))


def test_a_page_request_made_through_htmx_is_still_activity(staff, heard, settings):
    user, page, _ = _screen(staff, heard())
    client = sign_in(Client(), user)
    moment = timezone.now() + timedelta(minutes=settings.OPENMARAC_SESSION_IDLE_MINUTES - 1)
    with freeze_time(moment):
        assert client.get(page, **HTMX).status_code == 200
    assert client.session[LAST_ACTIVITY] == moment.timestamp()


@hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["page", "poll"]), st.integers(min_value=0, max_value=45)), min_size=1, max_size=8))
def test_only_what_the_person_does_keeps_the_session(staff, heard, settings, steps):
    """A model of the rule: the session ends on the first request more than the idle
    limit after the last page the person asked for, polls in between or not."""
    user, page, live = _screen(staff, heard())
    client = sign_in(Client(), user)
    idle = settings.OPENMARAC_SESSION_IDLE_MINUTES * 60
    now = timezone.now()
    with freeze_time(now):
        client.get(page)
    last_page = now
    for kind, minutes in steps:
        now += timedelta(minutes=minutes)
        with freeze_time(now):
            response = client.get(page) if kind == "page" else _poll(client, live, page)
        if (now - last_page).total_seconds() > idle:
            assert response.status_code == 302 if kind == "page" else "HX-Redirect" in response
            return
        assert response.status_code == 200 and "HX-Redirect" not in response
        if kind == "page":
            last_page = now


def _sign_out_elsewhere(staff, user):
    other = sign_in(Client(), user)
    assert other.post(reverse("accounts:sign-out")).status_code == 302


def _deactivate(staff, user):
    account_services.membership_deactivate(by=staff["coordinator"], membership=user.memberships.get())


def _change_role(staff, user):
    account_services.membership_change_role(by=staff["coordinator"], membership=user.memberships.get(), role=Role.REFERRER)


def _reset_authenticator(staff, user):
    account_services.mfa_reset(by=staff["coordinator"], membership=user.memberships.get(), reason="Lost phone")


@pytest.mark.parametrize("ending", [_sign_out_elsewhere, _deactivate, _change_role, _reset_authenticator], ids=lambda f: f.__name__.strip("_"))
def test_a_screen_whose_session_ended_elsewhere_closes_at_its_next_poll(staff, heard, ending):
    """Signing out on another computer, deactivation, a role change and an authenticator
    reset end every session; the open screen's next poll sends the whole page to
    sign-in, not a fragment."""
    user, page, live = _screen(staff, heard(), who="chair")
    client = sign_in(Client(), user)
    assert client.get(page).status_code == 200
    ending(staff, user)
    response = _poll(client, live, page)
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"].startswith(reverse("accounts:sign-in") + "?next=")
    assert "You have been signed out" in client.get(response["HX-Redirect"]).content.decode()


def test_the_sign_in_link_cannot_point_off_site(staff, heard):
    user, page, live = _screen(staff, heard())
    client = sign_in(Client(), user)
    Session.objects.all().delete()
    response = client.get(live, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://evil.example/phish")
    assert response["HX-Redirect"] == reverse("accounts:sign-in")


def _time_out(client, live, page, settings):
    with freeze_time(timezone.now() + timedelta(minutes=settings.OPENMARAC_SESSION_IDLE_MINUTES + 1)):
        return _poll(client, live, page)


def test_what_was_typed_comes_back_after_signing_in_again(staff, heard, settings):
    hearing = heard()
    user, page, live = _screen(staff, hearing)
    client = sign_in(Client(), user)
    client.get(page)
    _time_out(client, live, page, settings)
    kept = client.post(
        reverse("accounts:signed-out-draft"),
        {"page": page, "action": "save-hearing", "version": hearing.version, "minutes": "Police to apply for a DVPO today"},
    )
    assert kept.status_code == 204
    sign_in(client, user)
    body = client.get(page).content.decode()
    assert "Police to apply for a DVPO today" in body
    assert "What you had typed before you were signed out has been put back" in body
    # Given back once only.
    assert "Police to apply for a DVPO today" not in client.get(page).content.decode()


def test_someone_else_signing_in_on_that_browser_does_not_get_the_draft(staff, heard, settings):
    hearing = heard()
    user, page, live = _screen(staff, hearing)
    other, _, _ = _screen(staff, hearing, who="chair")
    client = sign_in(Client(), user)
    client.get(page)
    _time_out(client, live, page, settings)
    client.post(reverse("accounts:signed-out-draft"), {"page": page, "action": "save-hearing", "version": hearing.version, "minutes": "Private note"})
    sign_in(client, other)
    assert "Private note" not in client.get(page).content.decode()
    sign_in(client, user)
    assert "Private note" not in client.get(page).content.decode()


def test_a_draft_is_refused_unless_the_session_just_timed_out(staff, heard, client):
    hearing = heard()
    _, page, _ = _screen(staff, hearing)
    response = client.post(reverse("accounts:signed-out-draft"), {"page": page, "action": "save-hearing", "minutes": "x"})
    assert response.status_code == 400


def test_a_draft_saved_against_an_old_version_is_caught_as_a_conflict(staff, heard, settings):
    """Someone else saves while the screen was signed out: saving the restored draft
    does not overwrite their change."""
    hearing = heard()
    user, page, live = _screen(staff, hearing)
    client = sign_in(Client(), user)
    client.get(page)
    _time_out(client, live, page, settings)
    old_version = hearing.version
    client.post(reverse("accounts:signed-out-draft"), {"page": page, "action": "save-hearing", "version": old_version, "minutes": "My draft"})
    chair = sign_in(Client(), _screen(staff, hearing, who="chair")[0])
    chair.post(page, {"action": "save-hearing", "version": old_version, "minutes": "Chair's saved minutes"})
    sign_in(client, user)
    assert f'name="version" value="{old_version}"' in client.get(page).content.decode()
    response = client.post(page, {"action": "save-hearing", "version": old_version, "minutes": "My draft"})
    assert "Someone else saved a change to this case" in response.content.decode()
    hearing.refresh_from_db()
    assert hearing.minutes == "Chair's saved minutes"


def test_the_second_sign_in_step_returns_to_the_page(staff, heard, client):
    user, page, _ = _screen(staff, heard())
    client.force_login(user)
    response = client.get(page)
    assert response.url == f"{reverse('accounts:mfa-verify')}?next={quote(page, safe='')}"


def test_a_session_without_activity_marks_still_ends_however_often_it_polls(staff, heard, settings):
    user, page, live = _screen(staff, heard())
    client = sign_in(Client(), user)
    session = client.session
    for key in list(session.keys()):
        if key.startswith("openmarac_"):
            del session[key]
    session.save()
    start = timezone.now()
    for minutes in range(0, settings.OPENMARAC_SESSION_IDLE_MINUTES, 5):
        with freeze_time(start + timedelta(minutes=minutes)):
            assert "HX-Redirect" not in _poll(client, live, page)
    with freeze_time(start + timedelta(minutes=settings.OPENMARAC_SESSION_IDLE_MINUTES, seconds=1)):
        assert "HX-Redirect" in _poll(client, live, page)
