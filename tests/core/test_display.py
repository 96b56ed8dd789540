"""The case list's entries, the agenda's sections and a person's summary are written in
Python (meetings/display.py, people/display.py) exactly as the templates they replaced
wrote them: each variant here is rendered both ways and compared."""

from datetime import date, datetime, timedelta, timezone as dt_timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from hypothesis import given
from hypothesis import strategies as st

import openmarac
from openmarac.core.display import time_text
from openmarac.meetings.display import AgendaLinks, agenda_sections, case_entry_html, listing_rows_html
from openmarac.people.display import person_html
from openmarac.people.selectors import SEALED_TEXT, ShownAddress, ShownPerson, ShownPhone

# The templates as they were before the entries were written in Python.
OLD_CASE_ENTRY = '{# One case on the case list; shared by the page and the PDF. #}\n{% if entry.restricted %}\n{# A restricted case the reader may not open: its place and slot only, never a name, reference or address. #}\n<h3 class="govuk-heading-m">{% if entry.slot.starts_at %}{{ entry.slot.starts_at|time:"H:i" }}–{{ entry.slot.ends_at|time:"H:i" }}: {% endif %}Restricted case</h3>\n<p class="govuk-body">This case is restricted to named people. Its details are not shown to you.</p>\n{% else %}\n<h3 class="govuk-heading-m">{% if entry.slot.starts_at %}{{ entry.slot.starts_at|time:"H:i" }}–{{ entry.slot.ends_at|time:"H:i" }}: {% endif %}case {{ entry.referral.case.reference }}\n  {% if entry.referral.meets_repeat %}<strong class="govuk-tag govuk-tag--orange">Repeat</strong>{% endif %}</h3>\n{% for flag in entry.flags %}<p class="govuk-body"><strong class="govuk-tag govuk-tag--red">Flag</strong> {{ flag }}</p>{% endfor %}\n<dl class="govuk-summary-list">\n  {% for rp, shown in entry.victim %}\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Victim</dt><dd class="govuk-summary-list__value">{{ shown.name }}{% if shown.aliases %} (also {{ shown.aliases|join:", " }}){% endif %}, born {{ shown.date_of_birth|date:"j M Y"|default:"date not known" }}{% for address in shown.addresses %}{% if address.current %}<br>{% if address.sealed_and_shown %}<strong class="govuk-tag govuk-tag--purple">Sealed</strong> {% endif %}{{ address.text }}{% endif %}{% endfor %}</dd></div>\n  {% endfor %}\n  {% for rp, shown in entry.perpetrators %}\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Perpetrator {{ forloop.counter }}</dt><dd class="govuk-summary-list__value">{{ shown.name }}{% if shown.aliases %} (also {{ shown.aliases|join:", " }}){% endif %}, born {{ shown.date_of_birth|date:"j M Y"|default:"date not known" }}; {{ rp.relationship_to_victim }}{% for address in shown.addresses %}{% if address.current %}<br>{% if address.sealed_and_shown %}<strong class="govuk-tag govuk-tag--purple">Sealed</strong> {% endif %}{{ address.text }}{% endif %}{% endfor %}</dd></div>\n  {% endfor %}\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Children</dt><dd class="govuk-summary-list__value">{% for rp, shown in entry.children %}{{ shown.name }}, {{ shown.birth_text }}{% if rp.details_unreliable %} (details may be unreliable){% endif %}{% if not forloop.last %}<br>{% endif %}{% empty %}None listed{% endfor %}</dd></div>\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Referred by</dt><dd class="govuk-summary-list__value">{{ entry.referral.referring_agency|default:entry.referral.referring_agency_kind }}, {{ entry.referral.referred_on|date:"j M Y" }}</dd></div>\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Criteria and score</dt><dd class="govuk-summary-list__value">{{ entry.referral.criteria_labels|join:", " }}; checklist score {{ entry.referral.checklist_score|default_if_none:"not given" }}</dd></div>\n  {% if entry.referral.meets_repeat %}<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Previous referral</dt><dd class="govuk-summary-list__value">{{ entry.previous_hearing|date:"j M Y"|default:"Declared by the referrer" }}</dd></div>{% endif %}\n</dl>\n{% endif %}\n'
OLD_AGENDA_SECTIONS = '{% regroup rows by entry.item.section as sections %}\n{% for section in sections %}\n<h2 class="govuk-heading-l">{{ section.list.0.entry.item.get_section_display }}</h2>\n{% for row in section.list %}{% with entry=row.entry %}\n{% if entry.restricted %}\n<section class="govuk-!-margin-bottom-7" aria-label="Restricted case {{ forloop.counter }}">\n  {% include "meetings/_case_entry.html" %}\n  <p class="govuk-body"><a class="govuk-link" href="{{ row.break_glass_url }}">Ask for break-glass access<span class="govuk-visually-hidden"> to this restricted case</span></a></p>\n</section>\n{% else %}\n<section class="govuk-!-margin-bottom-7" aria-label="Case {{ entry.referral.case.reference }}">\n  {% include "meetings/_case_entry.html" %}\n  <p class="govuk-body"><a class="govuk-link" href="{{ row.research_url }}">Research on case {{ entry.referral.case.reference }}</a>{% if meeting.is_async and meeting.published_at %} · <a class="govuk-link" href="{{ row.hearing_url }}">Propose actions and see the plan for case {{ entry.referral.case.reference }}</a>{% endif %} · <a class="govuk-link" href="{{ row.case_url }}">Open case {{ entry.referral.case.reference }}</a></p>\n  {% if can_prepare and move_form %}\n  <form method="post" action="{{ row.move_url }}" class="govuk-!-margin-bottom-4" novalidate>{% csrf_token %}\n    <div class="govuk-form-group">\n      <label class="govuk-label" for="move-{{ entry.item.pk }}">Move case {{ entry.referral.case.reference }} to</label>\n      <select class="govuk-select" id="move-{{ entry.item.pk }}" name="meeting">\n        {{ move_options }}\n      </select>\n      <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button">Move<span class="govuk-visually-hidden"> case {{ entry.referral.case.reference }}</span></button>\n    </div>\n  </form>\n  {% endif %}\n</section>\n{% endif %}\n{% endwith %}{% endfor %}\n{% empty %}\n<p class="govuk-body">No cases are listed yet.</p>\n{% endfor %}\n'
# The agenda page's sections as the page now writes them.
_PAGE = (Path(openmarac.__file__).parent / "templates/meetings/meeting.html").read_text()
NEW_AGENDA_SECTIONS = _PAGE[_PAGE.index("{# The cases of each section") : _PAGE.index("{% endblock %}", _PAGE.index("{# The cases of each section"))]
OLD_PERSON = '{# A person as shown by openmarac.people.selectors.present_person: sealed values are already removed. #}\n<dl class="govuk-summary-list govuk-summary-list--no-border govuk-!-margin-bottom-4">\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Name</dt><dd class="govuk-summary-list__value">{{ shown.name }}{% if shown.aliases %}<br><span class="govuk-body-s">Also known as {{ shown.aliases|join:", " }}</span>{% endif %}</dd></div>\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Date of birth</dt><dd class="govuk-summary-list__value">{% if shown.date_of_birth %}{{ shown.date_of_birth|date:"j F Y" }} (age {{ shown.age }}){% elif shown.expected_birth_on %}Unborn, expected {{ shown.expected_birth_on|date:"m/Y" }}{% else %}Not known{% endif %}</dd></div>\n  {% if shown.gender %}<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Gender</dt><dd class="govuk-summary-list__value">{{ shown.gender }}</dd></div>{% endif %}\n  {% for address in shown.addresses %}\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{% if address.current %}Address{% else %}Previous address{% endif %}</dt>\n    <dd class="govuk-summary-list__value">{% if address.sealed_and_shown %}<strong class="govuk-tag govuk-tag--purple">Sealed</strong> {% endif %}{{ address.text }}</dd></div>\n  {% endfor %}\n  {% for phone in shown.phones %}\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Phone</dt>\n    <dd class="govuk-summary-list__value">{% if phone.sealed_and_shown %}<strong class="govuk-tag govuk-tag--purple">Sealed</strong> {% endif %}{{ phone.text }}{% if phone.safe_to_call %}<br><span class="govuk-body-s">Safe to call: {{ phone.safe_to_call }}{% if phone.safe_times %}; safe times: {{ phone.safe_times }}{% endif %}</span>{% endif %}</dd></div>\n  {% endfor %}\n  {% if show_diversity %}\n  {% for label, value in shown.diversity.items %}<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{{ label }}</dt><dd class="govuk-summary-list__value">{{ value }}</dd></div>{% endfor %}\n  {% if shown.language %}<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Language</dt><dd class="govuk-summary-list__value">{{ shown.language }}{% if shown.interpreter_needed %} (interpreter needed){% endif %}</dd></div>{% endif %}\n  {% endif %}\n</dl>\n'


