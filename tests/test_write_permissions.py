"""Every write, every kind of user: who may change what, and that everyone else gets
a 404 and changes nothing (issue 14, "Writes in the matrix too").

`WRITES` must name every URL that accepts a POST, with a minimal valid body and the
actors allowed to make it; `test_every_post_url_is_in_the_write_table` fails on a
new one until it is declared here. The world is built once for the module and each
test runs in a transaction rolled back at its end, so the table stays fast as it
grows."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken

from openmarac.accounts.forms import MaracSettingsForm
from openmarac.accounts.models import AccountRequest, AgencyKind, Marac, Membership, Role
from openmarac.actions import services as action_services
from openmarac.actions.models import Action, ActionKind
from openmarac.api import services as api_services
from openmarac.api.models import ApiCredential
from openmarac.audit import services as audit
from openmarac.audit.models import ExceptionReview
from openmarac.meetings import services as meeting_services
from openmarac.meetings.forms import ScheduleForm
from openmarac.meetings.models import DeclarationSignature, ResearchDelegation
from openmarac.records import services as record_services
from openmarac.records.forms import CorrectionForm
from openmarac.referrals import services as referral_services
from openmarac.referrals import restriction, transfer
from openmarac.referrals.models import AgencyCheck, BreakGlassGrant, MatchCandidate, Referral
from openmarac.risk.definitions import get_definition
from openmarac.synthetic.referrals import ReferralGenerator

from .conftest import sign_in, world_for_module
from .factories import MaracFactory, UserFactory, marac_with_core_agencies, member
from .test_permissions import API_URLS, _url_names

# The sign-in flow: reachable before a session exists, so outside this matrix (the
# sign-in tests cover them).
PRE_AUTH = {
    "accounts:sign-in",
    "accounts:sign-out",
    "accounts:mfa-verify",
    "accounts:mfa-setup",
    "accounts:mfa-recovery",
    "accounts:accept-invitation",
    "accounts:password-reset",
    "accounts:password-reset-confirm",
    # Keeps what a signed-out screen had typed, for the same person after sign-in
    # (tests/actions/test_live_sessions.py).
    "accounts:signed-out-draft",
}
# Pages that do not refuse POST but answer it as a GET and change nothing (views the
# accounts work owns; tested below to change nothing for anyone).
READ_ONLY_ANSWERING_POST = {"accounts:members", "accounts:agencies", "accounts:maracs"}

ROLE_ACTORS = {
    "coordinator": (Role.COORDINATOR, AgencyKind.IDVA),
    "chair": (Role.CHAIR, AgencyKind.POLICE),
    # Housing referred the case and owns its action: the involved agency.
    "representative": (Role.REPRESENTATIVE, AgencyKind.HOUSING),
    "idva": (Role.IDVA, AgencyKind.IDVA),
    "referrer": (Role.REFERRER, AgencyKind.HOUSING),
    "governance": (Role.GOVERNANCE, AgencyKind.POLICE),
    "csc_representative": (Role.REPRESENTATIVE, AgencyKind.CHILDRENS_SOCIAL_CARE),
    # Probation is in the Marac but has no part in the case.
    "uninvolved_representative": (Role.REPRESENTATIVE, AgencyKind.PROBATION),
}
ACTORS = sorted(ROLE_ACTORS) + [
    "other_coordinator",
    "other_representative",
    "system_admin",
    "deactivated",
    "password_only",
    "anonymous",
]
SIGNED_OUT = {"deactivated", "anonymous"}  # both are sent to sign in
ATTENDEES = {"coordinator", "chair", "representative", "idva", "csc_representative", "uninvolved_representative"}
RESEARCHERS = {"representative", "idva", "csc_representative", "uninvolved_representative"}
# Anyone who may refer starts a draft, in the Marac (their own) they may refer to.
STARTERS = ATTENDEES | {"referrer", "other_coordinator", "other_representative"}
# Everyone past both sign-in steps: each may write their own account's pages.
SIGNED_IN = set(ACTORS) - SIGNED_OUT - {"password_only"}
FIGURES = {"coordinator", "chair", "governance"}
MANAGERS = {"coordinator", "system_admin"}


@dataclass
class Write:
    """A POST: its URL arguments and body (built from the world), who may make it, the
    status they get, and whether it must change the database (a valid body does).
    `check(world, actor)`, if given, asserts what an allowed actor's write did.

    A key is the URL name, or `url-name#variant` for another write to the same URL
    (another action or another target); the plain URL name gives the probe's kwargs."""

    kwargs: object
    body: object
    allowed: set
    status: int = 302
    changes: bool = True
    notes: str = field(default="")
    check: object = None


def _url_name(key):
    return key.split("#")[0]


def _form_body(form, **overrides):
    """The values a form shows, as the browser would post them back."""
    body = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        elif isinstance(value, time):
            value = value.strftime("%H:%M")
        elif isinstance(value, date):
            value = value.isoformat()
        body[name] = value
    body.update(overrides)
    return body


