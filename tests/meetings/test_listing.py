"""The listing rules: lead time, capacity, the six-week flag, agenda order and slots."""

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from openmarac.meetings import listing
from openmarac.meetings.listing import AgendaEntry, MeetingLoad, propose

TODAY = date(2026, 11, 24)


def _meeting(i, days_ahead, capacity=10, listed=0, published=False):
    return MeetingLoad(i, TODAY + timedelta(days=days_ahead), capacity, listed, published)


def test_earliest_meeting_with_enough_notice_and_room():
    meetings = [_meeting(1, 5), _meeting(2, 8, listed=10), _meeting(3, 15), _meeting(4, 22)]
    proposal = propose(clock_start=TODAY, today=TODAY, meetings=meetings, lead_days=8)
    assert proposal.meeting_id == 3 and not proposal.over_capacity and not proposal.over_six_weeks


def test_lead_time_met_exactly_is_enough():
    proposal = propose(clock_start=TODAY, today=TODAY, meetings=[_meeting(1, 8)], lead_days=8)
    assert proposal.meeting_id == 1


def test_published_meetings_take_no_more_cases():
    proposal = propose(clock_start=TODAY, today=TODAY, meetings=[_meeting(1, 10, published=True), _meeting(2, 24)], lead_days=8)
    assert proposal.meeting_id == 2


def test_when_every_meeting_is_full_the_case_goes_to_the_earliest_flagged():
    meetings = [_meeting(1, 10, capacity=2, listed=2), _meeting(2, 24, capacity=2, listed=3)]
    proposal = propose(clock_start=TODAY, today=TODAY, meetings=meetings, lead_days=8)
    assert proposal.meeting_id == 1 and proposal.over_capacity
    assert "every meeting with enough notice is full" in proposal.reasons


def test_six_weeks_after_referral_is_the_limit():
    at_limit = propose(clock_start=TODAY - timedelta(days=32), today=TODAY, meetings=[_meeting(1, 10)], lead_days=8)
    beyond = propose(clock_start=TODAY - timedelta(days=33), today=TODAY, meetings=[_meeting(1, 10)], lead_days=8)
    assert not at_limit.over_six_weeks
    assert beyond.over_six_weeks and "past its six-week target" in beyond.reasons


def test_no_meeting_far_enough_ahead():
    assert propose(clock_start=TODAY, today=TODAY, meetings=[_meeting(1, 3)], lead_days=8) is None


meeting_lists = st.lists(
    st.builds(
        lambda i, d, c, l, p: MeetingLoad(i, TODAY + timedelta(days=d), c, l, p),
        st.integers(0, 10_000), st.integers(0, 90), st.integers(1, 20), st.integers(0, 25), st.booleans(),
    ),
    max_size=8,
    unique_by=lambda m: m.meeting_id,
)


@given(meetings=meeting_lists, lead=st.integers(0, 14), age=st.integers(0, 120))
def test_proposal_rules_hold_for_any_set_of_meetings(meetings, lead, age):
    referred_on = TODAY - timedelta(days=age)
    proposal = propose(clock_start=referred_on, today=TODAY, meetings=meetings, lead_days=lead)
    eligible = [m for m in meetings if not m.published and (m.starts_on - TODAY).days >= lead]
    if not eligible:
        assert proposal is None
        return
    chosen = next(m for m in meetings if m.meeting_id == proposal.meeting_id)
    assert chosen in eligible
    with_room = [m for m in eligible if m.listed < m.capacity]
    if with_room:
        assert not proposal.over_capacity and chosen.starts_on == min(m.starts_on for m in with_room)
    else:
        assert proposal.over_capacity and chosen.starts_on == min(m.starts_on for m in eligible)
    assert proposal.over_six_weeks == ((chosen.starts_on - referred_on).days > 42)


def test_agenda_puts_cases_with_children_first_then_listing_order_then_twelve_month_reviews():
    t = datetime(2026, 11, 1, 9, 0)
    entries = [
        AgendaEntry("no-children-early", "new_and_repeat", False, t),
        AgendaEntry("review", "anniversary", True, t - timedelta(days=5)),
        AgendaEntry("children-late", "new_and_repeat", True, t + timedelta(hours=2)),
        AgendaEntry("children-early", "new_and_repeat", True, t + timedelta(hours=1)),
    ]
    assert [e.key for e in listing.agenda_order(entries)] == ["children-early", "children-late", "no-children-early", "review"]


def test_slots_follow_the_outstanding_actions_slot_and_flag_overflow():
    start = datetime(2026, 12, 1, 9, 30)
    entries = [AgendaEntry(i, "new_and_repeat", False, start + timedelta(minutes=i)) for i in range(3)]
    slots = listing.slots(entries, starts_at=start, minutes_per_case=10, capacity=2)
    assert [s.starts_at.strftime("%H:%M") for s in slots] == ["09:40", "09:50", "10:00"]
    assert slots[0].ends_at == slots[1].starts_at
    assert [s.over_capacity for s in slots] == [False, False, True]
    assert all(s.starts_at is None for s in listing.slots(entries, starts_at=start, minutes_per_case=10, capacity=5, timed=False))


def test_research_deadline_skips_the_weekend():
    monday = date(2026, 11, 30)
    assert listing.working_days_before(monday, 1) == date(2026, 11, 27)  # Friday
    assert listing.working_days_before(date(2026, 12, 2), 2) == monday


def test_pattern_dates():
    start = date(2026, 11, 24)  # a Tuesday
    weekly = list(listing.pattern_dates(cadence="weekly", first_on_or_after=start, weekday=3, until=date(2026, 12, 10)))
    assert weekly == [date(2026, 11, 26), date(2026, 12, 3), date(2026, 12, 10)]
    fortnightly = list(listing.pattern_dates(cadence="fortnightly", first_on_or_after=start, weekday=1, until=date(2026, 12, 31)))
    assert fortnightly == [date(2026, 11, 24), date(2026, 12, 8), date(2026, 12, 22)]
    monthly = list(listing.pattern_dates(cadence="monthly", first_on_or_after=start, weekday=0, until=date(2027, 2, 28)))
    assert monthly == [date(2026, 12, 7), date(2027, 1, 4), date(2027, 2, 1)]
    daily = list(listing.pattern_dates(cadence="daily", first_on_or_after=date(2026, 11, 27), weekday=0, until=date(2026, 12, 1)))
    assert daily == [date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1)]
