"""Rules for listing referrals and laying out an agenda: pure functions, no database.

- A referral is proposed for the earliest meeting that still leaves agencies the
  research lead time and has room. If every such meeting is full it goes to the
  earliest one anyway, flagged: a case is never dropped.
- A case heard more than six weeks after referral is flagged, with the reason.
- Agenda order: outstanding actions first (a fixed slot), then new and repeat cases
  with children first, then cases 12 months after their last hearing.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

SIX_WEEKS = timedelta(weeks=6)


@dataclass(frozen=True)
class MeetingLoad:
    meeting_id: int
    starts_on: date
    capacity: int
    listed: int
    published: bool


@dataclass(frozen=True)
class Proposal:
    meeting_id: int
    starts_on: date
    over_capacity: bool
    over_six_weeks: bool

    @property
    def reasons(self):
        reasons = []
        if self.over_six_weeks:
            reasons.append("more than 6 weeks after referral")
        if self.over_capacity:
            reasons.append("every meeting with enough notice is full")
        return reasons


def propose(*, referred_on, today, meetings, lead_days):
    """The meeting to propose, or None when no meeting far enough ahead exists."""
    eligible = sorted(
        (m for m in meetings if not m.published and (m.starts_on - today).days >= lead_days), key=lambda m: m.starts_on
    )
    if not eligible:
        return None
    with_room = next((m for m in eligible if m.listed < m.capacity), None)
    chosen = with_room or eligible[0]
    return Proposal(
        meeting_id=chosen.meeting_id,
        starts_on=chosen.starts_on,
        over_capacity=with_room is None,
        over_six_weeks=chosen.starts_on - referred_on > SIX_WEEKS,
    )


def is_late(referred_on, meeting_on):
    return meeting_on - referred_on > SIX_WEEKS


@dataclass(frozen=True)
class AgendaEntry:
    key: object
    section: str
    has_children: bool
    listed_at: datetime


@dataclass
class Slot:
    entry: AgendaEntry
    number: int
    starts_at: datetime | None
    ends_at: datetime | None
    over_capacity: bool = False
    flags: list = field(default_factory=list)


SECTION_ORDER = {"new_and_repeat": 0, "anniversary": 1}


def agenda_order(entries):
    """New and repeat cases before 12-month reviews; within each, cases with children
    first, then in the order they were listed."""
    return sorted(entries, key=lambda e: (SECTION_ORDER.get(e.section, 9), not e.has_children, e.listed_at))


def slots(entries, *, starts_at, minutes_per_case, capacity, timed=True):
    """Time slots after the opening slot for outstanding actions. An asynchronous
    meeting has no times."""
    step = timedelta(minutes=minutes_per_case)
    result = []
    for number, entry in enumerate(agenda_order(entries), start=1):
        start = starts_at + step * number if timed else None
        result.append(Slot(entry, number, start, start + step if timed else None, over_capacity=number > capacity))
    return result


def working_days_before(day: date, count: int) -> date:
    """The date `count` working days (Monday to Friday) before `day`."""
    while count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def pattern_dates(*, cadence, first_on_or_after, weekday, until):
    """Meeting dates of a pattern from a date up to and including `until`. Monthly
    meetings fall on the first such weekday of each month."""
    day = first_on_or_after
    if cadence == "daily":
        while day <= until:
            if day.weekday() < 5:
                yield day
            day += timedelta(days=1)
        return
    if cadence == "monthly":
        month = date(day.year, day.month, 1)
        while month <= until:
            first = month + timedelta(days=(weekday - month.weekday()) % 7)
            if first_on_or_after <= first <= until:
                yield first
            month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        return
    step = timedelta(weeks=2 if cadence == "fortnightly" else 1)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    while day <= until:
        yield day
        day += step
