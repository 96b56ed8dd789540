"""synthetic/meetings.py: the demo's meetings hold together as a real Marac's would:
the meetings ahead in order, and one held three weeks ago whose referral, research,
minutes, actions and close come in the order they happen, heard on the day it met."""

from datetime import timedelta

import pytest
from django.utils import timezone

from openmarac.actions.models import Action
from openmarac.meetings.models import DeclarationSignature, Meeting, ResearchReturn
from openmarac.referrals.models import Referral
from openmarac.synthetic.accounts import demo_deployment
from openmarac.synthetic.meetings import PAST_MEETING_DAYS_AGO, demo_meetings

from ..conftest import world_for_module


def _build():
    marac, _ = demo_deployment()
    held = demo_meetings(marac=marac)
    return {"marac": marac, "held": held, "again": demo_meetings(marac=marac)}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with world_for_module(django_db_blocker, _build) as built:
        yield built


def test_the_meetings_ahead_follow_the_pattern_in_order(db, demo):
    ahead = list(Meeting.objects.filter(marac=demo["marac"], starts_at__gt=timezone.now()).order_by("starts_at"))
    assert ahead
    for meeting in ahead:
        assert meeting.research_deadline < meeting.starts_at
    assert len({meeting.starts_at for meeting in ahead}) == len(ahead)


def test_the_past_meeting_was_held_three_weeks_ago_and_published_before_it(db, demo):
    held = Meeting.objects.get(pk=demo["held"].pk)
    assert held.starts_at.date() == timezone.localdate() - timedelta(days=PAST_MEETING_DAYS_AGO)
    assert held.published_at is not None
    assert held.research_deadline < held.starts_at < held.minutes_published_at
    assert held.minutes_published_at - held.starts_at <= timedelta(days=1)


def test_its_referral_came_before_it_and_was_heard_on_the_day(db, demo):
    held = demo["held"]
    (item,) = held.items.select_related("referral__case")
    referral = item.referral
    assert referral.referred_on < held.starts_at.date()
    # Started and sent before the meeting, not on the day the demo was loaded.
    assert timezone.localtime(referral.created_at).date() == referral.referred_on
    assert timezone.localtime(referral.submitted_at).date() == referral.referred_on
    assert referral.status == Referral.Status.HEARD
    assert referral.heard_on == timezone.localtime(held.starts_at).date()
    assert referral.case.last_heard_on == referral.heard_on


def test_research_came_back_before_the_meeting_and_the_hearing_closed(db, demo):
    held = demo["held"]
    returns = ResearchReturn.objects.filter(meeting=held)
    assert returns.count() == 2
    assert all(r.returned_at is not None for r in returns)
    hearing = held.items.get().hearing
    assert hearing.closed_at is not None and hearing.minutes
    assert DeclarationSignature.objects.filter(meeting=held).count() >= 4


def test_the_action_plan_has_every_state_and_no_completion_before_the_meeting(db, demo):
    held = demo["held"]
    actions = Action.objects.filter(hearing__item__meeting=held)
    assert {a.status for a in actions} == {Action.Status.OPEN, Action.Status.COMPLETED, Action.Status.NOT_POSSIBLE}
    for action in actions.filter(status=Action.Status.COMPLETED):
        assert held.starts_at.date() <= action.completed_on <= timezone.localdate()
    assert actions.filter(status=Action.Status.NOT_POSSIBLE).exclude(not_possible_reason="").count() == 1


def test_running_it_again_makes_no_second_past_meeting(db, demo):
    assert demo["again"] is None
    held_before_now = Meeting.objects.filter(marac=demo["marac"], starts_at__lt=timezone.now(), items__isnull=False).distinct()
    assert list(held_before_now) == [demo["held"]]


def test_each_action_of_the_plan_is_for_whom_it_helps(db, demo):
    actions = Action.objects.filter(hearing__item__meeting=demo["held"])
    assert {a.description: a.for_whom for a in actions if "perpetrator" in a.description.lower()} == {
        "Refer the perpetrator to a perpetrator programme": "perpetrator",
        "Housing options for the perpetrator away from the area": "perpetrator",
    }
