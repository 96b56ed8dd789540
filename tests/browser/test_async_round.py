"""A round held in writing, from publication to agreed plans (issue 15): housing accepts
the confidentiality statement, returns research and proposes an action on the case's
page; the chair accepts it into the plan; the Idva confirms the plan; the chair closes
the case; the minutes are published; housing sees the agreed plan and ticks off updating
its own records."""

from datetime import timedelta

import pytest
from django.utils import timezone

from openmarac.accounts.models import Agency, User
from openmarac.actions.models import Action, ActionProposal
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import MeetingMode
from openmarac.referrals.services import referral_record
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.referrals import ReferralGenerator


@pytest.fixture
def round_listed(transactional_db):
    marac, _ = demo_deployment()
    coordinator = User.objects.get(email="coordinator@demo.openmarac.invalid")
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    data = ReferralGenerator(seed=31).referral(
        marac=marac, referring_agency=Agency.objects.get(kind="police"), referred_on=timezone.localdate() - timedelta(days=3), children=0
    )
    referral = referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    closing = timezone.now().replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=10)
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=closing, mode=MeetingMode.ASYNC)
    item = meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    return marac, meeting, item


def _accept_statement(journey):
    journey.click("label[for='agree']")
    journey.click_and_check("button:has-text('Sign and continue')")


def test_an_asynchronous_round_from_publication_to_agreed_plans(new_page, round_listed):
    marac, meeting, item = round_listed
    reference = item.referral.case.reference
    title = f"Round closing {timezone.localtime(meeting.starts_at):%A %-d %B %Y}"

    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    coordinator.visit(f"/meetings/{meeting.public_id}/")
    _accept_statement(coordinator)
    coordinator.click_and_check("button:has-text('Publish the case list')", screenshot="round-case-list")
    body = coordinator.inner_text("main")
    assert title in body and "Meeting of" not in body and "Any other business" not in body and "Register" not in body

    # Housing accepts the statement before it sees the cases, returns research and
    # proposes an action of its own.
    housing = new_page()
    housing.sign_in("housing@demo.openmarac.invalid", DEMO_PASSWORD)
    housing.visit(f"/meetings/{meeting.public_id}/")
    assert "confidentiality" in housing.inner_text("main").lower()
    _accept_statement(housing)
    assert title in housing.inner_text("main")
    housing.visit(f"/meetings/{meeting.public_id}/research/{item.referral.public_id}/")
    housing.fill("#id_facts", "Tenant since 2021; a neighbour reported shouting last week")
    housing.click_and_check("button:has-text('Return research')")
    housing.visit(f"/meetings/{meeting.public_id}/")
    housing.click_and_check(f"text=Propose actions and see the plan for case {reference}")
    housing.fill("#id_proposal-description", "Offer a management transfer to a safe property")
    housing.select_option("#id_proposal-for_whom", "victim")
    housing.fill_date("#id_proposal-due_on", None)
    housing.click_and_check("button:has-text('Propose the action')")
    assert "There is a problem" in housing.inner_text("main")
    assert housing.input_value("#id_proposal-description") == "Offer a management transfer to a safe property"
    due = timezone.localdate() + timedelta(days=30)
    housing.fill_date("#id_proposal-due_on", due)
    housing.click_and_check("button:has-text('Propose the action')", screenshot="round-proposed")
    assert "Awaiting the chair" in housing.inner_text("main")

    # The chair agrees the plan: names the risk and accepts housing's action, edited.
    chair = new_page()
    chair.sign_in("chair@demo.openmarac.invalid", DEMO_PASSWORD)
    chair.visit(f"/meetings/{meeting.public_id}/cases/{item.pk}/")
    _accept_statement(chair)
    proposal = ActionProposal.objects.get()
    chair.fill("#id_risk-who_at_risk", "The victim")
    chair.fill("#id_risk-from_whom", "Her former partner")
    chair.fill("#id_risk-harm", "Serious physical harm")
    chair.click("label[for='id_risk-likelihood_0']")
    chair.click_and_check("button:has-text('Add risk')")
    chair.fill(f"#id_accept-{proposal.pk}-description", "Offer a management transfer to a safe property within two weeks")
    chair.axe(screenshot="round-agree")
    chair.click_and_check("button:has-text('Accept into the plan')")
    assert "action is agreed and added to the plan" in chair.inner_text("main")

    # The Idva confirms the plan is as safe as possible; the chair closes the case.
    idva = new_page()
    idva.sign_in("idva@demo.openmarac.invalid", DEMO_PASSWORD)
    idva.visit(f"/meetings/{meeting.public_id}/cases/{item.pk}/")
    _accept_statement(idva)
    idva.click_and_check("button:has-text('Confirm the plan is as safe as possible')")
    chair.visit(f"/meetings/{meeting.public_id}/cases/{item.pk}/")
    chair.click("label[for='id_close-confirm']")
    chair.click_and_check("button:has-text('Close the case')")
    coordinator.visit(f"/meetings/{meeting.public_id}/minutes/")
    coordinator.click("label[for='confirm-publish']")
    coordinator.click_and_check("button:has-text('Publish the minutes')")

    # Housing sees the agreed plan and the minutes, and ticks off its records update.
    housing.visit(f"/meetings/{meeting.public_id}/cases/{item.pk}/", screenshot="round-agreed-plan")
    plan = housing.inner_text("main")
    assert "within two weeks" in plan and "Accepted" in plan and "as safe as possible" in plan
    housing.visit(f"/meetings/{meeting.public_id}/minutes/")
    assert "within two weeks" in housing.inner_text("main") and title[1:] in housing.inner_text("main")
    housing.visit("/")
    # The home page says how many records updates wait; the action itself is on its page.
    housing.click_and_check("text=on which to update your agency’s records after the meeting")
    housing.visit(f"/actions/{Action.objects.get(kind='update_records', owner_agency__kind='housing').pk}/")
    housing.click_and_check("button:has-text('We have updated our records')", screenshot="records-updated")
    assert "Recorded: your agency has updated its records" in housing.inner_text("main")
    update = Action.objects.get(kind="update_records", owner_agency__kind="housing")
    assert update.status == "completed"
