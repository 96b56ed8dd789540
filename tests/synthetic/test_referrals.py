"""The demo's current referrals (openmarac.synthetic.referrals.demo_referrals)."""

from django.utils import timezone

from openmarac.referrals.models import Referral
from openmarac.synthetic.accounts import demo_deployment
from openmarac.synthetic.referrals import demo_referrals


def test_each_demo_referral_was_started_on_the_day_it_was_referred(db):
    marac, _ = demo_deployment()
    recorded = demo_referrals(marac=marac)
    assert len(recorded) == 5 and demo_referrals(marac=marac) == []
    days = {timezone.localtime(r.created_at).date() for r in Referral.objects.filter(marac=marac)}
    assert days == {r.referred_on for r in recorded} and len(days) > 1


def test_each_demo_referral_was_sent_on_the_day_it_was_referred(db):
    """The walk-through's referral page said "Sent 30 November" (the day the demo was
    loaded) for a referral started on 18 November."""
    marac, _ = demo_deployment()
    demo_referrals(marac=marac)
    for referral in Referral.objects.filter(marac=marac):
        assert timezone.localtime(referral.submitted_at).date() == referral.referred_on
