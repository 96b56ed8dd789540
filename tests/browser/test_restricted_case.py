"""A restricted case and a break-glass use, walked through in the browser (issue 14):
the coordinator restricts a case to named people; the chair, not named, sees only
"Restricted case" on the agenda and the case list, with no names; the chair uses
break-glass with a written reason, the password and an authenticator code, and sees
the case; the coordinator's home page shows the use until the coordinator marks it
reviewed."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.oath import TOTP

from openmarac.accounts.models import User
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import DeclarationSignature
from openmarac.referrals.models import BreakGlassGrant
from openmarac.referrals.services import referral_record
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.referrals import ReferralGenerator



COORDINATOR = "coordinator@demo.openmarac.invalid"
CHAIR = "chair@demo.openmarac.invalid"
IDVA = "idva@demo.openmarac.invalid"
BREAK_REASON = "Police call tonight: the victim may be at home with the perpetrator"


def next_code(user):
    """The code the chair's app shows in the next 30-second window. The code used to
    sign in moments ago cannot be used twice (django-otp refuses a replay); the next
    window's code is accepted within the device's tolerance, so nothing waits."""
    device = user.totpdevice_set.get(confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def listed_case(transactional_db):
    """A case on a published agenda; the coordinator and chair have signed the
    meeting's declaration."""
    marac, _ = demo_deployment()
    coordinator = User.objects.get(email=COORDINATOR)
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    data = ReferralGenerator(seed=77).referral(marac=marac, referring_agency=referrer.agency, children=1)
    referral = referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    for email in (COORDINATOR, CHAIR):
        DeclarationSignature.objects.create(meeting=meeting, user=User.objects.get(email=email), statement="x")
    return {"case": referral.case, "meeting": meeting, "victim": referral.case.victim}


def test_restrict_break_glass_and_review(new_page, listed_case):
    case, meeting, victim = listed_case["case"], listed_case["meeting"], listed_case["victim"]
    victim_name = f"{victim.given_name} {victim.family_name}"

    # The coordinator restricts the case to themselves and the Idva.
    coordinator = new_page()
    coordinator.sign_in(COORDINATOR, DEMO_PASSWORD)
    coordinator.visit(f"/cases/{case.public_id}/")
    coordinator.click_and_check("a:has-text('Restrict this case to named people')")
    # Bad input first: no reason. The choice of people is kept.
    idva = User.objects.get(email=IDVA)
    coordinator.check(f"input[name='named_users'][value='{idva.pk}']", force=True)
    coordinator.click_and_check("button:has-text('Restrict the case')", screenshot="restricted-case-error")
    assert "Enter why the case is restricted" in coordinator.inner_text(".govuk-error-summary")
    assert coordinator.is_checked(f"input[name='named_users'][value='{idva.pk}']")
    coordinator.fill("#id_reason", "The perpetrator works for a member agency (housing)")
    coordinator.click_and_check("button:has-text('Restrict the case')", screenshot="restricted-case-named")
    assert "Only named people can open this case" in coordinator.inner_text("main")

    # The chair, not named, sees only "Restricted case" on the agenda and the case list.
    chair = new_page()
    chair.sign_in(CHAIR, DEMO_PASSWORD)
    chair.visit(f"/meetings/{meeting.public_id}/", screenshot="restricted-case-agenda")
    main = chair.inner_text("main")
    assert "Restricted case" in main and victim_name not in main and case.reference not in main
    chair.visit(f"/meetings/{meeting.public_id}/run/")
    main = chair.inner_text("main")
    assert "Restricted case" in main and case.reference not in main
    # Opening the case by its address is refused like a case that does not exist.
    response = chair.goto(f"/cases/{case.public_id}/")
    assert response.status == 404

    # Break-glass: a reason, the password and the authenticator code again.
    chair.visit(f"/meetings/{meeting.public_id}/")
    chair.click_and_check("a:has-text('Ask for break-glass access')", screenshot="break-glass-request")
    chair.fill("#id_reason", BREAK_REASON)
    chair.fill("#id_password", "not my password")
    chair.fill("#id_code", "000000")
    chair.click_and_check("button:has-text('Open the case')", screenshot="break-glass-error")
    assert "The password is not right" in chair.inner_text(".govuk-error-summary")
    assert chair.input_value("#id_reason") == BREAK_REASON and chair.input_value("#id_password") == ""
    chair.fill("#id_password", DEMO_PASSWORD)
    chair.fill("#id_code", next_code(User.objects.get(email=CHAIR)))
    chair.click_and_check("button:has-text('Open the case')", screenshot="break-glass-case")
    main = chair.inner_text("main")
    assert f"Case {case.reference}" in main and victim.given_name in main and "break-glass access, which ends at" in main
    grant = BreakGlassGrant.objects.get()
    assert grant.expires_at - grant.granted_at == timedelta(minutes=30)
    # The coordinator was told at once, without case details.
    (message,) = [m for m in mail.outbox if "break-glass" in m.subject]
    assert message.to == [COORDINATOR] and victim.given_name not in message.body and case.reference not in message.body

    # The coordinator's home page shows the use until it is reviewed.
    coordinator.visit("/", screenshot="break-glass-home")
    coordinator.click_and_check("a:has-text('used break-glass access to a restricted case')")
    assert BREAK_REASON in coordinator.inner_text("main")
    coordinator.click_and_check("button:has-text('Mark as reviewed')")
    assert "Enter what you found" in coordinator.inner_text(".govuk-error-summary")
    coordinator.fill("#id_note", "Spoke to the chair: a genuine emergency call")
    coordinator.click_and_check("button:has-text('Mark as reviewed')", screenshot="break-glass-reviewed")
    assert "Break-glass use marked as reviewed" in coordinator.inner_text("main")
    assert "used break-glass access" not in coordinator.inner_text("main")
    grant.refresh_from_db()
    assert grant.reviewed_by.email == COORDINATOR and grant.review_note
