import pytest

from openmarac.accounts.models import AgencyKind, Role
from openmarac.synthetic.referrals import ReferralGenerator

from ..factories import marac_with_core_agencies, member


@pytest.fixture
def generator():
    return ReferralGenerator(seed=7)


@pytest.fixture
def intake(marac):
    """A Marac with its core agencies and one user per role that intake involves."""
    marac_with_core_agencies(marac)
    users = {
        "coordinator": member(marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA),
        "chair": member(marac, Role.CHAIR, agency_kind=AgencyKind.POLICE),
        "idva": member(marac, Role.IDVA, agency_kind=AgencyKind.IDVA),
        "housing_rep": member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.HOUSING),
        "childrens_rep": member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.CHILDRENS_SOCIAL_CARE),
        "probation_rep": member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.PROBATION),
        "referrer": member(marac, Role.REFERRER, agency_kind=AgencyKind.HOUSING),
        "governance": member(marac, Role.GOVERNANCE, agency_kind=AgencyKind.POLICE),
    }
    return users
