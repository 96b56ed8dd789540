"""Every endpoint, every kind of caller: no credential, refused credentials, people
signed in on the web, and live credentials of the involved agency, another agency and
another Marac. Refused writes change nothing; allowed ones are audited under the
credential's name."""

import pytest
from django.urls import reverse

from openmarac.actions.models import ActionUpdate
from openmarac.audit.models import AuditEvent
from openmarac.meetings.models import ResearchReturn
from openmarac.referrals.models import Referral

from .conftest import LIVE, REFUSED, SESSIONS, api_client
from .table import API_ENDPOINTS


def _call(world, name, actor):
    endpoint = API_ENDPOINTS[name]
    url = reverse(name, kwargs=endpoint.kwargs(world) or None)
    client = api_client(world, actor)
    if endpoint.method == "post":
        return client.post(url, endpoint.body(world))
    return client.get(url)


def _writes():
    return (Referral.objects.count(), ActionUpdate.objects.count(), ResearchReturn.objects.count())


@pytest.mark.parametrize("actor", ["no_credential"])
@pytest.mark.parametrize("name", sorted(API_ENDPOINTS))
def test_unauthenticated_gets_401(world, db, name, actor):
    before = _writes()
    response = _call(world, name, actor)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {"errors": [{"field": None, "message": "Authentication credentials were not provided."}]}
    assert _writes() == before


@pytest.mark.parametrize("actor", REFUSED + SESSIONS)
@pytest.mark.parametrize("name", sorted(API_ENDPOINTS))
def test_refused_credentials_and_web_sessions_get_401_and_change_nothing(world, db, name, actor):
    before = _writes()
    response = _call(world, name, actor)
    assert response.status_code == 401
    assert set(response.json()) == {"errors"}
    assert _writes() == before


@pytest.mark.parametrize("actor", LIVE)
@pytest.mark.parametrize("name", sorted(API_ENDPOINTS))
def test_live_credentials_get_what_their_agency_may_see(world, db, name, actor):
    endpoint = API_ENDPOINTS[name]
    before = _writes()
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    response = _call(world, name, actor)
    credential = world["credentials"][actor]
    events = AuditEvent.objects.filter(id__gt=last_event)
    if actor in endpoint.allowed:
        assert response.status_code == endpoint.status, response.content[:2000]
        # The audit names the credential, and its role as the agency's representative.
        event = events.get(action=endpoint.audit)
        assert event.actor_id == credential.user_id
        assert event.actor_label == f"API credential “{credential.name}” ({credential.prefix})"
        assert event.agency_label == credential.agency.name and event.role_label == "representative"
        assert event.marac_id == credential.marac_id
        assert (_writes() != before) == (endpoint.method == "post")
    else:
        assert response.status_code == 404
        assert response.json() == {"errors": [{"field": None, "message": "Not found, or not yours to see"}]}
        assert events.filter(action="denied", actor_id=credential.user_id).exists()
        assert _writes() == before


def test_lists_hold_only_what_the_agency_may_see(world, db):
    housing = api_client(world, "housing")
    probation = api_client(world, "probation")
    other = api_client(world, "other_marac")
    case_id, unlisted_id = str(world["referral"].case.public_id), str(world["unlisted"].case.public_id)
    # Newest first; probation sees the published case list's case, not housing's unlisted one.
    assert [c["id"] for c in housing.get(reverse("api-v1:cases")).json()["results"]] == [unlisted_id, case_id]
    assert probation.get(reverse("api-v1:cases")).json()["results"][0]["id"] == case_id
    assert probation.get(reverse("api-v1:cases")).json()["count"] == 1
    assert other.get(reverse("api-v1:cases")).json()["count"] == 0
    assert {a["id"] for a in housing.get(reverse("api-v1:actions")).json()["results"]} == {world["action"].pk, world["flag"].pk}
    assert probation.get(reverse("api-v1:actions")).json()["count"] == 0
    assert [f["action_id"] for f in housing.get(reverse("api-v1:flags")).json()["results"]] == [world["flag"].pk]
    assert housing.get(reverse("api-v1:flags")).json()["results"][0]["state"] == "running"
    assert probation.get(reverse("api-v1:flags")).json()["count"] == 0
    meeting = reverse("api-v1:meeting", kwargs={"public_id": world["meeting"].public_id})
    assert [i["case_id"] for i in housing.get(meeting).json()["agenda"]] == [case_id]
    assert [i["case_id"] for i in probation.get(meeting).json()["agenda"]] == [case_id]
    assert other.get(reverse("api-v1:meetings")).json()["count"] == 0


def test_sealed_values_stay_sealed_for_an_agency_system(world, db):
    housing = api_client(world, "housing")
    created = housing.post(reverse("api-v1:referrals"), _body()).json()
    victim = housing.get(reverse("api-v1:case", kwargs={"public_id": created["case_id"]})).json()["victim"]
    assert victim["name"] == "Alex Morgan"
    assert all(a["sealed"] and "Refuge Road" not in a["text"] for a in victim["addresses"])
    assert all(p["sealed"] and "900123" not in p["text"] for p in victim["phones"])


def _body():
    from .conftest import referral_body

    return referral_body()


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/actions/", "/api/v1/flags/", "/api/v1/meetings/"])
def test_list_queries_do_not_grow_with_rows(world, db, path):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from openmarac.actions import services as action_services
    from openmarac.meetings import services as meeting_services

    from .conftest import referral_body

    client = api_client(world, "housing")
    client.get(path)
    with CaptureQueriesContext(connection) as before:
        assert client.get(path).status_code == 200
    hearing = action_services.hearing_for(world["item"])
    for number in range(4):
        client.post(reverse("api-v1:referrals"), referral_body())
        for kind in ("other", "flag"):
            action_services.action_add(
                by=world["coordinator"], hearing=hearing, owner_agency=world["action"].owner_agency, description=f"Action {number}",
                for_whom="victim", due_on=timezone.localdate() + timedelta(days=30), kind=kind,
            )
        meeting_services.meeting_publish(
            by=world["coordinator"],
            meeting=meeting_services.meeting_add(by=world["coordinator"], marac=world["marac"], starts_at=timezone.now() + timedelta(days=40 + number)),
        )
    with CaptureQueriesContext(connection) as after:
        response = client.get(path)
    assert response.json()["count"] >= 4
    assert len(after.captured_queries) == len(before.captured_queries)
