"""Idempotency-Key on every POST: the same key and body answers the same and creates
nothing twice; the same key with another body is a 409; keys are per credential and
expire."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from openmarac.actions.models import ActionUpdate
from openmarac.api.models import IdempotencyKey
from openmarac.meetings.models import ResearchReturn
from openmarac.referrals.models import Referral

from .conftest import api_client
from .table import API_ENDPOINTS

POSTS = sorted(name for name, endpoint in API_ENDPOINTS.items() if endpoint.method == "post")


def _writes():
    return (Referral.objects.count(), ActionUpdate.objects.count(), ResearchReturn.objects.count())


def _url(world, name):
    return reverse(name, kwargs=API_ENDPOINTS[name].kwargs(world) or None)


@pytest.mark.parametrize("name", POSTS)
def test_the_same_key_and_body_answers_the_same_and_creates_nothing_twice(world, db, name):
    client = api_client(world, "housing")
    body = API_ENDPOINTS[name].body(world)
    first = client.post(_url(world, name), body, key="key-1")
    after_first = _writes()
    second = client.post(_url(world, name), body, key="key-1")
    assert first.status_code == API_ENDPOINTS[name].status
    assert (second.status_code, second.json()) == (first.status_code, first.json())
    assert second["Idempotent-Replayed"] == "true"
    assert _writes() == after_first


@pytest.mark.parametrize("name", POSTS)
def test_the_same_key_with_another_body_is_a_409(world, db, name):
    client = api_client(world, "housing")
    body = API_ENDPOINTS[name].body(world)
    client.post(_url(world, name), body, key="key-2")
    before = _writes()
    response = client.post(_url(world, name), {**body, "extra": "changed"}, key="key-2")
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _writes() == before


def test_without_a_key_each_post_creates(world, db):
    client = api_client(world, "housing")
    before = Referral.objects.count()
    body = API_ENDPOINTS["api-v1:referrals"].body(world)
    assert client.post(reverse("api-v1:referrals"), body).status_code == 201
    assert client.post(reverse("api-v1:referrals"), body).status_code == 201
    assert Referral.objects.count() == before + 2


def test_keys_are_per_credential(world, db):
    body = API_ENDPOINTS["api-v1:referrals"].body(world)
    before = Referral.objects.count()
    assert api_client(world, "housing").post(reverse("api-v1:referrals"), body, key="shared").status_code == 201
    assert api_client(world, "probation").post(reverse("api-v1:referrals"), body, key="shared").status_code == 201
    assert Referral.objects.count() == before + 2


def test_a_refused_answer_is_stored_too(world, db):
    """A 400 is the answer to that body: repeating it gives the same 400."""
    client = api_client(world, "housing")
    body = {**API_ENDPOINTS["api-v1:referrals"].body(world), "professional_judgement_rationale": "", "checklist_answers": {}}
    first = client.post(reverse("api-v1:referrals"), body, key="bad")
    assert first.status_code == 400
    assert client.post(reverse("api-v1:referrals"), body, key="bad").json() == first.json()


def test_an_expired_key_may_be_used_again(world, db):
    client = api_client(world, "housing")
    body = API_ENDPOINTS["api-v1:referrals"].body(world)
    before = Referral.objects.count()
    client.post(reverse("api-v1:referrals"), body, key="old")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert client.post(reverse("api-v1:referrals"), body, key="old").status_code == 201
    assert Referral.objects.count() == before + 2
    assert IdempotencyKey.objects.filter(key="old").count() == 1


@pytest.mark.parametrize("key", ["", " ", "x" * 256])
def test_a_key_must_be_sensible(world, db, key):
    response = api_client(world, "housing").post(reverse("api-v1:referrals"), API_ENDPOINTS["api-v1:referrals"].body(world), key=key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