def _template(text):
    return engines["django"].from_string(text)


class _Person:
    def __init__(self, **values):
        self.__dict__.update(values)

    def get_racially_minoritised_display(self):
        return "Yes"

    def get_disabled_display(self):
        return "Not known"

    def get_lgbt_display(self):
        return "No <answer>"


def _shown(name="Ann O'Neil", *, aliases=(), born=date(1990, 3, 4), expected=None, addresses=(), phones=(), gender="Female", language="", interpreter=False, ethnicity=""):
    return ShownPerson(
        pk=1, name=name, aliases=list(aliases), date_of_birth=born, age=36 if born else None, gender=gender,
        addresses=list(addresses), phones=list(phones), language=language, interpreter_needed=interpreter, expected_birth_on=expected,
        person=_Person(ethnicity=ethnicity),
    )


PEOPLE = [
    _shown(),
    _shown("A & B <script>", aliases=["Al", "Bo & Co"], born=None, gender=""),
    _shown("Unborn", born=None, expected=date(2027, 3, 1)),
    _shown(
        addresses=[
            ShownAddress(text="1 High St", sealed=False, current=True),
            ShownAddress(text="Refuge <9>", sealed=True, current=True),
            ShownAddress(text=SEALED_TEXT, sealed=True, current=False),
        ],
        phones=[
            ShownPhone(text="07700 900000", sealed=False, safe_to_call="Yes", safe_times="after 6 & weekends"),
            ShownPhone(text="07700 900001", sealed=True, safe_to_call="No", safe_times=""),
            ShownPhone(text=SEALED_TEXT, sealed=True, safe_to_call="", safe_times=""),
        ],
        language="Polish", interpreter=True, ethnicity="White <Other>",
    ),
    _shown(language="Urdu"),
]


