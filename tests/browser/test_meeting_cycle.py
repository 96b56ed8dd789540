"""The whole cycle: referral, listing, publication, research, declaration, a meeting
with two cases (one a repeat showing its earlier actions), actions with due dates, the
Idva's confirmation, the minutes PDF, an agency completing an action, and an overdue
action appearing at the next meeting."""

import subprocess
from datetime import date, timedelta

import pytest
from django.utils import timezone

from openmarac.accounts.models import Agency, User
from openmarac.actions import services as action_services
from openmarac.actions.models import Action
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import AgendaItem
from openmarac.people.services import PersonData
from openmarac.referrals.models import Referral
from openmarac.referrals.services import LinkedPerson, referral_record
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.referrals import ReferralGenerator

from .referral_form import choose, quick_referral

VICTIM = ("Rosa", "Delaney", date(1988, 6, 14))
PERPETRATOR = ("Craig", "Mulholland", date(1984, 2, 2))


@pytest.fixture
def demo(transactional_db):
    """The demo Marac, where Rosa Delaney's case was heard seven weeks ago; a DVPO was
    not possible then."""
    marac, _ = demo_deployment()
    coordinator = User.objects.get(email="coordinator@demo.openmarac.invalid")
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    police = Agency.objects.get(kind="police")
    generator = ReferralGenerator(seed=21)
    earlier = generator.referral(
        marac=marac, referring_agency=police, referred_on=timezone.localdate() - timedelta(days=60),
        victim=PersonData(*VICTIM[:2], date_of_birth=VICTIM[2]), perpetrator=PersonData(*PERPETRATOR[:2], date_of_birth=PERPETRATOR[2]),
        children=0,
    )
    earlier.perpetrators = [LinkedPerson(earlier.perpetrators[0].data, relationship_to_victim="Ex-partner")]
    referral = referral_record(marac=marac, data=earlier, by=referrer, notify_agencies=False)
    past = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=30))
    past.starts_at = timezone.now() - timedelta(days=49)
    past.save()
    item = meeting_services.referral_list(by=coordinator, referral=referral, meeting=past)
    hearing = action_services.hearing_for(item)
    action = action_services.action_add(
        by=coordinator, hearing=hearing, owner_agency=police, kind="protection_order", description="Apply for a DVPO",
        for_whom="perpetrator", due_on=timezone.localdate() - timedelta(days=40),
    )
    action_services.action_report(
        by=coordinator, action=action, version=action.version, status="not_possible", not_possible_reason="circumstances_changed",
        note="He left the area before it could be served",
    )
    action_services.hearing_close(by=coordinator, hearing=hearing, reason="Recorded after the meeting", children_reason="Recorded after the meeting")
    other = generator.referral(marac=marac, referring_agency=police, referred_on=timezone.localdate() - timedelta(days=2), children=0)
    referral_record(marac=marac, data=other, by=referrer, notify_agencies=False)
    return marac


