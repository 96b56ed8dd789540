"""The listing page with years of history: the six-week target, the choice of meeting,
one 12-month review per hearing, and a page whose size and query count do not grow with
the rows."""

import re
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from openmarac.actions import services as action_services
from openmarac.meetings import listing, selectors, services
from openmarac.meetings.models import AgendaItem, Meeting
from openmarac.referrals.models import Referral
from openmarac.synthetic.history import bulk_referrals

from ..conftest import sign_in

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@given(start=DAYS, today=DAYS)
def test_six_week_target_counts_42_days_from_the_start(start, today):
    target = listing.six_week_target(start, today)
    assert target.target_on == start + timedelta(days=42)
    assert target.days_left == (start + timedelta(days=42) - today).days
    assert target.breached == (today > target.target_on)
    assert target.days_over == max(0, (today - target.target_on).days)


@given(start=DAYS, meeting_on=DAYS)
def test_a_meeting_is_late_exactly_when_it_misses_the_target(start, meeting_on):
    assert listing.is_late(start, meeting_on) == ((meeting_on - start).days > 42)


@given(today=DAYS)
def test_the_review_window_runs_from_four_weeks_before_to_eight_weeks_after_the_anniversary(today):
    earliest, latest = listing.review_window(today)
    assert earliest < latest
    assert earliest + relativedelta(months=12) <= today <= latest + relativedelta(months=12) + timedelta(days=3)
    assert (latest + relativedelta(months=12) - today).days in range(25, 29)


def _heard(marac, staff, generator, *, days_ago):
    """A case heard at a meeting here `days_ago` days ago."""
    from openmarac.referrals import services as referral_services

    data = generator.referral(marac=marac, referring_agency=staff["referrer"].agency, children=0)
    data.referred_on = timezone.localdate() - timedelta(days=days_ago + 20)
    referral = referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False)
    meeting = services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    meeting.starts_at = timezone.now() - timedelta(days=days_ago)
    meeting.save()
    item = services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
    hearing = action_services.hearing_for(item)
    action_services.plan_confirm_safe(by=staff["idva"], hearing=hearing)
    action_services.hearing_close(by=staff["chair"], hearing=hearing, children_reason="Confirmed after the meeting")
    return referral.case


def test_a_review_is_offered_only_in_the_window_around_its_date(marac, staff, generator):
    due = _heard(marac, staff, generator, days_ago=360)
    long_ago = _heard(marac, staff, generator, days_ago=365 * 3)
    recent = _heard(marac, staff, generator, days_ago=200)
    offered = set(selectors.anniversaries_due(user=staff["coordinator"], marac=marac))
    assert due in offered and long_ago not in offered and recent not in offered


def test_imported_history_is_never_due_for_review(marac, staff):
    (imported,) = bulk_referrals(marac=marac, count=1, first_on=timezone.localdate() - timedelta(days=380), span_days=1)
    assert imported.case.last_heard_on is not None
    assert imported.case not in selectors.anniversaries_due(user=staff["coordinator"], marac=marac)


def test_a_case_is_not_offered_again_after_its_review(marac, staff, generator):
    case = _heard(marac, staff, generator, days_ago=360)
    item = services.case_anniversary_list(by=staff["coordinator"], case=case)
    assert case not in selectors.anniversaries_due(user=staff["coordinator"], marac=marac)
    # The review is heard; a year later the review itself does not bring it back.
    item.meeting.starts_at = timezone.now() - timedelta(days=2)
    item.meeting.save()
    hearing = action_services.hearing_for(item)
    action_services.plan_confirm_safe(by=staff["idva"], hearing=hearing)
    action_services.hearing_close(by=staff["chair"], hearing=hearing, children_reason="Confirmed after the meeting")
    later = timezone.localdate() + timedelta(days=363)
    assert case not in selectors.anniversaries_due(user=staff["coordinator"], marac=marac, today=later)


