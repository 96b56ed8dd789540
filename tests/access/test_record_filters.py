"""One rule per record (issue 14): each guarded record has one filter in the access
policy, used by its list, its page and its writes alike. A case whose access has
lapsed for an agency (12 months after its last hearing) is gone for that agency from
lists, pages and writes, except that an agency keeps its own still-open actions; a
member of another Marac reaches nothing."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmarac.access import policy
from openmarac.accounts.models import AgencyKind, Role
from openmarac.actions import selectors as action_selectors
from openmarac.actions import services as action_services
from openmarac.actions.models import Action
from openmarac.audit.models import AuditEvent
from openmarac.meetings import services as meeting_services
from openmarac.referrals import selectors as referral_selectors
from openmarac.referrals import services as referral_services
from openmarac.referrals.models import Case, ChildrenReferralPrompt, ContactAttempt, IdvaReferral, SharingDecision, SharingLogEntry
from openmarac.synthetic.referrals import ReferralGenerator

from ..conftest import ROLES, sign_in
from ..factories import marac_with_core_agencies, member

TODAY = timezone.localdate()


@pytest.fixture
def records(marac, staff):
    """A case heard at a meeting, with an action owned by housing, its Idva referral,
    its children's social care prompt and an information-sharing record."""
    referrer = staff["referrer"]
    data = ReferralGenerator(seed=41).referral(marac=marac, referring_agency=referrer.agency, children=1, consent=False, review_owner=referrer)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    item = meeting_services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=staff["coordinator"], meeting=meeting)
    hearing = action_services.hearing_for(item)
    action = action_services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Housing options",
        for_whom="victim", due_on=TODAY + timedelta(days=30),
    )
    return {
        "case": referral.case,
        "action": action,
        "idva_referral": referral.idva_referral,
        "prompt": referral.children_prompt,
        "decision": referral.sharing_decision,
    }


def _lapse(case, months=13):
    Case.objects.filter(pk=case.pk).update(last_heard_on=TODAY - relativedelta(months=months))


def _denials():
    return AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).count()


def _report(version, status="completed"):
    return {"version": version, "status": status, "completed_on": TODAY.isoformat(), "note": "Done"}


# --- Lapsed access -------------------------------------------------------------------


