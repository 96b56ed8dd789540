"""How the Marac's action list writes each row. The list is the coordinator's daily
page, so its rows are formatted here once, in Python: through the template's filters and
tags (two `{% url %}`, four dates, three choice labels a row) each row cost about a
third of a millisecond, more than all of the page's queries together."""

from dataclasses import dataclass

from django.utils.text import Truncator

from openmarac.core.display import day_text
from openmarac.core.display import url_pattern as _url_pattern

from .models import Action, ActionKind, ForWhom

_KINDS = dict(ActionKind.choices)
_FOR_WHOM = dict(ForWhom.choices)
_STATUSES = dict(Action.Status.choices)


@dataclass(frozen=True)
class ActionRow:
    action: Action
    url: str
    chase_url: str
    description: str
    kind: str
    for_whom: str
    agreed: str
    due: str
    overdue: bool
    status: str
    completed: str


def action_rows(actions, *, today):
    """The rows of a page of `selectors.marac_actions`."""
    url, chase_url = _url_pattern("actions:action"), _url_pattern("actions:chase")
    return [
        ActionRow(
            action=action,
            url=url.format(action.pk),
            chase_url=chase_url.format(action.pk),
            description=Truncator(action.description).chars(120),
            kind=_KINDS.get(action.kind, action.kind),
            for_whom=_FOR_WHOM.get(action.for_whom, action.for_whom).lower(),
            agreed=day_text(action.agreed_at),
            due=day_text(action.due_on),
            overdue=action.status == Action.Status.OPEN and action.due_on < today,
            status=_STATUSES.get(action.status, action.status),
            completed=day_text(action.completed_on),
        )
        for action in actions
    ]


def with_chase_urls(agencies, *, marac):
    """`selectors.marac_action_summary`'s agencies, each with the address that reminds it
    of its open actions (`chase_url`)."""
    url = _url_pattern("actions:agency-chase", marac.slug)
    return [{**agency, "chase_url": url.format(agency["owner_agency"])} for agency in agencies]
