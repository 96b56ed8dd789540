"""Flags on agency files end on time (issue 15). A flag stays on an agency's files for
12 months from the meeting (longer allowed; shorter only with a reason on the record).
The owning agency is reminded a month before and on the day, and confirms it has taken
the flag off its files. The date arithmetic lives here, in one place, so the form, the
service, the reminders and the coordinator's page agree."""

from datetime import date

from dateutil.relativedelta import relativedelta

FLAG_MONTHS = 12


def default_expiry(meeting_on: date) -> date:
    """12 calendar months after the meeting; a meeting on 29 February gives 28 February
    (the last day of that month), never 1 March."""
    return meeting_on + relativedelta(months=FLAG_MONTHS)


def needs_reason(*, meeting_on: date, expires_on: date) -> bool:
    """A flag ending earlier than 12 months after the meeting needs a recorded reason."""
    return expires_on < default_expiry(meeting_on)


def month_before(expires_on: date) -> date:
    """The first reminder: the same day of the previous month, or that month's last day
    when it is shorter (a flag ending on 31 March is first reminded on 28 or 29 February)."""
    return expires_on - relativedelta(months=1)


def state(*, expires_on: date, removed: bool, today: date) -> str:
    """Where a flag stands for the coordinator: confirmed removed, overdue (its date has
    passed and the agency has not confirmed), due (within the month before its date,
    the day itself included), or running."""
    if removed:
        return "confirmed"
    if expires_on < today:
        return "overdue"
    if month_before(expires_on) <= today:
        return "due"
    return "running"


def due_horizon(today: date) -> date:
    """The latest end date whose first reminder (`month_before`) has come by `today`:
    one month on, or the end of next month when today is the last day of its month
    (on 28 February, flags ending up to 31 March are due). Lets a query select the
    flags due without computing each one's reminder date."""
    next_month = today + relativedelta(months=1)
    if (today + relativedelta(days=1)).month != today.month:
        return next_month + relativedelta(day=31)
    return next_month
