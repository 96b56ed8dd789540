"""The "Who has viewed this record" rows are written in Python (audit/display.py)
exactly as includes/record_viewers.html wrote them: each variant is rendered by the old
template and by the include as it now is, with the rows from Python, and compared."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone

from openmarac.audit.display import viewer_rows

# The include as it was before its rows were written in Python.
OLD_RECORD_VIEWERS = '{% if viewers is not None %}\n<details class="govuk-details"{% if request.GET.views %} open{% endif %}>\n  <summary class="govuk-details__summary"><span class="govuk-details__summary-text">Who has viewed this record</span></summary>\n  <div class="govuk-details__text">\n    <table class="govuk-table">\n      <caption class="govuk-table__caption govuk-table__caption--s">Views and exports, newest first</caption>\n      <thead class="govuk-table__head"><tr class="govuk-table__row">\n        <th scope="col" class="govuk-table__header">When</th>\n        <th scope="col" class="govuk-table__header">Who</th>\n        <th scope="col" class="govuk-table__header">Agency and role</th>\n        <th scope="col" class="govuk-table__header">What</th>\n      </tr></thead>\n      <tbody class="govuk-table__body">\n      {% for view in viewers|slice:":200" %}\n        <tr class="govuk-table__row">\n          <td class="govuk-table__cell">{{ view.occurred_at|date:"j M Y H:i" }}</td>\n          <td class="govuk-table__cell">{{ view.actor_label }}</td>\n          <td class="govuk-table__cell">{{ view.agency_label }} {% if view.role_label %}({{ view.role_label }}){% endif %}</td>\n          <td class="govuk-table__cell">{{ view.action|capfirst }}</td>\n        </tr>\n      {% empty %}\n        <tr class="govuk-table__row"><td class="govuk-table__cell" colspan="4">No views recorded.</td></tr>\n      {% endfor %}\n      </tbody>\n    </table>\n    {% include "includes/pagination.html" with page=viewers noun="views and exports" said_empty=True %}\n  </div>\n</details>\n{% endif %}\n'


def _view(n, *, actor="ann@example.org", agency="Police", role="Chair", action="viewed"):
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=dt_timezone.utc) + timedelta(hours=7 * n, minutes=n)
    return {"occurred_at": moment, "actor_label": actor, "agency_label": agency, "role_label": role, "action": action}


VARIANTS = [
    None,
    [],
    [_view(0)],
    [_view(1, role=""), _view(2, action="exported", agency=""), _view(3, actor="A & B <script>", agency="O'Neil \"x\"", role="<b>")],
    [_view(n, action="viewed" if n % 3 else "exported") for n in range(230)],
]


@pytest.mark.parametrize("zone", ["Europe/London", "UTC"])
@pytest.mark.parametrize("viewers", VARIANTS, ids=range(len(VARIANTS)))
def test_rows_as_the_template_wrote_them(viewers, zone):
    with timezone.override(zone):
        old = engines["django"].from_string(OLD_RECORD_VIEWERS).render({"viewers": viewers})
        new = render_to_string("includes/record_viewers.html", {"viewers": viewers, "viewer_rows": viewer_rows(viewers)})
    assert new == old
    if viewers:
        assert new.count("<tr") == min(len(viewers), 200) + 1
