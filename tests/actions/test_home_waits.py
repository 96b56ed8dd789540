"""Home pages say what waits: the chair's next meeting, an agency's open and overdue
actions as counts, possible matches as a count with a queue page, and the referrer's
list with the meeting date and "heard on"."""

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openmarac.actions import services as action_services
from openmarac.actions.models import Action
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import DeclarationSignature, ResearchReturn
from openmarac.referrals import services as referral_services
from openmarac.referrals.models import MatchCandidate
from openmarac.synthetic.referrals import ReferralGenerator

from ..conftest import sign_in
from ..factories import AgencyFactory


def _home(user):
    return sign_in(Client(), user).get(reverse("core:home")).content.decode()


def _refer(marac, staff, seed=3, **kwargs):
    data = ReferralGenerator(seed=seed).referral(marac=marac, referring_agency=staff["referrer"].agency, **kwargs)
    return referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False), data


def test_chair_sees_the_next_meeting_and_how_ready_it_is(marac, staff):
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    referral, _ = _refer(marac, staff)
    meeting_services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
    body = _home(staff["chair"])
    assert f"Next: the {meeting.title}, 1 case; case list not yet sent" in body
    meeting_services.meeting_publish(by=staff["coordinator"], meeting=meeting)
    DeclarationSignature.objects.create(meeting=meeting, user=staff["chair"], statement="x")
    body = _home(staff["chair"])
    # Five agencies have a representative or an Idva in the staff fixture.
    assert "research returned 0 of 5; 1 declaration signed" in body
    assert "Nothing needs your attention" not in body
    # Counted: research returned by an agency that owes it; not research still in
    # progress, nor research from an agency that owes none.
    ResearchReturn.objects.create(meeting=meeting, referral=referral, agency=staff["housing_rep"].agency, returned_at=timezone.now())
    ResearchReturn.objects.create(meeting=meeting, referral=referral, agency=staff["police_rep"].agency)
    ResearchReturn.objects.create(meeting=meeting, referral=referral, agency=AgencyFactory(), returned_at=timezone.now())
    assert "research returned 1 of 5; 1 declaration signed" in _home(staff["chair"])


def test_a_meeting_whose_minutes_are_out_is_no_longer_next_even_if_run_early(marac, staff):
    """Run early under a recorded reason, a meeting's date may still be to come; once its
    minutes are published the chair's home moves on to the meeting after it."""
    early = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=2))
    later = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=16))
    assert f"Next: the {early.title}" in _home(staff["chair"])
    early.minutes_published_at = timezone.now()
    early.save(update_fields=["minutes_published_at"])
    body = _home(staff["chair"])
    assert f"Next: the {later.title}" in body
    assert early.title not in body


def test_representative_sees_counts_of_open_and_overdue_actions(marac, staff, heard):
    hearing = heard(days_ago=30)
    for days in (-4, -1, 3, 40):
        action_services.action_add(
            by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Housing options",
            for_whom="victim", due_on=timezone.localdate() + timedelta(days=days),
        )
    body = _home(staff["housing_rep"])
    assert "2 overdue actions of your agency: report progress" in body
    assert "4 open actions of your agency, 1 due in the next 7 days" in body


def test_home_query_count_does_not_grow_with_actions(marac, staff, heard):
    hearing = heard(days_ago=30)
    action = action_services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Housing options",
        for_whom="victim", due_on=timezone.localdate() - timedelta(days=2),
    )
    client = sign_in(Client(), staff["housing_rep"])
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("core:home"))
    Action.objects.bulk_create(
        Action(case=action.case, hearing=hearing, owner_agency=action.owner_agency, description="More", for_whom="victim", due_on=action.due_on)
        for _ in range(200)
    )
    with CaptureQueriesContext(connection) as large:
        body = client.get(reverse("core:home")).content.decode()
    assert len(large) <= len(small)
    assert "201 overdue actions" in body


def test_possible_matches_are_a_count_on_the_home_page_and_a_queue_of_their_own(marac, staff):
    _, first = _refer(marac, staff, seed=4)
    second, _ = _refer(marac, staff, seed=5, victim=first.victim)
    pending = MatchCandidate.objects.filter(referral=second, decision=MatchCandidate.Decision.PENDING).count()
    assert pending
    body = _home(staff["coordinator"])
    assert "1 referral has possible matches to confirm or reject" in body
    client = sign_in(Client(), staff["coordinator"])
    page = client.get(reverse("referrals:matches", args=[marac.slug])).content.decode()
    assert second.case.reference in page and "Showing 1 to 1 of 1 referrals with possible matches" in page


def test_the_referrer_sees_the_meeting_date_and_never_heard_before_it(marac, staff):
    referral, _ = _refer(marac, staff)
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    meeting_services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
    # Closed early (before the meeting date): the referrer still sees the meeting date.
    referral.status, referral.heard_on = "heard", timezone.localdate() + timedelta(days=20)
    referral.save(update_fields=["status", "heard_on"])
    page = sign_in(Client(), staff["referrer"]).get(reverse("referrals:mine")).content.decode()
    assert f"Listed for the meeting of {timezone.localtime(meeting.starts_at):%-d %b %Y}" in page and "Heard" not in page
    # The referral's own page says the same: listed, not "heard on" a date still to come.
    outcome = sign_in(Client(), staff["referrer"]).get(reverse("referrals:referral", args=[referral.public_id])).content.decode()
    assert "The case is listed for a meeting" in outcome and "heard the case" not in outcome
    referral.heard_on = timezone.localdate()
    referral.save(update_fields=["heard_on"])
    page = sign_in(Client(), staff["referrer"]).get(reverse("referrals:mine")).content.decode()
    assert f"Heard on {timezone.localdate():%-d %b %Y}" in page
    outcome = sign_in(Client(), staff["referrer"]).get(reverse("referrals:referral", args=[referral.public_id])).content.decode()
    assert f"The Marac heard the case on {timezone.localdate():%-d %B %Y}" in outcome
