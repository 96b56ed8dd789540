"""A world for the API tests: one Marac with a listed, published case referred by
housing, a housing action and flag; credentials for housing (involved), probation (in
the Marac, involved in the published case only), the other Marac's housing, and revoked and expired ones."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from openmarac.accounts.models import AgencyKind, Agency, Role
from openmarac.actions import services as action_services
from openmarac.api import services as api_services
from openmarac.api.models import ApiCredential
from openmarac.meetings import services as meeting_services
from openmarac.referrals import services as referral_services
from openmarac.synthetic.referrals import ReferralGenerator

from ..conftest import world_for_module
from ..factories import MaracFactory, marac_with_core_agencies, member

# Credentials that answer: each acts as a representative of its agency in its Marac.
LIVE = ["housing", "probation", "other_marac"]
# Credentials, or their absence, that get 401 on every endpoint.
REFUSED = ["revoked", "expired", "no_credential", "malformed", "wrong_secret"]
# People signed in on the web: a session is no API credential (401 whatever the role).
SESSIONS = [role.value for role in Role]


def referral_body(**overrides):
    """A whole referral with its risk checklist, as an agency system sends it."""
    body = {
        "referred_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "referrer_name": "PC Sam Patel",
        "referrer_email": "sam.patel@police.example.org",
        "reasons": "Threats to kill after separation; escalating incidents.",
        "victim": {
            "given_name": "Alex", "family_name": "Morgan", "date_of_birth": "1990-04-12", "gender": "Female",
            "address_line_1": "1 Refuge Road", "town": "Northtown", "postcode": "NT1 1AA", "address_sealed": True,
            "phone": "07700 900123", "phone_safe_to_call": "yes", "phone_safe_times": "Weekdays 10:00 to 12:00", "phone_sealed": True,
        },
        "perpetrators": [{"given_name": "Chris", "family_name": "Morgan", "date_of_birth": "1988-01-02", "relationship_to_victim": "Ex-partner"}],
        "children": [{"given_name": "Robin", "family_name": "Morgan", "date_of_birth": "2019-06-01", "relationship_to_victim": "Son"}],
        "checklist_answers": {
            "threatened_to_kill": {"answer": "yes"}, "very_frightened": {"answer": "yes"}, "separation_within_past_year": {"answer": "yes"},
            "sexual_abuse": {"answer": "no"}, "mistreated_animal": {"answer": "dont_know"},
        },
        "professional_judgement": True,
        "professional_judgement_rationale": "Threats to kill with a weapon after separation.",
        "victim_aware": True,
        "consent_given": True,
    }
    body.update(overrides)
    return body


def _build():
    marac = marac_with_core_agencies(MaracFactory(name="Northshire Marac", slug="northshire"))
    other_marac = marac_with_core_agencies(MaracFactory(name="Southvale Marac", slug="southvale"))
    coordinator = member(marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    other_coordinator = member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    people = {role.value: member(marac, role, agency_kind=AgencyKind.HOUSING) for role in Role}
    referrer = member(marac, Role.REFERRER, agency_kind=AgencyKind.HOUSING)
    housing = referrer.agency
    probation = Agency.objects.filter(marac_links__marac=marac, kind=AgencyKind.PROBATION).first()
    referral = referral_services.referral_record(
        marac=marac, data=ReferralGenerator(seed=4).referral(marac=marac, referring_agency=housing), by=referrer, notify_agencies=False
    )
    # Not yet listed: only the referring agency (housing) is involved.
    unlisted = referral_services.referral_record(
        marac=marac, data=ReferralGenerator(seed=5).referral(marac=marac, referring_agency=housing), by=referrer, notify_agencies=False
    )
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    item = meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    hearing = action_services.hearing_for(item)
    due = timezone.localdate() + timedelta(days=30)
    action = action_services.action_add(by=coordinator, hearing=hearing, owner_agency=housing, description="Housing options", for_whom="victim", due_on=due)
    flag = action_services.action_add(by=coordinator, hearing=hearing, owner_agency=housing, description="Flag the tenancy file", for_whom="victim", due_on=due, kind="flag")
    expiry = timezone.localdate() + timedelta(days=200)
    issued = {
        "housing": api_services.credential_create(by=coordinator, marac=marac, agency=housing, name="Housing system", expires_on=expiry),
        "probation": api_services.credential_create(by=coordinator, marac=marac, agency=probation, name="Probation system", expires_on=expiry),
        "revoked": api_services.credential_create(by=coordinator, marac=marac, agency=housing, name="Old housing system", expires_on=expiry),
        "expired": api_services.credential_create(by=coordinator, marac=marac, agency=housing, name="Lapsed housing system", expires_on=expiry),
    }
    other_housing = Agency.objects.filter(marac_links__marac=other_marac, kind=AgencyKind.HOUSING).first()
    issued["other_marac"] = api_services.credential_create(
        by=other_coordinator, marac=other_marac, agency=other_housing, name="Southvale housing", expires_on=expiry
    )
    api_services.credential_revoke(by=coordinator, credential=issued["revoked"].credential)
    ApiCredential.objects.filter(pk=issued["expired"].credential.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    tokens = {name: one.token for name, one in issued.items()}
    tokens["malformed"] = "not-a-token"
    tokens["wrong_secret"] = tokens["housing"][:-4] + "abcd"
    return {
        "marac": marac, "other_marac": other_marac, "coordinator": coordinator, "people": people, "referral": referral, "unlisted": unlisted,
        "meeting": meeting, "item": item, "action": action, "flag": flag, "tokens": tokens,
        "credentials": {name: one.credential for name, one in issued.items()},
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with world_for_module(django_db_blocker, _build) as built:
        yield built


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Throttle counts live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


class ApiClient:
    """Django's test client speaking JSON with a credential."""

    def __init__(self, token=None, client=None):
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path, body, *, key=None):
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def api_client(world, actor):
    """A client for a credential (LIVE, REFUSED) or for a signed-in person (SESSIONS)."""
    from ..conftest import sign_in

    if actor in SESSIONS:
        return ApiClient(client=sign_in(Client(), world["people"][actor]))
    return ApiClient(world["tokens"].get(actor))
