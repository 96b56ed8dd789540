import pytest
from django.utils import timezone

from openmarac.actions import services as action_services
from openmarac.meetings import services as meeting_services
from openmarac.referrals import services as referral_services
from openmarac.synthetic.referrals import ReferralGenerator


@pytest.fixture
def generator():
    return ReferralGenerator(seed=13)


@pytest.fixture
def heard(marac, staff, generator):
    """A published meeting two days ago (recorded after the fact) with one case on it."""

    def make(days_ago=2, children=1, meeting=None):
        referrer = staff["referrer"]
        data = generator.referral(marac=marac, referring_agency=referrer.agency, children=children)
        data.referred_on = timezone.localdate() - timezone.timedelta(days=days_ago + 20)
        referral = referral_services.referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
        if meeting is None:
            meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timezone.timedelta(days=20))
            meeting.starts_at = timezone.now() - timezone.timedelta(days=days_ago)
            meeting.save()
        item = meeting_services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
        meeting_services.meeting_publish(by=staff["coordinator"], meeting=meeting)
        return action_services.hearing_for(item)

    return make
