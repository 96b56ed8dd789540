"""A possible match says which case the known person is in (issue 12): the case
reference and its state on the queue page and on the card where the match is decided, so
the coordinator knows what a "same person" joins; a restricted case the coordinator may
not open is only "a restricted case"."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.accounts.models import AgencyKind, Role
from openmarac.meetings import services as meeting_services
from openmarac.referrals import restriction
from openmarac.referrals import selectors
from openmarac.referrals import services as referral_services
from openmarac.referrals.models import Case, MatchCandidate
from openmarac.synthetic.referrals import ReferralGenerator

from ..conftest import sign_in
from ..factories import member

REASON = "The perpetrator works for a member agency"


def _refer(marac, staff, seed, **kwargs):
    data = ReferralGenerator(seed=seed).referral(marac=marac, referring_agency=staff["referrer"].agency, **kwargs)
    return referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False)


@pytest.fixture
def known(marac, staff):
    """An earlier case, and a new referral whose victim may be that case's victim."""
    earlier = _refer(marac, staff, seed=4)
    later = _refer(marac, staff, seed=5, victim=ReferralGenerator(seed=4).referral(marac=marac, referring_agency=staff["referrer"].agency).victim)
    candidate = MatchCandidate.objects.filter(referral=later, candidate=earlier.case.victim).first()
    assert candidate is not None
    return earlier, later


def _pages(coordinator, marac, later):
    client = sign_in(Client(), coordinator)
    queue = client.get(reverse("referrals:matches", args=[marac.slug])).content.decode()
    card = client.get(reverse("referrals:case", args=[later.case.public_id])).content.decode()
    return queue, card


def test_the_match_names_the_case_and_the_meeting_it_is_listed_for(marac, staff, known):
    earlier, later = known
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    meeting_services.referral_list(by=staff["coordinator"], referral=earlier, meeting=meeting)
    words = f"in case {earlier.case.reference}, open, listed for {timezone.localtime(meeting.starts_at):%-d %B %Y}"
    queue, card = _pages(staff["coordinator"], marac, later)
    assert words[0].upper() + words[1:] in queue
    assert f"is {words}." in card


def test_the_match_names_the_case_and_when_it_was_heard(marac, staff, known):
    earlier, later = known
    Case.objects.filter(pk=earlier.case_id).update(last_heard_on=date(2026, 3, 3))
    queue, card = _pages(staff["coordinator"], marac, later)
    assert f"In case {earlier.case.reference}, heard 3 March 2026" in queue
    assert f"is in case {earlier.case.reference}, heard 3 March 2026." in card


def test_a_case_not_yet_listed_says_so(marac, staff, known):
    earlier, _ = known
    words = selectors.known_cases(user=staff["coordinator"], marac=marac, person_ids=[earlier.case.victim_id])
    assert words == {earlier.case.victim_id: f"in case {earlier.case.reference}, open, not yet listed"}


def test_a_restricted_case_is_not_named(marac, staff, known):
    earlier, later = known
    restriction.case_restrict(by=staff["coordinator"], case=earlier.case, reason=REASON, named_users=[])
    second = member(marac, Role.COORDINATOR, agency_kind=AgencyKind.POLICE)
    words = selectors.known_cases(user=second, marac=marac, person_ids=[earlier.case.victim_id])
    assert words == {earlier.case.victim_id: "in a restricted case"}
    queue, _ = _pages(second, marac, later)
    assert "In a restricted case" in queue and earlier.case.reference not in queue
    # The coordinator named on the restriction sees the reference.
    assert selectors.known_cases(user=staff["coordinator"], marac=marac, person_ids=[earlier.case.victim_id])[earlier.case.victim_id].startswith(
        f"in case {earlier.case.reference}"
    )