def test_after_the_lapse_an_agency_keeps_its_own_open_action_in_list_page_and_reports(marac, staff, records):
    action, housing = records["action"], staff["housing_rep"]
    _lapse(records["case"])
    assert list(action_selectors.actions_of_agency(user=housing, marac=marac)) == [action]
    client = sign_in(Client(), housing)
    url = reverse("actions:action", args=[action.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _report(action.version))
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == Action.Status.COMPLETED
    # Once done, the lapsed case's action is gone from the agency's list and page alike.
    assert list(action_selectors.actions_of_agency(user=housing, marac=marac)) == []
    assert client.get(url).status_code == 404


def test_a_progress_report_on_a_closed_action_of_a_lapsed_case_is_refused_and_audited(marac, staff, records):
    action, housing = records["action"], staff["housing_rep"]
    action_services.action_report(by=housing, action=action, version=action.version, status="completed", completed_on=TODAY, note="Done")
    action.refresh_from_db()
    _lapse(records["case"])
    denials = _denials()
    response = sign_in(Client(), housing).post(reverse("actions:action", args=[action.pk]), _report(action.version, status="open"))
    assert response.status_code == 404
    assert Action.objects.get(pk=action.pk).status == Action.Status.COMPLETED and action.updates.count() == 2
    assert _denials() == denials + 1
    with pytest.raises(PermissionDenied):
        action_services.action_report(by=housing, action=action, version=action.version, status="open", note="Reopened")


def test_an_idva_contact_closing_the_idva_referral_of_a_lapsed_case_is_refused(staff, records):
    item, idva = records["idva_referral"], staff["idva"]
    _lapse(records["case"])
    denials = _denials()
    body = {"attempted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "method": "phone", "outcome": "spoke", "status": "closed"}
    response = sign_in(Client(), idva).post(reverse("referrals:idva-referral", args=[item.pk]), body)
    assert response.status_code == 404 and _denials() == denials + 1
    item.refresh_from_db()
    assert item.status == IdvaReferral.Status.AWAITING_CONTACT and not ContactAttempt.objects.filter(idva_referral=item).exists()
    assert list(referral_selectors.idva_referrals_for(user=idva, marac=item.referral.marac)) == []
    with pytest.raises(PermissionDenied):
        referral_services.idva_contact_record(by=idva, idva_referral=item, attempted_at=timezone.now(), method="phone", outcome="spoke", status="closed")


def test_a_childrens_social_care_confirmation_on_a_lapsed_case_is_refused(staff, records):
    prompt, csc = records["prompt"], staff["childrens_rep"]
    _lapse(records["case"])
    response = sign_in(Client(), csc).post(reverse("referrals:children-prompt", args=[prompt.pk]), {"outcome": "referral_received"})
    assert response.status_code == 404
    prompt.refresh_from_db()
    assert prompt.confirmed_at is None and prompt.outcome == ChildrenReferralPrompt.objects.get(pk=prompt.pk).outcome
    assert list(referral_selectors.children_prompts_for(user=csc, marac=prompt.referral.marac)) == []
    with pytest.raises(PermissionDenied):
        referral_services.children_prompt_confirm(by=csc, prompt=prompt, outcome="referral_received")


def test_a_sharing_log_entry_on_a_lapsed_case_is_refused_for_the_referrer_but_not_the_coordinator(staff, records):
    decision = records["decision"]
    _lapse(records["case"])
    body = {"action": "log", "shared_with": "GP surgery", "shared_on": TODAY.isoformat(), "method": "Secure email", "information": "Risk", "authority": "Vital interests"}
    url = reverse("referrals:sharing", args=[decision.pk])
    entries = SharingLogEntry.objects.filter(decision=decision).count()
    assert sign_in(Client(), staff["referrer"]).post(url, body).status_code == 404
    assert SharingLogEntry.objects.filter(decision=decision).count() == entries
    assert sign_in(Client(), staff["coordinator"]).post(url, body).status_code == 302
    assert SharingLogEntry.objects.filter(decision=decision).count() == entries + 1


# --- Another Marac ---------------------------------------------------------------------


@pytest.fixture
def outsiders(other_marac):
    marac_with_core_agencies(other_marac)
    return {
        "coordinator": member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA),
        "idva": member(other_marac, Role.IDVA, agency_kind=AgencyKind.IDVA),
        "housing_rep": member(other_marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.HOUSING),
        "childrens_rep": member(other_marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.CHILDRENS_SOCIAL_CARE),
    }


@pytest.mark.parametrize("outsider", ["coordinator", "idva", "housing_rep", "childrens_rep"])
def test_a_member_of_another_marac_writes_to_no_record_of_this_one(records, outsiders, outsider):
    user = outsiders[outsider]
    action, item, prompt, decision = records["action"], records["idva_referral"], records["prompt"], records["decision"]
    client = sign_in(Client(), user)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    posts = [
        (reverse("actions:action", args=[action.pk]), _report(action.version)),
        (reverse("referrals:idva-referral", args=[item.pk]), {"attempted_at": now, "method": "phone", "outcome": "spoke", "status": "closed"}),
        (reverse("referrals:children-prompt", args=[prompt.pk]), {"outcome": "referral_received"}),
        (reverse("referrals:sharing", args=[decision.pk]), {"action": "review"}),
    ]
    for url, body in posts:
        assert client.post(url, body).status_code == 404, url
    assert Action.objects.get(pk=action.pk).status == Action.Status.OPEN
    assert IdvaReferral.objects.get(pk=item.pk).status == IdvaReferral.Status.AWAITING_CONTACT
    assert ChildrenReferralPrompt.objects.get(pk=prompt.pk).confirmed_at is None
    assert SharingDecision.objects.get(pk=decision.pk).reviewed_at is None


# --- Services refuse every role but the ones that may write ----------------------------


SERVICES = ["action_report", "children_prompt_confirm", "idva_contact_record", "sharing_log_add"]
# With no agency or authorship tying them to the records, only the coordinator writes,
# and never the children's social care confirmation (that is the agency's own).
COORDINATOR_WRITES = {"action_report", "idva_contact_record", "sharing_log_add"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("service", SERVICES)
def test_services_refuse_every_role_that_may_not_write(marac, records, service, role):
    # Each role held by a user of an agency uninvolved in the records (probation), so
    # only the role itself could let them write.
    user = member(marac, role, agency_kind=AgencyKind.PROBATION)
    calls = {
        "action_report": lambda: action_services.action_report(
            by=user, action=records["action"], version=records["action"].version, status="open", note="Update"
        ),
        "idva_contact_record": lambda: referral_services.idva_contact_record(
            by=user, idva_referral=records["idva_referral"], attempted_at=timezone.now(), method="phone", outcome="no_answer"
        ),
        "children_prompt_confirm": lambda: referral_services.children_prompt_confirm(by=user, prompt=records["prompt"], outcome="referral_received"),
        "sharing_log_add": lambda: referral_services.sharing_log_add(
            by=user, decision=records["decision"], shared_with="GP", shared_on=TODAY, method="Email", information="Risk", authority="Vital interests"
        ),
    }
    if role == Role.COORDINATOR and service in COORDINATOR_WRITES:
        calls[service]()
    else:
        with pytest.raises(PermissionDenied):
            calls[service]()


# --- The list and the page never disagree, either side of the lapse ----------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days_since_hearing=st.integers(min_value=0, max_value=800), closed=st.booleans())
def test_list_page_and_write_agree_for_every_hearing_date(marac, staff, records, days_since_hearing, closed):
    action, housing, idva, csc = records["action"], staff["housing_rep"], staff["idva"], staff["childrens_rep"]
    Case.objects.filter(pk=records["case"].pk).update(last_heard_on=TODAY - timedelta(days=days_since_hearing))
    Action.objects.filter(pk=action.pk).update(status=Action.Status.COMPLETED if closed else Action.Status.OPEN)
    action.refresh_from_db()
    active = days_since_hearing <= (TODAY - (TODAY - relativedelta(months=policy.ACTIVE_CASE_MONTHS))).days

    in_list = action in action_selectors.actions_of_agency(user=housing, marac=marac)
    assert in_list == (action_selectors.action_for(user=housing, pk=action.pk) is not None) == policy.can_report_on_action(housing, action)
    assert in_list == (active or not closed)

    item = records["idva_referral"]
    in_list = item in referral_selectors.idva_referrals_for(user=idva, marac=marac)
    assert in_list == (referral_selectors.idva_referral_for(user=idva, pk=item.pk) is not None) == policy.can_work_idva_referral(idva, item) == active

    prompt = records["prompt"]
    in_list = prompt in referral_selectors.children_prompts_for(user=csc, marac=marac)
    assert in_list == (referral_selectors.children_prompt_for(user=csc, pk=prompt.pk) is not None) == policy.can_confirm_children_prompt(csc, prompt) == active