def test_a_review_of_a_case_already_on_an_agenda_is_listed_only_when_confirmed(marac, staff, generator):
    """A case due for its review whose repeat referral is already listed for a meeting
    not yet held: the listing page says which meeting, and the review goes onto an
    agenda too only when the coordinator confirms."""
    from openmarac.referrals import services as referral_services

    case = _heard(marac, staff, generator, days_ago=360)
    data = generator.referral(marac=marac, referring_agency=staff["referrer"].agency, children=0)
    repeat = referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False)
    Referral.objects.filter(pk=repeat.pk).update(case=case)
    repeat.refresh_from_db()
    pending = services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=30))
    services.referral_list(by=staff["coordinator"], referral=repeat, meeting=pending)
    assert case in selectors.anniversaries_due(user=staff["coordinator"], marac=marac)

    client = sign_in(Client(), staff["coordinator"])
    url = reverse("meetings:listing", args=[marac.slug])
    page = client.get(url).content.decode()
    assert f"This case is already on the agenda of the {pending.title}, not yet held: that hearing may stand for its review" in page
    assert "List for review anyway" in page
    refused = client.post(url, {"case": case.public_id}, follow=True).content.decode()
    assert "let that meeting&#x27;s hearing of the case stand for its review" in refused
    assert not AgendaItem.objects.filter(referral__case=case, section=AgendaItem.Section.ANNIVERSARY).exists()
    client.post(url, {"case": case.public_id, "confirm_second_listing": "yes"})
    assert AgendaItem.objects.filter(referral__case=case, section=AgendaItem.Section.ANNIVERSARY).count() == 1


def _listing_page(client, marac):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("meetings:listing", args=[marac.slug]))
    assert response.status_code == 200
    return response, len(queries)


def test_listing_page_stays_short_and_flat_with_history(marac, staff, meeting):
    """2,000 imported cases and many awaiting referrals: the page shows 25 of each list
    with its total, and runs the same number of queries as with a handful."""
    client = sign_in(Client(), staff["coordinator"])
    bulk_referrals(marac=marac, count=3, status=Referral.Status.AWAITING_LISTING, first_on=timezone.localdate() - timedelta(days=40), span_days=30, prefix="A")
    Referral.objects.filter(status=Referral.Status.AWAITING_LISTING).update(submitted_at=timezone.now())
    _, small = _listing_page(client, marac)
    bulk_referrals(marac=marac, count=2000, first_on=timezone.localdate() - timedelta(days=3650), seed=2)
    bulk_referrals(marac=marac, count=60, status=Referral.Status.AWAITING_LISTING, first_on=timezone.localdate() - timedelta(days=60), span_days=50, prefix="B")
    Referral.objects.filter(status=Referral.Status.AWAITING_LISTING).update(submitted_at=timezone.now())
    response, large = _listing_page(client, marac)
    page = response.content.decode()
    assert large <= small
    assert "Showing 1 to 25 of 63 referrals awaiting listing" in page
    assert len(response.content) < 500_000
    assert page.count('data-six-weeks="') == 25


def test_an_empty_listing_says_so_once_for_each_list(marac, staff):
    page = sign_in(Client(), staff["coordinator"]).get(reverse("meetings:listing", args=[marac.slug])).content.decode()
    assert page.count("No referrals are awaiting listing.") == 1
    assert page.count("None due.") == 1
    assert "No referrals awaiting listing" not in page and "No cases due for review" not in page


def test_listing_shows_the_six_week_target_without_a_meeting(marac, staff, refer):
    referral = refer()
    Referral.objects.filter(pk=referral.pk).update(referred_on=timezone.localdate() - timedelta(days=45))
    page = sign_in(Client(), staff["coordinator"]).get(reverse("meetings:listing", args=[marac.slug])).content.decode()
    assert "No meeting" in page and "Breached" in page and "3 days ago" in page


def test_the_longest_waiting_victim_is_listed_first_by_clock_start(marac, staff, refer):
    """Submitted in the order a, b, c, but the clock of b (from its disclosure) started
    first and that of a last: the page, and *List all as proposed*, go b, c, a."""
    today = timezone.localdate()
    a, b, c = refer(), refer(), refer()
    Referral.objects.filter(pk=a.pk).update(referred_on=today - timedelta(days=2), disclosed_on=None)
    Referral.objects.filter(pk=b.pk).update(referred_on=today - timedelta(days=3), disclosed_on=today - timedelta(days=20))
    Referral.objects.filter(pk=c.pk).update(referred_on=today - timedelta(days=10), disclosed_on=None)
    shown = list(selectors.awaiting_listing(user=staff["coordinator"], marac=marac))
    assert [r.pk for r in shown] == [b.pk, c.pk, a.pk]
    page = sign_in(Client(), staff["coordinator"]).get(reverse("meetings:listing", args=[marac.slug])).content.decode()
    positions = [page.index(str(r.case.public_id)) for r in (b, c, a)]
    assert positions == sorted(positions)
    services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=21))
    listed = services.list_all_as_proposed(by=staff["coordinator"], marac=marac)
    assert [item.referral_id for item in listed] == [b.pk, c.pk, a.pk]


