"""Children from the referral to the plan: an unborn child and a child whose date of
birth is not known, the checklist score as it is ticked, the check page's headline,
the chair confirming the children, and one action for both children."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from openmarac.accounts.models import Agency, User
from openmarac.actions.models import Action, ForWhom
from openmarac.meetings import services as meeting_services
from openmarac.referrals.models import Referral
from openmarac.risk.definitions import default_definition
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment

from .referral_form import choose, fill_person


@pytest.fixture
def demo(transactional_db):
    marac, _ = demo_deployment()
    return marac


def _refer(referrer, expected):
    referrer.click_and_check("text=Your referrals")
    referrer.click_and_check("text=Make a referral")
    referrer.click_and_check("button:has-text('Start now')")
    referrer.fill("#id_referrer_phone", "01632 960123")
    referrer.click_and_check("button:has-text('Save and continue')")
    fill_person(referrer, "", "Kerry", "Marsh", date(1995, 1, 20))
    referrer.click_and_check("button:has-text('Save and continue')")
    referrer.fill("#id_phone", "07700 900777")
    referrer.click_and_check("button:has-text('Save and continue')")
    fill_person(referrer, "perpetrator-0-", "Dean", "Marsh", date(1990, 5, 5), "Husband")
    referrer.click_and_check("button:has-text('Save and continue')")

    # An unborn child with no name yet, then a child whose date of birth is not known.
    referrer.click_and_check("button:has-text('Add a child')")
    referrer.fill("#id_child-0-family_name", "Marsh")
    choose(referrer, "id_child-0-birth_2")
    referrer.fill_date("#id_child-0-expected_birth_on", expected)
    referrer.fill("#id_child-0-relationship_to_victim", "Unborn child")
    referrer.fill("#id_child-0-relationship_to_perpetrator", "Unborn child")
    referrer.click_and_check("button:has-text('Add another child')")
    referrer.fill("#id_child-1-given_name", "Alfie")
    referrer.fill("#id_child-1-family_name", "Marsh")
    choose(referrer, "id_child-1-birth_1")
    referrer.fill("#id_child-1-relationship_to_victim", "Son")
    referrer.fill("#id_child-1-relationship_to_perpetrator", "Stepson")
    referrer.fill("#id_child-1-gp", "Riverside Surgery")
    referrer.click("label[for='id_child-1-details_unreliable']")
    # A third child added by mistake is removed again; the others keep their answers.
    referrer.click_and_check("button:has-text('Add another child')")
    referrer.click_and_check("button:has-text('Remove child 3')")
    assert referrer.input_value("#id_child-1-gp") == "Riverside Surgery"
    referrer.axe(screenshot="referral-children-unborn")
    referrer.click_and_check("button:has-text('Save and continue')")

    # The checklist: the score moves as answers are ticked.
    definition = default_definition()
    for page_number in range(3):
        for question in definition.questions[page_number * 8 : page_number * 8 + 8]:
            choose(referrer, f"id_{question.key}__answer_{0 if question.number <= 15 else 1}")
            if page_number == 0 and question.number == 3:
                assert referrer.inner_text("#checklist-score [data-score]") == "3"
        referrer.click_and_check("button:has-text('Save and continue')")
    choose(referrer, "id_professional_judgement_1")
    referrer.click_and_check("button:has-text('Save and continue')")
    referrer.fill("#id_reasons", "Assault while pregnant; threats in front of Alfie.")
    choose(referrer, "id_repeat_declared_2")
    referrer.click_and_check("button:has-text('Save and continue')")
    choose(referrer, "id_victim_aware_0")
    choose(referrer, "id_consent_given_0")
    referrer.click_and_check("button:has-text('Save and continue')", screenshot="referral-check-headline")
    glance = referrer.inner_text("main").split("The referral at a glance", 1)[1].split("About you and your agency", 1)[0]
    assert "15 of 24" in glance and "Visible high risk" in glance and "consented" in glance
    referrer.click_and_check("button:has-text('Send referral')")


def test_an_unborn_child_and_a_child_without_a_date_of_birth_through_to_the_plan(new_page, demo):
    expected = timezone.localdate() + timedelta(days=120)
    referrer = new_page()
    referrer.sign_in("referrer@demo.openmarac.invalid", DEMO_PASSWORD)
    _refer(referrer, expected)
    referral = Referral.objects.filter(status="awaiting_listing").latest("submitted_at")

    coordinator = User.objects.get(email="coordinator@demo.openmarac.invalid")
    meeting = meeting_services.meeting_add(by=coordinator, marac=demo, starts_at=timezone.now() + timedelta(days=10))
    item = meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    meeting.starts_at = timezone.now() - timedelta(minutes=30)
    meeting.save()

    chair = new_page()
    chair.sign_in("chair@demo.openmarac.invalid", DEMO_PASSWORD)
    chair.visit(f"/cases/{referral.case.public_id}/")
    case_page = chair.inner_text("main")
    assert f"Unborn, expected {expected:%m/%Y}" in case_page and "GP: Riverside Surgery" in case_page
    assert "Details may be unreliable" in case_page
    chair.axe(screenshot="case-children-unborn")

    chair.visit(f"/meetings/{meeting.public_id}/cases/{item.pk}/")
    chair.click("label[for='agree']")
    chair.click_and_check("button:has-text('Sign and continue')")
    # Closing before the children are confirmed asks for the confirmation or a reason.
    chair.check("#id_close-confirm")
    chair.click_and_check("button:has-text('Close the case')")
    assert "has not confirmed the number of children" in chair.inner_text(".govuk-error-summary")
    choose(chair, "id_children-confirmed_1")
    chair.fill("#id_children-corrections", "Alfie’s date of birth is 3 March 2022 (children’s social care records)")
    chair.click_and_check("button:has-text('Confirm the children')")
    assert "Confirmed with corrections" in chair.inner_text("main")

    # One action for both children.
    csc = Agency.objects.filter(kind="childrens_social_care", marac_links__marac=demo).first()
    chair.fill("#id_action-description", "Visit the family and seek Alfie’s views; pre-birth assessment for the unborn child")
    chair.select_option("#id_action-owner_agency", label=csc.name)
    choose(chair, f"id_action-for_whom_{[value for value, _ in ForWhom.choices].index(ForWhom.CHILD)}")
    choose(chair, "id_action-children_0")
    choose(chair, "id_action-children_1")
    chair.fill_date("#id_action-due_on", timezone.localdate() + timedelta(days=7))
    chair.click_and_check("button:has-text('Add action')", screenshot="hearing-children")
    action = Action.objects.get(hearing__item=item)
    assert action.children.count() == 2
    plan = chair.inner_text("main")
    assert f"Children: Unborn Marsh (unborn, expected {expected:%m/%Y}), Alfie Marsh (date of birth unknown)" in plan
    assert "There are children but no children’s social care action" not in plan
