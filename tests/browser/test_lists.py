"""Issue 12 lists, in the browser: the coordinator's list of every action with its
reminders, the queue of possible matches, the listing page's six-week targets and the
chair's home page, on the demo Marac (axe-clean, screenshots)."""

from django.utils import timezone

from openmarac.accounts.models import User
from openmarac.meetings import services as meeting_services
from openmarac.referrals.models import MatchCandidate, Referral
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

    # Each possible match says which case the known person is in; once that case is on
    # an agenda, the match says for which meeting.
    candidate = MatchCandidate.objects.filter(referral__marac=working_demo, decision="pending").first()
    earlier = Referral.objects.get(marac=working_demo, case__victim_id=candidate.candidate_id)
    coordinator.visit("/")
    coordinator.click_and_check("text=possible matches to confirm or reject", screenshot="match-queue")
    assert "Showing 1 to 1 of 1 referrals with possible matches" in coordinator.inner_text("main")
    assert f"In case {earlier.case.reference}, open, not yet listed" in coordinator.inner_text("main")
    item = meeting_services.referral_list(by=User.objects.get(email="coordinator@demo.openmarac.invalid"), referral=earlier)
    coordinator.click_and_check("main table a >> nth=0", screenshot="match-known-case")
    listed_for = f"in case {earlier.case.reference}, open, listed for {timezone.localtime(item.meeting.starts_at):%-d %B %Y}"
    assert "Possible matches with people already known" in coordinator.inner_text("main") and listed_for in coordinator.inner_text("main")

    # Confirming the victim joins the new referral to that listed case: the listing page
    # names the meeting and asks before listing the case a second time.
    coordinator.click(f"label[for='same-{candidate.pk}-yes']")
    coordinator.click_and_check(f"form[action$='/{candidate.pk}/'] button:has-text('Record decision')")
    coordinator.visit(f"/maracs/{working_demo.slug}/listing/", screenshot="listing-six-weeks")
    assert "days left" in coordinator.inner_text("main")
    assert f"already on the agenda of the {item.meeting.title}, not yet held" in coordinator.inner_text("main")
    coordinator.click_and_check(f"button:has-text('List as proposed anyway'):has-text('{earlier.case.reference}')", screenshot="listing-second-meeting")
    assert f"Case {earlier.case.reference} listed for the meeting of" in coordinator.inner_text("main")
    coordinator.visit(f"/maracs/{working_demo.slug}/meetings/", screenshot="meetings-generate")
    assert "Date of the first new meeting" in coordinator.inner_text("main")


def test_the_chair_sees_the_next_meeting_on_the_home_page(new_page, working_demo):
    chair = new_page()
    chair.sign_in("chair@demo.openmarac.invalid", DEMO_PASSWORD)
    chair.visit("/", screenshot="home-chair-working-marac")
    assert "Next: the meeting of" in chair.inner_text("main")
    chair.click_and_check("text=All actions", screenshot="all-actions-chair")
    assert "Remind" not in chair.inner_text("main table")