def test_later_pages_propose_what_listing_in_order_would(marac, staff):
    for days in (21, 28):
        services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=days), capacity=20)
    bulk_referrals(marac=marac, count=30, status=Referral.Status.AWAITING_LISTING, first_on=timezone.localdate() - timedelta(days=10), span_days=5)
    Referral.objects.update(submitted_at=timezone.now())

    class Request:
        GET = {"page": "2"}

    from openmarac.core.pagination import paginate

    rows = selectors.listing_rows(marac=marac, page=paginate(Request, selectors.awaiting_listing(user=staff["coordinator"], marac=marac)))
    # The first meeting is full after 20; page 2 holds referrals 26 to 30.
    assert len(rows) == 5 and all(row.meeting.starts_at > timezone.now() + timedelta(days=27) for row in rows)


def test_coordinator_chooses_a_meeting_and_is_warned_when_research_time_has_passed(marac, staff, refer):
    soon = services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=3))
    referral = refer()
    client = sign_in(Client(), staff["coordinator"])
    page = client.get(reverse("meetings:listing", args=[marac.slug])).content.decode()
    assert "research window passed" in page
    response = client.post(reverse("meetings:listing", args=[marac.slug]), {"referral": referral.public_id, "meeting": soon.public_id}, follow=True)
    assert AgendaItem.objects.get(referral=referral).meeting == soon
    assert "agencies have less time than usual" in response.content.decode()


def test_a_held_meeting_of_imported_history_says_where_its_cases_are(marac, staff):
    """A meeting held before the Marac used OpenMarac (its cases imported as history,
    with nothing on its agenda here): the agenda and the minutes say how many imported
    cases record its day as their hearing, instead of looking like an empty meeting."""
    imported = bulk_referrals(marac=marac, count=2, first_on=timezone.localdate() - timedelta(days=200), span_days=1)
    day = imported[0].heard_on
    Referral.objects.filter(pk__in=[r.pk for r in imported]).update(heard_on=day)
    meeting = services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    meeting.starts_at = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time().replace(hour=10)))
    meeting.minutes_published_at = meeting.starts_at + timedelta(days=1)
    meeting.save()
    assert selectors.imported_hearings(meeting) == 2

    client = sign_in(Client(), staff["coordinator"])
    client.post(reverse("meetings:declaration", args=[meeting.public_id]), {"agree": "yes"})
    note = f"2 cases imported as history record this day as their hearing: the case list, minutes and action plan were kept before {marac.name} used OpenMarac."
    agenda = client.get(reverse("meetings:meeting", args=[meeting.public_id])).content.decode()
    assert "No cases were listed on this agenda in OpenMarac." in agenda and note in agenda
    minutes = client.get(reverse("actions:minutes", args=[meeting.public_id])).content.decode()
    assert note in minutes
    # The list of past meetings counts them too, rather than "0" cases.
    past = client.get(reverse("meetings:meetings", args=[marac.slug])).content.decode()
    assert re.search(r'numeric">2 <span class="govuk-body-s">imported</span>', past)
    Meeting.objects.filter(pk=meeting.pk).update(minutes_published_at=None)
    past = client.get(reverse("meetings:meetings", args=[marac.slug])).content.decode()
    assert f"Kept before {marac.name} used OpenMarac" in past

    # A meeting still to come says only that nothing is listed yet.
    later = services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=30))
    assert selectors.imported_hearings(later) is None
    client.post(reverse("meetings:declaration", args=[later.public_id]), {"agree": "yes"})
    assert "No cases are listed yet." in client.get(reverse("meetings:meeting", args=[later.public_id])).content.decode()
