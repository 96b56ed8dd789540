"""Writing a page's many rows in Python, as the templates would write them. On a page
of tens of rows (the all-actions list, a 40-case agenda) the template's per-row
`{% url %}`, date filters and choice labels cost more than the page's queries; these
write the same text once per row, and tests hold them to the template's output."""

import html
from datetime import datetime

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

# A stand-in id: each row's links are the URL pattern with the row's id in its place,
# instead of resolving the pattern again for every row.
_ANY_ID = 987_654_321
ANY_UUID = "98765432-1098-4765-8321-098765432109"


def escaped(value) -> str:
    """`value` as text escaped for HTML, as `django.utils.html.escape` writes it (its
    `html.escape`), without that function's check of every argument for lazy text: the
    pages written here escape some hundreds of values each."""
    return html.escape(str(value))


# The months as the templates' `date:"M"` writes them. Looked up, not formatted by
# `strftime` ("%b"), which took three times as long: a 40-case agenda writes over a
# hundred dates.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(day):
    """A date, or the local date of a time, as the templates' `date:"j M Y"` writes it:
    3 Dec 2026."""
    if isinstance(day, datetime):
        day = timezone.localtime(day)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}" if day else ""


def time_text(moment):
    """The local time of a moment as the templates' `time:"H:i"` writes it: 09:30."""
    return f"{timezone.localtime(moment):%H:%M}" if moment else ""


def url_pattern(name, *args, stand_in=_ANY_ID):
    """The URL of `name` with its last argument left as "{}", for `str.format`; a
    pattern whose last argument is a UUID takes `stand_in=ANY_UUID`."""
    return reverse(name, args=[*args, stand_in]).replace(str(stand_in), "{}")


def token_field(request):
    """The field `{% csrf_token %}` writes. Written once for a page's many forms (the
    agenda's forty move forms, the action list's reminders): masking the token anew for
    each, as the tag does, cost a millisecond a form, and any masking of the session's
    token is accepted."""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
