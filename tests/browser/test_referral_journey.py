"""A housing officer refers a victim with children, without consent; the coordinator,
the Idva service and children's social care each see what they must act on."""

from datetime import date, timedelta

import pytest

from openmarac.referrals.models import Referral
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment

from .referral_form import answer_checklist, choose, fill_person

YES_QUESTIONS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}  # 15 "yes": visible high risk


@pytest.fixture
def demo(transactional_db):
    return demo_deployment()


def test_housing_referral_with_children_without_consent(new_page, demo, mailoutbox):
    referrer = new_page()
    referrer.sign_in("referrer@demo.openmarac.invalid", DEMO_PASSWORD)
    referrer.click_and_check("text=Your referrals")
    referrer.click_and_check("text=Make a referral", screenshot="referral-start")
    referrer.click_and_check("button:has-text('Start now')")

    # About you: prefilled from the account.
    referrer.fill("#id_referrer_phone", "01632 960123")
    referrer.click_and_check("button:has-text('Save and continue')", screenshot="referral-victim")

    # The victim: a mistake first (date of birth in the future) keeps what was typed.
    fill_person(referrer, "", "Amelia", "Hartley", date.today() + timedelta(days=2))
    referrer.fill("#id_address_line_1", "Flat 2, 14 Hidden Lane")
    referrer.fill("#id_postcode", "NS1 4AB")
    referrer.click("label[for='id_address_sealed']")
    referrer.click_and_check("button:has-text('Save and continue')")
    assert "The date of birth cannot be in the future" in referrer.inner_text(".govuk-error-summary")
    assert referrer.input_value("#id_family_name") == "Hartley"
    referrer.fill_date("#id_date_of_birth", date(1990, 4, 3))
    choose(referrer, "id_racially_minoritised_1")
    referrer.click_and_check("button:has-text('Save and continue')")

    # Safe contact.
    referrer.fill("#id_phone", "07700 900123")
    choose(referrer, "id_phone_safe_to_call_0")
    referrer.fill("#id_phone_safe_times", "Weekdays 10am to 2pm")
    referrer.click("label[for='id_phone_sealed']")
    referrer.click_and_check("button:has-text('Save and continue')")

    # Perpetrator.
    fill_person(referrer, "perpetrator-0-", "Darren", "Hartley", date(1987, 9, 12), "Husband")
    referrer.click_and_check("button:has-text('Save and continue')")

    # Children: two, the second added with "Add a child".
    referrer.click_and_check("button:has-text('Add a child')")
    fill_person(referrer, "child-0-", "Lily", "Hartley", date.today() - timedelta(days=365 * 6))
    referrer.fill("#id_child-0-relationship_to_victim", "Daughter")
    referrer.fill("#id_child-0-relationship_to_perpetrator", "Daughter")
    referrer.fill("#id_child-0-school", "Northshire Primary")
    referrer.click_and_check("button:has-text('Add another child')")
    fill_person(referrer, "child-1-", "Noah", "Hartley", date.today() - timedelta(days=365 * 3))
    referrer.fill("#id_child-1-relationship_to_victim", "Son")
    referrer.fill("#id_child-1-relationship_to_perpetrator", "Son")
    referrer.axe(screenshot="referral-children")
    referrer.click_and_check("button:has-text('Save and continue')")

    # The checklist, page by page.
    answer_checklist(referrer, YES_QUESTIONS, screenshot="referral-checklist")
    assert "15" in referrer.inner_text(".govuk-inset-text")

    # Professional judgement (not needed: the score meets the threshold).
    choose(referrer, "id_professional_judgement_1")
    referrer.click_and_check("button:has-text('Save and continue')")
    referrer.fill("#id_reasons", "Assault last weekend in front of the children; threats to kill.")
    referrer.fill("#id_police_incidents_last_12_months", "4")
    referrer.fill_date("#id_disclosed_on", date.today() - timedelta(days=6))
    choose(referrer, "id_repeat_declared_1")
    referrer.click_and_check("button:has-text('Save and continue')")

    # No consent: the sharing-without-consent record follows.
    choose(referrer, "id_victim_aware_1")
    referrer.fill("#id_victim_not_aware_reason", "Telling her now could alert him.")
    choose(referrer, "id_consent_given_1")
    referrer.fill("#id_victim_afraid_of", "Darren and his brother")
    referrer.click_and_check("button:has-text('Save and continue')", screenshot="referral-sharing")
    for field, text in [
        ("who_at_risk", "Lena and her two children"), ("at_risk_from", "Her ex-partner, Darren"),
        ("risk_concerns", "Threats to kill; strangulation last month"), ("immediate_risks", "He is released on bail on Friday"),
        ("incident_details", "Assault last weekend in front of the children"), ("incident_source", "Police officer attending"),
        ("balancing_comments", "Risk to life outweighs confidentiality."), ("internal_consultations", "Team manager, 3 March: share"),
        ("shared_information", "Referral and risk checklist"),
    ]:
        referrer.fill(f"#id_{field}", text)
    choose(referrer, "id_protocol_applies_1")
    referrer.click("label[for='id_legal_grounds_0']")
    referrer.click("label[for='id_legal_grounds_7']")  # right to life, its own ground
    referrer.click("label[for='id_balancing_0']")
    referrer.click("label[for='id_balancing_1']")
    choose(referrer, "id_client_notified_1")
    referrer.fill("#id_client_not_notified_reason", "It could alert the perpetrator.")
    referrer.fill_date("#id_review_on", (date.today() + timedelta(days=28)))
    referrer.select_option("#id_review_owner", label=referrer_name(demo))
    referrer.fill("#id_caseworker_name", "Sam Caseworker")
    referrer.fill_date("#id_caseworker_signed_on", date.today())
    referrer.fill("#id_manager_name", "Jo Manager")
    referrer.fill_date("#id_manager_signed_on", date.today())
    referrer.fill_date("#id_shared_on", date.today())
    referrer.fill("#id_shared_authority", "Prevention of crime; vital interests")
    referrer.click_and_check("button:has-text('Save and continue')", screenshot="referral-check")

    assert "Check your answers" in referrer.inner_text("h1")
    referrer.click_and_check("button:has-text('Send referral')", screenshot="referral-sent")
    assert "Referral sent" in referrer.inner_text("h1")
    referral = Referral.objects.get(status=Referral.Status.AWAITING_LISTING)
    assert referral.criteria_labels == ["Visible high risk", "Potential escalation"]
    assert referral.children_count == 2 and referral.consent_given is False
    assert referral.disclosed_on == date.today() - timedelta(days=6)
    assert referral.sharing_decision.legal_grounds == ["prevention_detection_of_crime", "right_to_life"]
    assert referral.sharing_decision.incident_source == "Police officer attending"

    # The coordinator is told and sees the case, sealed details included.
    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    coordinator.click_and_check("text=1 referral awaiting listing")
    coordinator.click_and_check(f"text={referral.case.reference}", screenshot="case")
    body = coordinator.inner_text("main")
    assert "Flat 2, 14 Hidden Lane" in body and "07700 900123" in body
    assert "Visible high risk, Potential escalation" in body

    # The Idva service sees the Idva referral on its home page.
    idva = new_page()
    idva.sign_in("idva@demo.openmarac.invalid", DEMO_PASSWORD)
    idva.click_and_check(f"text=Idva referral {referral.case.reference}", screenshot="idva-referral")
    idva.fill("#id_note", "No answer; no message left as not safe.")
    choose(idva, "id_method_0")
    choose(idva, "id_outcome_1")
    idva.click_and_check("button:has-text('Record attempt')")
    assert "Contact attempt recorded" in idva.inner_text("main")
    # First contact made: the referral leaves the home page's list of work, and the Idva
    # finds it again through the service's open Idva referrals and through the case.
    choose(idva, "id_method_0")
    choose(idva, "id_outcome_0")
    idva.select_option("#id_status", "in_contact")
    idva.click_and_check("button:has-text('Record attempt')")
    assert "In contact" in idva.inner_text("main")
    idva.visit("/")
    assert f"Idva referral {referral.case.reference}" not in idva.inner_text("main")
    idva.click_and_check("text=Your Idva service’s open Idva referrals", screenshot="idva-referrals")
    assert "Open Idva referrals" in idva.inner_text("h1")
    idva.click_and_check(f"text=Idva referral {referral.case.reference}")
    assert f"Idva referral {referral.case.reference}" in idva.inner_text("h1")
    idva.visit(f"/cases/{referral.case.public_id}/")
    idva.click_and_check("text=Contact attempts and first contact")
    assert f"Idva referral {referral.case.reference}" in idva.inner_text("h1")

    # Children's social care confirms its referral; it does not see sealed details.
    childrens = new_page()
    childrens.sign_in("childrens@demo.openmarac.invalid", DEMO_PASSWORD)
    childrens.click_and_check("text=confirm the children’s social care referral", screenshot="children-prompt")
    choose(childrens, "id_outcome_0")
    childrens.click_and_check("button:has-text('Confirm')")
    childrens.visit(f"/cases/{referral.case.public_id}/")
    body = childrens.inner_text("main")
    assert "Flat 2, 14 Hidden Lane" not in body and "07700 900123" not in body
    assert "Sealed: shown only to the coordinator and the Idva" in body

    # Every email was a notification without personal data.
    for message in mailoutbox:
        for secret in ["Amelia", "Hartley", "Darren", "Lily", "Hidden Lane", "07700"]:
            assert secret not in message.body


def referrer_name(demo):
    marac, accounts = demo
    return next(a.name for a in accounts if a.email.startswith("referrer@"))
