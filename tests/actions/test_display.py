"""The action list's rows and a case plan's rows are written in Python as the templates
would write them."""

from datetime import date, datetime, timezone as dt_timezone

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import format_html
from hypothesis import given
from hypothesis import strategies as st

from openmarac.accounts.models import Agency
from openmarac.actions.display import action_rows, plan_rows_html
from openmarac.actions.models import Action, ActionKind, ForWhom
from openmarac.core.display import day_text
from openmarac.meetings.models import Risk
from openmarac.people.models import Person
from openmarac.core.display import url_pattern as _url_pattern
from openmarac.referrals.models import Case

_AS_TEMPLATE = Template('{{ value|date:"j M Y" }}')


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_a_date_is_written_as_the_date_filter_writes_it(day):
    assert day_text(day) == _AS_TEMPLATE.render(Context({"value": day}))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(dt_timezone.utc)))
def test_a_time_is_written_as_its_local_date_as_the_date_filter_writes_it(moment):
    # Late in a summer evening in UTC is already the next day in London.
    assert day_text(moment) == _AS_TEMPLATE.render(Context({"value": moment}))


def test_no_date_is_written_as_nothing():
    assert day_text(None) == ""


def test_each_rows_links_are_the_urls_reverse_gives():
    for pk in (1, 42, 987_654_320):
        assert _url_pattern("actions:action").format(pk) == reverse("actions:action", args=[pk])
        assert _url_pattern("actions:agency-chase", "north-shire").format(pk) == reverse("actions:agency-chase", args=["north-shire", pk])


# The all-actions list's rows as its template wrote them before they were written in Python.
OLD_ROWS = (
    '{% for action in page %}{% with due=action.due_on|date:"j M Y" %}\n'
    '    <tr class="govuk-table__row">\n'
    '      <td class="govuk-table__cell">{{ action.owner_agency }}{% if action.owner_name %} ({{ action.owner_name }}){% endif %}{% for joint in action.joints %}<br><span class="govuk-body-s">with {{ joint }}</span>{% endfor %}</td>\n'
    '      <td class="govuk-table__cell">{{ action.case.reference }}</td>\n'
    '      <td class="govuk-table__cell"><a class="govuk-link" href="{% url \'actions:action\' action.pk %}">{{ action.description|truncatechars:120 }}</a><br><span class="govuk-body-s">{{ action.get_kind_display }}; for {{ action.get_for_whom_display|lower }}</span></td>\n'
    '      <td class="govuk-table__cell">{{ action.agreed_at|date:"j M Y" }}</td>\n'
    '      <td class="govuk-table__cell">{{ due }}{% if action.status == "open" and action.due_on < today %}<br><strong class="govuk-tag govuk-tag--red">Overdue</strong>{% endif %}</td>\n'
    '      <td class="govuk-table__cell">{{ action.get_status_display }}{% if action.completed_on %}<br><span class="govuk-body-s">{{ action.completed_on|date:"j M Y" }}</span>{% endif %}</td>\n'
    '      {% if can_chase %}<td class="govuk-table__cell">{% if action.status == "open" %}<form method="post" action="{% url \'actions:chase\' action.pk %}">{% csrf_token %}<input type="hidden" name="next" value="{{ here }}"><button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button">Remind<span class="govuk-visually-hidden"> {{ action.owner_agency }} of the action on case {{ action.case.reference }} due {{ due }}</span></button></form>{% endif %}</td>{% endif %}\n'
    "    </tr>{% endwith %}\n"
    "  {% endfor %}"
)
NEW_ROWS = "{% for row in rows %}{{ row }}{% endfor %}"
TOKEN = "a" * 64
TODAY = date(2026, 11, 30)


def _action(pk, *, status=Action.Status.OPEN, due=date(2026, 12, 3), completed=None, owner_name="", joints=(), description="Refer to the perpetrator programme"):
    action = Action(
        pk=pk, status=status, due_on=due, completed_on=completed, owner_name=owner_name, description=description,
        kind=ActionKind.PERPETRATOR_PROGRAMME, for_whom=ForWhom.PERPETRATOR,
        owner_agency=Agency(name="Probation & <Partners>"), case=Case(reference="NORT-2026-0001"),
    )
    action.joints = [Agency(name=name) for name in joints]
    action.agreed_at = datetime(2026, 6, 30, 23, 30, tzinfo=dt_timezone.utc)  # 1 Jul 2026 in London
    return action


def _as_row(action):
    # As `selectors.ActionPage` reads it.
    return {
        "pk": action.pk, "owner_agency__name": action.owner_agency.name, "owner_name": action.owner_name, "case__reference": action.case.reference,
        "description": action.description, "kind": action.kind, "for_whom": action.for_whom, "due_on": action.due_on, "status": action.status,
        "completed_on": action.completed_on, "agreed_at": action.agreed_at, "joints": [agency.name for agency in action.joints],
    }