@pytest.mark.parametrize("shown", PEOPLE)
@pytest.mark.parametrize("show_diversity", [False, True])
def test_a_person_is_written_as_the_template_wrote_them(shown, show_diversity):
    assert "\n" + person_html(shown, show_diversity=show_diversity) + "\n" == _template(OLD_PERSON).render({"shown": shown, "show_diversity": show_diversity})


def _slot(starts_at):
    # In local time, as `meetings.selectors._slots` counts a meeting's slots.
    starts_at = starts_at and localtime(starts_at)
    return SimpleNamespace(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=15) if starts_at else None)


def _entry(*, restricted=False, starts_at=datetime(2026, 7, 1, 9, 30, tzinfo=dt_timezone.utc), repeat=False, flags=(), agency="Police <North>", kind="police",
           score=12, previous=None, victim=(), perpetrators=(), children=()):
    referral = SimpleNamespace(
        case=SimpleNamespace(reference="M01-2026-0001"), meets_repeat=repeat, referring_agency=agency, referring_agency_kind=kind,
        referred_on=date(2026, 5, 2), criteria_labels=["Visible high risk", "Professional <judgement>"], checklist_score=score,
    )
    return SimpleNamespace(slot=_slot(starts_at), referral=referral, restricted=restricted, flags=list(flags), previous_hearing=previous,
                           victim=list(victim), perpetrators=list(perpetrators), children=list(children))


def _rp(relationship="Partner & ex", unreliable=False):
    return SimpleNamespace(relationship_to_victim=relationship, details_unreliable=unreliable)


ENTRIES = [
    _entry(),
    _entry(restricted=True),
    _entry(restricted=True, starts_at=None),
    _entry(starts_at=None, agency=None, score=None),
    _entry(score=0, repeat=True, previous=date(2026, 1, 5), flags=["Added late", "Over this meeting’s <capacity>"]),
    _entry(repeat=True, previous=datetime(2025, 12, 31, 23, 30, tzinfo=dt_timezone.utc)),
    _entry(
        victim=[(_rp(), PEOPLE[3])], perpetrators=[(_rp("Ex-partner"), PEOPLE[1]), (_rp("Son"), PEOPLE[0])],
        children=[(_rp(unreliable=True), PEOPLE[2]), (_rp(), PEOPLE[0])],
    ),
]


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_case_list_entry_is_written_as_the_template_wrote_it(entry):
    assert "\n" + case_entry_html(entry) + "\n" == _template(OLD_CASE_ENTRY).render({"entry": entry})


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(dt_timezone.utc)))
def test_a_time_is_written_as_the_time_filter_writes_it(moment):
    # The clocks change in London: the local time, as the template wrote it.
    assert time_text(moment) == _template('{{ value|time:"H:i" }}').render({"value": moment})


