"""The meeting day as the chair lives it, alone at the screen, with the date guards on:
the run-the-meeting screen opens with the register and the confidentiality statement;
the chair takes the register and is warned of someone present who has not signed; hears
the cases in agenda order, closing each with a confirmation and going on to the next;
and reads the minutes, which open with the register. Then the coordinator meets a
meeting still to come: its steps wait for their day unless she records why."""

from datetime import timedelta

import pytest
from django.utils import timezone

from openmarac.accounts.models import Agency, User
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import Meeting
from openmarac.referrals.services import referral_record
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.referrals import ReferralGenerator

from .referral_form import choose


@pytest.fixture
def meeting_today(transactional_db, settings):
    settings.OPENMARAC_DATE_GUARDS = True
    marac, _ = demo_deployment()
    coordinator = User.objects.get(email="coordinator@demo.openmarac.invalid")
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    police = Agency.objects.get(kind="police")
    generator = ReferralGenerator(seed=41)
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    for children in (1, 0, 0):
        data = generator.referral(marac=marac, referring_agency=police, referred_on=timezone.localdate() - timedelta(days=12), children=children)
        meeting_services.referral_list(by=coordinator, referral=referral_record(marac=marac, data=data, by=referrer, notify_agencies=False), meeting=meeting)
    # The meeting is today, and began a few minutes ago; its case list went out on its day.
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    meeting.refresh_from_db()
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    return marac, meeting


def _open_all_details(journey):
    journey.page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")


def test_the_meeting_day_as_the_chair_alone(new_page, meeting_today):
    marac, meeting = meeting_today
    housing = Agency.objects.get(kind="housing")
    probation = Agency.objects.get(kind="probation")

    chair = new_page()
    chair.sign_in("chair@demo.openmarac.invalid", DEMO_PASSWORD)
    chair.visit(f"/meetings/{meeting.public_id}/run/")
    chair.click("label[for='agree']")
    chair.click_and_check("button:has-text('Sign and continue')", screenshot="meeting-day-run")
    body = chair.inner_text("main")
    assert body.index("Register and confidentiality statement") < body.index("Outstanding actions") < body.index("Cases")
    assert "Read aloud before the cases" in body and body.count("Not started") == 3

    # The register: the chair's own agency (police) is already represented; housing is
    # marked present, probation sent apologies with its information.
    chair.click_and_check("text=Take the register")
    chair.select_option(f"#id_agency-{housing.pk}-status", "present")
    chair.select_option(f"#id_agency-{probation.pk}-status", "apologies")
    chair.click(f"text=Name, apologies, late or early: {probation.name}")
    chair.select_option(f"#id_agency-{probation.pk}-information_sent_in_advance", "yes")
    chair.axe(screenshot="meeting-day-register")
    chair.click_and_check("button:has-text('Save register')")
    assert "Register saved" in chair.inner_text("main")
    assert "1 sent apologies" in chair.inner_text("main")
    chair.click_and_check("text=Back to running the meeting")
    assert f"Marked present but not signed the confidentiality declaration: {housing.name}" in chair.inner_text("main")

    # The cases in agenda order: record, close with a confirmation, go on to the next.
    chair.click_and_check("main table >> nth=1 >> a.govuk-link >> nth=0")
    _open_all_details(chair)
    chair.axe(screenshot="meeting-day-case")
    body = chair.inner_text("main")
    assert "Reasons for referral" in body and "The victim is afraid of" in body and "Research by agency" in body
    chair.fill("#id_minutes", "Agencies shared what they hold; the plan below was agreed.")
    chair.click_and_check("button:has-text('Save') >> nth=0")
    chair.fill("#id_risk-who_at_risk", "The victim")
    chair.fill("#id_risk-from_whom", "Her former partner")
    chair.fill("#id_risk-harm", "Serious physical harm")
    choose(chair, "id_risk-likelihood_0")
    chair.fill("#id_risk-contributory_factors", "His drinking at weekends")
    chair.fill("#id_risk-protective_factors", "Her sister lives next door")
    chair.click_and_check("button:has-text('Add risk')")
    chair.fill("#id_action-description", "Target-harden the victim's home")
    chair.select_option("#id_action-owner_agency", label=housing.name)
    choose(chair, "id_action-for_whom_0")
    chair.fill_date("#id_action-due_on", timezone.localdate() + timedelta(days=7))
    chair.click("text=Joint with other agencies")
    chair.click("fieldset:has-text('Joint with') label:has-text('police')")
    chair.click_and_check("button:has-text('Add action')")
    plan = chair.inner_text("section[aria-label='Agreed plan']")
    assert "Target-harden" in plan and "Protective: Her sister lives next door" in plan
    for number in range(3):
        if number:
            chair.click_and_check("text=Go on to the next case")
        if chair.page.locator("#id_children-confirmed").count() or chair.page.locator("#id_children-confirmed_0").count():
            # The chair reads out the children and their dates of birth, and the room agrees.
            chair.click("label[for='id_children-confirmed_0']")
            chair.click_and_check("button:has-text('Confirm the children')")
        chair.fill("#id_close-reason", "The Idva will confirm the plan by phone this afternoon")
        chair.click("label[for='id_close-confirm']")
        chair.click_and_check("button:has-text('Close the case')", screenshot="meeting-day-closed" if number == 0 else None)
        assert "Case closed for this meeting" in chair.inner_text("main")
    assert "This was the last case" in chair.inner_text("main")
    # The case screen polls the plan with htmx, whose inline style the policy refuses.
    assert chair.console_errors == []

    chair.visit(f"/meetings/{meeting.public_id}/run/")
    body = chair.inner_text("main")
    assert body.count("Closed") >= 3 and "3 of 3 closed" in body

    # The minutes open with the register and carry the plan's every column.
    chair.visit(f"/meetings/{meeting.public_id}/minutes/", screenshot="meeting-day-minutes")
    minutes = chair.inner_text("main")
    assert minutes.index("Attendance") < minutes.index("Case ")
    assert f"{probation.name} (information sent in advance)" in minutes and "Research not returned on every case" in minutes
    assert "Joint with" in minutes and "Flag until" in minutes and "Target-harden" in minutes


def test_a_meeting_still_to_come_waits_unless_the_coordinator_records_why(new_page, meeting_today):
    marac, _ = meeting_today
    coordinator_user = User.objects.get(email="coordinator@demo.openmarac.invalid")
    later = meeting_services.meeting_add(by=coordinator_user, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    coordinator.visit(f"/meetings/{later.public_id}/")
    coordinator.click("label[for='agree']")
    coordinator.click_and_check("button:has-text('Sign and continue')")
    coordinator.click_and_check("button:has-text('Publish the case list')")
    assert "too early to publish the case list" in coordinator.inner_text("main")
    later.refresh_from_db()
    assert later.published_at is None
    coordinator.click("fieldset:has-text('What goes ahead early') label:has-text('Publish the case list')")
    coordinator.fill("#id_reason", "The chair has brought the meeting forward a week")
    coordinator.axe(screenshot="meeting-date-override")
    coordinator.click_and_check("button:has-text('Record why and go ahead')")
    coordinator.click_and_check("button:has-text('Publish the case list')")
    later.refresh_from_db()
    assert later.published_at is not None
    assert "The chair has brought the meeting forward a week" in coordinator.inner_text("main")
