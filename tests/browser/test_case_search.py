"""Finding a case in the browser (issue 12): the coordinator types part of a victim's
name into the search box in the header, reads the results (total, status, Marac) and
opens the case; a one-letter search is explained. Every page axe-clean; screenshots for
docs/referrals.md."""

from openmarac.referrals.models import Case
from openmarac.synthetic.accounts import DEMO_PASSWORD


def test_the_coordinator_finds_a_case_by_name_from_the_header_and_opens_it(new_page, working_demo):
    case = Case.objects.filter(marac=working_demo).select_related("victim").order_by("pk").first()
    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)

    coordinator.fill("#header-search", case.victim.family_name[:4].lower())
    coordinator.click_and_check("form[role=search] button", screenshot="case-search-results")
    main = coordinator.inner_text("main")
    assert "found" in main and case.reference in main and "Northshire Marac" in main
    assert "Showing 1 to" in main

    coordinator.click_and_check(f"main table a:has-text('{case.reference}')")
    assert case.reference in coordinator.inner_text("main")

    # Too short, from the search page's own box: a GOV.UK error, what was typed kept.
    coordinator.visit("/search/")
    coordinator.fill("#id_q", "j")
    coordinator.click_and_check("main button:has-text('Search')", screenshot="case-search-error")
    assert "Enter at least 2 characters of a name or case reference" in coordinator.inner_text(".govuk-error-summary")
    assert coordinator.input_value("#id_q") == "j"

    # A date of birth in the date input.
    if case.victim.date_of_birth:
        coordinator.fill("#id_q", "")
        coordinator.fill_date("#id_date_of_birth", case.victim.date_of_birth)
        coordinator.click_and_check("main button:has-text('Search')")
        assert case.reference in coordinator.inner_text("main")