ACTIONS = [
    _action(1),
    _action(2, due=date(2026, 11, 1)),  # overdue
    _action(3, status=Action.Status.COMPLETED, due=date(2026, 11, 1), completed=date(2026, 11, 20)),
    _action(4, status=Action.Status.NOT_POSSIBLE, owner_name="D. O'Brien <duty>", joints=["Housing", "Children's <services>"]),
    _action(5, description="x & y " * 40),  # truncated to 120 characters
    _action(6, status=Action.Status.TRANSFERRED, due=date(2025, 1, 1)),
    # Decomposed accents: 200 code points, 100 characters once composed (not cut, but
    # written composed); 156 that compose to 130 (cut); 200 whose accents do not
    # compose but are not counted (not cut).
    _action(7, description="e\u0301" * 100),
    _action(8, description="Cafe\u0301 " * 26),
    _action(9, description="x\u0301" * 100),
]


@pytest.mark.parametrize("can_chase", [False, True])
@pytest.mark.parametrize("here", ["/maracs/northshire/all-actions/?view=all", "/maracs/northshire/all-actions/?view=all&agency=3&status=<open>"])
def test_the_action_lists_rows_are_written_as_the_template_wrote_them(can_chase, here):
    old = Template(OLD_ROWS).render(Context({"page": ACTIONS, "today": TODAY, "can_chase": can_chase, "here": here, "csrf_token": TOKEN}))
    csrf_input = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', TOKEN)
    rows = action_rows([_as_row(action) for action in ACTIONS], today=TODAY, can_chase=can_chase, csrf_input=csrf_input, here=here)
    assert Template(NEW_ROWS).render(Context({"rows": rows})) == old


# A case's action plan (actions/_plan_table.html) as the template wrote it before the
# minutes wrote its rows in Python.
OLD_PLAN_TABLE = '{# The agreed action plan of one case: the same columns on the case screen, the minutes page and the minutes PDF. #}\n<table class="govuk-table">\n  <caption class="govuk-table__caption govuk-table__caption--s">{{ caption }}</caption>\n  <thead class="govuk-table__head"><tr class="govuk-table__row">\n    <th scope="col" class="govuk-table__header">Agency and named person</th><th scope="col" class="govuk-table__header">Joint with</th><th scope="col" class="govuk-table__header">Action</th><th scope="col" class="govuk-table__header">For</th><th scope="col" class="govuk-table__header">Due</th><th scope="col" class="govuk-table__header">Flag until</th><th scope="col" class="govuk-table__header">Status</th>\n  </tr></thead>\n  <tbody class="govuk-table__body">\n  {% for action in actions %}\n    <tr class="govuk-table__row">\n      <td class="govuk-table__cell">{{ action.owner_agency }}{% if action.owner_name %}: {{ action.owner_name }}{% endif %}</td>\n      <td class="govuk-table__cell">{% for joint in action.joint_agencies.all %}{{ joint }}{% if not forloop.last %}, {% endif %}{% empty %}None{% endfor %}</td>\n      <td class="govuk-table__cell">{% if pdf %}{{ action.description }}{% else %}<a class="govuk-link" href="{% url \'actions:action\' action.pk %}">{{ action.description }}</a>{% endif %}<br><span class="govuk-body-s">{{ action.get_kind_display }}{% if action.risk %}; addresses: {{ action.risk }}{% endif %}</span></td>\n      <td class="govuk-table__cell">{% include "actions/_for_whom.html" %}</td>\n      <td class="govuk-table__cell">{{ action.due_on|date:"j M Y" }}</td>\n      <td class="govuk-table__cell">{{ action.flag_expires_on|date:"j M Y"|default:"–" }}</td>\n      <td class="govuk-table__cell">{{ action.get_status_display }}</td>\n    </tr>\n  {% empty %}\n    <tr class="govuk-table__row"><td class="govuk-table__cell" colspan="7">No actions yet.</td></tr>\n  {% endfor %}\n  </tbody>\n</table>\n'


def _planned(pk, *, owner_name="", joints=(), children=(), for_whom=ForWhom.VICTIM, risk=None, flag_until=None, status=Action.Status.OPEN, description="Visit <safely> & agree next steps"):
    action = Action(
        pk=pk, owner_agency=Agency(name="Housing & <Homes>"), owner_name=owner_name, description=description, kind=ActionKind.FLAG,
        for_whom=for_whom, due_on=date(2026, 12, 3), flag_expires_on=flag_until, status=status, risk=risk,
    )
    # As the minutes prefetch them: read without the database.
    action._prefetched_objects_cache = {"joint_agencies": [Agency(name=name) for name in joints], "children": list(children)}
    return action


