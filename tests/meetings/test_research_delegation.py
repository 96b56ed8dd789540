"""Research handed to the key worker (issue 15): a representative asks a colleague of
the same agency who knows the family to complete one case's research. The colleague
gets that case's research form and nothing else, until the research is returned, the
meeting is held or the request is withdrawn."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import AgencyKind, Role
from openmarac.audit.models import AuditEvent
from openmarac.core.selectors import personal_attention
from openmarac.meetings import services
from openmarac.meetings.models import DeclarationSignature, ResearchDelegation, ResearchReturn

from ..conftest import sign_in
from ..factories import member


@pytest.fixture
def published(meeting, refer, people):
    first, second = refer(children=0), refer(children=0)
    for referral in (first, second):
        services.referral_list(by=people["coordinator"], referral=referral, meeting=meeting)
    services.meeting_publish(by=people["coordinator"], meeting=meeting)
    DeclarationSignature.objects.create(meeting=meeting, user=people["housing_rep"], statement="x")
    return meeting, first, second


def _delegate(people, meeting, referral, **extra):
    return services.research_delegate(by=people["housing_rep"], meeting=meeting, referral=referral, delegate=people["referrer"], **extra)


def test_the_key_worker_gets_one_research_form_and_nothing_else(people, published):
    meeting, first, second = published
    key_worker = people["referrer"]
    assert not policy.can_complete_delegated_research(key_worker, meeting, first, now=timezone.now())
    _delegate(people, meeting, first)
    now = timezone.now()
    assert policy.can_complete_delegated_research(key_worker, meeting, first, now=now)
    assert not policy.can_complete_delegated_research(key_worker, meeting, second, now=now)
    assert not policy.can_see_meeting(key_worker, meeting) and not policy.can_do_research(key_worker, meeting)
    with pytest.raises(PermissionDenied):
        services.research_save(by=key_worker, meeting=meeting, referral=second, data={"facts": "x"}, submit=True)
    services.research_save(by=key_worker, meeting=meeting, referral=first, data={"facts": "Known to the family since 2023"}, submit=True)
    returned = ResearchReturn.objects.get(meeting=meeting, referral=first)
    assert returned.agency == people["housing_rep"].agency and returned.returned_by == key_worker
    # Returned: the access has ended.
    assert not policy.can_complete_delegated_research(key_worker, meeting, first, now=timezone.now())


def test_the_delegation_ends_when_the_meeting_is_held(people, published):
    meeting, first, _ = published
    _delegate(people, meeting, first)
    after = meeting.starts_at + timedelta(minutes=1)
    assert not policy.can_complete_delegated_research(people["referrer"], meeting, first, now=after)
    assert policy.can_complete_delegated_research(people["referrer"], meeting, first, now=meeting.starts_at - timedelta(minutes=1))


def test_withdrawn_it_grants_nothing_and_a_new_request_may_follow(people, published):
    meeting, first, _ = published
    delegation = _delegate(people, meeting, first)
    with pytest.raises(ValidationError):
        _delegate(people, meeting, first)  # one live request per case
    services.research_delegation_withdraw(by=people["housing_rep"], delegation=delegation)
    assert not policy.can_complete_delegated_research(people["referrer"], meeting, first, now=timezone.now())
    assert _delegate(people, meeting, first).withdrawn_at is None
    assert AuditEvent.objects.filter(summary="Research request withdrawn").exists()


def test_only_a_colleague_of_the_same_agency_in_the_marac(people, published, marac):
    meeting, first, _ = published
    for outsider in (people["police_rep"], people["housing_rep"]):  # another agency; oneself
        with pytest.raises(ValidationError):
            services.research_delegate(by=people["housing_rep"], meeting=meeting, referral=first, delegate=outsider)
    inactive = member(marac, Role.REFERRER, agency_kind=AgencyKind.HOUSING)
    inactive.memberships.update(is_active=False)
    with pytest.raises(ValidationError):
        services.research_delegate(by=people["housing_rep"], meeting=meeting, referral=first, delegate=inactive)


@pytest.mark.parametrize("who", ["coordinator", "chair", "referrer", "governance"])
def test_only_an_agency_researcher_hands_research_on(people, published, who):
    meeting, first, _ = published
    with pytest.raises(PermissionDenied):
        services.research_delegate(by=people[who], meeting=meeting, referral=first, delegate=people["housing_rep"])


def test_not_after_the_research_is_returned(people, published):
    meeting, first, _ = published
    services.research_save(by=people["housing_rep"], meeting=meeting, referral=first, data={"no_trace": True}, submit=True)
    with pytest.raises(ValidationError):
        _delegate(people, meeting, first)


def test_the_email_names_no_case(people, published, django_capture_on_commit_callbacks):
    meeting, first, _ = published
    with django_capture_on_commit_callbacks(execute=True):
        delegation = _delegate(people, meeting, first, invited_to_slot=True)
    (email,) = [m for m in mail.outbox if people["referrer"].email in m.to]
    assert first.case.reference not in email.body and str(first.case.victim) not in email.body
    assert reverse("meetings:delegated-research", args=[delegation.pk]) in email.body
    assert "slot" in email.body


def test_the_key_worker_completes_it_on_their_page(people, published, client):
    meeting, first, second = published
    delegation = _delegate(people, meeting, first)
    key_worker = people["referrer"]
    assert any("asks you to complete research" in a.text for a in personal_attention(user=key_worker))
    sign_in(client, key_worker)
    url = reverse("meetings:delegated-research", args=[delegation.pk])
    assert "Confidentiality declaration" in client.get(url).content.decode()
    client.post(url, {"agree": "yes"})
    page = client.get(url).content.decode()
    assert first.case.reference in page and second.case.reference not in page
    # Nothing else of the meeting opens to them.
    for other in [
        reverse("meetings:meeting", args=[meeting.public_id]),
        reverse("meetings:research", args=[meeting.public_id]),
        reverse("meetings:research-case", args=[meeting.public_id, first.public_id]),
        reverse("referrals:case", args=[first.case.public_id]),
    ]:
        assert client.get(other).status_code == 404, other
    response = client.post(url, {"action": "return", "version": "0", "facts": "Tenancy officer visits weekly", "details_correct": "yes"})
    assert response.status_code == 302
    assert ResearchReturn.objects.get(referral=first).facts == "Tenancy officer visits weekly"
    assert client.get(url).status_code == 404  # the request has ended


def test_the_grid_shows_the_status_and_the_slot_flag(people, published, client, marac):
    meeting, first, _ = published
    _delegate(people, meeting, first, invited_to_slot=True)
    sign_in(client, people["housing_rep"])
    grid = client.get(reverse("meetings:research", args=[meeting.public_id])).content.decode()
    assert f"With {people['referrer'].full_name}" in grid and "invited to the slot" in grid
    slots = client.get(reverse("meetings:agency-slots", args=[marac.slug])).content.decode()
    assert people["referrer"].full_name in slots


def test_a_bad_hand_over_is_explained_on_the_grid(people, published, client):
    meeting, first, _ = published
    sign_in(client, people["housing_rep"])
    url = reverse("meetings:research-delegate", args=[meeting.public_id, first.public_id])
    response = client.post(url, {f"delegate-{first.pk}-delegate": "", f"delegate-{first.pk}-invited_to_slot": "on"})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert not ResearchDelegation.objects.exists()
    ok = client.post(url, {f"delegate-{first.pk}-delegate": people["referrer"].pk})
    assert ok.status_code == 302 and ResearchDelegation.objects.get().delegate == people["referrer"]


def test_the_research_list_queries_do_not_grow_with_its_cases(people, meeting, refer, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.meeting_publish(by=people["coordinator"], meeting=meeting)
    DeclarationSignature.objects.create(meeting=meeting, user=people["housing_rep"], statement="x")
    sign_in(client, people["housing_rep"])
    url = reverse("meetings:research", args=[meeting.public_id])

    def count_with(cases):
        while meeting.items.count() < cases:
            services.referral_list(by=people["coordinator"], referral=refer(children=0), meeting=meeting)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    assert count_with(2) == count_with(5)


def test_research_is_never_handed_to_a_governance_only_colleague(people, published, marac):
    # Governance sees figures only: a hand-over must not give it a victim's identity.
    meeting, first, _ = published
    strategic_lead = member(marac, Role.GOVERNANCE, agency_kind=AgencyKind.HOUSING)
    assert strategic_lead.agency_id == people["housing_rep"].agency_id
    assert strategic_lead not in services.delegation_colleagues(by=people["housing_rep"], meeting=meeting)
    with pytest.raises((PermissionDenied, ValidationError)):
        services.research_delegate(by=people["housing_rep"], meeting=meeting, referral=first, delegate=strategic_lead)


def test_a_restriction_closes_a_hand_over_to_a_colleague_not_named(people, published):
    from openmarac.referrals import restriction

    meeting, first, _ = published
    _delegate(people, meeting, first)
    restriction.case_restrict(
        by=people["coordinator"], case=first.case, reason="The perpetrator works for a member agency", named_users=[people["housing_rep"]]
    )
    assert not policy.can_complete_delegated_research(people["referrer"], meeting, first, now=timezone.now())
    with pytest.raises(PermissionDenied):
        services.research_save(by=people["referrer"], meeting=meeting, referral=first, data={"facts": "x"}, submit=True)
