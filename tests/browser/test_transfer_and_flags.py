"""Issue 15 journeys: a transfer accepted by the receiving coordinator with an action
re-owned, the sending agency told, and a new referral in the sending Marac taking a
reference never used before; a flag confirmed removed and the coordinator's view of
flags; a late high-risk referral added to a published meeting."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from openmarac.accounts.models import Agency, AgencyKind, MaracAgency, Role, User
from openmarac.actions import services as action_services
from openmarac.actions.models import Action
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import AgendaItem
from openmarac.referrals import services as referral_services
from openmarac.referrals.models import Case, CaseTransfer
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment, marac_with_agencies, user_with_role
from openmarac.synthetic.referrals import ReferralGenerator

from .referral_form import quick_referral


def _heard_case(marac, *, seed):
    """A case heard at a published meeting two days ago, with its referral."""
    coordinator = User.objects.get(email="coordinator@demo.openmarac.invalid")
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    data = ReferralGenerator(seed=seed).referral(marac=marac, referring_agency=referrer.agency, children=1)
    data.referred_on = timezone.localdate() - timedelta(days=20)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    meeting.starts_at = timezone.now() - timedelta(days=2)
    meeting.save()
    item = meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    return referral, action_services.hearing_for(item), coordinator


@pytest.fixture
def moving(transactional_db):
    marac, _ = demo_deployment()
    referral, hearing, coordinator = _heard_case(marac, seed=51)
    southvale = marac_with_agencies(name="Southvale Marac", slug="southvale")
    police = Agency.objects.get(name="Northshire Police")
    MaracAgency.objects.get_or_create(marac=southvale, agency=police)  # a force serving both areas
    due = timezone.localdate() + timedelta(days=14)
    flag = action_services.action_add(
        by=coordinator, hearing=hearing, owner_agency=Agency.objects.get(name="Northshire Council Housing"), kind="flag",
        description="Flag the tenancy file", for_whom="victim", due_on=due,
    )
    action_services.action_add(
        by=coordinator, hearing=hearing, owner_agency=police, description="Marker on the address", for_whom="household", due_on=due
    )
    user_with_role(marac=southvale, role=Role.COORDINATOR, agency_kind=AgencyKind.IDVA, email="coordinator@southvale.openmarac.invalid")
    return marac, southvale, referral, flag


def test_a_transfer_accepted_with_actions_reowned_then_a_new_referral_in_the_sending_marac(new_page, moving):
    marac, southvale, referral, flag = moving
    case = referral.case
    sending = new_page()
    sending.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    sending.visit(f"/cases/{case.public_id}/transfer/")
    sending.select_option("#id_to_marac", label="Southvale Marac")
    sending.fill("#id_reason", "The victim has moved to Southvale with her children.")
    sending.click_and_check("button:has-text('Request')")
    transfer = CaseTransfer.objects.get(case=case)

    receiving = new_page()
    receiving.sign_in("coordinator@southvale.openmarac.invalid", DEMO_PASSWORD)
    receiving.visit(f"/transfers/{transfer.pk}/", screenshot="transfer-handover")
    main = receiving.inner_text("main")
    assert "Flag the tenancy file" in main and "Marker on the address" in main
    assert "What Northshire Marac keeps" in main and "audit trail" in main
    receiving.click("label:has-text('Accept the case')")
    receiving.click_and_check("button:has-text('Record decision')")
    assert "Southvale Marac’s agencies takes on this action" in receiving.inner_text(".govuk-error-summary")
    housing_here = Agency.objects.get(name="Southvale Council Housing")
    receiving.select_option(f"#id_action_{flag.pk}", value=str(housing_here.pk))
    receiving.click("label:has-text('Accept the case')")
    receiving.click_and_check("button:has-text('Record decision')")
    assert "open safety work" in receiving.inner_text("main")
    assert Action.objects.get(pk=flag.pk).status == Action.Status.TRANSFERRED
    assert Action.objects.filter(case=case, owner_agency=housing_here, status="open").exists()

    # Northshire Housing sees which of its actions ended, and why.
    housing = new_page()
    housing.sign_in("housing@demo.openmarac.invalid", DEMO_PASSWORD)
    housing.visit(f"/maracs/{marac.slug}/actions/")
    ended = housing.inner_text("#ended-with-transfer ~ table")
    assert "Flag the tenancy file" in ended and "Transferred to Southvale Marac" in ended

    # The sending Marac goes on taking referrals, each with a reference never used before.
    referrer = new_page()
    referrer.sign_in("referrer@demo.openmarac.invalid", DEMO_PASSWORD)
    quick_referral(referrer, victim=("Nadia", "Okafor", date(1991, 3, 9)), perpetrator=("Lee", "Varney", date(1989, 7, 1)))
    newest = Case.objects.filter(marac=marac).order_by("-pk").first()
    assert newest.reference != case.reference
    references = list(Case.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references))


@pytest.fixture
def flagged(transactional_db):
    marac, _ = demo_deployment()
    referral, hearing, coordinator = _heard_case(marac, seed=52)
    housing = Agency.objects.get(name="Northshire Council Housing")
    flag = action_services.action_add(
        by=coordinator, hearing=hearing, owner_agency=housing, kind="flag", description="Flag the tenancy file",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=3), flag_expires_on=timezone.localdate() + timedelta(days=10),
        flag_short_reason="Agreed at the meeting: the victim leaves the tenancy next week",
    )
    return marac, flag


def test_a_flag_confirmed_removed_and_the_coordinators_view_of_flags(new_page, flagged):
    marac, flag = flagged
    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    coordinator.visit(f"/maracs/{marac.slug}/actions/")
    coordinator.click_and_check("text=Flags on agency files: due, overdue and confirmed removed", screenshot="flags-due")
    assert "Flag the tenancy file" in coordinator.inner_text("table") and "Due to come off (1)" in coordinator.inner_text("main")

    housing = new_page()
    housing.sign_in("housing@demo.openmarac.invalid", DEMO_PASSWORD)
    housing.visit(f"/actions/{flag.pk}/")
    housing.click_and_check("button:has-text('Flag removed from our files')", screenshot="flag-removed")
    assert "the flag has been removed" in housing.inner_text("main")

    coordinator.visit(f"/maracs/{marac.slug}/flags/?show=confirmed")
    table = coordinator.inner_text("table")
    assert "Flag the tenancy file" in table and "Removed, confirmed by" in table
    coordinator.visit(f"/maracs/{marac.slug}/flags/?show=overdue")


@pytest.fixture
def late(transactional_db):
    marac, _ = demo_deployment()
    coordinator = User.objects.get(email="coordinator@demo.openmarac.invalid")
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    generator = ReferralGenerator(seed=53)
    listed = referral_services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency), by=referrer, notify_agencies=False)
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=4))
    meeting_services.referral_list(by=coordinator, referral=listed, meeting=meeting)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    urgent = referral_services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency), by=referrer, notify_agencies=False)
    return marac, meeting, urgent


def test_a_late_high_risk_referral_added_to_a_published_meeting(new_page, late):
    marac, meeting, urgent = late
    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    coordinator.visit(f"/maracs/{marac.slug}/listing/", screenshot="late-listing")
    coordinator.select_option(f"#late-{urgent.public_id}", value=str(meeting.public_id))
    coordinator.click_and_check(f"button:has-text('Add late case {urgent.case.reference}')")
    assert "added late to the meeting" in coordinator.inner_text("main")
    assert AgendaItem.objects.get(referral=urgent).added_late

    housing = new_page()
    housing.sign_in("housing@demo.openmarac.invalid", DEMO_PASSWORD)
    housing.visit(f"/meetings/{meeting.public_id}/declaration/")
    housing.click("label[for='agree']")
    housing.click_and_check("button:has-text('Sign and continue')")
    housing.visit(f"/meetings/{meeting.public_id}/")
    assert "Added late, after the case list was sent" in housing.inner_text("main")
    housing.visit(f"/meetings/{meeting.public_id}/research/")
    assert "Added late" in housing.inner_text("main")


@pytest.fixture
def listed_then_moved(transactional_db):
    """A case listed for Northshire's meeting in three weeks, not yet heard, and a
    subject access request about its victim; Southvale has a meeting to list it for."""
    from openmarac.records import services as record_services

    marac, _ = demo_deployment()
    coordinator = User.objects.get(email="coordinator@demo.openmarac.invalid")
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    data = ReferralGenerator(seed=53).referral(marac=marac, referring_agency=referrer.agency, children=0)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    at_ten = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=at_ten + timedelta(days=21))
    meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    sar = record_services.sar_record(by=coordinator, marac=marac, person=referral.case.victim, received_on=timezone.localdate())
    southvale = marac_with_agencies(name="Southvale Marac", slug="southvale")
    receiving = user_with_role(marac=southvale, role=Role.COORDINATOR, agency_kind=AgencyKind.IDVA, email="coordinator@southvale.openmarac.invalid")
    meeting_services.meeting_add(by=receiving, marac=southvale, starts_at=at_ten + timedelta(days=14))
    transfer = CaseTransfer.objects.create(
        case=referral.case, from_marac=marac, to_marac=southvale, reason="The victim has moved to Southvale", requested_by=coordinator
    )
    return marac, southvale, referral, meeting, transfer, sar


def test_a_listed_case_that_moves_is_listed_by_the_receiving_marac_and_the_request_says_where_it_went(new_page, listed_then_moved):
    marac, southvale, referral, meeting, transfer, sar = listed_then_moved
    receiving = new_page()
    receiving.sign_in("coordinator@southvale.openmarac.invalid", DEMO_PASSWORD)
    receiving.visit(f"/transfers/{transfer.pk}/")
    assert "Listed, not yet heard" in receiving.inner_text("main")
    receiving.click("label:has-text('Accept the case')")
    receiving.click_and_check("button:has-text('Record decision')")
    assert not AgendaItem.objects.filter(meeting=meeting).exists()

    # The receiving coordinator finds it awaiting listing, and lists it.
    receiving.visit(f"/maracs/{southvale.slug}/listing/")
    assert referral.case.reference in receiving.inner_text("table")
    receiving.click_and_check("button:has-text('List for this meeting')")
    assert AgendaItem.objects.filter(referral=referral, meeting__marac=southvale).exists()

    # The sending coordinator's subject access request says where the records went.
    sending = new_page()
    sending.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    sending.visit(f"/subject-access/{sar.pk}/", screenshot="subject-access-moved")
    assert f"Moved to Southvale Marac on {timezone.localdate():%-d %B %Y}" in sending.inner_text("main")
