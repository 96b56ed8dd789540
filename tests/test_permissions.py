"""Every URL, every kind of user: who gets the page, who gets 404.

The table below must name every URL the project serves; a new URL fails
`test_every_url_is_in_the_table` until its access is decided here."""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from openmarac.accounts.models import AgencyKind, Role
from openmarac.actions import services as action_services
from openmarac.api import services as api_services
from openmarac.audit import services as audit
from openmarac.audit.models import ExceptionReview
from openmarac.records import services as record_services
from openmarac.records.models import Correction, SubjectAccessRequest
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import DeclarationSignature
from openmarac.referrals import services as referral_services
from openmarac.referrals import restriction, transfer
from openmarac.referrals.models import AgencyCheck, BreakGlassGrant, Referral
from openmarac.synthetic.referrals import ReferralGenerator

from .api.table import API_ENDPOINTS, API_PUBLIC
from .conftest import sign_in, world_for_module
from .factories import MaracAgencyFactory, MaracFactory, UserFactory, marac_with_core_agencies, member

SIGNED_IN = {r.value for r in Role} | {
    "system_admin", "other_coordinator", "csc_representative", "uninvolved_representative", "other_representative",
}
COORDINATION = {"coordinator", "system_admin"}
ATTENDEES = {"coordinator", "chair", "representative", "idva", "csc_representative", "uninvolved_representative"}
REFERRING = {
    "referrer", "representative", "idva", "coordinator", "chair", "other_coordinator", "csc_representative",
    "uninvolved_representative", "other_representative",
}
# The agency each actor works for: the referral in the world below comes from housing.
AGENCY_OF = {
    Role.COORDINATOR: AgencyKind.IDVA,
    Role.CHAIR: AgencyKind.POLICE,
    Role.REPRESENTATIVE: AgencyKind.HOUSING,
    Role.IDVA: AgencyKind.IDVA,
    Role.REFERRER: AgencyKind.HOUSING,
    Role.GOVERNANCE: AgencyKind.POLICE,
}

