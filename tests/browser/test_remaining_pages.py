"""Pages no journey above passes through, each checked with axe-core."""

from datetime import timedelta

import pytest
from django.utils import timezone

from openmarac.accounts.models import Agency, Marac, User
from openmarac.actions import services as action_services
from openmarac.meetings import services as meeting_services
from openmarac.referrals import services as referral_services
from openmarac.referrals import transfer
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment, marac_with_agencies
from openmarac.synthetic.referrals import ReferralGenerator


@pytest.fixture
def world(transactional_db):
    marac, _ = demo_deployment()
    coordinator = User.objects.get(email="coordinator@demo.openmarac.invalid")
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    data = ReferralGenerator(seed=41).referral(marac=marac, referring_agency=referrer.agency, consent=False, review_owner=referrer, children=1)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    item = meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    action_services.action_add(
        by=coordinator, hearing=action_services.hearing_for(item), owner_agency=Agency.objects.get(kind="housing"),
        description="Offer a management transfer", for_whom="victim", due_on=timezone.localdate() + timedelta(days=30),
    )
    other = marac_with_agencies(name="Southvale Marac", slug="southvale")
    pending = transfer.transfer_request(by=coordinator, case=referral.case, to_marac=other, reason="Victim moved to Southvale")
    return marac, meeting, referral, pending


def _sign(page, meeting):
    page.visit(f"/meetings/{meeting.public_id}/declaration/")
    page.click("label[for='agree']")
    page.click_and_check("button:has-text('Sign and continue')")


def test_remaining_pages_are_accessible(new_page, world):
    marac, meeting, referral, pending = world
    visitor = new_page()
    visitor.visit("/password-reset/")
    visitor.fill("#id_email", "nobody@example.org")
    visitor.click_and_check("button:has-text('Send the link')")
    visitor.visit("/password-reset/MQ/set-password/")

    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    for path in [
        f"/maracs/{marac.slug}/meetings/pattern/",
        f"/maracs/{marac.slug}/meetings/new/",
        f"/meetings/{meeting.public_id}/change/",
        f"/referrals/{referral.public_id}/quality-concern/",
        f"/cases/{referral.case.public_id}/transfer/",
        f"/transfers/{pending.pk}/",
        f"/information-sharing/{referral.sharing_decision.pk}/",
    ]:
        coordinator.visit(path)

    referrer = new_page()
    referrer.sign_in("referrer@demo.openmarac.invalid", DEMO_PASSWORD)
    referrer.visit(f"/referrals/{referral.public_id}/")

    housing = new_page()
    housing.sign_in("housing@demo.openmarac.invalid", DEMO_PASSWORD)
    _sign(housing, meeting)
    housing.visit(f"/maracs/{marac.slug}/my-slots/")
    housing.visit(f"/meetings/{meeting.public_id}/for-my-agency/")
    assert "Offer a management transfer" in housing.inner_text("main")

    southvale = Marac.objects.get(slug="southvale")
    assert southvale.incoming_transfers.count() == 1
