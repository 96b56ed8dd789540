import pytest
from django.utils import timezone

from openmarac.meetings import services as meeting_services
from openmarac.referrals import services as referral_services
from openmarac.synthetic.referrals import ReferralGenerator


@pytest.fixture
def generator():
    return ReferralGenerator(seed=11)


@pytest.fixture
def people(staff):
    return staff


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
