"""When each meeting operation may happen: one pure rule, no database.

A case list is published from its set day (the meeting day less the Marac's case list
lead time); the register is taken, cases heard and closed on the meeting day or after;
minutes are published once the meeting day has come. Before that the coordinator may
still go ahead by recording why (an override, audited by the service that calls this).
Meeting generation lives in services.meetings_generate; nothing here makes meetings."""

from datetime import date, timedelta

from django.db.models import TextChoices

from .listing import previous_working_day


# The part of the meeting page (and of "Run the meeting") that lists the steps not yet
# possible and where the coordinator records why one goes ahead early. A new user could
# not tell what "Steps before their day" meant.
EARLY_STEPS_SECTION = "Steps not yet possible, and going ahead early"


class Operation(TextChoices):
    PUBLISH = "publish", "publish the case list"
    REGISTER = "register", "take the register"
    HEAR = "hear", "record the cases (minutes, risks, actions)"
    CLOSE = "close", "close cases"
    MINUTES = "minutes", "publish the minutes"


def earliest_day(operation: Operation, *, meeting_day: date, lead_days: int, closed=frozenset()) -> date:
    """The first day the operation is allowed without an override. A publication day
    that falls on a weekend or a day in `closed` (bank holidays) moves back to the
    working day before: the case list goes out on a day people are at work."""
    if operation is Operation.PUBLISH:
        return previous_working_day(meeting_day - timedelta(days=lead_days), closed)
    return meeting_day


def too_early(operation: Operation, *, meeting_day: date, today: date, lead_days: int = 0, closed=frozenset()) -> str:
    """The refusal to show when `today` is before the operation's earliest day, else ""."""
    earliest = earliest_day(operation, meeting_day=meeting_day, lead_days=lead_days, closed=closed)
    if today >= earliest:
        return ""
    return (
        f"It is too early to {operation.label}: that is possible from {earliest:%A %-d %B %Y}. "
        f"To go ahead sooner, the coordinator records why under “{EARLY_STEPS_SECTION}” on the meeting page."
    )
