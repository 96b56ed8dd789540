"""What the walk-through of the whole cycle found a newcomer could not do, in the browser:
a housing representative finds the minutes of the last meeting from the Meetings page,
and sees on their agency's actions which case each action is for and which are overdue."""

import pytest

from openmarac.referrals.models import Case
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.meetings import demo_meetings
from openmarac.synthetic.referrals import demo_referrals


@pytest.fixture
def demo(transactional_db):
    marac, accounts = demo_deployment()
    demo_referrals(marac=marac)
    held = demo_meetings(marac=marac)
    return marac, held


def test_a_representative_reaches_past_minutes_and_sees_overdue_actions(page, demo):
    marac, held = demo
    page.sign_in("housing@demo.openmarac.invalid", DEMO_PASSWORD)
    page.click_and_check("text=Meetings and case lists", screenshot="walk-meetings")
    past = page.inner_text("table:has(caption:has-text('Past meetings'))")
    assert f"{held.starts_at:%-d %B %Y}" in past
    page.click_and_check(f"a:has-text('minutes of {held.starts_at:%-d %B %Y}')")
    if "/declaration/" in page.url:
        page.click("label[for='agree']")
        page.click_and_check("button:has-text('Sign and continue')")
    assert "Minutes and action plan" in page.inner_text("h1")

    page.click_and_check("text=Home")
    page.click_and_check("text=Your agency’s actions", screenshot="walk-agency-actions")
    actions = page.inner_text("main table")
    reference = Case.objects.filter(marac=marac, actions__isnull=False).values_list("reference", flat=True).first()
    assert f"Case {reference}" in actions and "Overdue" in actions
