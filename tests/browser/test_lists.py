"""Issue 12 lists, in the browser: the coordinator's list of every action with its
reminders, the queue of possible matches, the listing page's six-week targets and the
chair's home page, on the demo Marac (axe-clean, screenshots)."""

from openmarac.synthetic.accounts import DEMO_PASSWORD


def test_the_coordinator_chases_actions_and_works_the_match_queue(new_page, working_demo):
    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    coordinator.visit("/", screenshot="home-coordinator-working-marac")
    coordinator.click_and_check("text=All actions and the chase list", screenshot="all-actions-overdue")
    assert "Overdue (" in coordinator.inner_text("main") and "Idva to be single point of contact" in coordinator.inner_text("main")
    coordinator.click_and_check("button:has-text('Remind') >> nth=1")
    assert "Reminder sent to" in coordinator.inner_text("main")
    coordinator.click_and_check("button:has-text('Remind agency') >> nth=0")
    assert "Reminder sent to" in coordinator.inner_text("main") or "already reminded" in coordinator.inner_text("main")
    coordinator.click_and_check("text=Recently completed", screenshot="all-actions-completed")
    assert "Fit new locks" in coordinator.inner_text("main")
    coordinator.click_and_check("nav[aria-label='Actions by state'] >> text=All actions")
    coordinator.click("summary:has-text('Filter')")
    coordinator.select_option("#id_status", value="not_possible")
    coordinator.click_and_check("button:has-text('Apply filters')", screenshot="all-actions-filtered")
    assert "perpetrator programme" in coordinator.inner_text("main") and "Fit new locks" not in coordinator.inner_text("main")

    coordinator.visit("/")
    coordinator.click_and_check("text=possible matches to confirm or reject", screenshot="match-queue")
    assert "Showing 1 to 1 of 1 referrals with possible matches" in coordinator.inner_text("main")
    coordinator.click_and_check("main table a >> nth=0")
    assert "Possible matches with people already known" in coordinator.inner_text("main")

    coordinator.visit(f"/maracs/{working_demo.slug}/listing/", screenshot="listing-six-weeks")
    assert "days left" in coordinator.inner_text("main")
    coordinator.visit(f"/maracs/{working_demo.slug}/meetings/", screenshot="meetings-generate")
    assert "Date of the first new meeting" in coordinator.inner_text("main")


def test_the_chair_sees_the_next_meeting_on_the_home_page(new_page, working_demo):
    chair = new_page()
    chair.sign_in("chair@demo.openmarac.invalid", DEMO_PASSWORD)
    chair.visit("/", screenshot="home-chair-working-marac")
    assert "Next: the meeting of" in chair.inner_text("main")
    chair.click_and_check("text=All actions", screenshot="all-actions-chair")
    assert "Remind" not in chair.inner_text("main table")