# url name -> actors who get 200 on GET; everyone else signed in gets 404.
PROTECTED = {
    "core:home": SIGNED_IN,
    "accounts:maracs": {"system_admin"},
    "accounts:marac-create": {"system_admin"},
    "background:failures": {"system_admin"},
    "accounts:members": COORDINATION,
    "accounts:invite": COORDINATION,
    "accounts:member": COORDINATION,
    "accounts:agencies": COORDINATION,
    "accounts:agency-add": COORDINATION,
    "accounts:agency-edit": COORDINATION,
    "accounts:marac-settings": COORDINATION,
    "accounts:member-action": COORDINATION,
    # Every signed-in person: their own recovery codes and the roles offered to them.
    "accounts:recovery-codes": SIGNED_IN,
    "accounts:recovery-codes-download": SIGNED_IN,
    "accounts:offers": SIGNED_IN,
    "referrals:mine": REFERRING,
    "referrals:start": REFERRING,
    "referrals:step": {"referrer"},  # a draft: only its author
    "referrals:check": {"referrer"},
    "referrals:sent": {"referrer"},
    "referrals:referral": {"referrer"},  # the outcome, for the referrer
    "referrals:quality-concern": {"coordinator"},
    "referrals:matches": {"coordinator"},  # the queue of possible matches to confirm
    # The housing representative's agency referred the case; the Idva service holds
    # the Idva referral; children's social care holds the children's referral.
    "referrals:case": {"coordinator", "chair", "representative", "idva", "csc_representative"},
    # Finding a case: everyone whose role opens cases, each finding only what they may
    # open (tests/referrals/test_search.py); not the referrer, governance or the
    # system administrator.
    "referrals:search": ATTENDEES | {"other_coordinator", "other_representative"},
    "referrals:idva-referral": {"coordinator", "idva"},
    # The Idva service's list of its open Idva referrals: the Idva's own.
    "referrals:idva-referrals": {"idva"},
    "referrals:children-prompt": {"csc_representative"},
    "referrals:sharing": {"coordinator", "referrer"},
    # A new checklist after an incident: the coordinator, the Idva service the case
    # went to, and the person who referred it.
    "risk:reassess": {"coordinator", "idva", "referrer"},
    # The referring agency's own check: its Marac representative, and the coordinator.
    "referrals:agency-check": {"coordinator", "representative"},
    "meetings:meetings": ATTENDEES,
    "meetings:pattern": {"coordinator", "system_admin"},
    "meetings:meeting-add": {"coordinator"},
    "meetings:listing": {"coordinator", "chair"},
    "meetings:agency-slots": ATTENDEES,
    # A published meeting: its attendees (who have signed the declaration) see it.
    "meetings:meeting": ATTENDEES,
    "meetings:meeting-change": {"coordinator"},
    "meetings:declaration": ATTENDEES,
    "meetings:case-list-pdf": ATTENDEES,
    "meetings:meeting-ics": ATTENDEES,
    "meetings:research": ATTENDEES,
    "meetings:research-case": ATTENDEES,
    # The key worker (housing's referrer) asked to research the listed case: that form only.
    "meetings:delegated-research": {"referrer"},
    "meetings:register": {"coordinator", "chair"},
    "referrals:transfer-request": {"coordinator"},
    "referrals:transfer-bundle": {"coordinator"},
    "referrals:transfer": {"coordinator", "other_coordinator"},  # from this Marac to the other
    "actions:run-meeting": {"coordinator", "chair"},
    "actions:hearing": ATTENDEES,
    # After the meeting: the Idva (and the coordinator) record telling the victim.
    "actions:victim-told": {"coordinator", "idva"},
    "actions:hearing-live": ATTENDEES,
    "actions:minutes": {"coordinator", "chair"},  # not yet published
    "actions:agency-summary": ATTENDEES,
    "actions:mine": ATTENDEES,
    "actions:action": {"coordinator", "chair", "representative"},  # owned by housing
    "actions:flags": {"coordinator"},  # flags due, overdue and confirmed: the coordinator's view
    "actions:all": {"coordinator", "chair"},  # every action of the Marac; the coordinator chases
    # Figures, never a person: governance, chair and coordinator; the return is the coordinator's.
    "governance:dashboard": {"coordinator", "chair", "governance"},
    "governance:definitions": {"coordinator", "chair", "governance"},
    "governance:data-return": {"coordinator"},
    "governance:data-return-download": {"coordinator"},
    # Subject access, rectification and the confidentiality audit: the coordinator only
    # (never the system administrator: they hold case content).
    "records:sar-list": {"coordinator"},
    "records:sar-add": {"coordinator"},
    "records:sar": {"coordinator"},
    "records:sar-bundle-json": {"coordinator"},
    "records:sar-bundle-pdf": {"coordinator"},
    "records:person-correct": {"coordinator"},
    "audit:views-by-user": {"coordinator"},
    "audit:views-by-agency": {"coordinator"},
    "audit:user-records": {"coordinator"},
    "audit:exceptions": {"coordinator"},
    "audit:exception-review": {"coordinator"},
    # Restricted cases (issue 14): the coordinator restricts; a case restricted by
    # another coordinator, naming nobody else, is asked for by break-glass by everyone
    # whose role would open it (the coordinator too); a break-glass use is reviewed by
    # a coordinator who did not make it.
    "referrals:restriction": {"coordinator"},
    "referrals:break-glass": {"coordinator", "chair", "representative", "idva", "csc_representative"},
    "referrals:break-glass-review": {"coordinator"},
    # API credentials (issue 10): the coordinator only; the system administrator never,
    # since a credential reads case content. The API's description: anyone with a role
    # that works with cases, and the system administrator who connects the systems.
    "api:credentials": {"coordinator"},
    "api:credential-create": {"coordinator"},
    "api:credential-created": {"coordinator"},  # the key once, then only that it was shown
    "api:credential-revoke": {"coordinator"},  # the confirmation page; POST revokes
    "api:docs": SIGNED_IN - {"governance"},
}
# Pages for signing in: reachable without a session; expected status for anonymous GET.
PUBLIC = {
    "accounts:sign-in": 200,
    "accounts:password-reset": 200,
    "accounts:password-reset-sent": 200,
    "accounts:password-reset-confirm": 200,  # shows "this link has expired"
    "accounts:accept-invitation": 400,  # an invalid link
    # For the load balancer and the service manager: status only, no data.
    "core:healthz": 200,
    "core:readyz": 200,
}
# The second sign-in step, for a user who has given a password but not yet a code.
MFA_STEP = {"accounts:mfa-verify", "accounts:mfa-setup", "accounts:mfa-recovery"}
POST_ONLY = {
    "accounts:sign-out",
    "accounts:signed-out-draft",
    "referrals:match-decision",
    "meetings:item-move",
    "meetings:date-override",
    "records:sar-link",
    "records:sar-complete",
    "actions:records-updated",
    "meetings:research-delegate",
    "meetings:research-delegation-withdraw",
    "actions:flag-removed",  # tests/test_write_permissions.py
    "actions:chase",
    "actions:agency-chase",
    "meetings:research-remind",
}
# The REST API answers credentials, not sessions: its endpoints are declared, with who
# may call each, in tests/api/table.py (and asserted in tests/api/test_endpoints.py).
API_URLS = set(API_ENDPOINTS) | API_PUBLIC

