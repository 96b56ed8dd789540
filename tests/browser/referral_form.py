"""Filling in the referral form as a referrer would, for the browser journeys."""

from openmarac.risk.definitions import default_definition


def choose(page, field_id):
    page.click(f"label[for='{field_id}']")


def fill_person(page, prefix, given, family, dob, relationship=None):
    page.fill(f"#id_{prefix}given_name", given)
    page.fill(f"#id_{prefix}family_name", family)
    page.fill_date(f"#id_{prefix}date_of_birth", dob)
    if relationship:
        page.fill(f"#id_{prefix}relationship_to_victim", relationship)


def answer_checklist(page, yes_numbers, screenshot=None):
    definition = default_definition()
    for page_number in range(3):
        for question in definition.questions[page_number * 8 : page_number * 8 + 8]:
            choose(page, f"id_{question.key}__answer_{0 if question.number in yes_numbers else 1}")
        if page_number == 0 and screenshot:
            page.axe(screenshot=screenshot)
        page.click_and_check("button:has-text('Save and continue')")


def quick_referral(page, *, victim, perpetrator, children=(), yes_numbers=range(1, 16)):
    """A complete referral with consent: victim and perpetrator as (given, family, dob),
    children as (given, family, dob, relationship)."""
    page.click_and_check("text=Your referrals")
    page.click_and_check("text=Make a referral")
    page.click_and_check("button:has-text('Start now')")
    page.fill("#id_referrer_phone", "01632 960123")
    page.click_and_check("button:has-text('Save and continue')")
    fill_person(page, "", *victim)
    page.click_and_check("button:has-text('Save and continue')")
    page.fill("#id_phone", "07700 900456")
    page.click_and_check("button:has-text('Save and continue')")
    fill_person(page, "perpetrator-0-", *perpetrator, relationship="Ex-partner")
    page.click_and_check("button:has-text('Save and continue')")
    for number, (given, family, dob, relationship) in enumerate(children):
        page.click_and_check(f"button:has-text('{'Add a child' if number == 0 else 'Add another child'}')")
        fill_person(page, f"child-{number}-", given, family, dob)
        page.fill(f"#id_child-{number}-relationship_to_victim", relationship)
        page.fill(f"#id_child-{number}-relationship_to_perpetrator", relationship)
    page.click_and_check("button:has-text('Save and continue')")
    answer_checklist(page, set(yes_numbers))
    choose(page, "id_professional_judgement_1")
    page.click_and_check("button:has-text('Save and continue')")
    page.fill("#id_reasons", "Further assault; threats made in front of the children.")
    choose(page, "id_repeat_declared_2")
    page.click_and_check("button:has-text('Save and continue')")
    choose(page, "id_victim_aware_0")
    choose(page, "id_consent_given_0")
    page.click_and_check("button:has-text('Save and continue')")
    page.click_and_check("button:has-text('Send referral')")
    assert "Referral sent" in page.inner_text("h1")


