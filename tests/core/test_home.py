import pytest
from django.urls import reverse

from openmarac.accounts.models import AgencyKind, Role

from ..conftest import ROLES, sign_in
from ..factories import MaracAgencyFactory


@pytest.mark.parametrize("role", ROLES)
def test_home_shows_a_panel_for_the_role(client, make_member, marac, role):
    sign_in(client, make_member(role))
    body = client.get(reverse("core:home")).content.decode()
    assert f'data-role="{role}"' in body
    assert marac.name in body


def test_coordinator_is_told_of_core_agencies_without_a_representative(client, make_member, marac):
    MaracAgencyFactory(marac=marac, agency__name="Northshire Probation", agency__kind=AgencyKind.PROBATION, is_core=True)
    make_member(Role.REPRESENTATIVE, agency_kind=AgencyKind.HOUSING)
    sign_in(client, make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA))
    body = client.get(reverse("core:home")).content.decode()
    assert "Northshire Probation is a core agency with no representative" in body


def test_an_idva_service_with_an_idva_is_not_reported_unrepresented(client, make_member, marac):
    # The walk-through: the demo Idva service, whose Idva researches and speaks for it at
    # the meeting, was listed as "a core agency with no representative".
    idva = make_member(Role.IDVA, agency_kind=AgencyKind.IDVA)
    marac.agency_links.filter(agency=idva.agency).update(is_core=True)
    sign_in(client, make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA))
    body = client.get(reverse("core:home")).content.decode()
    assert f"{idva.agency} is a core agency with no representative" not in body


def test_user_sees_only_their_own_maracs(client, make_member, other_marac):
    sign_in(client, make_member(Role.CHAIR))
    assert other_marac.name not in client.get(reverse("core:home")).content.decode()


def test_referrer_is_told_of_their_drafts_and_of_nothing_else(client, make_member, marac):
    from openmarac.core.selectors import personal_attention
    from openmarac.referrals.models import Referral

    referrer = make_member(Role.REFERRER)
    assert personal_attention(user=referrer) == []
    Referral.objects.create(marac=marac, referrer=referrer)
    Referral.objects.create(marac=marac, referrer=referrer)
    Referral.objects.create(marac=marac, referrer=make_member(Role.REFERRER))
    sign_in(client, referrer)
    assert "2 draft referrals not yet sent" in client.get(reverse("core:home")).content.decode()
    Referral.objects.filter(referrer=referrer).update(status=Referral.Status.AWAITING_LISTING)
    assert personal_attention(user=referrer) == []


@pytest.mark.parametrize(
    "representative, listed",
    [
        ("active", False),
        ("membership ended", True),
        ("account closed", True),
        ("in another Marac", True),
        ("an Idva of the agency", False),
        ("a referrer of the agency", True),
        ("the chair, from the agency", False),
        ("a coordinator from the agency", False),
    ],
)
def test_a_core_agency_counts_as_represented_only_by_an_active_member_who_speaks_for_it_here(make_member, marac, other_marac, representative, listed):
    from openmarac.accounts.models import Membership
    from openmarac.accounts.selectors import core_agencies_without_representative

    link = MaracAgencyFactory(marac=marac, agency__name="Northshire Probation", agency__kind=AgencyKind.PROBATION, is_core=True)
    MaracAgencyFactory(marac=other_marac, agency=link.agency)
    role = {
        "an Idva of the agency": Role.IDVA, "a referrer of the agency": Role.REFERRER,
        "the chair, from the agency": Role.CHAIR, "a coordinator from the agency": Role.COORDINATOR,
    }.get(representative, Role.REPRESENTATIVE)
    person = make_member(role, other_marac if representative == "in another Marac" else None, agency_kind=AgencyKind.PROBATION)
    if representative == "membership ended":
        Membership.objects.filter(user=person).update(is_active=False)
    if representative == "account closed":
        person.is_active = False
        person.save()
    coordinator = make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    unrepresented = [link.agency.name for link in core_agencies_without_representative(user=coordinator, marac=marac)]
    assert ("Northshire Probation" in unrepresented) is listed


def test_only_a_coordinator_is_told_which_core_agencies_lack_a_representative(make_member, marac):
    from openmarac.accounts.selectors import core_agencies_without_representative

    MaracAgencyFactory(marac=marac, agency__kind=AgencyKind.PROBATION, is_core=True)
    assert core_agencies_without_representative(user=make_member(Role.CHAIR), marac=marac) == []
