"""Meetings from the pattern: the first date asked for, bank holidays of the Marac's
nation moved, skipped or kept, and meetings inside their own case-list window noted."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from openmarac.meetings import listing, services
from openmarac.meetings.models import Meeting

from ..conftest import sign_in


@pytest.mark.parametrize(
    "nation, day, name",
    [
        ("england_wales", date(2027, 3, 29), "Easter Monday"),
        ("england_wales", date(2026, 8, 31), "Late Summer Bank Holiday"),
        ("scotland", date(2026, 8, 3), "Summer Bank Holiday"),
        ("scotland", date(2026, 11, 30), "Saint Andrew's Day"),
        ("northern_ireland", date(2027, 3, 17), "Saint Patrick's Day"),
        ("northern_ireland", date(2027, 7, 12), "Battle of the Boyne"),
    ],
)
def test_each_nation_has_its_own_bank_holidays(nation, day, name):
    assert listing.bank_holidays(nation, [day.year])[day] == name
    others = [n for n in listing.HOLIDAY_SUBDIVISIONS if n != nation and day not in listing.bank_holidays(n, [day.year])]
    assert others  # at least one other nation works that day


def test_substitute_days_count_as_bank_holidays():
    # Christmas Day 2027 is a Saturday: the Monday after is the substitute.
    assert date(2027, 12, 27) in listing.bank_holidays("england_wales", [2027])


DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2034, 12, 31))


@given(start=DAYS, weeks=st.integers(min_value=1, max_value=30), nation=st.sampled_from(list(listing.HOLIDAY_SUBDIVISIONS)),
       rule=st.sampled_from([c for c, _ in listing.ON_HOLIDAY_CHOICES]), lead_days=st.integers(min_value=0, max_value=20))
def test_placing_meetings_never_lands_on_a_holiday_unless_kept_and_always_says_so(start, weeks, nation, rule, lead_days):
    pattern = [start + timedelta(weeks=n) for n in range(weeks)]
    closed = listing.bank_holidays(nation, range(start.year, start.year + 2))
    placed = listing.place_meetings(pattern, holidays_by_date=closed, on_holiday=rule, today=start, lead_days=lead_days)
    assert [p.pattern_date for p in placed] == pattern
    days = [p.meets_on for p in placed if p.meets_on]
    assert len(days) == len(set(days))  # never two meetings on one day
    for place in placed:
        on_holiday = place.pattern_date in closed
        assert bool(place.holiday) == on_holiday
        if rule == "move" and place.meets_on:
            assert place.meets_on not in closed and place.meets_on >= place.pattern_date
            assert place.meets_on.weekday() < 5 or place.meets_on == place.pattern_date
        if rule == "skip":
            assert (place.meets_on is None) == on_holiday
        if rule == "keep":
            assert place.meets_on == place.pattern_date
        if on_holiday or place.inside_case_list_window:
            assert place.note  # never silently
        if place.meets_on:
            assert place.inside_case_list_window == ((place.meets_on - start).days < lead_days)


@given(day=DAYS)
def test_the_next_working_day_is_a_weekday_not_closed(day):
    closed = listing.bank_holidays("england_wales", [day.year, day.year + 1])
    found = listing.next_working_day(day, closed)
    assert found >= day and found.weekday() < 5 and found not in closed
    assert all(d.weekday() >= 5 or d in closed for d in (day + timedelta(days=n) for n in range((found - day).days)))


def _weekly(marac, weekday, weeks=6):
    marac.meeting_cadence = "weekly"
    marac.save()
    schedule = services.schedule_for(marac)
    schedule.weekday, schedule.weeks_ahead = weekday, weeks
    schedule.save()


def test_a_meeting_on_a_bank_holiday_moves_to_the_next_working_day(marac, people):
    _weekly(marac, weekday=0)  # Mondays
    today = date(2027, 3, 15)  # two weeks before Easter Monday
    created = services.meetings_generate(marac=marac, by=people["coordinator"], today=today, first_on=date(2027, 3, 22))
    days = [timezone.localtime(m.starts_at).date() for m in created]
    assert date(2027, 3, 29) not in days and date(2027, 3, 30) in days
    assert any("Easter Monday" in note and "Tuesday 30 March 2027" in note for note in created.notes)
    assert Meeting.objects.get(starts_at__date=date(2027, 3, 30)).pattern_date == date(2027, 3, 29)
    # Idempotent: the moved meeting's pattern date is not made again.
    assert services.meetings_generate(marac=marac, by=people["coordinator"], today=today, first_on=date(2027, 3, 22)) == []


def test_scotland_skips_its_own_holiday_and_england_keeps_meeting(marac, people):
    _weekly(marac, weekday=0)
    marac.nation = "scotland"
    marac.save()
    today = date(2026, 7, 20)
    created = services.meetings_generate(marac=marac, by=people["coordinator"], today=today, first_on=date(2026, 7, 27), on_holiday="skip")
    days = [timezone.localtime(m.starts_at).date() for m in created]
    assert date(2026, 8, 3) not in days and date(2026, 8, 10) in days
    assert any("Summer Bank Holiday" in note and "no meeting made" in note for note in created.notes)


def test_a_meeting_inside_its_case_list_window_is_made_but_noted(marac, people):
    _weekly(marac, weekday=2)
    today = date(2026, 6, 1)  # a Monday; Wednesday is two days away, the case list is due 8 days before
    created = services.meetings_generate(marac=marac, by=people["coordinator"], today=today, first_on=date(2026, 6, 3))
    assert timezone.localtime(created[0].starts_at).date() == date(2026, 6, 3)
    assert any("Wednesday 3 June 2026 is inside its case-list window" in note for note in created.notes)
    assert not any("10 June" in note for note in created.notes)


def test_the_first_date_must_fall_on_the_pattern_day(marac, people):
    _weekly(marac, weekday=2)
    with pytest.raises(ValidationError):
        services.meetings_generate(marac=marac, by=people["coordinator"], today=date(2026, 6, 1), first_on=date(2026, 6, 4))


def test_the_page_asks_for_the_first_date_and_shows_the_notes(marac, people):
    _weekly(marac, weekday=timezone.localdate().weekday())
    client = sign_in(Client(), people["coordinator"])
    url = reverse("meetings:meetings", args=[marac.slug])
    page = client.get(url).content.decode()
    assert "Date of the first new meeting" in page and "England and Wales" in page
    response = client.post(url, {"first_on": (timezone.localdate() + timedelta(days=1)).isoformat(), "on_holiday": "move"}, follow=True)
    assert "the pattern’s day of the week" in response.content.decode()
    response = client.post(url, {"first_on": timezone.localdate().isoformat(), "on_holiday": "move"}, follow=True)
    assert "inside its case-list window" in response.content.decode()


# --- The research deadline never falls on a day off ----------------------------------


def test_research_deadline_moves_back_over_bank_holidays():
    easter = listing.bank_holidays("england_wales", [2027])
    # Easter Monday 29 March 2027, Good Friday 26 March: one working day before Tuesday
    # 30 March is Thursday 25 March.
    assert listing.working_days_before(date(2027, 3, 30), 1, easter) == date(2027, 3, 25)
    # Saint Andrew's Day (Monday 30 November 2026) is a holiday in Scotland only.
    assert listing.working_days_before(date(2026, 12, 1), 1, listing.bank_holidays("scotland", [2026])) == date(2026, 11, 27)
    assert listing.working_days_before(date(2026, 12, 1), 1, listing.bank_holidays("england_wales", [2026])) == date(2026, 11, 30)


def test_a_meeting_after_easter_has_its_research_due_before_good_friday(people, marac):
    starts_at = timezone.make_aware(timezone.datetime(2027, 3, 30, 10, 0))
    meeting = services.meeting_add(by=people["coordinator"], marac=marac, starts_at=starts_at)
    assert timezone.localtime(meeting.research_deadline).date() == date(2027, 3, 25)
    moved = services.meeting_move(by=people["coordinator"], meeting=meeting, starts_at=starts_at + timedelta(days=1), note="Room")
    assert timezone.localtime(moved.research_deadline).date() == date(2027, 3, 30)


@given(
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2031, 12, 31)),
    count=st.integers(0, 5),
    nation=st.sampled_from(sorted(listing.HOLIDAY_SUBDIVISIONS)),
)
def test_a_computed_due_day_is_a_working_day_shortly_before_the_unadjusted_one(day, count, nation):
    closed = listing.bank_holidays(nation, (day.year - 1, day.year))
    unadjusted = listing.working_days_before(day, count)
    due = listing.working_days_before(day, count, closed)
    assert due.weekday() < 5 and due not in closed
    assert due <= unadjusted
    # Christmas, Boxing Day, New Year and their substitutes are the longest run of days off.
    assert (unadjusted - due).days <= 7


def test_a_first_date_off_the_fortnight_adds_no_meeting_between_those_already_made(marac, people):
    marac.meeting_cadence = "fortnightly"
    marac.save()
    schedule = services.schedule_for(marac)
    schedule.weekday, schedule.weeks_ahead = 1, 6  # Tuesdays, six weeks ahead
    schedule.save()
    today = date(2026, 12, 1)
    made = services.meetings_generate(marac=marac, by=people["coordinator"], today=today, first_on=date(2026, 12, 15))
    assert [timezone.localtime(m.starts_at).date() for m in made] == [date(2026, 12, 15), date(2026, 12, 29), date(2027, 1, 12)]
    # A week off the rhythm: each new date is a week from a meeting already made.
    off = services.meetings_generate(marac=marac, by=people["coordinator"], today=today, first_on=date(2026, 12, 22))
    assert off == []
    assert "Tuesday 22 December 2026: no meeting made, as the meeting of Tuesday 15 December 2026 is 7 days away" in off.notes
    assert Meeting.objects.filter(marac=marac).count() == 3


@given(offset=st.integers(min_value=-7, max_value=7))
def test_a_pattern_date_near_a_scheduled_meeting_is_skipped_and_said(offset):
    near = date(2027, 1, 12)
    day = near + timedelta(days=offset)
    (placed,) = listing.place_meetings(
        [day], holidays_by_date={}, on_holiday="move", today=date(2026, 12, 1), lead_days=8, taken={near}, cadence="fortnightly"
    )
    assert placed.meets_on is None and placed.too_near == near
    assert "no meeting made" in placed.note


def test_a_first_date_more_than_a_year_ahead_is_refused(marac, people):
    _weekly(marac, weekday=1)
    with pytest.raises(ValidationError, match="within a year, by 2 December 2027"):
        services.meetings_generate(marac=marac, by=people["coordinator"], today=date(2026, 12, 1), first_on=date(2027, 12, 28))
    assert not Meeting.objects.filter(marac=marac).exists()
