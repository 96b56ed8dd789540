"""How the Marac's action list writes each row. The list is the coordinator's daily
page, so its rows are written here once, in Python, with the HTML the template wrote
(tests/actions/test_display.py compares the two): through the template's filters and
tags (two `{% url %}`, four dates, three choice labels and a `{% csrf_token %}` a row)
the rows cost more than all of the page's queries together."""

import unicodedata

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from openmarac.core.display import day_text, escaped, url_pattern

from .models import Action, ActionKind, ForWhom

_KINDS = dict(ActionKind.choices)
_FOR_WHOM = dict(ForWhom.choices)
_STATUSES = dict(Action.Status.choices)
_CHOICES = {"kind": _KINDS, "for_whom": _FOR_WHOM, "status": _STATUSES}
_OVERDUE_TAG = '<br><strong class="govuk-tag govuk-tag--red">Overdue</strong>'


def action_rows(actions, *, today, can_chase, csrf_input, here):
    """The table rows of a page of the Marac's action list (`selectors.ActionPage`: a
    dict an action), each as the HTML of one `<tr>`. With `can_chase`, an open action's
    row has a reminder form: `csrf_input` is its token field (`core.display.token_field`),
    `here` the page to come back to."""
    url, chase_url = url_pattern("actions:action"), url_pattern("actions:chase")
    here = escape(here)
    labels = _Labels()
    return [_row_html(action, today, url, chase_url if can_chase else None, csrf_input, here, labels) for action in actions]


class _Labels(dict):
    """The escaped labels of the kinds, for-whoms and statuses, each translated once
    for the page rather than once a row (the choices' labels are lazy translations)."""

    def __missing__(self, key):
        field, value = key
        label = _CHOICES[field].get(value, value)
        self[key] = text = escaped(label.lower() if field == "for_whom" else label)
        return text


def _shortened(description):
    """`Truncator(description).chars(120)`: a description of at most 120 characters (in
    the normal form it compares) is returned as it is, without the truncator's
    translated ellipsis looked up for every row."""
    text = unicodedata.normalize("NFC", description)
    return text if len(text) <= 120 else Truncator(description).chars(120)


def _row_html(action, today, url, chase_url, csrf_input, here, labels):
    pk, status, due_on, completed_on = action["pk"], action["status"], action["due_on"], action["completed_on"]
    agency, reference, due = escaped(action["owner_agency__name"]), escaped(action["case__reference"]), day_text(due_on)
    owner = f" ({escaped(action['owner_name'])})" if action["owner_name"] else ""
    joints = "".join(f'<br><span class="govuk-body-s">with {escaped(joint)}</span>' for joint in action["joints"])
    overdue = _OVERDUE_TAG if status == Action.Status.OPEN and due_on < today else ""
    completed = f'<br><span class="govuk-body-s">{day_text(completed_on)}</span>' if completed_on else ""
    chase = ""
    if chase_url is not None:
        form = ""
        if status == Action.Status.OPEN:
            form = (
                f'<form method="post" action="{chase_url.format(pk)}">{csrf_input}<input type="hidden" name="next" value="{here}">'
                '<button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button">'
                f'Remind<span class="govuk-visually-hidden"> {agency} of the action on case {reference} due {due}</span></button></form>'
            )
        chase = f'<td class="govuk-table__cell">{form}</td>'
    return mark_safe(
        '\n    <tr class="govuk-table__row">\n'
        f'      <td class="govuk-table__cell">{agency}{owner}{joints}</td>\n'
        f'      <td class="govuk-table__cell">{reference}</td>\n'
        f'      <td class="govuk-table__cell"><a class="govuk-link" href="{url.format(pk)}">{escaped(_shortened(action["description"]))}</a>'
        f'<br><span class="govuk-body-s">{labels["kind", action["kind"]]}; for {labels["for_whom", action["for_whom"]]}</span></td>\n'
        f'      <td class="govuk-table__cell">{day_text(action["agreed_at"])}</td>\n'
        f'      <td class="govuk-table__cell">{due}{overdue}</td>\n'
        f'      <td class="govuk-table__cell">{labels["status", status]}{completed}</td>\n'
        f"      {chase}\n"
        "    </tr>\n  "
    )