# Signed-out actors: a visitor with no session, and an account deactivated after it signed in.
SIGNED_OUT = ["anonymous", "deactivated"]
ACTORS = sorted(SIGNED_IN) + SIGNED_OUT + ["password_only"]


def _url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


def test_every_url_is_in_the_table():
    known = set(PROTECTED) | set(PUBLIC) | MFA_STEP | POST_ONLY | API_URLS
    assert set(_url_names()) - known == set()


def _build_world():
    marac = MaracFactory(name="Northshire Marac", slug="northshire")
    other_marac = MaracFactory(name="Southvale Marac", slug="southvale")
    link = MaracAgencyFactory(marac=marac)
    marac_with_core_agencies(marac)
    users = {role.value: member(marac, role, agency_kind=AGENCY_OF[role]) for role in Role}
    users["csc_representative"] = member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.CHILDRENS_SOCIAL_CARE)
    # Probation takes part in the Marac but has no part in the case.
    users["uninvolved_representative"] = member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.PROBATION)
    users["other_coordinator"] = member(other_marac, Role.COORDINATOR)
    users["other_representative"] = member(other_marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.HOUSING)
    users["deactivated"] = member(marac, Role.COORDINATOR)
    admin = UserFactory(is_system_admin=True, agency=None)
    admin.totpdevice_set.create(name="app", confirmed=True)
    users["system_admin"] = admin
    users["password_only"] = member(marac, Role.COORDINATOR)
    referrer = users["referrer"]
    data = ReferralGenerator(seed=3).referral(marac=marac, referring_agency=referrer.agency, children=1, consent=False, review_owner=referrer)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer)
    draft = Referral.objects.create(marac=marac, referrer=referrer)
    meeting = meeting_services.meeting_add(by=users["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    listed = referral_services.referral_record(marac=marac, data=ReferralGenerator(seed=4).referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    item = meeting_services.referral_list(by=users["coordinator"], referral=listed, meeting=meeting)
    meeting_services.meeting_publish(by=users["coordinator"], meeting=meeting)
    hearing = action_services.hearing_for(item)
    action = action_services.action_add(
        by=users["coordinator"], hearing=hearing, owner_agency=users["representative"].agency, description="Housing options",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=30),
    )
    # Housing's Marac representative checks the housing referral before it goes on.
    agency_check = AgencyCheck.objects.create(referral=referral, agency=users["representative"].agency, due_at=timezone.now() + timedelta(days=1))
    # A case heard and closed at the meeting: the Idva records telling the victim.
    closed = referral_services.referral_record(marac=marac, data=ReferralGenerator(seed=7).referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    closed_item = meeting_services.referral_list(by=users["coordinator"], referral=closed, meeting=meeting)
    action_services.hearing_close(by=users["coordinator"], hearing=action_services.hearing_for(closed_item), reason="Idva on leave", children_reason="Confirmed after the meeting")
    pending = transfer.transfer_request(by=users["coordinator"], case=referral.case, to_marac=other_marac, reason="Moved")
    # Housing hands the listed case's research to its referrer, the key worker.
    delegation = meeting_services.research_delegate(by=users["representative"], meeting=meeting, referral=listed, delegate=referrer)
    sar = record_services.sar_record(by=users["coordinator"], marac=marac, person=referral.case.victim, received_on=timezone.localdate())
    # A view at 23:00 on a Monday: an out-of-hours exception for the audit's review page.
    late = datetime(2026, 3, 2, 23, 0, tzinfo=ZoneInfo("Europe/London"))
    with mock.patch("openmarac.audit.services.timezone.now", return_value=late):
        audit.record(action=audit.Action.VIEWED, actor=users["chair"], record_type="referrals.case", record_id=str(referral.case.pk), marac=marac)
    # A case restricted by another coordinator of the Marac, naming nobody else, and a
    # chair's break-glass use of it awaiting review.
    restricted = referral_services.referral_record(
        marac=marac, data=ReferralGenerator(seed=6).referral(marac=marac, referring_agency=referrer.agency, children=1), by=referrer
    )
    restriction.case_restrict(by=users["password_only"], case=restricted.case, reason="The perpetrator works for a member agency", named_users=[])
    grant = BreakGlassGrant.objects.create(
        case=restricted.case, user=users["chair"], reason="Urgent safeguarding call tonight", granted_at=timezone.now(), expires_at=timezone.now()
    )
    # Everyone has signed, so the table tests access, not the declaration step.
    DeclarationSignature.objects.bulk_create(DeclarationSignature(meeting=meeting, user=u, statement="x") for u in users.values())
    users["deactivated"].is_active = False
    users["deactivated"].save(update_fields=["is_active"])
    credential = api_services.credential_create(
        by=users["coordinator"], marac=marac, agency=users["representative"].agency, name="Housing system",
        expires_on=timezone.localdate() + timedelta(days=100),
    ).credential
    kwargs = {
        "api:credentials": {"slug": marac.slug},
        "api:credential-create": {"slug": marac.slug},
        "api:credential-created": {"pk": credential.pk},
        "api:credential-revoke": {"pk": credential.pk},
        "meetings:meetings": {"slug": marac.slug},
        "meetings:pattern": {"slug": marac.slug},
        "meetings:meeting-add": {"slug": marac.slug},
        "meetings:listing": {"slug": marac.slug},
        "meetings:agency-slots": {"slug": marac.slug},
        "meetings:meeting": {"public_id": meeting.public_id},
        "meetings:meeting-change": {"public_id": meeting.public_id},
        "meetings:declaration": {"public_id": meeting.public_id},
        "meetings:case-list-pdf": {"public_id": meeting.public_id},
        "meetings:meeting-ics": {"public_id": meeting.public_id},
        "meetings:item-move": {"public_id": meeting.public_id, "pk": item.pk},
        "meetings:date-override": {"public_id": meeting.public_id},
        "meetings:research": {"public_id": meeting.public_id},
        "meetings:research-case": {"public_id": meeting.public_id, "referral_id": listed.public_id},
        "meetings:register": {"public_id": meeting.public_id},
        "actions:run-meeting": {"public_id": meeting.public_id},
        "referrals:transfer-request": {"public_id": referral.case.public_id},
        "referrals:transfer-bundle": {"public_id": referral.case.public_id},
        "referrals:transfer": {"pk": pending.pk},
        "actions:hearing": {"public_id": meeting.public_id, "item_id": item.pk},
        "actions:victim-told": {"public_id": meeting.public_id, "item_id": closed_item.pk},
        "actions:hearing-live": {"public_id": meeting.public_id, "item_id": item.pk},
        "actions:minutes": {"public_id": meeting.public_id},
        "actions:agency-summary": {"public_id": meeting.public_id},
        "actions:mine": {"slug": marac.slug},
        "actions:flags": {"slug": marac.slug},
        "actions:all": {"slug": marac.slug},
        "actions:chase": {"pk": action.pk},
        "actions:agency-chase": {"slug": marac.slug, "agency_id": users["representative"].agency_id},
        "meetings:research-remind": {"public_id": meeting.public_id, "agency_id": users["representative"].agency_id},
        "actions:action": {"pk": action.pk},
        "actions:flag-removed": {"pk": action.pk},
        "referrals:step": {"public_id": draft.public_id, "slug": "victim"},
        "referrals:check": {"public_id": draft.public_id},
        "referrals:sent": {"public_id": referral.public_id},
        "referrals:referral": {"public_id": referral.public_id},
        "referrals:quality-concern": {"public_id": referral.public_id},
        "referrals:case": {"public_id": referral.case.public_id},
        "referrals:restriction": {"public_id": referral.case.public_id},
        "referrals:break-glass": {"public_id": restricted.case.public_id},
        "referrals:break-glass-review": {"pk": grant.pk},
        "referrals:match-decision": {"public_id": referral.case.public_id, "pk": 1},
        "referrals:matches": {"slug": marac.slug},
        "referrals:idva-referral": {"pk": referral.idva_referral.pk},
        "referrals:idva-referrals": {"slug": marac.slug},
        "referrals:children-prompt": {"pk": referral.children_prompt.pk},
        "referrals:sharing": {"pk": referral.sharing_decision.pk},
        "risk:reassess": {"public_id": referral.case.public_id},
        "referrals:agency-check": {"pk": agency_check.pk},
        "governance:dashboard": {"slug": marac.slug},
        "governance:definitions": {"slug": marac.slug},
        "governance:data-return": {"slug": marac.slug},
        "governance:data-return-download": {"slug": marac.slug, "fmt": "csv"},
        "accounts:members": {"slug": marac.slug},
        "accounts:invite": {"slug": marac.slug},
        "accounts:member": {"slug": marac.slug, "pk": users["referrer"].memberships.get().pk},
        "accounts:agencies": {"slug": marac.slug},
        "accounts:agency-add": {"slug": marac.slug},
        "accounts:agency-edit": {"slug": marac.slug, "pk": link.pk},
        "accounts:marac-settings": {"slug": marac.slug},
        "records:sar-list": {"slug": marac.slug},
        "records:sar-add": {"slug": marac.slug},
        "records:sar": {"pk": sar.pk},
        "records:sar-link": {"pk": sar.pk},
        "records:sar-complete": {"pk": sar.pk},
        "records:sar-bundle-json": {"pk": sar.pk},
        "records:sar-bundle-pdf": {"pk": sar.pk},
        "records:person-correct": {"public_id": referral.case.public_id, "pk": referral.case.victim_id},
        "audit:views-by-user": {"slug": marac.slug},
        "audit:views-by-agency": {"slug": marac.slug},
        "audit:user-records": {"slug": marac.slug, "user_id": users["chair"].pk},
        "audit:exceptions": {"slug": marac.slug},
        "audit:exception-review": {"slug": marac.slug, "kind": "out_of_hours", "user_id": users["chair"].pk, "day": late.date().isoformat()},
        "accounts:member-action": {"slug": marac.slug, "pk": users["referrer"].memberships.get().pk, "action": "unlock"},
        "actions:records-updated": {"pk": action.pk},
        "meetings:research-delegate": {"public_id": meeting.public_id, "referral_id": listed.public_id},
        "meetings:research-delegation-withdraw": {"pk": delegation.pk},
        "meetings:delegated-research": {"pk": delegation.pk},
        "accounts:password-reset-confirm": {"uidb64": "MQ", "token": "set-password"},
        "accounts:accept-invitation": {"uidb64": "MQ", "token": "abc-def"},
    }
    return users, kwargs


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction rolled back at its end; each
    test's own transaction (the `db` fixture) nests inside it."""
    with world_for_module(django_db_blocker, _build_world) as built:
        yield built


def _client_for(actor, users):
    client = Client()
    if actor == "anonymous":
        return client
    if actor in {"password_only", "deactivated"}:  # the deactivated account signed in before
        client.force_login(users[actor])
        return client
    return sign_in(client, users[actor])


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("url_name", sorted(PROTECTED))
def test_protected_pages(world, db, url_name, actor):
    users, kwargs = world
    url = reverse(url_name, kwargs=kwargs.get(url_name))
    response = _client_for(actor, users).get(url)
    if actor in SIGNED_OUT:
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:sign-in"))
    elif actor == "password_only":
        assert response.status_code == 302 and response.url.split("?")[0] == reverse("accounts:mfa-verify")
    elif actor in PROTECTED[url_name]:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert b"Page not found" in response.content


# Governance sees figures and nothing else: every person, case, meeting and export URL
# answers 404 (issue 8). The table above says so; this holds the table to it.
GOVERNANCE_MAY_SEE = {"core:home", "governance:dashboard", "governance:definitions"}
# Pages about the signed-in person's own account, which hold no one else's data.
OWN_ACCOUNT = {"accounts:recovery-codes", "accounts:recovery-codes-download", "accounts:offers"}


def test_governance_reaches_figures_only():
    assert {name for name, allowed in PROTECTED.items() if "governance" in allowed} == GOVERNANCE_MAY_SEE | OWN_ACCOUNT


@pytest.mark.parametrize("url_name", sorted(set(PROTECTED) - GOVERNANCE_MAY_SEE - OWN_ACCOUNT))
def test_governance_gets_404_on_every_person_case_meeting_and_export_url(world, db, url_name):
    users, kwargs = world
    response = _client_for("governance", users).get(reverse(url_name, kwargs=kwargs.get(url_name)))
    assert response.status_code == 404
    assert b"Page not found" in response.content


@pytest.mark.parametrize("url_name", sorted(PUBLIC))
def test_public_pages(world, db, url_name):
    users, kwargs = world
    response = Client().get(reverse(url_name, kwargs=kwargs.get(url_name)))
    assert response.status_code == PUBLIC[url_name]


def test_the_api_schema_is_public_and_holds_no_data(world, db):
    response = Client().get(reverse("api-v1:schema"), headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


@pytest.mark.parametrize("url_name", sorted(MFA_STEP))
def test_mfa_step_needs_a_password_first(world, db, url_name):
    users, _ = world
    assert Client().get(reverse(url_name)).status_code == 302
    client = _client_for("password_only", users)
    response = client.get(reverse(url_name))
    # A user with a device is shown the code page; set-up sends them back to it.
    assert response.status_code == (200 if url_name in {"accounts:mfa-verify", "accounts:mfa-recovery"} else 302)


@pytest.mark.parametrize("url_name", sorted(POST_ONLY))
def test_post_only_urls_refuse_get(world, db, url_name):
    users, kwargs = world
    client = _client_for("chair", users)
    assert client.get(reverse(url_name, kwargs=kwargs.get(url_name))).status_code == 405


@pytest.mark.parametrize("actor", ["chair", "other_coordinator", "referrer"])
def test_refused_management_posts_change_nothing(world, db, actor):
    users, kwargs = world
    target = users["referrer"].memberships.get()
    client = _client_for(actor, users)
    response = client.post(reverse("accounts:member", kwargs=kwargs["accounts:member"]), {"action": "deactivate"})
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.is_active


# Writes of subject access, rectification and exception reviews: each refused actor gets
# a 404 and nothing changes.
REFUSED_WRITERS = ["chair", "representative", "idva", "governance", "other_coordinator", "system_admin"]
RECORD_WRITES = {
    "records:sar-add": {"requester_name": "Someone", "received_on": "2026-01-05"},
    "records:sar-link": {"person": "0"},
    "records:sar-complete": {"completed_on": "today"},
    "records:person-correct": {"given_name": "Changed", "reason": "Test"},
    "audit:exception-review": {"note": "Reviewed"},
}


def _record_state():
    return (
        SubjectAccessRequest.objects.count(),
        list(SubjectAccessRequest.objects.values_list("person_id", "completed_on")),
        Correction.objects.count(),
        ExceptionReview.objects.count(),
    )


@pytest.mark.parametrize("actor", REFUSED_WRITERS)
@pytest.mark.parametrize("url_name", sorted(RECORD_WRITES))
def test_refused_record_writes_change_nothing(world, db, url_name, actor):
    users, kwargs = world
    data = {k: timezone.localdate().isoformat() if v == "today" else v for k, v in RECORD_WRITES[url_name].items()}
    if url_name == "records:sar-link":
        data["person"] = str(SubjectAccessRequest.objects.get().person_id)
    before = _record_state()
    response = _client_for(actor, users).post(reverse(url_name, kwargs=kwargs[url_name]), data)
    assert response.status_code == 404
    assert _record_state() == before


@pytest.mark.parametrize("url_name", sorted(RECORD_WRITES))
def test_the_coordinator_may_make_the_record_writes(world, db, url_name):
    users, kwargs = world
    data = {k: timezone.localdate().isoformat() if v == "today" else v for k, v in RECORD_WRITES[url_name].items()}
    if url_name == "records:sar-link":
        data["person"] = str(SubjectAccessRequest.objects.get().person_id)
    before = _record_state()
    response = _client_for("coordinator", users).post(reverse(url_name, kwargs=kwargs[url_name]), data)
    assert response.status_code == 302
    if url_name != "records:sar-link":  # linking the same person again changes no count
        assert _record_state() != before


@pytest.mark.parametrize("action", ["remove-role", "deactivate", "reset-authenticator", "unlock"])
@pytest.mark.parametrize("actor", ["chair", "representative", "idva", "referrer", "governance", "other_coordinator"])
def test_refused_account_actions_change_nothing(world, db, actor, action):
    users, kwargs = world
    target = users["referrer"]
    url = reverse("accounts:member-action", kwargs={**kwargs["accounts:member-action"], "action": action})
    response = _client_for(actor, users).post(url, {"reason": "Testing a refusal"})
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.is_active and target.memberships.get().is_active and target.totpdevice_set.exists()