def test_no_time_is_written_as_nothing():
    assert time_text(None) == ""


class _Item(SimpleNamespace):
    def get_section_display(self):
        return {"new": "New and repeat <cases>", "review": "Reviews"}[self.section]


def _agenda_entry(number, entry, section):
    # Each case its own reference (one needing escaping) and ids.
    entry = SimpleNamespace(**{**vars(entry), "item": _Item(pk=number, section=section)})
    entry.referral = SimpleNamespace(
        **{**vars(entry.referral), "public_id": f"referral-{number}", "case": SimpleNamespace(reference=f"M01-2026-{number:04} <&>", public_id=f"case-{number}")}
    )
    entry.html = mark_safe(case_entry_html(entry))
    return entry


LINKS = AgendaLinks(case="/cases/{}/", research="/research/{}/", hearing="/hearing/{}/", move="/move/{}/", break_glass="/break-glass/{}/")


def _old_row(entry):
    # A case with its links, as the template was given them.
    return SimpleNamespace(
        entry=entry, case_url=f"/cases/{entry.referral.case.public_id}/", research_url=f"/research/{entry.referral.public_id}/",
        hearing_url=f"/hearing/{entry.item.pk}/", move_url=f"/move/{entry.item.pk}/", break_glass_url=f"/break-glass/{entry.referral.case.public_id}/",
    )


AGENDAS = [
    [],
    [_agenda_entry(1, ENTRIES[0], "new")],
    [_agenda_entry(number, entry, "new" if number < 5 else "review") for number, entry in enumerate(ENTRIES, start=1)],
    # A section that comes back after another is a section of its own, as `regroup` made it.
    [_agenda_entry(1, ENTRIES[1], "new"), _agenda_entry(2, ENTRIES[0], "review"), _agenda_entry(3, ENTRIES[2], "new")],
]


@pytest.mark.parametrize("entries", AGENDAS)
@pytest.mark.parametrize("can_move", [False, True])
@pytest.mark.parametrize("proposing", [False, True])
def test_the_agenda_is_written_as_the_template_wrote_it(entries, can_move, proposing):
    meeting = SimpleNamespace(is_async=proposing, published_at=datetime(2026, 6, 1, tzinfo=dt_timezone.utc))
    options = mark_safe('<option value="7">1 Jul 2026 09:30</option>')
    old = _template(OLD_AGENDA_SECTIONS).render(
        {"rows": [_old_row(entry) for entry in entries], "meeting": meeting, "can_prepare": can_move, "move_form": can_move, "move_options": options,
         "csrf_token": "TOKEN"}
    )
    token = '<input type="hidden" name="csrfmiddlewaretoken" value="TOKEN">'
    sections = agenda_sections(entries, meeting=meeting, links=LINKS, csrf_input=token if can_move else "", move_options=options)
    assert _template(NEW_AGENDA_SECTIONS).render({"sections": sections}) == old


