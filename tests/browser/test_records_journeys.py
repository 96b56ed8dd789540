"""The coordinator's governance of records: a subject access request from the home
page to its bundle, a correction shown in the case history, and the confidentiality
audit with an exception marked as reviewed. Every page is checked with axe-core."""

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from openmarac.accounts.models import User
from openmarac.audit import services as audit
from openmarac.audit.models import ExceptionReview
from openmarac.people.services import PersonData
from openmarac.records.models import Correction, SubjectAccessRequest
from openmarac.referrals import services as referral_services
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.referrals import ReferralGenerator

COORDINATOR = "coordinator@demo.openmarac.invalid"


@pytest.fixture
def world(transactional_db):
    marac, _ = demo_deployment()
    referrer = User.objects.get(email="referrer@demo.openmarac.invalid")
    victim = PersonData(given_name="Rosalind", family_name="Featherstonehaugh", date_of_birth=timezone.localdate().replace(year=1984), gender="Female")
    data = ReferralGenerator(seed=43).referral(marac=marac, referring_agency=referrer.agency, children=1, victim=victim)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    return marac, referral


def test_subject_access_request_to_bundle_and_a_correction(new_page, world, tmp_path):
    marac, referral = world
    page = new_page()
    page.sign_in(COORDINATOR, DEMO_PASSWORD)
    page.click_and_check("a:has-text('Subject access requests')")
    page.click_and_check("a:has-text('Record a subject access request')")

    # Bad input: a clear message, and what was typed is kept.
    page.fill("#id_requester_name", "Rosalind F")
    page.fill_date("#id_received_on", None)
    page.click_and_check("button:has-text('Record the request')")
    assert "There is a problem" in page.inner_text(".govuk-error-summary")
    assert page.input_value("#id_requester_name") == "Rosalind F"

    received = timezone.localdate() - timedelta(days=2)
    page.fill_date("#id_received_on", received)
    page.click_and_check("button:has-text('Record the request')", screenshot="subject-access-request")
    sar = SubjectAccessRequest.objects.get()
    assert f"response is due by {sar.due_on:%-d %B %Y}" in page.inner_text(".govuk-notification-banner, main")

    page.fill("#q", "featherstone")
    page.click_and_check("main button:has-text('Search')")
    page.click_and_check("button:has-text('Link')")
    sar.refresh_from_db()
    assert sar.person == referral.case.victim

    with page.expect_download() as download:
        page.click("a:has-text('Download the bundle as JSON')")
    bundle = json.loads(Path(download.value.path()).read_text())
    assert bundle["records"][0]["family_name"] == "Featherstonehaugh"
    assert all(other["review"] for other in bundle["referrals"][0]["other_people"])
    with page.expect_download() as download:
        page.click("a:has-text('Download the bundle as PDF')")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    page.visit("/")
    assert f"response due {sar.due_on:%-d %B %Y}" in page.inner_text("main")
    page.click_and_check(f"a:has-text('Subject access request received')")
    page.fill_date("#id_completed_on", timezone.localdate())
    page.click_and_check("button:has-text('Mark as done')")
    page.visit("/")
    assert "Subject access request received" not in page.inner_text("main")

    # A correction, recorded with who and why, in the case history.
    page.visit(f"/cases/{referral.case.public_id}/")
    page.click_and_check("a:has-text('correct details') >> nth=0", screenshot="correct-details")
    page.fill("#id_family_name", "Featherstone")
    page.fill("#id_reason", "Told the Idva her name is spelt differently")
    page.click_and_check("button:has-text('Save the correction')")
    assert "Told the Idva her name is spelt differently" in page.inner_text("main")
    assert Correction.objects.get().old_value == "Featherstonehaugh"


def test_confidentiality_audit_and_an_exception_reviewed(new_page, world):
    marac, referral = world
    chair = User.objects.get(email="chair@demo.openmarac.invalid")
    housing = User.objects.get(email="housing@demo.openmarac.invalid")
    yesterday = timezone.localdate() - timedelta(days=1)
    late = datetime.combine(yesterday, time(22, 30), tzinfo=ZoneInfo("Europe/London"))
    with mock.patch("openmarac.audit.services.timezone.now", return_value=late):
        audit.record(action=audit.Action.VIEWED, actor=chair, obj=referral.case, marac=marac)
    audit.record(action=audit.Action.VIEWED, actor=housing, obj=referral.case, marac=marac)

    page = new_page()
    page.sign_in(COORDINATOR, DEMO_PASSWORD)
    page.click_and_check("a:has-text('Confidentiality audit')", screenshot="confidentiality-by-user")
    assert chair.email in page.inner_text("main")
    page.click_and_check(f"a:has-text('{chair.email}')")
    assert f"Case {referral.case.reference}" in page.inner_text("main")
    page.click_and_check("a:has-text('Views by agency')")
    assert str(housing.agency) in page.inner_text("main")

    # A bad period is explained, not an error page.
    page.fill_date("#id_start", date(2026, 3, 10))
    page.fill_date("#id_end", date(2026, 3, 1))
    page.click_and_check("button:has-text('Show')")
    assert "must be on or before" in page.inner_text(".govuk-error-summary")

    page.click_and_check("a:has-text('Exceptions')", screenshot="confidentiality-exceptions")
    assert "Views outside working hours" in page.inner_text("main")
    page.click_and_check("a:has-text('Mark as reviewed') >> nth=0")
    page.click_and_check("button:has-text('Mark as reviewed')")
    assert "Enter what you found" in page.inner_text(".govuk-error-summary")
    page.fill("#id_note", "The chair was on call that night")
    page.click_and_check("button:has-text('Mark as reviewed')")
    assert "The chair was on call that night" in page.inner_text("main")
    assert ExceptionReview.objects.get().reviewed_by.email == COORDINATOR