def test_the_whole_marac_cycle(new_page, demo, tmp_path):
    # A housing referral: Rosa Delaney again, with the same perpetrator, now with a child.
    referrer = new_page()
    referrer.sign_in("referrer@demo.openmarac.invalid", DEMO_PASSWORD)
    quick_referral(referrer, victim=VICTIM, perpetrator=PERPETRATOR, children=[("Mia", "Delaney", date.today() - timedelta(days=900), "Daughter")])

    # The coordinator confirms the matches: the referral is a repeat in Rosa's case.
    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    new_referral = Referral.objects.filter(status="awaiting_listing").order_by("-submitted_at").first()
    coordinator.visit(f"/cases/{new_referral.case.public_id}/")
    for _ in range(2):
        coordinator.locator("input[value='yes'][name='same_person']").first.check(force=True)
        coordinator.click_and_check("button:has-text('Record decision') >> nth=0")
    assert "This referral is a repeat" in coordinator.inner_text("main")

    # Listing and publication.
    coordinator.visit(f"/maracs/{demo.slug}/listing/")
    coordinator.click_and_check("button:has-text('List all as proposed')")
    meeting = AgendaItem.objects.get(referral=new_referral).meeting
    coordinator.visit(f"/meetings/{meeting.public_id}/")
    coordinator.click("label[for='agree']")
    coordinator.click_and_check("button:has-text('Sign and continue')")
    coordinator.click_and_check("button:has-text('Publish the case list')")

    # Housing returns research on the repeat case.
    housing = new_page()
    housing.sign_in("housing@demo.openmarac.invalid", DEMO_PASSWORD)
    housing.visit(f"/meetings/{meeting.public_id}/research/{new_referral.public_id}/")
    housing.click("label[for='agree']")
    housing.click_and_check("button:has-text('Sign and continue')")
    housing.fill("#id_facts", "Rent arrears; a neighbour reported shouting last week")
    housing.click_and_check("button:has-text('Return research')")

    # The meeting: the chair opens the repeat case and sees what was tried before.
    chair = new_page()
    chair.sign_in("chair@demo.openmarac.invalid", DEMO_PASSWORD)
    chair.visit(f"/meetings/{meeting.public_id}/run/")
    chair.click("label[for='agree']")
    chair.click_and_check("button:has-text('Sign and continue')", screenshot="run-meeting")
    repeat_item = AgendaItem.objects.get(referral=new_referral)
    chair.visit(f"/meetings/{meeting.public_id}/cases/{repeat_item.pk}/")
    # Earlier plans and each agency's research are folded for the projector: open them.
    chair.page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    body = chair.inner_text("main")
    assert "Apply for a DVPO" in body and "Not possible" in body
    assert "Rent arrears" in body

    # The coordinator records: minutes (with a nudge about wording), a risk and actions.
    coordinator.visit(f"/meetings/{meeting.public_id}/cases/{repeat_item.pk}/")
    choose(coordinator, "id_children-confirmed_0")
    coordinator.click_and_check("button:has-text('Confirm the children')")
    assert "Confirmed as listed" in coordinator.inner_text("main")
    coordinator.fill("#id_minutes", "The victim refused to engage with the police last month.")
    coordinator.fill("#id_single_point_of_contact", "Idva service")
    coordinator.click_and_check("button:has-text('Save') >> nth=0")
    assert "consider “we were not able to engage" in coordinator.inner_text("main")
    coordinator.fill("#id_risk-who_at_risk", "Rosa and Mia")
    coordinator.fill("#id_risk-from_whom", "Craig Mulholland")
    coordinator.fill("#id_risk-harm", "Serious physical harm; threats to kill")
    choose(coordinator, "id_risk-likelihood_0")
    coordinator.click_and_check("button:has-text('Add risk')")
    meeting_day = timezone.localtime(meeting.starts_at).date()
    for description, agency, for_whom, due in [
        ("Serve a DVPN and apply for a DVPO", "Northshire Police", "id_action-for_whom_2", meeting_day + timedelta(days=2)),
        ("Offer Rosa a management transfer", "Northshire Council Housing", "id_action-for_whom_0", meeting_day + timedelta(days=21)),
    ]:
        coordinator.fill("#id_action-description", description)
        coordinator.select_option("#id_action-owner_agency", label=agency)
        choose(coordinator, for_whom)
        coordinator.fill_date("#id_action-due_on", due)
        coordinator.click_and_check("button:has-text('Add action')")
    coordinator.axe(screenshot="hearing")
    assert "Serve a DVPN" in coordinator.inner_text("main")

    # The Idva confirms the plan is as safe as possible; the chair closes the case.
    idva = new_page()
    idva.sign_in("idva@demo.openmarac.invalid", DEMO_PASSWORD)
    idva.visit(f"/meetings/{meeting.public_id}/cases/{repeat_item.pk}/")
    idva.click("label[for='agree']")
    idva.click_and_check("button:has-text('Sign and continue')")
    idva.click_and_check("button:has-text('Confirm the plan is as safe as possible')")
    chair.visit(f"/meetings/{meeting.public_id}/cases/{repeat_item.pk}/")
    chair.click("label[for='id_close-confirm']")
    chair.click_and_check("button:has-text('Close the case')")
    assert "Case closed for this meeting" in chair.inner_text("main")

    # The second case closes only with a reason, as the Idva has not confirmed.
    other_item = meeting.items.exclude(pk=repeat_item.pk).get()
    chair.visit(f"/meetings/{meeting.public_id}/cases/{other_item.pk}/")
    chair.click("label[for='id_close-confirm']")
    chair.click_and_check("button:has-text('Close the case')")
    assert "record why the case is closed without it" in chair.inner_text(".govuk-error-summary")
    chair.fill("#id_close-reason", "Idva called away; will confirm by phone")
    if chair.locator("#id_close-children_reason").count():
        chair.fill("#id_close-children_reason", "Children’s social care to confirm the dates of birth")
    chair.click_and_check("button:has-text('Close the case')")

    # Minutes: published (a link by email) and downloaded as a PDF.
    coordinator.visit(f"/meetings/{meeting.public_id}/minutes/", screenshot="minutes")
    coordinator.click("label[for='confirm-publish']")
    coordinator.click_and_check("button:has-text('Publish the minutes')")
    with coordinator.page.expect_download() as download:
        coordinator.click("text=Download as PDF")
    pdf = tmp_path / "minutes.pdf"
    download.value.save_as(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "minutes")], check=True)
    assert list(tmp_path.glob("minutes*.png"))

    # Housing completes its action from its actions list.
    housing.visit(f"/maracs/{demo.slug}/actions/")
    housing.click_and_check("text=Offer Rosa a management transfer")
    choose(housing, "id_status_1")
    housing.fill_date("#id_completed_on", date.today())
    housing.fill("#id_note", "Transfer offered and accepted")
    housing.click_and_check("button:has-text('Save update')", screenshot="action")
    assert "Action updated" in housing.inner_text("main")
    assert Action.objects.get(description="Offer Rosa a management transfer").status == "completed"

    # At the next meeting the police action, now overdue, is among the outstanding actions.
    next_meeting = meeting_services.meeting_add(
        by=User.objects.get(email="coordinator@demo.openmarac.invalid"), marac=demo, starts_at=meeting.starts_at + timedelta(days=14)
    )
    coordinator.visit(f"/meetings/{next_meeting.public_id}/run/")
    coordinator.click("label[for='agree']")
    coordinator.click_and_check("button:has-text('Sign and continue')")
    outstanding = coordinator.locator("table").first.inner_text()
    assert "Serve a DVPN" in outstanding and "Open, overdue" in outstanding
    assert "Offer Rosa a management transfer" in outstanding  # completed since the last meeting
