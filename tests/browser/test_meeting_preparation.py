"""The coordinator lists three referrals (one flagged: over six weeks) and publishes the
case list; two representatives sign the declaration and return research (one "no
trace"); the matrix shows who is missing; the PDF downloads and renders."""

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from openmarac.accounts.models import Agency, User
from openmarac.meetings.models import AgendaItem
from openmarac.referrals.services import referral_record
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.referrals import ReferralGenerator


@pytest.fixture
def demo(transactional_db):
    marac, accounts = demo_deployment()
    generator = ReferralGenerator(seed=5)
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    police = Agency.objects.get(kind="police")
    for days_ago, children in [(40, 1), (3, 0), (2, 2)]:
        data = generator.referral(marac=marac, referring_agency=police, referred_on=timezone.localdate() - timedelta(days=days_ago), children=children)
        referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    return marac


def _sign_declaration(page):
    assert "Confidentiality declaration" in page.inner_text("h1")
    page.click("label[for='agree']")
    page.click_and_check("button:has-text('Sign and continue')")


def test_listing_publication_research_and_the_pdf(new_page, demo, tmp_path):
    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    coordinator.click_and_check("a:has-text('Meetings') >> nth=0")
    coordinator.click_and_check("button:has-text('Add meetings from the pattern')", screenshot="meetings")
    coordinator.click_and_check("text=Referrals awaiting listing")
    body = coordinator.inner_text("main")
    assert body.count("past its six-week target") == 1
    coordinator.axe(screenshot="listing")
    coordinator.click_and_check("button:has-text('List all as proposed')")
    assert "3 cases listed as proposed" in coordinator.inner_text("main")

    meeting = AgendaItem.objects.select_related("meeting").first().meeting
    assert meeting.items.count() == 3
    coordinator.visit(f"/meetings/{meeting.public_id}/")
    _sign_declaration(coordinator)
    assert "Heard more than 6 weeks after referral" in coordinator.inner_text("main")
    coordinator.click_and_check("button:has-text('Publish the case list')", screenshot="case-list")
    assert "Case list published" in coordinator.inner_text("main")

    housing = new_page()
    housing.sign_in("housing@demo.openmarac.invalid", DEMO_PASSWORD)
    housing.click_and_check("text=Research for the meeting of")
    _sign_declaration(housing)
    housing.click_and_check("a:has-text('Case ') >> nth=0", screenshot="research-form")
    housing.fill("#id_last_contact", "Tenancy officer visit on 10 November")
    housing.fill("#id_facts", "Two reports of noise and shouting from neighbours")
    housing.fill("#id_professional_opinion", "The victim seemed frightened to speak at the door")
    housing.click_and_check("button:has-text('Return research')")
    assert "Research returned" in housing.inner_text("main")

    childrens = new_page()
    childrens.sign_in("childrens@demo.openmarac.invalid", DEMO_PASSWORD)
    childrens.click_and_check("text=Research for the meeting of")
    _sign_declaration(childrens)
    childrens.click_and_check("a:has-text('Case ') >> nth=0")
    childrens.check("#confirm_no_trace")
    childrens.click_and_check("button:has-text('Record no trace')")
    assert "holds no information" in childrens.inner_text("main")

    coordinator.visit(f"/meetings/{meeting.public_id}/research/", screenshot="research-matrix")
    first_case = coordinator.locator("thead th").nth(1).inner_text()
    assert first_case
    def cell(agency_kind_name):
        return coordinator.locator(f"tr[data-agency='{agency_kind_name}'] td").first.get_attribute("data-status")
    assert cell("Northshire Council Housing") == "returned"
    assert cell("Northshire Children’s Social Care") == "no_trace"
    # Asked, and the research deadline not yet passed.
    assert cell("Northshire Police") == "awaited"

    coordinator.visit(f"/meetings/{meeting.public_id}/register/", screenshot="register")
    coordinator.select_option(f"#id_agency-{Agency.objects.get(kind='housing').pk}-status", "present")
    coordinator.click_and_check("button:has-text('Save register')")
    assert "Register saved" in coordinator.inner_text("main")

    coordinator.visit(f"/meetings/{meeting.public_id}/")
    with coordinator.page.expect_download() as download_info:
        coordinator.click("text=Download the case list (PDF)")
    pdf = tmp_path / "case-list.pdf"
    download_info.value.save_as(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    assert png.stat().st_size > 5000
