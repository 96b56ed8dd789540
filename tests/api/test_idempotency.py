"""Idempotency-Key on every POST: the same key and body answers the same and creates
nothing twice; the same key with another body is a 409; keys are per credential and
expire."""

import threading
from datetime import timedelta
from unittest import mock

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


def test_a_request_racing_another_with_the_same_key_gets_its_answer(world, db):
    """The second request found no key when it looked (the first had not committed),
    then met the first's row on the unique constraint: it answers with the first's."""
    client = api_client(world, "housing")
    body = API_ENDPOINTS["api-v1:referrals"].body(world)
    first = client.post(reverse("api-v1:referrals"), body, key="race")
    before = _writes()
    with mock.patch.object(IdempotencyKey.objects, "select_for_update", return_value=IdempotencyKey.objects.none()):
        second = client.post(reverse("api-v1:referrals"), body, key="race")
    assert (second.status_code, second.json()) == (201, first.json())
    assert _writes() == before


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_posts_at_once_with_one_key_create_one_referral():
    from django.db import connection

    from .conftest import _build

    world = _build()
    body = API_ENDPOINTS["api-v1:referrals"].body(world)
    before = Referral.objects.count()
    barrier = threading.Barrier(2)
    answers = []

    def post():
        barrier.wait()
        answers.append(api_client(world, "housing").post(reverse("api-v1:referrals"), body, key="together"))
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert Referral.objects.count() == before + 1
