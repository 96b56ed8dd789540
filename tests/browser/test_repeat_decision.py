"""A case that keeps coming back, as the chair meets it on the meeting day, with the date
guards on: the case screen says the case has reached the Marac's repeat-alert threshold
and asks for a different approach; the chair records a multi-agency risk management
meeting, its date, the owning agency and a named person; the case screen and the case
page show it, as a warning, until it is recorded as done; once done, neither shows it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from openmarac.accounts.models import Agency, User
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import Meeting, RepeatDecision
from openmarac.referrals.models import Referral
from openmarac.referrals.services import referral_record
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.referrals import ReferralGenerator

from .referral_form import choose

NOT_YET_DONE = "Repeat-alert decision, not yet done"


@pytest.fixture
def repeat_case_today(transactional_db, settings):
    """A meeting that began a few minutes ago with one case on its agenda, referred for the
    third time in twelve months (the Marac's threshold is left at its default of 3)."""
    settings.OPENMARAC_DATE_GUARDS = True
    marac, _ = demo_deployment()
    coordinator = User.objects.get(email="coordinator@demo.openmarac.invalid")
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    police = Agency.objects.get(kind="police")
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    data = ReferralGenerator(seed=43).referral(marac=marac, referring_agency=police, referred_on=timezone.localdate() - timedelta(days=12), children=0)
    referral = referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    # This referral is a repeat, and the case had two earlier repeats within the year.
    Referral.objects.filter(pk=referral.pk).update(meets_repeat=True)
    for days_ago in (100, 200):
        Referral.objects.create(
            marac=marac, case=referral.case, status="heard", meets_repeat=True, referred_on=timezone.localdate() - timedelta(days=days_ago)
        )
    assert marac.repeat_alert_count == 3
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    meeting.refresh_from_db()
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    return meeting, meeting.items.get(), referral.case


def test_the_chair_decides_a_different_approach_shown_until_done(new_page, repeat_case_today):
    meeting, item, case = repeat_case_today
    probation = Agency.objects.get(kind="probation")
    case_screen = f"/meetings/{meeting.public_id}/cases/{item.pk}/"
    case_page = reverse("referrals:case", args=[case.public_id])

    chair = new_page()
    chair.sign_in("chair@demo.openmarac.invalid", DEMO_PASSWORD)
    chair.visit(f"/meetings/{meeting.public_id}/run/")
    chair.click("label[for='agree']")
    chair.click_and_check("button:has-text('Sign and continue')")

    chair.visit(case_screen)
    body = chair.inner_text("main")
    assert "Repeat 3 times in 12 months: a different approach is needed" in body
    assert "This case has reached the repeat-alert threshold: decide a different approach" in body
    assert NOT_YET_DONE not in body

    # Without an owning agency nothing is recorded, and what was typed is kept.
    choose(chair, "id_repeat-kind_0")
    chair.fill("#id_repeat-details", "Police to convene; Idva and probation attend")
    chair.fill_date("#id_repeat-due_on", timezone.localdate() + timedelta(days=14))
    chair.fill("#id_repeat-owner_name", "DS Patel")
    chair.click_and_check("button:has-text('Record the decision')")
    assert "There is a problem" in chair.inner_text("main")
    assert chair.input_value("#id_repeat-details") == "Police to convene; Idva and probation attend"
    assert not RepeatDecision.objects.filter(case=case).exists()

    chair.select_option("#id_repeat-owner_agency", label=probation.name)
    chair.click_and_check("button:has-text('Record the decision')")
    due = timezone.localdate() + timedelta(days=14)
    body = chair.inner_text("main")
    assert "Decision recorded. The case shows it until it is done." in body
    assert (
        f"{NOT_YET_DONE}: a multi-agency risk management meeting (Police to convene; Idva and probation attend), "
        f"by {due.day} {due:%B %Y}, owned by {probation.name} (DS Patel)"
    ) in body
    assert "decide a different approach" not in body
    chair.click("summary:has-text('Record it as done')")
    chair.axe(screenshot="repeat-decision")

    # The case page shows it too, without the form to mark it done.
    chair.visit(case_page)
    body = chair.inner_text("main")
    assert NOT_YET_DONE in body and "Record it as done" not in body

    # Once the meeting has been held, the chair records it as done (here, the same day).
    chair.visit(case_screen)
    chair.click("summary:has-text('Record it as done')")
    chair.fill_date("#id_done-done_on", timezone.localdate())
    chair.fill("#id_done-note", "Held; a safety plan agreed with the victim")
    chair.click_and_check("button:has-text('Record as done')")
    body = chair.inner_text("main")
    assert "Recorded as done." in body and NOT_YET_DONE not in body
    decision = RepeatDecision.objects.get(case=case)
    assert decision.done_on == timezone.localdate() and decision.done_note == "Held; a safety plan agreed with the victim"

    chair.visit(case_page)
    assert NOT_YET_DONE not in chair.inner_text("main")