# The listing page's rows as its template wrote them before they were written in Python.
OLD_LISTING_ROWS = '{% for row in rows %}{% with referral=row.referral proposal=row.proposal meeting=row.meeting %}\n    <tr class="govuk-table__row">\n      {% if referral.restricted %}\n      <td class="govuk-table__cell">Restricted case</td><td class="govuk-table__cell">Not shown</td><td class="govuk-table__cell">{{ referral.referred_on|date:"j M Y" }}</td><td class="govuk-table__cell">Not shown</td>\n      {% else %}\n      <td class="govuk-table__cell"><a class="govuk-link" href="{% url \'referrals:case\' referral.case.public_id %}">{{ referral.case.reference }}</a></td>\n      <td class="govuk-table__cell">{{ referral.case.victim }}</td>\n      <td class="govuk-table__cell">{{ referral.referred_on|date:"j M Y" }}<br><span class="govuk-body-s">{{ referral.referring_agency|default:referral.referring_agency_kind }}</span></td>\n      <td class="govuk-table__cell">{{ referral.criteria_labels|join:", " }}{% if referral.meets_repeat %} <strong class="govuk-tag govuk-tag--orange">Repeat</strong>{% endif %}</td>\n      {% endif %}\n      <td class="govuk-table__cell" data-six-weeks="{{ row.target.days_left }}">{{ row.target.target_on|date:"j M Y" }}<br>{% if row.target.breached %}<strong class="govuk-tag govuk-tag--red">Breached</strong> {{ row.target.days_over }} day{{ row.target.days_over|pluralize }} ago{% elif row.target.days_left <= 7 %}<strong class="govuk-tag govuk-tag--orange">{{ row.target.days_left }} day{{ row.target.days_left|pluralize }} left</strong>{% else %}{{ row.target.days_left }} days left{% endif %}</td>\n      <td class="govuk-table__cell">{% if proposal %}{{ meeting.starts_at|date:"j M Y" }}{% for reason in proposal.reasons %}<br><strong class="govuk-tag govuk-tag--red">Flag</strong> {{ reason }}{% endfor %}{% else %}<strong class="govuk-tag govuk-tag--red">No meeting</strong> add a meeting{% endif %}\n        {% if row.listed_elsewhere %}<div class="govuk-warning-text govuk-!-margin-top-2 govuk-!-margin-bottom-0"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span> This case is already on the agenda of the {{ row.listed_elsewhere.title }}, not yet held. Listing this referral too gives the case a second agenda item.</strong></div>{% endif %}</td>\n      {% if can_prepare %}<td class="govuk-table__cell">{% if proposal %}<form method="post">{% csrf_token %}<input type="hidden" name="referral" value="{{ referral.public_id }}">{% if row.listed_elsewhere %}<input type="hidden" name="confirm_second_listing" value="yes">{% endif %}<button type="submit" class="govuk-button {% if row.listed_elsewhere %}govuk-button--warning{% else %}govuk-button--secondary{% endif %} govuk-!-margin-bottom-0" data-module="govuk-button">List as proposed{% if row.listed_elsewhere %} anyway{% endif %}<span class="govuk-visually-hidden"> {% if referral.restricted %}restricted case, referred {{ referral.referred_on|date:"j M Y" }}{% else %}case {{ referral.case.reference }}{% endif %}</span></button></form>{% endif %}\n        {% if choices %}<form method="post" class="govuk-!-margin-top-3">{% csrf_token %}<input type="hidden" name="referral" value="{{ referral.public_id }}">{% if row.listed_elsewhere %}<input type="hidden" name="confirm_second_listing" value="yes">{% endif %}\n          <div class="govuk-form-group govuk-!-margin-bottom-2"><label class="govuk-label govuk-body-s" for="choose-{{ referral.public_id }}">Or choose a meeting<span class="govuk-visually-hidden"> ({% if referral.restricted %}restricted case, referred {{ referral.referred_on|date:"j M Y" }}{% else %}case {{ referral.case.reference }}{% endif %})</span></label>\n          <select class="govuk-select" id="choose-{{ referral.public_id }}" name="meeting">{% for choice in choices %}<option value="{{ choice.public_id }}"{% if meeting.pk == choice.pk %} selected{% endif %}>{{ choice.starts_at|date:"j M Y" }} ({{ choice.listed }} of {{ choice.capacity }}){% if choice.short_notice %}: research window passed{% endif %}</option>{% endfor %}</select></div>\n          <button type="submit" class="govuk-button {% if row.listed_elsewhere %}govuk-button--warning{% else %}govuk-button--secondary{% endif %} govuk-!-margin-bottom-0" data-module="govuk-button">List for this meeting{% if row.listed_elsewhere %} anyway{% endif %}<span class="govuk-visually-hidden"> {% if referral.restricted %}restricted case, referred {{ referral.referred_on|date:"j M Y" }}{% else %}case {{ referral.case.reference }}{% endif %}</span></button></form>{% endif %}\n        {% if late_meetings %}<form method="post" class="govuk-!-margin-top-3">{% csrf_token %}<input type="hidden" name="referral" value="{{ referral.public_id }}">{% if row.listed_elsewhere %}<input type="hidden" name="confirm_second_listing" value="yes">{% endif %}\n          <div class="govuk-form-group govuk-!-margin-bottom-2"><label class="govuk-label govuk-body-s" for="late-{{ referral.public_id }}">Or add late to a published meeting<span class="govuk-visually-hidden"> ({% if referral.restricted %}restricted case, referred {{ referral.referred_on|date:"j M Y" }}{% else %}case {{ referral.case.reference }}{% endif %})</span></label>\n          <select class="govuk-select" id="late-{{ referral.public_id }}" name="late_meeting">{% for late in late_meetings %}<option value="{{ late.public_id }}">{{ late.starts_at|date:"j M Y" }} ({{ late.listed }} of {{ late.capacity }})</option>{% endfor %}</select></div>\n          <button type="submit" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0" data-module="govuk-button">Add late{% if row.listed_elsewhere %} anyway{% endif %}<span class="govuk-visually-hidden"> {% if referral.restricted %}restricted case, referred {{ referral.referred_on|date:"j M Y" }}{% else %}case {{ referral.case.reference }}{% endif %}</span></button></form>{% endif %}</td>{% endif %}\n    </tr>\n  {% endwith %}{% endfor %}'