def _later(days=10):
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


WRITES = {
    "accounts:invite": Write(
        lambda w: {"slug": w["marac"].slug},
        lambda w: {"full_name": "Sam Newton", "email": "sam.newton@example.org", "agency": w["users"]["representative"].agency_id, "role": "referrer"},
        {"coordinator", "system_admin"},
    ),
    # The person page: changing a role, or sending an unused invitation again.
    "accounts:member": Write(
        lambda w: {"slug": w["marac"].slug, "pk": w["users"]["referrer"].memberships.get().pk},
        lambda w: {"action": "change-role", "role": "representative"},
        MANAGERS,
        check=lambda w, actor: _assert(w["users"]["referrer"].memberships.get().role == Role.REPRESENTATIVE),
    ),
    "accounts:member#resend-invitation": Write(
        lambda w: {"slug": w["marac"].slug, "pk": w["invited"].memberships.get().pk},
        lambda w: {"action": "resend-invitation"},
        MANAGERS,
        check=lambda w, actor: _assert(not _fresh(w["invited"]).has_usable_password()),
    ),
    # Account actions ask for confirmation and a reason. The referrer's account belongs
    # to this Marac alone, so its coordinator acts on it directly.
    "accounts:member-action": Write(
        lambda w: {"slug": w["marac"].slug, "pk": w["users"]["referrer"].memberships.get().pk, "action": "deactivate"},
        lambda w: {"reason": "Left the service"},
        MANAGERS,
        check=lambda w, actor: _assert(not _fresh(w["users"]["referrer"]).is_active and not AccountRequest.objects.exists()),
    ),
    "accounts:member-action#remove-role": Write(
        lambda w: {"slug": w["marac"].slug, "pk": w["users"]["referrer"].memberships.get().pk, "action": "remove-role"},
        lambda w: {"reason": "Moved to another team"},
        MANAGERS,
        check=lambda w, actor: _assert(not w["users"]["referrer"].memberships.filter(is_active=True).exists()),
    ),
    "accounts:member-action#reset-authenticator": Write(
        lambda w: {"slug": w["marac"].slug, "pk": w["users"]["referrer"].memberships.get().pk, "action": "reset-authenticator"},
        lambda w: {"reason": "Lost phone"},
        MANAGERS,
        check=lambda w, actor: _assert(not w["users"]["referrer"].totpdevice_set.exists()),
    ),
    # The referrer is locked out (see the world); unlocking clears the attempts.
    "accounts:member-action#unlock": Write(
        lambda w: {"slug": w["marac"].slug, "pk": w["users"]["referrer"].memberships.get().pk, "action": "unlock"},
        lambda w: {"reason": "Forgot the password"},
        MANAGERS,
        check=lambda w, actor: _assert(not AccessAttempt.objects.filter(username__iexact=w["users"]["referrer"].email).exists()),
    ),
    # An account that also serves the other Marac: the coordinator ends its roles here
    # and asks the system administrator; the system administrator deactivates it.
    "accounts:member-action#deactivate-shared": Write(
        lambda w: {"slug": w["marac"].slug, "pk": w["shared"].memberships.get(marac=w["marac"]).pk, "action": "deactivate"},
        lambda w: {"reason": "Left this Marac's area"},
        MANAGERS,
        check=lambda w, actor: _assert_shared_deactivated(w, actor, AccountRequest.Kind.DEACTIVATE),
    ),
    "accounts:member-action#reset-authenticator-shared": Write(
        lambda w: {"slug": w["marac"].slug, "pk": w["shared"].memberships.get(marac=w["marac"]).pk, "action": "reset-authenticator"},
        lambda w: {"reason": "Lost phone"},
        MANAGERS,
        check=lambda w, actor: _assert_shared_reset(w, actor),
    ),
    "accounts:agency-add": Write(
        lambda w: {"slug": w["marac"].slug}, lambda w: {"name": "Northshire Refuge", "kind": "refuge"}, {"coordinator", "system_admin"}
    ),
    "accounts:agency-edit": Write(
        lambda w: {"slug": w["marac"].slug, "pk": w["link"].pk}, lambda w: {"is_core": "on"}, {"coordinator", "system_admin"}
    ),
    "accounts:marac-settings": Write(
        lambda w: {"slug": w["marac"].slug},
        lambda w: _form_body(MaracSettingsForm(instance=w["marac"]), minutes_per_case="12"),
        {"coordinator", "system_admin"},
    ),
    "accounts:marac-create": Write(
        lambda w: {},
        lambda w: _form_body(MaracSettingsForm(instance=Marac.objects.get(pk=w["marac"].pk)), name="Eastmoor Marac", slug="eastmoor"),
        {"system_admin"},
    ),
    "referrals:start": Write(lambda w: {}, lambda w: {"marac": w["marac"].slug}, STARTERS),
    "referrals:step": Write(
        lambda w: {"public_id": w["draft"].public_id, "slug": "referrer"},
        lambda w: {"action": "save", "referrer_name": "Kim Lowe", "referrer_phone": "01632 960000", "referrer_email": "kim@example.org"},
        {"referrer"},
    ),
    # An unfinished draft: its author gets the check page back, and nothing is written.
    "referrals:check": Write(lambda w: {"public_id": w["draft"].public_id}, lambda w: {}, {"referrer"}, status=200, changes=False),
    "referrals:quality-concern": Write(
        lambda w: {"public_id": w["referral"].public_id}, lambda w: {"category": "incomplete", "note": "No date of birth"}, {"coordinator"}
    ),
    "referrals:match-decision": Write(
        lambda w: {"public_id": w["candidate"].referral.case.public_id, "pk": w["candidate"].pk},
        lambda w: {"same_person": "no"},
        {"coordinator"},
    ),
    "referrals:idva-referral": Write(
        lambda w: {"pk": w["referral"].idva_referral.pk},
        lambda w: {"attempted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "method": "phone", "outcome": "no_answer"},
        {"coordinator", "idva"},
    ),
    "referrals:children-prompt": Write(lambda w: {"pk": w["referral"].children_prompt.pk}, lambda w: {"outcome": "referral_received"}, {"csc_representative"}),
    "referrals:sharing": Write(
        lambda w: {"pk": w["referral"].sharing_decision.pk},
        lambda w: {
            "action": "log", "shared_with": "GP surgery", "shared_on": timezone.localdate().isoformat(), "method": "Secure email",
            "information": "Risk summary", "authority": "Vital interests",
        },
        {"coordinator", "referrer"},
    ),
    "referrals:sharing#review": Write(
        lambda w: {"pk": w["referral"].sharing_decision.pk},
        lambda w: {"action": "review", "feedback": "The GP flagged the record"},
        {"coordinator", "referrer"},
    ),
    "referrals:agency-check": Write(
        lambda w: {"pk": w["agency_check"].pk}, lambda w: {"added_information": "Two earlier tenancy moves"}, {"representative"}
    ),
    "actions:victim-told": Write(
        lambda w: {"public_id": w["meeting"].public_id, "item_id": w["closed_item"].pk},
        lambda w: {"told": "no", "not_told_reason": "He reads her messages"},
        {"coordinator", "idva"},
    ),
    "risk:reassess": Write(
        lambda w: {"public_id": w["referral"].case.public_id},
        lambda w: {
            "incident_on": timezone.localdate().isoformat(), "incident_summary": "Police attended",
            **{f"checklist-{key}__answer": "no" for key in get_definition("safelives-dash").question_keys},
        },
        {"coordinator", "idva", "referrer"},
    ),
    "referrals:transfer-request": Write(
        lambda w: {"public_id": w["listed"].case.public_id}, lambda w: {"to_marac": w["other_marac"].pk, "reason": "Victim moved"}, {"coordinator"}
    ),
    # From this Marac to the other: only the receiving coordinator decides.
    "referrals:restriction": Write(
        lambda w: {"public_id": w["referral"].case.public_id},
        lambda w: {"action": "restrict", "reason": "The perpetrator works for a member agency", "named_users": [w["users"]["chair"].pk]},
        {"coordinator"},
    ),
    # Break-glass needs each actor's own authenticator code, which one body cannot
    # carry: the body has a wrong password, so the allowed get the form again with the
    # error and nothing changes (the refusal is audited; the audit is not
    # fingerprinted). Granting is tested in tests/referrals/test_restriction.py.
    "referrals:break-glass": Write(
        lambda w: {"public_id": w["restricted"].case.public_id},
        lambda w: {"reason": "Urgent safeguarding call about the children tonight", "password": "not-the-password", "code": "000000"},
        {"coordinator", "chair", "representative", "idva", "csc_representative"},
        status=200,
        changes=False,
    ),
    "referrals:break-glass-review": Write(lambda w: {"pk": w["grant"].pk}, lambda w: {"note": "Checked with the chair: a genuine emergency"}, {"coordinator"}),
    "referrals:transfer": Write(lambda w: {"pk": w["pending"].pk}, lambda w: {"decision": "decline", "note": "Not resident here"}, {"other_coordinator"}),
    "meetings:meetings": Write(lambda w: {"slug": w["marac"].slug}, lambda w: {}, {"coordinator"}),
    "meetings:pattern": Write(
        lambda w: {"slug": w["marac"].slug},
        lambda w: _form_body(ScheduleForm(instance=meeting_services.schedule_for(w["marac"])), weeks_ahead="9"),
        # Issue 13: reachable by the administrator (who sets up a new Marac before it has
        # a coordinator) and the coordinator.
        MANAGERS,
        check=lambda w, actor: _assert(meeting_services.schedule_for(w["marac"]).weeks_ahead == 9),
    ),
    "meetings:meeting-add": Write(lambda w: {"slug": w["marac"].slug}, lambda w: {"starts_at": _later(30), "mode": "meeting"}, {"coordinator"}),
    "meetings:listing": Write(lambda w: {"slug": w["marac"].slug}, lambda w: {}, {"coordinator"}),
    "meetings:meeting": Write(lambda w: {"public_id": w["unpublished"].public_id}, lambda w: {"action": "publish"}, {"coordinator"}),
    "meetings:meeting-change": Write(
        lambda w: {"public_id": w["unpublished"].public_id}, lambda w: {"action": "cancel", "note": "The chair is unwell"}, {"coordinator"}
    ),
    "meetings:item-move": Write(
        lambda w: {"public_id": w["meeting"].public_id, "pk": w["item"].pk}, lambda w: {"meeting": w["unpublished"].pk}, {"coordinator"}
    ),
    # A published meeting nobody has signed for yet.
    "meetings:declaration": Write(lambda w: {"public_id": w["unsigned"].public_id}, lambda w: {"agree": "yes"}, ATTENDEES),
    "meetings:research-case": Write(
        lambda w: {"public_id": w["meeting"].public_id, "referral_id": w["listed"].public_id}, lambda w: {"action": "no-trace", "version": "0", "confirm_no_trace": "yes"}, RESEARCHERS
    ),
    # The register belongs to the meeting: the chair takes it as well as the coordinator.
    "meetings:register": Write(
        lambda w: {"public_id": w["meeting"].public_id}, lambda w: {"add-observer": "1", "observer_name": "Student social worker"}, {"coordinator", "chair"}
    ),
    "meetings:date-override": Write(
        lambda w: {"public_id": w["unpublished"].public_id}, lambda w: {"operations": ["publish"], "reason": "Meeting brought forward a week"}, {"coordinator"}
    ),
    "actions:hearing": Write(
        lambda w: {"public_id": w["meeting"].public_id, "item_id": w["item"].pk},
        lambda w: {"action": "add-risk", "risk-who_at_risk": "The victim", "risk-from_whom": "Her former partner", "risk-harm": "Assault", "risk-likelihood": "high"},
        {"coordinator", "chair"},
    ),
    "actions:minutes": Write(lambda w: {"public_id": w["meeting"].public_id}, lambda w: {"confirm": "yes"}, {"coordinator"}),
    # Publishing without ticking the confirmation publishes nothing.
    "actions:minutes#unconfirmed": Write(lambda w: {"public_id": w["meeting"].public_id}, lambda w: {}, {"coordinator"}, changes=False),
    "actions:action": Write(
        lambda w: {"pk": w["action"].pk},
        lambda w: {"version": w["action"].version, "status": "open", "note": "Housing options appointment booked"},
        {"coordinator", "representative"},
    ),
    # The signed-in person's own account: each issues their own recovery codes, and
    # answers the offers made to them (the world has one, to other_representative).
    "accounts:recovery-codes": Write(
        lambda w: {}, lambda w: {}, SIGNED_IN, check=lambda w, actor: _assert_own_recovery_codes(w, actor)
    ),
    # Answers a POST as a GET: no fresh codes in the session, so the page; nothing written.
    "accounts:recovery-codes-download": Write(lambda w: {}, lambda w: {}, SIGNED_IN, status=200, changes=False),
    "accounts:offers": Write(
        lambda w: {},
        lambda w: {"membership": w["offer"].pk, "answer": "accept"},
        {"other_representative"},
        check=lambda w, actor: _assert(Membership.objects.get(pk=w["offer"].pk).is_active),
    ),
    # Figures and the data return answer a POST as a GET and write nothing.
    "governance:dashboard": Write(lambda w: {"slug": w["marac"].slug}, lambda w: {}, FIGURES, status=200, changes=False),
    "governance:definitions": Write(lambda w: {"slug": w["marac"].slug}, lambda w: {}, FIGURES, status=200, changes=False),
    "governance:data-return": Write(lambda w: {"slug": w["marac"].slug}, lambda w: {}, {"coordinator"}, status=200, changes=False),
    "governance:data-return-download": Write(
        lambda w: {"slug": w["marac"].slug, "fmt": "csv"}, lambda w: {}, {"coordinator"}, status=200, changes=False
    ),
    # Subject access and rectification: the coordinator only (never the system
    # administrator: they hold case content).
    "records:sar-list": Write(lambda w: {"slug": w["marac"].slug}, lambda w: {}, {"coordinator"}, status=200, changes=False),
    "records:sar-add": Write(
        lambda w: {"slug": w["marac"].slug},
        lambda w: {"requester_name": "Someone asking", "received_on": timezone.localdate().isoformat()},
        {"coordinator"},
    ),
    "records:sar": Write(lambda w: {"pk": w["sar"].pk}, lambda w: {}, {"coordinator"}, status=200, changes=False),
    # A request recorded by name only, linked here to the victim's record.
    "records:sar-link": Write(
        lambda w: {"pk": w["unlinked_sar"].pk},
        lambda w: {"person": w["referral"].case.victim_id},
        {"coordinator"},
        check=lambda w, actor: _assert(_fresh(w["unlinked_sar"]).person_id == w["referral"].case.victim_id),
    ),
    "records:sar-complete": Write(
        lambda w: {"pk": w["sar"].pk}, lambda w: {"completed_on": timezone.localdate().isoformat()}, {"coordinator"}
    ),
    "records:sar-bundle-json": Write(lambda w: {"pk": w["sar"].pk}, lambda w: {}, {"coordinator"}, status=200, changes=False),
    "records:sar-bundle-pdf": Write(lambda w: {"pk": w["sar"].pk}, lambda w: {}, {"coordinator"}, status=200, changes=False),
    "records:person-correct": Write(
        lambda w: {"public_id": w["referral"].case.public_id, "pk": w["referral"].case.victim_id},
        lambda w: _form_body(CorrectionForm(initial=_person_details(w["referral"].case.victim)), given_name="Corrected", reason="Spelling"),
        {"coordinator"},
    ),
    # The confidentiality audit: reports answer a POST as a GET; an exception's review
    # is a write.
    "audit:views-by-user": Write(lambda w: {"slug": w["marac"].slug}, lambda w: {}, {"coordinator"}, status=200, changes=False),
    "audit:views-by-agency": Write(lambda w: {"slug": w["marac"].slug}, lambda w: {}, {"coordinator"}, status=200, changes=False),
    "audit:user-records": Write(
        lambda w: {"slug": w["marac"].slug, "user_id": w["users"]["chair"].pk}, lambda w: {}, {"coordinator"}, status=200, changes=False
    ),
    "audit:exceptions": Write(lambda w: {"slug": w["marac"].slug}, lambda w: {}, {"coordinator"}, status=200, changes=False),
    "audit:exception-review": Write(
        lambda w: {"slug": w["marac"].slug, "kind": "out_of_hours", "user_id": w["users"]["chair"].pk, "day": w["late"].date().isoformat()},
        lambda w: {"note": "Covering for a colleague, agreed beforehand"},
        {"coordinator"},
        check=lambda w, actor: _assert(ExceptionReview.objects.filter(user=w["users"]["chair"], kind="out_of_hours").count() == 1),
    ),
    # Housing hands the listed case's research to its referrer (the key worker). Another
    # agency naming housing's referrer is refused like any record it cannot address.
    "meetings:research-delegate": Write(
        lambda w: {"public_id": w["meeting"].public_id, "referral_id": w["listed"].public_id},
        lambda w: {f"delegate-{w['listed'].pk}-delegate": w["users"]["referrer"].pk},
        {"representative"},
    ),
    # The key worker's own page: first the confidentiality statement, signed here.
    "meetings:delegated-research": Write(lambda w: {"pk": w["delegation"].pk}, lambda w: {"agree": "yes"}, {"referrer"}),
    "meetings:research-delegation-withdraw": Write(lambda w: {"pk": w["delegation"].pk}, lambda w: {}, {"representative"}),
    # Housing's "update our records" after the case closed: the owning agency (and the
    # coordinator, who may report on any action) tick it.
    "actions:records-updated": Write(
        lambda w: {"pk": w["records_update"].pk}, lambda w: {"version": w["records_update"].version}, {"coordinator", "representative"}, status=302
    ),
    # The owning agency (housing) confirms its flag is off its files; the coordinator may record it.
    "actions:flag-removed": Write(lambda w: {"pk": w["flag"].pk}, lambda w: {}, {"coordinator", "representative"}),
    # API credentials: the coordinator only. Creating redirects to the page that shows
    # the key once; revoking (confirmed on its GET page) returns to the list.
    "api:credential-create": Write(
        lambda w: {"slug": w["marac"].slug},
        lambda w: {"name": "Police records", "agency": w["users"]["chair"].agency_id, "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat()},
        {"coordinator"},
        check=lambda w, actor: _assert(ApiCredential.objects.filter(name="Police records", marac=w["marac"]).count() == 1),
    ),
    "api:credential-revoke": Write(
        lambda w: {"pk": w["api_credential"].pk}, lambda w: {}, {"coordinator"},
        check=lambda w, actor: _assert(_fresh(w["api_credential"]).revoked_at is not None),
    ),
    # The coordinator reminds housing of one action, of all its open actions, or of its
    # research (an email with a link, and the row that stops a second one today).
    "actions:chase": Write(lambda w: {"pk": w["action"].pk}, lambda w: {}, {"coordinator"}),
    "actions:agency-chase": Write(lambda w: {"slug": w["marac"].slug, "agency_id": w["users"]["representative"].agency_id}, lambda w: {}, {"coordinator"}),
    "meetings:research-remind": Write(
        lambda w: {"public_id": w["meeting"].public_id, "agency_id": w["users"]["uninvolved_representative"].agency_id}, lambda w: {}, {"coordinator"}
    ),
}


def _assert(condition):
    assert condition


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def _person_details(person):
    return {name: getattr(person, name) for name in record_services.CORRECTABLE_FIELDS}


def _assert_own_recovery_codes(world, actor):
    """Ten codes, all the actor's own: no one else's account gained or lost any."""
    owners = set(StaticToken.objects.values_list("device__user_id", flat=True))
    assert owners == {world["users"][actor].pk}
    assert StaticToken.objects.count() == 10


def _assert_shared_deactivated(world, actor, kind):
    shared = _fresh(world["shared"])
    assert not shared.memberships.filter(marac=world["marac"], is_active=True).exists()
    if actor == "system_admin":
        assert not shared.is_active and not AccountRequest.objects.exists()
    else:
        # The other Marac's role and the account itself are not this coordinator's.
        assert shared.is_active and shared.memberships.filter(marac=world["other_marac"], is_active=True).exists()
        assert AccountRequest.objects.filter(user=shared, kind=kind, resolved_at__isnull=True).count() == 1


def _assert_shared_reset(world, actor):
    shared = world["shared"]
    if actor == "system_admin":
        assert not shared.totpdevice_set.exists() and not AccountRequest.objects.exists()
    else:
        assert shared.totpdevice_set.exists()
        assert AccountRequest.objects.filter(user=shared, kind=AccountRequest.Kind.RESET_AUTHENTICATOR).count() == 1


def _build_world():
    marac = marac_with_core_agencies(MaracFactory(name="Northshire Marac", slug="northshire"))
    other_marac = marac_with_core_agencies(MaracFactory(name="Southvale Marac", slug="southvale"))
    users = {name: member(marac, role, agency_kind=kind) for name, (role, kind) in ROLE_ACTORS.items()}
    users["other_coordinator"] = member(other_marac, Role.COORDINATOR)
    users["other_representative"] = member(other_marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.HOUSING)
    admin = UserFactory(is_system_admin=True, agency=None)
    admin.totpdevice_set.create(name="app", confirmed=True)
    users["system_admin"] = admin
    users["deactivated"] = member(marac, Role.COORDINATOR)
    users["password_only"] = member(marac, Role.COORDINATOR)
    coordinator, referrer = users["coordinator"], users["referrer"]

    generator = ReferralGenerator(seed=3)
    data = generator.referral(marac=marac, referring_agency=referrer.agency, children=1, consent=False, review_owner=referrer)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer)
    # The same victim again: a match candidate for the coordinator to decide.
    repeat = referral_services.referral_record(
        marac=marac, data=ReferralGenerator(seed=5).referral(marac=marac, referring_agency=referrer.agency, victim=data.victim), by=referrer
    )
    candidate = MatchCandidate.objects.filter(referral=repeat).first()
    draft = Referral.objects.create(marac=marac, referrer=referrer)

    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    listed = referral_services.referral_record(marac=marac, data=ReferralGenerator(seed=4).referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    item = meeting_services.referral_list(by=coordinator, referral=listed, meeting=meeting)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    unpublished = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=27))
    unsigned = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=34))
    meeting_services.meeting_publish(by=coordinator, meeting=unsigned)
    hearing = action_services.hearing_for(item)
    action = action_services.action_add(
        by=coordinator, hearing=hearing, owner_agency=users["representative"].agency, description="Housing options",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=30),
    )
    records_update = Action.objects.create(
        case=listed.case, hearing=hearing, kind=ActionKind.UPDATE_RECORDS, owner_agency=users["representative"].agency,
        description="Update our records", for_whom="household", due_on=timezone.localdate() + timedelta(days=1), created_by=coordinator,
    )
    # A standing request from housing to its referrer, on the other published meeting.
    delegation = ResearchDelegation.objects.create(
        meeting=unsigned, referral=listed, agency=users["representative"].agency, delegate=referrer, delegated_by=users["representative"]
    )
    flag = action_services.action_add(
        by=coordinator, hearing=hearing, owner_agency=users["representative"].agency, description="Flag the tenancy file",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=30), kind="flag",
    )
    # Housing's Marac representative checks the housing referral before it goes on.
    agency_check = AgencyCheck.objects.create(referral=referral, agency=users["representative"].agency, due_at=timezone.now() + timedelta(days=1))
    # A case heard and closed at the meeting: the Idva records telling the victim.
    closed = referral_services.referral_record(marac=marac, data=ReferralGenerator(seed=8).referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    closed_item = meeting_services.referral_list(by=coordinator, referral=closed, meeting=meeting)
    action_services.hearing_close(by=coordinator, hearing=action_services.hearing_for(closed_item), reason="Idva on leave", children_reason="Confirmed after the meeting")
    pending = transfer.transfer_request(by=coordinator, case=referral.case, to_marac=other_marac, reason="Moved")
    # A case restricted by another coordinator, naming nobody else, and a chair's
    # break-glass use of it awaiting review.
    restricted = referral_services.referral_record(
        marac=marac, data=ReferralGenerator(seed=6).referral(marac=marac, referring_agency=referrer.agency, children=1), by=referrer
    )
    restriction.case_restrict(by=users["password_only"], case=restricted.case, reason="The perpetrator works for a member agency", named_users=[])
    grant = BreakGlassGrant.objects.create(
        case=restricted.case, user=users["chair"], reason="Urgent safeguarding call tonight", granted_at=timezone.now(), expires_at=timezone.now()
    )
    # Everyone has signed for the published meeting, so the table tests access, not
    # the declaration step.
    DeclarationSignature.objects.bulk_create(
        DeclarationSignature(meeting=m, user=u, statement="x") for m in (meeting, unpublished) for u in users.values()
    )
    users["deactivated"].is_active = False
    users["deactivated"].save(update_fields=["is_active"])
    link = marac.agency_links.get(agency=users["uninvolved_representative"].agency)

    # Accounts: someone invited who has not signed in yet; someone who also serves the
    # other Marac; a lockout for the referrer; a role Northshire has offered to
    # Southvale's housing representative, awaiting their answer.
    invited = member(marac, Role.REFERRER)
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    shared = member(marac, Role.REFERRER)
    Membership.objects.create(user=shared, marac=other_marac, role=Role.REFERRER)
    AccessAttempt.objects.create(
        username=referrer.email, ip_address="192.0.2.1", user_agent="test", failures_since_start=settings.AXES_FAILURE_LIMIT,
        get_data="", post_data="", http_accept="", path_info="/sign-in/",
    )
    offer = Membership.objects.create(
        user=users["other_representative"], marac=marac, role=Role.REPRESENTATIVE, is_active=False, awaiting_acceptance=True, created_by=coordinator
    )
    # Subject access: one request linked to the victim (for its bundle and completion),
    # one recorded by name only (to link).
    victim = referral.case.victim
    sar = record_services.sar_record(by=coordinator, marac=marac, person=victim, received_on=timezone.localdate())
    unlinked_sar = record_services.sar_record(by=coordinator, marac=marac, requester_name="Someone asking", received_on=timezone.localdate())
    # A view at 23:00 on a Monday: an out-of-hours exception for the coordinator to review.
    late = datetime(2026, 3, 2, 23, 0, tzinfo=ZoneInfo("Europe/London"))
    with mock.patch("openmarac.audit.services.timezone.now", return_value=late):
        audit.record(action=audit.Action.VIEWED, actor=users["chair"], record_type="referrals.case", record_id=str(referral.case.pk), marac=marac)
    api_credential = api_services.credential_create(
        by=coordinator, marac=marac, agency=users["representative"].agency, name="Housing system",
        expires_on=timezone.localdate() + timedelta(days=100),
    ).credential
    return {
        "api_credential": api_credential,
        "marac": marac, "other_marac": other_marac, "users": users, "referral": referral, "candidate": candidate, "draft": draft,
        "meeting": meeting, "listed": listed, "item": item, "unpublished": unpublished, "unsigned": unsigned, "action": action, "flag": flag,
        "pending": pending, "link": link, "invited": invited, "shared": shared, "offer": offer, "sar": sar, "unlinked_sar": unlinked_sar,
        "late": late, "restricted": restricted, "grant": grant,
        "records_update": records_update, "delegation": delegation, "closed_item": closed_item, "agency_check": agency_check,
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at its end;
    each test's own transaction (the `db` fixture) nests inside it."""
    with world_for_module(django_db_blocker, _build_world) as built:
        yield built


# Tables whose rows a refused write must leave as they were: every table of the
# project's apps (a new app's tables are covered as they come), the authenticators and
# recovery codes, and sign-in lockouts. The audit trail is left out (a refusal adds a
# `denied` event; reviews of its exceptions are kept), and so are the session table
# and the sign-in log.
FINGERPRINTED_APPS = ["otp_totp", "otp_static"]
FINGERPRINTED_MODELS = ["axes.AccessAttempt"]
NOT_FINGERPRINTED = {"audit.AuditEvent"}


def _fingerprinted_models():
    models = [m for config in apps.get_app_configs() if config.name.startswith("openmarac.") for m in config.get_models()]
    models += [m for label in FINGERPRINTED_APPS for m in apps.get_app_config(label).get_models()]
    models += [apps.get_model(label) for label in FINGERPRINTED_MODELS]
    return [m for m in models if m._meta.label not in NOT_FINGERPRINTED]


def test_the_fingerprint_covers_every_table_a_write_may_touch():
    labels = {m._meta.label for m in _fingerprinted_models()}
    for label in [
        "accounts.User", "accounts.Membership", "accounts.AccountRequest", "referrals.Referral", "people.Person", "meetings.Meeting",
        "actions.Action", "records.SubjectAccessRequest", "records.Correction", "audit.ExceptionReview", "otp_totp.TOTPDevice",
        "otp_static.StaticDevice", "otp_static.StaticToken", "axes.AccessAttempt",
    ]:
        assert label in labels


def _fingerprint():
    state = {}
    for model in _fingerprinted_models():
        rows = list(model.objects.order_by("pk").values())
        for row in rows:
            row.pop("last_login", None)  # signing a test client in sets it
        state[model._meta.label] = rows
    return state


def _changed_tables(before, after):
    return sorted(label for label in before if before[label] != after[label])


def _client_for(actor, users):
    client = Client()
    if actor == "anonymous":
        return client
    user = users[actor]
    if actor == "password_only":
        client.force_login(user)
        return client
    if actor == "deactivated":
        # Signed in before the account was deactivated.
        client.force_login(user)
        return client
    return sign_in(client, user)


def _post(world, key, actor):
    write = WRITES[key]
    url = reverse(_url_name(key), kwargs=write.kwargs(world))
    client = _client_for(actor, world["users"])
    body = write.body(world)  # built before the snapshot, so building it is not a change
    before = _fingerprint()
    response = client.post(url, body)
    return response, before, _fingerprint()


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("url_name", sorted(WRITES))
def test_writes(world, db, url_name, actor):
    response, before, after = _post(world, url_name, actor)
    write = WRITES[url_name]
    if actor in SIGNED_OUT:
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:sign-in"))
        assert _changed_tables(before, after) == []
    elif actor == "password_only":
        assert response.status_code == 302 and response.url == reverse("accounts:mfa-verify")
        assert _changed_tables(before, after) == []
    elif actor in write.allowed:
        assert response.status_code == write.status, response.content[:2000]
        assert bool(_changed_tables(before, after)) == write.changes
        if write.check:
            write.check(world, actor)
    else:
        assert response.status_code == 404
        assert _changed_tables(before, after) == []


@pytest.mark.parametrize("url_name", sorted(READ_ONLY_ANSWERING_POST))
@pytest.mark.parametrize("actor", ["coordinator", "system_admin", "chair", "other_coordinator"])
def test_read_only_pages_change_nothing_on_post(world, db, url_name, actor):
    kwargs = {} if url_name == "accounts:maracs" else {"slug": world["marac"].slug}
    before = _fingerprint()
    _client_for(actor, world["users"]).post(reverse(url_name, kwargs=kwargs), {"action": "deactivate", "name": "x"})
    assert _changed_tables(before, _fingerprint()) == []


# Actors tried when finding which URLs accept a POST: between them they may reach
# every page (the writers of every record in the world).
PROBES = ["coordinator", "system_admin", "referrer", "csc_representative", "idva", "representative", "other_coordinator"]


def _kwargs_for(world, url_name):
    if url_name in WRITES:
        return WRITES[url_name].kwargs(world)
    probes = {
        "referrals:referral": {"public_id": world["referral"].public_id},
        "referrals:sent": {"public_id": world["referral"].public_id},
        "referrals:case": {"public_id": world["referral"].case.public_id},
        "referrals:transfer-bundle": {"public_id": world["referral"].case.public_id},
        "meetings:agency-slots": {"slug": world["marac"].slug},
        "meetings:case-list-pdf": {"public_id": world["meeting"].public_id},
        "meetings:meeting-ics": {"public_id": world["meeting"].public_id},
        "meetings:research": {"public_id": world["meeting"].public_id},
        "actions:run-meeting": {"public_id": world["meeting"].public_id},
        "actions:hearing-live": {"public_id": world["meeting"].public_id, "item_id": world["item"].pk},
        "actions:agency-summary": {"public_id": world["meeting"].public_id},
        "actions:mine": {"slug": world["marac"].slug},
        "actions:flags": {"slug": world["marac"].slug},
        "actions:all": {"slug": world["marac"].slug},
        "referrals:matches": {"slug": world["marac"].slug},
        "referrals:idva-referrals": {"slug": world["marac"].slug},
        "accounts:members": {"slug": world["marac"].slug},
        "accounts:agencies": {"slug": world["marac"].slug},
        "api:credentials": {"slug": world["marac"].slug},
        "api:credential-created": {"pk": world["api_credential"].pk},
    }
    return probes.get(url_name, {})


def test_every_post_url_is_in_the_write_table(world, db):
    """A URL accepts POST when any probe gets an answer other than 405 (each probe is
    rolled back). Every such URL must be declared above."""
    accepting = set()
    # The REST API answers credentials, not sessions: tests/api/table.py declares its
    # endpoints and tests/api/test_endpoints.py asserts who may call each.
    for url_name in set(_url_names()) - PRE_AUTH - API_URLS:
        url = reverse(url_name, kwargs=_kwargs_for(world, url_name) or None)
        for actor in PROBES:
            client = _client_for(actor, world["users"])
            with transaction.atomic():
                try:
                    status = client.post(url, {}).status_code
                except Exception:  # a view that fails on an empty body still accepts POST
                    status = 500
                transaction.set_rollback(True)
            if status != 405:
                accepting.add(url_name)
                break
    declared = {_url_name(key) for key in WRITES}
    assert accepting - declared - READ_ONLY_ANSWERING_POST == set()
    assert declared | READ_ONLY_ANSWERING_POST <= accepting  # no stale entries
