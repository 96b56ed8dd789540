"""A round held in writing (the Norfolk model, issue 15): agencies propose their own
actions on a case's page before the closing date, the chair accepts (as proposed or
edited) or declines each with a reason, the Idva confirms the plan, and every page and
email says "round closing …", never "meeting of"."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from openmarac.actions import services
from openmarac.actions.models import Action, ActionProposal
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import DeclarationSignature, MeetingMode
from openmarac.referrals import services as referral_services

from ..conftest import sign_in


@pytest.fixture
def round_case(marac, staff, generator):
    """A published round closing in ten days with one case on it."""
    referrer = staff["referrer"]
    data = generator.referral(marac=marac, referring_agency=referrer.agency, children=0)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    closing = timezone.now().replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=10)
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=closing, mode=MeetingMode.ASYNC)
    item = meeting_services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=staff["coordinator"], meeting=meeting)
    return services.hearing_for(item)


def _propose(staff, hearing, who="housing_rep", **extra):
    fields = {"description": "Offer a management transfer", "for_whom": "victim", "due_on": timezone.localdate() + timedelta(days=30)}
    fields.update(extra)
    return services.action_propose(by=staff[who], hearing=hearing, **fields)


def test_an_agency_proposes_and_the_chair_accepts_it_edited(staff, round_case):
    proposal = _propose(staff, round_case)
    assert proposal.agency == staff["housing_rep"].agency and proposal.status == ActionProposal.Status.PROPOSED
    due = timezone.localdate() + timedelta(days=20)
    action = services.proposal_accept(by=staff["chair"], proposal=proposal, description="Offer a management transfer this month", due_on=due)
    proposal.refresh_from_db()
    assert proposal.status == ActionProposal.Status.ACCEPTED and proposal.action == action and proposal.decided_by == staff["chair"]
    assert action.owner_agency == staff["housing_rep"].agency and action.due_on == due and action.status == Action.Status.OPEN
    with pytest.raises(ValidationError):  # decided once
        services.proposal_decline(by=staff["chair"], proposal=proposal, reason="Changed my mind")


def test_declining_needs_a_reason(staff, round_case):
    proposal = _propose(staff, round_case)
    with pytest.raises(ValidationError):
        services.proposal_decline(by=staff["chair"], proposal=proposal, reason="  ")
    services.proposal_decline(by=staff["chair"], proposal=proposal, reason="The police action covers this")
    proposal.refresh_from_db()
    assert proposal.status == ActionProposal.Status.DECLINED and not Action.objects.filter(hearing=round_case).exists()


@pytest.mark.parametrize("who", ["coordinator", "chair", "referrer", "governance"])
def test_only_agencies_propose(staff, round_case, who):
    with pytest.raises(PermissionDenied):
        _propose(staff, round_case, who=who)


@pytest.mark.parametrize("who", ["housing_rep", "idva", "referrer"])
def test_only_the_chair_or_coordinator_decides(staff, round_case, who):
    proposal = _propose(staff, round_case)
    with pytest.raises(PermissionDenied):
        services.proposal_accept(by=staff[who], proposal=proposal, description="x", due_on=proposal.due_on)
    with pytest.raises(PermissionDenied):
        services.proposal_decline(by=staff[who], proposal=proposal, reason="x")


def test_no_proposals_after_the_closing_date(staff, round_case):
    meeting = round_case.item.meeting
    meeting.starts_at = timezone.now() - timedelta(minutes=1)
    meeting.save(update_fields=["starts_at"])
    with pytest.raises(PermissionDenied):
        _propose(staff, round_case)


def test_no_proposals_at_a_meeting(staff, heard):
    hearing = heard()
    with pytest.raises(PermissionDenied):
        _propose(staff, hearing)


def test_the_plan_cannot_close_with_a_proposal_undecided(staff, round_case):
    _propose(staff, round_case)
    services.plan_confirm_safe(by=staff["idva"], hearing=round_case)
    with pytest.raises(ValidationError) as error:
        services.hearing_close(by=staff["chair"], hearing=round_case, children_reason="Confirmed after the meeting")
    assert "proposed" in str(error.value)


def test_a_due_date_before_the_closing_date_is_refused(staff, round_case):
    with pytest.raises(ValidationError) as error:
        _propose(staff, round_case, due_on=timezone.localdate())
    assert "due_on" in error.value.message_dict


def _sign(meeting, *users):
    for user in users:
        DeclarationSignature.objects.create(meeting=meeting, user=user, statement="x")


def test_round_pages_say_round_closing_never_meeting_of(staff, round_case, client):
    meeting = round_case.item.meeting
    _sign(meeting, staff["housing_rep"], staff["chair"])
    title = f"round closing {timezone.localtime(meeting.starts_at):%A %-d %B %Y}"
    sign_in(client, staff["housing_rep"])
    for url in [
        reverse("meetings:meeting", args=[meeting.public_id]),
        reverse("actions:hearing", args=[meeting.public_id, round_case.item.pk]),
        reverse("meetings:research", args=[meeting.public_id]),
    ]:
        html = client.get(url).content.decode()
        assert title in html or title[0].upper() + title[1:] in html, url
        assert "meeting of" not in html.lower(), url
    html = client.get(reverse("meetings:meeting", args=[meeting.public_id])).content.decode()
    assert "Any other business" not in html and "Introductions" not in html and "Register" not in html
    assert "accepts the confidentiality statement before it sees" in html


def test_round_emails_say_round_closing(staff, marac, django_capture_on_commit_callbacks):
    closing = timezone.now().replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=10)
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=closing, mode=MeetingMode.ASYNC)
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.meeting_publish(by=staff["coordinator"], meeting=meeting)
    title = f"round closing {timezone.localtime(closing):%A %-d %B %Y}"
    assert mail.outbox and all(title in m.body and title in m.subject for m in mail.outbox)
    assert not any("meeting of" in m.body for m in mail.outbox)


def test_an_agency_must_accept_the_statement_before_the_case_page(staff, round_case, client):
    meeting = round_case.item.meeting
    sign_in(client, staff["housing_rep"])
    response = client.get(reverse("actions:hearing", args=[meeting.public_id, round_case.item.pk]))
    assert response.status_code == 302 and "declaration" in response.url


def test_propose_on_the_case_page_keeps_input_on_a_mistake(staff, round_case, client):
    meeting = round_case.item.meeting
    _sign(meeting, staff["housing_rep"])
    sign_in(client, staff["housing_rep"])
    url = reverse("actions:hearing", args=[meeting.public_id, round_case.item.pk])
    bad = client.post(url, {"action": "propose-action", "proposal-kind": "other", "proposal-description": "Visit with police", "proposal-for_whom": "victim", "proposal-due_on": ""})
    assert bad.status_code == 200 and "Visit with police" in bad.content.decode() and "There is a problem" in bad.content.decode()
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    good = client.post(url, {"action": "propose-action", "proposal-kind": "other", "proposal-description": "Visit with police", "proposal-for_whom": "victim", "proposal-due_on": due})
    assert good.status_code == 302
    assert ActionProposal.objects.get(hearing=round_case).description == "Visit with police"


def test_the_chair_accepts_and_declines_on_the_case_page(staff, round_case, client):
    meeting = round_case.item.meeting
    keep, drop = _propose(staff, round_case), _propose(staff, round_case, who="police_rep", description="Arrest on sight")
    _sign(meeting, staff["chair"])
    sign_in(client, staff["chair"])
    url = reverse("actions:hearing", args=[meeting.public_id, round_case.item.pk])
    page = client.get(url).content.decode()
    assert "Offer a management transfer" in page and "Arrest on sight" in page
    missing = client.post(url, {"action": "decline-proposal", "proposal": drop.pk, f"decline-{drop.pk}-reason": ""})
    assert missing.status_code == 200 and "There is a problem" in missing.content.decode()
    client.post(url, {"action": "decline-proposal", "proposal": drop.pk, f"decline-{drop.pk}-reason": "Not proportionate"})
    client.post(url, {
        "action": "accept-proposal", "proposal": keep.pk, f"accept-{keep.pk}-description": "Offer a management transfer",
        f"accept-{keep.pk}-due_on": keep.due_on.isoformat(),
    })
    keep.refresh_from_db()
    drop.refresh_from_db()
    assert keep.status == "accepted" and drop.status == "declined" and drop.decline_reason == "Not proportionate"


def test_the_case_page_queries_do_not_grow_with_proposals(staff, round_case, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    meeting = round_case.item.meeting
    _sign(meeting, staff["chair"])
    sign_in(client, staff["chair"])
    url = reverse("actions:hearing", args=[meeting.public_id, round_case.item.pk])

    def count_with(proposals):
        while round_case.proposals.count() < proposals:
            _propose(staff, round_case)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    assert count_with(1) == count_with(4)
