"""The "Who has viewed this record" rows, written in Python as
includes/record_viewers.html wrote them. A case that is opened often shows two hundred
rows; the template's per-row date filter and lookups cost more than the rest of the
case page's table (tests/audit/test_display.py holds this to the template's output)."""

from html import escape

from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

# The most views the table shows, newest first (a page of them: `viewers_page`).
SHOWN = 200


def viewers_page(request, viewers):
    """A page of `audit.selectors.viewers_of` (None when the user may not see them), 25
    views at a time with their total: a case opened every day for years has thousands."""
    from openmarac.core.pagination import paginate

    return None if viewers is None else paginate(request, viewers, param="views")

_ROW = (
    '\n        <tr class="govuk-table__row">\n'
    '          <td class="govuk-table__cell">{} {}</td>\n'
    '          <td class="govuk-table__cell">{}</td>\n'
    '          <td class="govuk-table__cell">{} {}</td>\n'
    '          <td class="govuk-table__cell">{}</td>\n'
    "        </tr>\n      "
)
_NONE = '\n        <tr class="govuk-table__row"><td class="govuk-table__cell" colspan="4">No views recorded.</td></tr>\n      '


def viewer_rows(viewers):
    """The table's body rows for `audit.selectors.viewers_of` (None: no rows, as the
    table is not shown). The moment is written as the template's `date:"j M Y H:i"`
    (core.display.day_text and time_text). Escaped as django.utils.html.escape escapes
    (it is this function), without its cost per call, as is the conversion to local time."""
    if viewers is None:
        return ""
    zone = timezone.get_current_timezone()
    rows = []
    for view in viewers[:SHOWN]:
        moment = view["occurred_at"].astimezone(zone)
        role = view["role_label"]
        rows.append(
            _ROW.format(
                f"{moment.day} {moment:%b %Y}", f"{moment:%H:%M}", escape(str(view["actor_label"])), escape(str(view["agency_label"])),
                f"({escape(str(role))})" if role else "", escape(capfirst(str(view["action"]))),
            )
        )
    # Every value in the rows is escaped above.
    return mark_safe("".join(rows) if rows else _NONE)  # nosec B308 B703
