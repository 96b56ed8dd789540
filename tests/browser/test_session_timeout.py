"""An unattended case screen signs out at the idle limit although it keeps polling; the
page says why, and signing in again brings the person back with what they had typed."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from openmarac.accounts import mfa
from openmarac.accounts.models import User
from openmarac.accounts.signals import LAST_ACTIVITY
from openmarac.actions import services as action_services
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import DeclarationSignature
from openmarac.referrals import services as referral_services
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.referrals import ReferralGenerator

COORDINATOR = "coordinator@demo.openmarac.invalid"


@pytest.fixture
def hearing_page(transactional_db, settings):
    # The screen polls every second here so the test waits seconds, not minutes.
    settings.OPENMARAC_LIVE_POLL_SECONDS = 1
    marac, _ = demo_deployment()
    coordinator = User.objects.get(email=COORDINATOR)
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    data = ReferralGenerator(seed=77).referral(marac=marac, referring_agency=referrer.agency, children=0)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    item = meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    action_services.hearing_for(item)
    DeclarationSignature.objects.create(meeting=meeting, user=coordinator, statement="Signed")
    return f"/meetings/{meeting.public_id}/cases/{item.pk}/"


def _leave_unattended(page, settings):
    """As if the idle limit had passed since the person last did anything: the clock of
    the session moves, nobody sleeps."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=key)
    session[LAST_ACTIVITY] = session[LAST_ACTIVITY] - settings.OPENMARAC_SESSION_IDLE_MINUTES * 60 - 1
    session.save()


def test_unattended_case_screen_signs_out_and_keeps_what_was_typed(page, hearing_page, settings):
    page.sign_in(COORDINATOR, DEMO_PASSWORD)
    page.visit(hearing_page)
    page.fill("#id_minutes", "Police will apply for a DVPO this afternoon")

    # Polls arrive every second, and none of them keeps the session alive.
    _leave_unattended(page, settings)
    page.wait_for_url("**/sign-in/?next=*", timeout=8000)
    page.axe(screenshot="signed-out-after-idle")
    assert f"You were signed out after {settings.OPENMARAC_SESSION_IDLE_MINUTES} minutes without activity" in page.inner_text("main")

    # Signing in again returns to the case screen with the text put back.
    page.fill("#id_username", COORDINATOR)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click_and_check("button:has-text('Continue')")
    device = User.objects.get(email=COORDINATOR).totpdevice_set.get(confirmed=True)
    # Half an hour would have passed and the phone would show a new code; here the same
    # 30-second step is still current, so forget that its code was used (replay guard).
    device.last_t = -1
    device.save(update_fields=["last_t"])
    page.fill("#id_code", mfa.current_code(device))
    page.click_and_check("button:has-text('Sign in')", screenshot="draft-restored")
    assert page.url.endswith(hearing_page)
    assert page.input_value("#id_minutes") == "Police will apply for a DVPO this afternoon"
    assert "What you had typed before you were signed out has been put back" in page.inner_text("main")
