import pytest
from django.utils import timezone

from openmarac.accounts.models import AgencyKind, Role
from openmarac.meetings import services as meeting_services
from openmarac.referrals import services as referral_services
from openmarac.synthetic.referrals import ReferralGenerator

from ..factories import marac_with_core_agencies, member


@pytest.fixture
def generator():
    return ReferralGenerator(seed=11)


@pytest.fixture
def people(marac):
    marac_with_core_agencies(marac)
    return {
        "coordinator": member(marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA),
        "chair": member(marac, Role.CHAIR, agency_kind=AgencyKind.POLICE),
        "idva": member(marac, Role.IDVA, agency_kind=AgencyKind.IDVA),
        "housing": member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.HOUSING),
        "police": member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.POLICE),
        "probation": member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.PROBATION),
        "referrer": member(marac, Role.REFERRER, agency_kind=AgencyKind.HOUSING),
        "governance": member(marac, Role.GOVERNANCE, agency_kind=AgencyKind.POLICE),
    }


@pytest.fixture
def refer(marac, people, generator):
    def make(**kwargs):
        data = generator.referral(marac=marac, referring_agency=people["referrer"].agency, review_owner=people["referrer"], **kwargs)
        return referral_services.referral_record(marac=marac, data=data, by=people["referrer"], notify_agencies=False)

    return make


@pytest.fixture
def meeting(marac, people):
    """A meeting three weeks ahead: far enough for the case list lead time."""
    starts_at = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0) + timezone.timedelta(days=21)
    return meeting_services.meeting_add(by=people["coordinator"], marac=marac, starts_at=starts_at)