def with_chase_urls(agencies, *, marac, remindable):
    """`selectors.marac_action_summary`'s agencies, each with the address that reminds it
    of its open actions (`chase_url`), or None for an agency with nobody to remind (not
    in `remindable`, the ids of those with a representative or an Idva)."""
    url = url_pattern("actions:agency-chase", marac.slug)
    return [{**agency, "chase_url": url.format(agency["owner_agency"]) if agency["owner_agency"] in remindable else None} for agency in agencies]


_PLAN_HEAD = (
    '<th scope="col" class="govuk-table__header">Agency and named person</th><th scope="col" class="govuk-table__header">Joint with</th>'
    '<th scope="col" class="govuk-table__header">Action</th><th scope="col" class="govuk-table__header">For</th>'
    '<th scope="col" class="govuk-table__header">Due</th><th scope="col" class="govuk-table__header">Flag until</th>'
    '<th scope="col" class="govuk-table__header">Status</th>'
)
_NO_ACTIONS = '\n    <tr class="govuk-table__row"><td class="govuk-table__cell" colspan="7">No actions yet.</td></tr>\n  '


def plan_table(actions, *, caption):
    """The agreed action plan of one case as `actions/_plan_table.html` writes it on a
    page (not the PDF), for the chair's case screen and its live part, which draw it on
    every load and every poll: through the template, its per-row `{% url %}`, include,
    dates and choice labels cost more than its queries (tests/actions/test_display.py
    compares the two). `actions` as `plan_rows_html` takes them."""
    return mark_safe(
        '\n<table class="govuk-table">\n'
        f'  <caption class="govuk-table__caption govuk-table__caption--s">{escape(caption)}</caption>\n'
        f'  <thead class="govuk-table__head"><tr class="govuk-table__row">\n    {_PLAN_HEAD}\n  </tr></thead>\n'
        f'  <tbody class="govuk-table__body">\n  {plan_rows_html(actions)}\n  </tbody>\n</table>\n'
    )


def plan_rows_html(actions, *, pdf=False, linked=None):
    """The rows of a case's agreed action plan (actions/_plan_table.html), as the HTML
    the template's loop wrote: on the minutes, a meeting's every action, each through
    the template's filters, tags and an include cost more than the page's queries.
    `actions` with their owner agency and risk, and their joint agencies and children
    prefetched; `pdf` writes each action's description without its link. `linked`, when
    given, the ids of the actions the reader may open: the others are written without
    their link (the minutes show every agency's actions to every agency)."""
    if not actions:
        return mark_safe(_NO_ACTIONS)
    url = url_pattern("actions:action")
    return mark_safe(
        "".join(_plan_row_html(action, None if pdf or (linked is not None and action.pk not in linked) else url) for action in actions)
    )


def _plan_row_html(action, url):
    owner = f": {escape(action.owner_name)}" if action.owner_name else ""
    joints = ", ".join(escape(joint) for joint in action.joint_agencies.all()) or "None"
    description = escape(action.description)
    if url is not None:
        description = f'<a class="govuk-link" href="{url.format(action.pk)}">{description}</a>'
    risk = f"; addresses: {escape(action.risk)}" if action.risk else ""
    return (
        '\n    <tr class="govuk-table__row">\n'
        f'      <td class="govuk-table__cell">{escape(action.owner_agency)}{owner}</td>\n'
        f'      <td class="govuk-table__cell">{joints}</td>\n'
        f'      <td class="govuk-table__cell">{description}<br><span class="govuk-body-s">{escape(_KINDS.get(action.kind, action.kind))}{risk}</span></td>\n'
        f'      <td class="govuk-table__cell">{escape(action.for_whom_text)}</td>\n'
        f'      <td class="govuk-table__cell">{day_text(action.due_on)}</td>\n'
        f'      <td class="govuk-table__cell">{day_text(action.flag_expires_on) or "–"}</td>\n'
        f'      <td class="govuk-table__cell">{escape(_STATUSES.get(action.status, action.status))}</td>\n'
        "    </tr>\n  "
    )
