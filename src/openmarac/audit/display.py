"""The "Who has viewed this record" rows, written in Python as
includes/record_viewers.html wrote them. A case that is opened often shows two hundred
rows; the template's per-row date filter and lookups cost more than the rest of the
case page's table (tests/audit/test_display.py holds this to the template's output)."""

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

from openmarac.core.display import day_text, time_text

# The most views the table shows, newest first.
SHOWN = 200

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
    table is not shown)."""
    if viewers is None:
        return ""
    rows = [
        format_html(
            _ROW, day_text(view["occurred_at"]), time_text(view["occurred_at"]), view["actor_label"], view["agency_label"],
            format_html("({})", view["role_label"]) if view["role_label"] else "", capfirst(view["action"]),
        )
        for view in viewers[:SHOWN]
    ]
    return mark_safe("".join(rows) if rows else _NONE)  # nosec B308 B703: each row is built by format_html