def _listing_row(*, restricted=False, proposal=True, elsewhere=False, days_left=20, repeat=False, agency="Police <North>"):
    case = SimpleNamespace(public_id="6f1c1a2e-7d0b-4c55-9a43-3f2b8a5e9d10", reference="NORT-2026-0042", victim="Ann O'Neil & <co>")
    referral = SimpleNamespace(
        restricted=restricted, case=case, public_id="0b7d2f4e-1c3a-4e8b-9f6d-2a5c7e9b1d30", referred_on=date(2026, 11, 2),
        referring_agency=agency, referring_agency_kind="police", criteria_labels=["Visible high risk", "Professional <judgement>"], meets_repeat=repeat,
    )
    meeting = SimpleNamespace(pk=2, starts_at=datetime(2026, 12, 9, 23, 30, tzinfo=dt_timezone.utc))  # 9 Dec in London, 10 Dec in UTC+1
    target = SimpleNamespace(target_on=date(2026, 12, 14), days_left=days_left, breached=days_left < 0, days_over=max(0, -days_left))
    return SimpleNamespace(
        referral=referral, proposal=SimpleNamespace(reasons=["Over capacity", "Past the <six weeks>"]) if proposal else None,
        meeting=meeting if proposal else None, target=target,
        listed_elsewhere=SimpleNamespace(title="meeting of Thursday 3 December 2026 & co") if elsewhere else None,
    )


LISTING_ROWS = [
    _listing_row(),
    _listing_row(restricted=True),
    _listing_row(proposal=False, elsewhere=True, repeat=True, agency=None),
    _listing_row(days_left=1),
    _listing_row(days_left=0, elsewhere=True),
    _listing_row(days_left=7),
    _listing_row(days_left=-1, restricted=True, elsewhere=True),
    _listing_row(days_left=-12),
]
CHOICES = [
    SimpleNamespace(pk=1, public_id="11111111-2222-4333-8444-555555555555", starts_at=datetime(2026, 12, 2, 10, tzinfo=dt_timezone.utc), listed=3, capacity=20, short_notice=True),
    SimpleNamespace(pk=2, public_id="21111111-2222-4333-8444-555555555555", starts_at=datetime(2026, 12, 9, 23, 30, tzinfo=dt_timezone.utc), listed=20, capacity=20, short_notice=False),
]
LATE = [SimpleNamespace(public_id="31111111-2222-4333-8444-555555555555", starts_at=datetime(2026, 12, 1, 10, tzinfo=dt_timezone.utc), listed=5, capacity=18)]


@pytest.mark.parametrize("can_prepare", [False, True])
@pytest.mark.parametrize("choices", [[], CHOICES])
@pytest.mark.parametrize("late_meetings", [[], LATE])
def test_the_listing_rows_are_written_as_the_template_wrote_them(can_prepare, choices, late_meetings):
    context = {"rows": LISTING_ROWS, "can_prepare": can_prepare, "choices": choices, "late_meetings": late_meetings, "csrf_token": "t" * 64}
    csrf_input = '<input type="hidden" name="csrfmiddlewaretoken" value="%s">' % ("t" * 64)
    rows = listing_rows_html(LISTING_ROWS, can_prepare=can_prepare, choices=choices, late_meetings=late_meetings, csrf_input=csrf_input)
    assert _template("{% for row in rows %}{{ row }}{% endfor %}").render({"rows": rows}) == _template(OLD_LISTING_ROWS).render(context)
