"""Rules for listing referrals and laying out an agenda: pure functions, no database.

- A referral is proposed for the earliest meeting that still leaves agencies the
  research lead time and has room. If every such meeting is full it goes to the
  earliest one anyway, flagged: a case is never dropped.
- A case heard more than six weeks after referral is flagged, with the reason. The
  six-week arithmetic lives in `six_week_target` alone.
- A case comes back for one review about 12 months after the hearing that listed it,
  offered in a window around that date (`review_window`).
- Agenda order: outstanding actions first (a fixed slot), then new and repeat cases
  with children first, then cases 12 months after their last hearing.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

SIX_WEEKS = timedelta(weeks=6)
# The 12-month review is offered from four weeks before its date to eight weeks after.
REVIEW_OFFERED_BEFORE = timedelta(weeks=4)
REVIEW_OFFERED_AFTER = timedelta(weeks=8)


@dataclass(frozen=True)
class SixWeekTarget:
    """A case should be heard within six weeks of `start_on` (the referral, or the
    disclosure when it is known): the last day, and how many days are left today."""

    start_on: date
    target_on: date
    days_left: int

    @property
    def breached(self):
        return self.days_left < 0

    @property
    def days_over(self):
        return max(0, -self.days_left)

    def missed_by(self, meeting_on: date) -> bool:
        """True when a meeting on `meeting_on` would hear the case after its target."""
        return meeting_on > self.target_on


def six_week_target(start_on: date, today: date) -> SixWeekTarget:
    """The one place the six-week target is worked out (DOMAIN.md: a meeting within six
    weeks at most). `start_on` is the date the clock starts from."""
    target_on = start_on + SIX_WEEKS
    return SixWeekTarget(start_on=start_on, target_on=target_on, days_left=(target_on - today).days)


def review_window(today: date) -> tuple[date, date]:
    """The last-hearing dates whose 12-month review is offered today: the review date
    (12 months on) lies between four weeks ahead and eight weeks past."""
    return (today - REVIEW_OFFERED_AFTER - relativedelta(months=12), today + REVIEW_OFFERED_BEFORE - relativedelta(months=12))


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
            reasons.append("past its six-week target")
        if self.over_capacity:
            reasons.append("every meeting with enough notice is full")
        return reasons


def propose(*, clock_start, today, meetings, lead_days):
    """The meeting to propose, or None when no meeting far enough ahead exists.
    `clock_start`: the day the referral's six-week target counts from
    (`referrals.criteria.referral_clock_start`)."""
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
        over_six_weeks=is_late(clock_start, chosen.starts_on),
    )


def advance(meetings, proposal):
    """The loads after one more case goes to the proposed meeting, so the next referral
    sees the meeting filling up."""
    if proposal is None:
        return meetings
    return [
        MeetingLoad(m.meeting_id, m.starts_on, m.capacity, m.listed + (m.meeting_id == proposal.meeting_id), m.published) for m in meetings
    ]


def is_late(clock_start, meeting_on):
    return six_week_target(clock_start, meeting_on).missed_by(meeting_on)


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


def working_days_before(day: date, count: int, closed=frozenset()) -> date:
    """The date `count` working days before `day`: Monday to Friday, not a day in
    `closed` (the bank holidays). With no count, `day` itself or, when it is not a
    working day, the working day before it: a due day people can keep."""
    while count:
        day -= timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            count -= 1
    return previous_working_day(day, closed)


def previous_working_day(day: date, closed) -> date:
    """The last day up to `day` that is a weekday and not in `closed`."""
    while day.weekday() >= 5 or day in closed:
        day -= timedelta(days=1)
    return day


# The `holidays` package's subdivisions of GB for each Marac nation.
HOLIDAY_SUBDIVISIONS = {"england_wales": "ENG", "scotland": "SCT", "northern_ireland": "NIR"}
ON_HOLIDAY_CHOICES = [
    ("move", "Move it to the next working day"),
    ("skip", "Skip it"),
    ("keep", "Keep it on the bank holiday"),
]


@lru_cache(maxsize=32)
def days_off(nation: str, years: tuple) -> frozenset:
    """The bank holidays of the nation in those years as a set, kept between calls:
    every due day of every meeting asks for them."""
    return frozenset(bank_holidays(nation, years))


def bank_holidays(nation: str, years) -> dict:
    """The bank holidays (date: name) of the Marac's nation in the given years,
    substitute days included."""
    return dict(holidays.country_holidays("GB", subdiv=HOLIDAY_SUBDIVISIONS[nation], years=list(years)))


def next_working_day(day: date, closed) -> date:
    """The first day from `day` on that is a weekday and not in `closed`."""
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class Placed:
    pattern_date: date
    meets_on: date | None  # None when skipped
    holiday: str = ""  # the bank holiday's name, when the pattern date fell on one
    # The case list should already have gone (its date is before today).
    inside_case_list_window: bool = False
    # The scheduled meeting the pattern date is too near to be another (when skipped
    # for it): a first date off the pattern's rhythm would otherwise slip a meeting in
    # between those already made.
    too_near: date | None = None

    @property
    def note(self):
        notes = []
        if self.too_near:
            gap = abs((self.pattern_date - self.too_near).days)
            return (
                f"{self.pattern_date:%A %-d %B %Y}: no meeting made, as the meeting of {self.too_near:%A %-d %B %Y} is "
                f"{gap} day{'s' if gap != 1 else ''} away"
            )
        if self.holiday and self.meets_on is None:
            notes.append(f"{self.pattern_date:%A %-d %B %Y} is a bank holiday ({self.holiday}): no meeting made")
        elif self.holiday and self.meets_on != self.pattern_date:
            notes.append(f"{self.pattern_date:%A %-d %B %Y} is a bank holiday ({self.holiday}): the meeting is on {self.meets_on:%A %-d %B %Y}")
        elif self.holiday:
            notes.append(f"The meeting of {self.meets_on:%A %-d %B %Y} falls on a bank holiday ({self.holiday})")
        if self.inside_case_list_window:
            notes.append(f"The meeting of {self.meets_on:%A %-d %B %Y} is inside its case-list window: its case list is already due")
        return "; ".join(notes)


# How near (in days) a pattern date may be to a meeting already scheduled before it
# cannot be another meeting of the pattern: half the interval, so that a meeting moved
# a day or two off a bank holiday still leaves its neighbours.
NEAR_DAYS = {"weekly": 3, "fortnightly": 7, "monthly": 14}


def place_meetings(pattern, *, holidays_by_date, on_holiday, today, lead_days, taken=(), cadence=None):
    """Where each pattern date's meeting goes: moved off a bank holiday to the next
    working day (not one already holding a meeting), skipped, or kept there and
    flagged; and flagged when the case list would already be due (fewer than
    `lead_days` days ahead). A date within half the `cadence`'s interval of a meeting
    already scheduled (`taken`, the days holding one) is skipped and says which."""
    placed = []
    taken = set(taken)
    near = NEAR_DAYS.get(cadence, 0)
    for day in pattern:
        too_near = min((other for other in taken if abs((other - day).days) <= near), key=lambda other: (abs((other - day).days), other), default=None)
        if near and too_near:
            placed.append(Placed(day, None, too_near=too_near))
            continue
        holiday = holidays_by_date.get(day, "")
        meets_on = day
        if holiday and on_holiday == "skip":
            meets_on = None
        elif holiday and on_holiday == "move":
            meets_on = next_working_day(day, set(holidays_by_date) | taken)
        if meets_on is not None:
            taken.add(meets_on)
        window = meets_on is not None and (meets_on - today).days < lead_days
        placed.append(Placed(day, meets_on, holiday, window))
    return placed


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
