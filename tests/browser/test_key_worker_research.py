"""A key worker completing delegated research (issue 15): housing's representative hands
one case's research to a colleague who knows the family and invites them to the case's
slot; the colleague (a referrer, with no access to the meeting) signs the statement,
sees that one form and returns it; the representative sees the request has ended."""

from datetime import timedelta

import pytest
from django.utils import timezone

from openmarac.accounts.models import Agency, AgencyKind, User
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import ResearchReturn
from openmarac.referrals.services import referral_record
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.referrals import ReferralGenerator



@pytest.fixture
def published(transactional_db):
    marac, _ = demo_deployment()
    coordinator = User.objects.get(email="coordinator@demo.openmarac.invalid")
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    police = Agency.objects.get(kind="police")
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=9))
    referrals = []
    for seed in (41, 42):
        data = ReferralGenerator(seed=seed).referral(marac=marac, referring_agency=police, referred_on=timezone.localdate() - timedelta(days=2), children=0)
        referral = referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
        meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
        referrals.append(referral)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    return marac, meeting, referrals


def test_a_key_worker_completes_delegated_research(new_page, published):
    marac, meeting, (first, second) = published
    key_worker = User.objects.get(email="referrer@demo.openmarac.invalid")  # housing's tenancy officer

    housing = new_page()
    housing.sign_in("housing@demo.openmarac.invalid", DEMO_PASSWORD)
    housing.visit(f"/meetings/{meeting.public_id}/research/")
    housing.click("label[for='agree']")
    housing.click_and_check("button:has-text('Sign and continue')")
    prefix = f"#id_delegate-{first.pk}"
    housing.click_and_check(f"button:has-text('Ask them to do the research') >> nth=0")
    assert "There is a problem" in housing.inner_text("main")
    housing.select_option(f"{prefix}-delegate", str(key_worker.pk))
    housing.check(f"{prefix}-invited_to_slot")
    housing.click_and_check(f"form[action$='/research/{first.public_id}/delegate/'] button", screenshot="research-delegated")
    assert f"{key_worker.full_name} has been asked" in housing.inner_text("main")
    assert f"With {key_worker.full_name}" in housing.inner_text("main")
    housing.visit(f"/maracs/{marac.slug}/my-slots/", screenshot="slots-key-worker")
    assert key_worker.full_name in housing.inner_text("main")

    # The key worker: the request is on the home page; the statement, then one form.
    worker = new_page()
    worker.sign_in(key_worker.email, DEMO_PASSWORD)
    worker.click_and_check(f"text=asks you to complete research on case {first.case.reference}")
    worker.click("label[for='agree']")
    worker.click_and_check("button:has-text('Sign and continue')")
    body = worker.inner_text("main")
    assert first.case.reference in body and second.case.reference not in body and "invited" in body
    worker.fill("#id_facts", "I visit the tenancy weekly; the ex-partner was seen at the door on Monday")
    worker.axe(screenshot="key-worker-research")
    worker.click_and_check("button:has-text('Return research')")
    assert "this request is now closed" in worker.inner_text("main")
    returned = ResearchReturn.objects.get(meeting=meeting, referral=first)
    assert returned.returned_by == key_worker and returned.agency.kind == AgencyKind.HOUSING
    # Its access has ended; the meeting's own pages never opened to it.
    for path in [f"/meetings/{meeting.public_id}/", f"/meetings/{meeting.public_id}/research/{first.public_id}/"]:
        assert worker.goto(path).status == 404

    housing.visit(f"/meetings/{meeting.public_id}/research/")
    assert "has ended" in housing.inner_text("main")