PLANNED = [
    _planned(1),
    _planned(2, owner_name="D. O'Brien <duty>", joints=["Police", "Children's <services>"], flag_until=date(2027, 6, 1), status=Action.Status.COMPLETED),
    _planned(3, risk=Risk(who_at_risk="Victim & child", from_whom="Perpetrator <ex>", harm="Harm " * 20), for_whom=ForWhom.HOUSEHOLD),
    _planned(4, for_whom=ForWhom.CHILD, children=[Person(given_name="Lily", family_name="O'Hara", date_of_birth=date(2019, 4, 3))]),
    _planned(5, for_whom=ForWhom.CHILD, children=[
        Person(given_name="Amy", family_name="<B>", date_of_birth=date(2020, 1, 9)), Person(given_name="Unborn", family_name="B", expected_birth_on=date(2027, 3, 1)),
    ], status=Action.Status.NOT_POSSIBLE),
    _planned(6, for_whom=ForWhom.CHILD),  # for a child, none named
]


@pytest.mark.parametrize("actions", [PLANNED, PLANNED[:1], []], ids=["many", "one", "none"])
@pytest.mark.parametrize("pdf", [False, True])
def test_a_case_plans_rows_are_written_as_the_template_wrote_them(actions, pdf):
    context = {"actions": actions, "caption": "Actions agreed for this case", "pdf": pdf}
    old = Template(OLD_PLAN_TABLE).render(Context(context))
    table = get_template("actions/_plan_table.html")
    assert table.render({**context, "plan_rows": plan_rows_html(actions, pdf=pdf)}) == old
    # The template's own loop (the case screen's) writes the same.
    assert table.render(context) == old


# --- The case screen's action plan ------------------------------------------------------

from datetime import timedelta  # noqa: E402

from django.template.loader import render_to_string  # noqa: E402
from django.utils import timezone  # noqa: E402

from openmarac.actions import display as action_display  # noqa: E402
from openmarac.actions import selectors as action_selectors  # noqa: E402
from openmarac.actions import services as action_services  # noqa: E402


def _as_template(actions, caption):
    return render_to_string("actions/_plan_table.html", {"actions": actions, "caption": caption})


def test_the_case_screens_plan_is_written_as_its_template_writes_it(staff, heard):
    hearing = heard(children=2)
    chair, housing = staff["chair"], staff["housing_rep"].agency
    children = list(action_selectors.hearing_children(hearing))
    risk = action_services.risk_add(by=chair, hearing=hearing, who_at_risk="Victim & <child>", from_whom="Ex-partner", harm="Threats " * 12, likelihood="high")
    agencies = [staff[role].agency for role in ("idva", "coordinator") if staff[role].agency and staff[role].agency != housing]
    day = timezone.localdate()
    variants = [
        # (for whom, extra): for the victim plainly; for two children, joint, with a risk
        # and a named person; a flag with its expiry; one reported done and one not possible.
        ("victim", {}),
        ("child", {"children": children, "joint_agencies": agencies, "risk": risk, "owner_name": "D. O'Brien <duty>"}),
        ("child", {"children": children[:1]}),
        ("perpetrator", {"kind": ActionKind.FLAG, "flag_expires_on": day + timedelta(days=400)}),
        ("household", {}),
        ("victim", {}),
    ]
    for number, (for_whom, extra) in enumerate(variants):
        action_services.action_add(
            by=chair, hearing=hearing, owner_agency=housing, description=f"Step {number} & <check> “quoted”", for_whom=for_whom,
            due_on=day + timedelta(days=number), **extra,
        )
    actions = list(hearing.actions.select_related("owner_agency", "risk").prefetch_related("joint_agencies", "children"))
    done, impossible = actions[-2:]
    action_services.action_report(by=staff["coordinator"], action=done, version=done.version, status=Action.Status.COMPLETED, completed_on=day)
    action_services.action_report(
        by=staff["coordinator"], action=impossible, version=impossible.version, status=Action.Status.NOT_POSSIBLE,
        not_possible_reason=Action.NotPossibleReason.CIRCUMSTANCES_CHANGED,
    )
    actions = list(hearing.actions.select_related("owner_agency", "risk").prefetch_related("joint_agencies", "children"))
    assert {a.status for a in actions} >= {Action.Status.OPEN, Action.Status.COMPLETED, Action.Status.NOT_POSSIBLE}
    for shown in (actions, actions[:1], []):
        for caption in ("Actions agreed for this case", "Plan & <more>"):
            assert action_display.plan_table(shown, caption=caption) == _as_template(shown, caption)
