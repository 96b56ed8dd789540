"""A case with two referrals (here, a match confirmed) gives the children's social care
representative and the Idva one line per referral on the home page; the walk-through
found two identical "Case NORT-2026-0001: confirm…" lines. Each names its referral's date."""

import copy
from datetime import timedelta

from django.utils import timezone

from openmarac.referrals import services
from openmarac.referrals.models import MatchCandidate

from ..conftest import sign_in


def test_two_referrals_of_one_case_have_distinct_lines_on_the_home_page(client, marac, intake, generator):
    data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency, children=1)
    data.referred_on = timezone.localdate() - timedelta(days=30)
    first = services.referral_record(marac=marac, data=data, by=intake["referrer"], notify_agencies=False)
    again = copy.deepcopy(data)
    again.referred_on = timezone.localdate() - timedelta(days=2)
    second = services.referral_record(marac=marac, data=again, by=intake["referrer"], notify_agencies=False)
    for candidate in MatchCandidate.objects.filter(referral=second):
        services.match_decide(by=intake["coordinator"], candidate=candidate, same_person=True)
    second.refresh_from_db()
    assert second.case_id == first.case_id
    reference = first.case.reference
    for user, line in (
        (intake["childrens_rep"], "Case {} (referred {:%-d %b %Y}): confirm the children’s social care referral"),
        (intake["idva"], "Idva referral {} (referred {:%-d %b %Y}): first contact"),
    ):
        sign_in(client, user)
        page = client.get("/").content.decode()
        for referral in (first, second):
            assert line.format(reference, referral.referred_on) in page, (user, line)
        client.logout()
