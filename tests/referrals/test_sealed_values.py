"""A sealed address or safe phone number never reaches a page for a user who may not
see it: every view that shows a person, for every kind of user who can open it."""

import pytest
from django.test import Client
from django.urls import reverse

from openmarac.accounts.models import AgencyKind, Role
from openmarac.referrals import services

from ..conftest import sign_in
from ..factories import member

SEALED_ADDRESS = "Refuge Flat 9, Secret Row"
SEALED_PHONE = "07700 900999"
ALLOWED = {"coordinator", "idva"}


@pytest.fixture
def sealed_referral(marac, intake, generator):
    referrer = intake["referrer"]
    data = generator.referral(marac=marac, referring_agency=referrer.agency, children=1)
    data.victim.address_line_1 = SEALED_ADDRESS
    data.victim.address_sealed = True
    data.victim.phone = SEALED_PHONE
    data.victim.phone_sealed = True
    first = services.referral_record(marac=marac, data=data, by=referrer)
    # A second referral of the same victim puts her (sealed details and all) among the
    # match candidates shown on the case page.
    again = generator.referral(marac=marac, referring_agency=referrer.agency, victim=data.victim)
    second = services.referral_record(marac=marac, data=again, by=referrer)
    return first, second


def _pages(first, second):
    return [
        reverse("referrals:case", args=[first.case.public_id]),
        reverse("referrals:case", args=[second.case.public_id]),
        reverse("referrals:idva-referral", args=[first.idva_referral.pk]),
        reverse("referrals:children-prompt", args=[first.children_prompt.pk]),
        reverse("referrals:referral", args=[first.public_id]),
        reverse("meetings:listing", args=[first.marac.slug]),
    ]


@pytest.mark.parametrize("actor", ["coordinator", "chair", "idva", "housing_rep", "childrens_rep", "referrer", "governance"])
def test_sealed_values_only_for_coordinator_and_idva(marac, intake, sealed_referral, actor):
    client = sign_in(Client(), intake[actor])
    shown_somewhere = False
    for url in _pages(*sealed_referral):
        response = client.get(url)
        if response.status_code != 200:
            assert response.status_code == 404
            continue
        body = response.content.decode()
        if SEALED_ADDRESS in body or SEALED_PHONE in body:
            shown_somewhere = True
            assert actor in ALLOWED, f"{url} showed a sealed value to {actor}"
    if actor in ALLOWED:
        assert shown_somewhere


def test_others_are_told_a_sealed_value_exists(marac, intake, sealed_referral):
    client = sign_in(Client(), intake["chair"])
    body = client.get(reverse("referrals:case", args=[sealed_referral[0].case.public_id])).content.decode()
    assert "Sealed: shown only to the coordinator and the Idva" in body
    assert "Sealed</strong> Sealed:" not in body, "the tag repeats what the text says"


def test_those_allowed_see_a_sealed_value_tagged(marac, intake, sealed_referral):
    client = sign_in(Client(), intake["coordinator"])
    body = client.get(reverse("referrals:case", args=[sealed_referral[0].case.public_id])).content.decode()
    assert f"Sealed</strong> {SEALED_ADDRESS}" in body


def test_an_idva_of_another_agency_sees_nothing(marac, intake, sealed_referral):
    other_idva = member(marac, Role.IDVA, agency_kind=AgencyKind.REFUGE)
    client = sign_in(Client(), other_idva)
    assert client.get(reverse("referrals:idva-referral", args=[sealed_referral[0].idva_referral.pk])).status_code == 404
    assert client.get(reverse("referrals:case", args=[sealed_referral[0].case.public_id])).status_code == 404
