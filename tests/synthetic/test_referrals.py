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


def test_each_idva_referral_is_dated_with_its_referral_and_older_ones_are_in_contact(db):
    """The walk-through's Idva home page read "first contact due by" two days after the
    demo was loaded for every case, even one referred six weeks earlier."""
    from datetime import timedelta

    from openmarac.referrals.models import IdvaReferral

    marac, _ = demo_deployment()
    demo_referrals(marac=marac)
    now = timezone.now()
    idva_referrals = list(IdvaReferral.objects.filter(referral__marac=marac).select_related("referral"))
    assert len(idva_referrals) == 5
    for idva_referral in idva_referrals:
        referral = idva_referral.referral
        assert idva_referral.first_contact_due == referral.submitted_at + timedelta(hours=IdvaReferral.FIRST_CONTACT_TARGET_HOURS)
        if idva_referral.first_contact_due < now:
            assert idva_referral.status == IdvaReferral.Status.IN_CONTACT
            assert idva_referral.first_contact_at == referral.submitted_at + timedelta(days=1)
            assert idva_referral.attempts.count() == 1
        else:
            assert idva_referral.status == IdvaReferral.Status.AWAITING_CONTACT and idva_referral.first_contact_at is None
    assert {r.status for r in idva_referrals} == {IdvaReferral.Status.IN_CONTACT, IdvaReferral.Status.AWAITING_CONTACT}
