"""Journeys of issue 9: a new risk checklist after an incident (risk is dynamic), the
referrer told of the hearing and seeing the outcome written for them, the Idva recording
that the victim was told of the plan, an agency's frontline summary, the referring
agency's own check and the information sharing record."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from openmarac.accounts.models import User
from openmarac.actions import services as action_services
from openmarac.meetings import services as meeting_services
from openmarac.referrals import services as referral_services
from openmarac.risk.definitions import default_definition
from openmarac.risk.models import RiskAssessment
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.referrals import ReferralGenerator

from .referral_form import choose


@pytest.fixture
def demo(transactional_db):
    marac, _ = demo_deployment()
    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@demo.openmarac.invalid")}
    referrer = users["referrer"]
    data = ReferralGenerator(seed=31).referral(marac=marac, referring_agency=referrer.agency, consent=False, review_owner=referrer, children=1)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer)
    return marac, users, referral


def _sign_in(new_page, who):
    page = new_page()
    page.sign_in(f"{who}@demo.openmarac.invalid", DEMO_PASSWORD)
    return page


def test_the_idva_records_a_new_checklist_after_an_incident_and_the_case_shows_risk_over_time(new_page, demo):
    marac, users, referral = demo
    idva = _sign_in(new_page, "idva")
    idva.visit(f"/cases/{referral.case.public_id}/")
    risk = "section[aria-labelledby='risk-over-time']"
    assert "Referral of" in idva.inner_text(risk)
    idva.click_and_check("text=Record a new risk checklist after an incident")
    # A mistake first: what was typed is kept.
    idva.fill("#id_incident_summary", "Police called at 02:00; he broke the door down. Source: PC 4471.")
    idva.click_and_check("button:has-text('Record the new checklist')")
    assert "There is a problem" in idva.inner_text(".govuk-error-summary")
    assert "he broke the door down" in idva.input_value("#id_incident_summary")
    idva.fill_date("#id_incident_on", date.today() - timedelta(days=1))
    # The score moves as answers are ticked, as on the referral form.
    for question in default_definition().questions:
        choose(idva, f"id_checklist-{question.key}__answer_{0 if question.number <= 19 else 1}")
        if question.number == 3:
            assert idva.inner_text("#checklist-score [data-score]") == "3"
    assert idva.inner_text("#checklist-score [data-score]") == "19"
    idva.axe(screenshot="risk-reassessment")
    idva.click_and_check("button:has-text('Record the new checklist')", screenshot="risk-over-time")
    table = idva.inner_text(risk)
    assert "New incident of" in table and "19 of 24" in table and "Visible high risk" in table
    assert idva.locator(f"{risk} svg polyline").count() == 1
    assert RiskAssessment.objects.filter(case=referral.case).count() == 2

    # The referrer may record one too, from their referral, seeing nothing of the case.
    referrer = _sign_in(new_page, "referrer")
    referrer.visit(f"/referrals/{referral.public_id}/")
    referrer.click_and_check("text=record a new risk checklist")
    assert "New risk checklist after an incident" in referrer.inner_text("h1")


def test_the_referrer_is_told_of_the_hearing_and_reads_the_outcome_for_them(new_page, demo):
    marac, users, referral = demo
    coordinator = users["coordinator"]
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    mail.outbox.clear()
    item = meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    listed = [m for m in mail.outbox if m.to == [users["referrer"].email]]
    assert len(listed) == 1 and "listed" in listed[0].subject
    meeting.starts_at = timezone.now() - timedelta(hours=3)
    meeting.save()
    hearing = action_services.hearing_for(item)
    action_services.hearing_save(
        by=coordinator, hearing=hearing, version=hearing.version,
        referrer_summary="Housing will offer a management transfer this week. Tell the tenancy officer to expect the Idva's call.",
    )
    housing = users["housing"]
    action_services.action_add(
        by=coordinator, hearing=hearing, owner_agency=housing.agency, description="Offer a management transfer",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=7),
    )
    action_services.action_add(
        by=coordinator, hearing=hearing, owner_agency=users["childrens"].agency, description="School's designated safeguarding lead to check in daily",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=7),
    )
    mail.outbox.clear()
    action_services.hearing_close(by=coordinator, hearing=hearing, reason="The Idva was on leave", children_reason="Confirmed after the meeting")
    (heard,) = [m for m in mail.outbox if m.to == [users["referrer"].email]]
    assert referral.case.victim.family_name not in heard.body and "management transfer" not in heard.body
    link = re.search(r"http://[^/]+(/referrals/[^\s]+)", heard.body).group(1)

    referrer = _sign_in(new_page, "referrer")
    referrer.visit(link, screenshot="referral-outcome-heard")
    assert "Housing will offer a management transfer this week" in referrer.inner_text("[data-testid='referrer-summary']")

    # The Idva records that it was not safe to tell the victim of the plan yet.
    idva = _sign_in(new_page, "idva")
    idva.visit(f"/idva-referrals/{referral.idva_referral.pk}/")
    assert f"{meeting.title[0].upper()}{meeting.title[1:]}: Not yet recorded" in idva.inner_text("main")  # a line starts with a capital
    idva.click_and_check("text=record whether the victim was told")
    choose(idva, "id_told_1")
    idva.fill("#id_not_told_reason", "He reads her messages; the Idva will see her at the GP surgery on Monday.")
    idva.axe(screenshot="victim-told-of-plan")
    idva.click_and_check("button:has-text('Save')")
    hearing.refresh_from_db()
    assert hearing.victim_told_of_plan is False

    # Housing's frontline summary has its action and the school's for the same household.
    rep = _sign_in(new_page, "housing")
    rep.visit(f"/meetings/{meeting.public_id}/declaration/")
    choose(rep, "agree")
    rep.click_and_check("button:has-text('Sign and continue')")
    rep.visit(f"/meetings/{meeting.public_id}/for-my-agency/", screenshot="frontline-summary")
    body = rep.inner_text("main")
    assert "Offer a management transfer" in body and "School's designated safeguarding lead" in body


def test_the_agency_check_and_the_sharing_record_pages(new_page, demo):
    marac, users, _ = demo
    referrer = users["referrer"]
    link = marac.agency_links.get(agency=referrer.agency)
    link.referrals_checked_by_representative = True
    link.save()
    data = ReferralGenerator(seed=32).referral(marac=marac, referring_agency=referrer.agency, consent=False, review_owner=referrer)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer)
    rep = _sign_in(new_page, "housing")
    rep.click_and_check("text=check a referral from your agency")
    rep.fill("#id_added_information", "Two earlier tenancy moves after incidents, in 2024 and 2025.")
    rep.axe(screenshot="agency-check")
    rep.click_and_check("button:has-text('Send on to the coordinator')")
    referral.agency_check.refresh_from_db()
    assert not referral.agency_check.is_open
    page = _sign_in(new_page, "referrer")
    page.visit(f"/information-sharing/{referral.sharing_decision.pk}/", screenshot="sharing-without-consent")
    assert "Right to life (Human Rights Act, art. 2 & 3)" in page.inner_text("main")
