"""How the case list writes each case. One case's entry went through about forty
template variables, filters and loops; on a 40-case agenda that was most of the page's
time. It is written here once, in Python, with the same HTML (tests compare it with the
template it replaced), for every page and paper that shows a case as listed: the agenda,
the case list PDF, the chair's case screen and an agency's research page."""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import mark_safe

from openmarac.core.display import ANY_UUID, day_text, escaped, time_text, url_pattern
from openmarac.people.display import SEALED_TAG


def _slot(entry):
    # A slot's times are already local (`selectors._slots` counts them from the
    # meeting's local start): written as they are, not converted again by `time_text`,
    # which twice a case was a third of writing the case.
    starts = entry.slot.starts_at
    return f"{starts:%H:%M}–{entry.slot.ends_at:%H:%M}: " if starts else ""


def _aliases(shown):
    return f" (also {', '.join(escaped(alias) for alias in shown.aliases)})" if shown.aliases else ""


def _addresses(shown):
    return "".join(
        f"<br>{SEALED_TAG if address.sealed_and_shown else ''}{escaped(address.text)}" for address in shown.addresses if address.current
    )


def _born(shown):
    return day_text(shown.date_of_birth) or "date not known"


def case_entry_html(entry):
    """One `meetings.selectors.CaseListEntry` as the case list shows it."""
    if entry.restricted:
        # Its place and slot only, never a name, reference or address.
        return (
            f'\n\n<h3 class="govuk-heading-m">{_slot(entry)}Restricted case</h3>\n'
            '<p class="govuk-body">This case is restricted to named people. Its details are not shown to you.</p>\n'
        )
    referral = entry.referral
    repeat = '<strong class="govuk-tag govuk-tag--orange">Repeat</strong>' if referral.meets_repeat else ""
    flags = "".join(f'<p class="govuk-body"><strong class="govuk-tag govuk-tag--red">Flag</strong> {escaped(flag)}</p>' for flag in entry.flags)
    victims = "".join(
        '\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Victim</dt><dd class="govuk-summary-list__value">'
        f"{escaped(shown.name)}{_aliases(shown)}, born {_born(shown)}{_addresses(shown)}</dd></div>\n  "
        for _rp, shown in entry.victim
    )
    perpetrators = "".join(
        f'\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Perpetrator {number}</dt><dd class="govuk-summary-list__value">'
        f"{escaped(shown.name)}{_aliases(shown)}, born {_born(shown)}; {escaped(rp.relationship_to_victim)}{_addresses(shown)}</dd></div>\n  "
        for number, (rp, shown) in enumerate(entry.perpetrators, start=1)
    )
    children = "<br>".join(
        f"{escaped(shown.name)}, {escaped(shown.birth_text)}{' (details may be unreliable)' if rp.details_unreliable else ''}"
        for rp, shown in entry.children
    ) or "None listed"
    referred_by = escaped(referral.referring_agency or referral.referring_agency_kind)
    score = "not given" if referral.checklist_score is None else referral.checklist_score
    previous = (
        '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Previous referral</dt><dd class="govuk-summary-list__value">'
        f"{day_text(entry.previous_hearing) or 'Declared by the referrer'}</dd></div>"
        if referral.meets_repeat
        else ""
    )
    return (
        f'\n<h3 class="govuk-heading-m">{_slot(entry)}case {escaped(referral.case.reference)}\n  {repeat}</h3>\n'
        f"{flags}\n"
        '<dl class="govuk-summary-list">\n'
        f"  {victims}\n"
        f"  {perpetrators}\n"
        '  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Children</dt><dd class="govuk-summary-list__value">'
        f"{children}</dd></div>\n"
        '  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Referred by</dt><dd class="govuk-summary-list__value">'
        f"{referred_by}, {day_text(referral.referred_on)}</dd></div>\n"
        '  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Criteria and score</dt><dd class="govuk-summary-list__value">'
        f"{', '.join(escaped(label) for label in referral.criteria_labels)}; checklist score {score}</dd></div>\n"
        f"  {previous}\n"
        "</dl>\n"
    )


@dataclass(frozen=True)
class AgendaLinks:
    """The links of each case on the agenda page: URL patterns resolved once for the
    page, each with "{}" where the case's own id goes."""

    case: str  # the case's public id
    research: str  # the referral's public id
    hearing: str  # the agenda item's id
    move: str  # the agenda item's id
    break_glass: str  # the case's public id


def agenda_links(meeting):
    meeting_id = meeting.public_id
    return AgendaLinks(
        case=url_pattern("referrals:case", stand_in=ANY_UUID),
        research=url_pattern("meetings:research-case", meeting_id, stand_in=ANY_UUID),
        hearing=url_pattern("actions:hearing", meeting_id),
        move=url_pattern("meetings:item-move", meeting_id),
        break_glass=url_pattern("referrals:break-glass", stand_in=ANY_UUID),
    )


def agenda_sections(entries, *, meeting, links=None, csrf_input="", move_options=""):
    """The agenda's sections in order, each as (heading, the HTML of its cases): what
    `meetings/meeting.html` wrote a case at a time through some thirty tags and lookups.
    `entries` as `selectors.case_list` gives them; `links` as `agenda_links` gives them
    (by default, the meeting's). `csrf_input` is the token field of each case's "Move
    case to" form (`token_field`); without it there is no move form."""
    links = links or agenda_links(meeting)
    proposing = meeting.is_async and meeting.published_at
    sections = []
    for entry in entries:
        item = entry.item
        if not sections or sections[-1][0] != item.section:
            sections.append((item.section, item.get_section_display(), []))
        cases = sections[-1][2]
        cases.append(
            _agenda_case_html(
                entry, links, number=len(cases) + 1, proposing=proposing, csrf_input=csrf_input, move_options=move_options, marac_id=getattr(meeting, "marac_id", None)
            )
        )
    return [(escape(heading), mark_safe("".join(cases))) for _section, heading, cases in sections]


MOVED_AWAY_TEXT = "This case has moved to another Marac, which hears it now. It stays on this agenda as it was listed."


def _agenda_case_html(entry, links, *, number, proposing, csrf_input, move_options, marac_id=None):
    # Only the links the case shows are written: a restricted case has one, another two
    # to four.
    if entry.restricted:
        return (
            f'\n\n<section class="govuk-!-margin-bottom-7" aria-label="Restricted case {number}">\n  \n{entry.html}\n'
            f'\n  <p class="govuk-body"><a class="govuk-link" href="{links.break_glass.format(entry.referral.case.public_id)}">Ask for break-glass access'
            '<span class="govuk-visually-hidden"> to this restricted case</span></a></p>\n</section>\n\n'
        )
    referral, item_id = entry.referral, entry.item.pk
    reference = escaped(referral.case.reference)
    if marac_id is not None and getattr(referral, "marac_id", marac_id) != marac_id:
        # Transferred since it was listed (its referral moved with the case): this Marac
        # can no longer open the case, research it or move it, so no link or form leads
        # to "Page not found".
        return (
            f'\n\n<section class="govuk-!-margin-bottom-7" aria-label="Case {reference}">\n  \n{entry.html}\n'
            f'\n  <p class="govuk-body">{MOVED_AWAY_TEXT}</p>\n</section>\n\n'
        )
    propose = (
        f' · <a class="govuk-link" href="{links.hearing.format(item_id)}">Propose actions and see the plan for case {reference}</a>' if proposing else ""
    )
    move = ""
    if csrf_input:
        move = (
            f'\n  <form method="post" action="{links.move.format(item_id)}" class="govuk-!-margin-bottom-4" novalidate>{csrf_input}\n'
            '    <div class="govuk-form-group">\n'
            f'      <label class="govuk-label" for="move-{item_id}">Move case {reference} to</label>\n'
            f'      <select class="govuk-select" id="move-{item_id}" name="meeting">\n        {move_options}\n      </select>\n'
            '      <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button">'
            f'Move<span class="govuk-visually-hidden"> case {reference}</span></button>\n'
            "    </div>\n  </form>\n  "
        )
    return (
        f'\n\n<section class="govuk-!-margin-bottom-7" aria-label="Case {reference}">\n  \n{entry.html}\n'
        f'\n  <p class="govuk-body"><a class="govuk-link" href="{links.research.format(referral.public_id)}">Research on case {reference}</a>{propose}'
        f' · <a class="govuk-link" href="{links.case.format(referral.case.public_id)}">Open case {reference}</a></p>\n  {move}\n</section>\n\n'
    )


def move_options_html(meetings):
    """The options of the agenda's "Move case to" menu, the same for every case: from
    two values a meeting (`meetings`, pairs of id and start as
    `selectors.move_targets` reads them), not a meeting instance each, of which they
    show nothing else."""
    return mark_safe("".join(f'<option value="{pk}">{day_text(starts_at)} {time_text(starts_at)}</option>' for pk, starts_at in meetings))


def listing_rows_html(rows, *, can_prepare, choices, late_meetings, csrf_input):
    """The table rows of the listing page, each as the HTML of one `<tr>`: what
    `meetings/listing.html` wrote through some sixty tags and lookups a referral, three
    of them a `{% csrf_token %}`. `rows` as `selectors.listing_rows` gives them; with
    `can_prepare`, each row has its listing forms: `choices` and `late_meetings` as
    `selectors.listing_meetings` and `late_listing_meetings` give them, `csrf_input` the
    forms' token field (`core.display.token_field`)."""
    case_url = url_pattern("referrals:case", stand_in=ANY_UUID)
    late_options = "".join(
        f'<option value="{late.public_id}">{day_text(late.starts_at)} ({late.listed} of {late.capacity})</option>' for late in late_meetings
    )
    return [
        mark_safe(_listing_row_html(row, case_url, can_prepare=can_prepare, choices=choices, late_options=late_options if late_meetings else None, csrf_input=csrf_input))
        for row in rows
    ]


def _listing_row_html(row, case_url, *, can_prepare, choices, late_options, csrf_input):
    referral, proposal, meeting, target = row.referral, row.proposal, row.meeting, row.target
    referred = day_text(referral.referred_on)
    if referral.restricted:
        who = f"restricted case, referred {referred}"
        case_cells = (
            '\n      <td class="govuk-table__cell">Restricted case</td><td class="govuk-table__cell">Not shown</td>'
            f'<td class="govuk-table__cell">{referred}</td><td class="govuk-table__cell">Not shown</td>\n      '
        )
    else:
        reference = escaped(referral.case.reference)
        who = f"case {reference}"
        repeat = ' <strong class="govuk-tag govuk-tag--orange">Repeat</strong>' if referral.meets_repeat else ""
        case_cells = (
            f'\n      <td class="govuk-table__cell"><a class="govuk-link" href="{case_url.format(referral.case.public_id)}">{reference}</a></td>\n'
            f'      <td class="govuk-table__cell">{escaped(referral.case.victim)}</td>\n'
            f'      <td class="govuk-table__cell">{referred}<br><span class="govuk-body-s">{escaped(referral.referring_agency or referral.referring_agency_kind)}</span></td>\n'
            f'      <td class="govuk-table__cell">{", ".join(escaped(label) for label in referral.criteria_labels)}{repeat}</td>\n      '
        )
    if target.breached:
        left = f'<strong class="govuk-tag govuk-tag--red">Breached</strong> {target.days_over} day{_plural(target.days_over)} ago'
    elif target.days_left <= 7:
        left = f'<strong class="govuk-tag govuk-tag--orange">{target.days_left} day{_plural(target.days_left)} left</strong>'
    else:
        left = f"{target.days_left} days left"
    if proposal:
        reasons = "".join(f'<br><strong class="govuk-tag govuk-tag--red">Flag</strong> {escaped(reason)}' for reason in proposal.reasons)
        proposed = f"{day_text(meeting.starts_at) if meeting else ''}{reasons}"
    else:
        proposed = '<strong class="govuk-tag govuk-tag--red">No meeting</strong> add a meeting'
    elsewhere = row.listed_elsewhere
    warning = (
        '<div class="govuk-warning-text govuk-!-margin-top-2 govuk-!-margin-bottom-0"><span class="govuk-warning-text__icon" aria-hidden="true">!</span>'
        '<strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span> This case is already on the agenda of the '
        f"{escaped(elsewhere.title)}, not yet held. Listing this referral too gives the case a second agenda item.</strong></div>"
        if elsewhere
        else ""
    )
    forms = ""
    if can_prepare:
        forms = _listing_forms(referral, proposal, meeting, who, elsewhere, choices=choices, late_options=late_options, csrf_input=csrf_input)
    return (
        f'\n    <tr class="govuk-table__row">\n      {case_cells}\n'
        f'      <td class="govuk-table__cell" data-six-weeks="{target.days_left}">{day_text(target.target_on)}<br>{left}</td>\n'
        f'      <td class="govuk-table__cell">{proposed}\n        {warning}</td>\n'
        f"      {forms}\n    </tr>\n  "
    )


def _plural(count):
    """As the templates' `pluralize` writes it."""
    return "" if count == 1 else "s"


def _listing_forms(referral, proposal, meeting, who, elsewhere, *, choices, late_options, csrf_input):
    fields = f'{csrf_input}<input type="hidden" name="referral" value="{referral.public_id}">'
    if elsewhere:
        fields += '<input type="hidden" name="confirm_second_listing" value="yes">'
    anyway = " anyway" if elsewhere else ""
    button = "govuk-button--warning" if elsewhere else "govuk-button--secondary"
    proposed = (
        f'<form method="post">{fields}<button type="submit" class="govuk-button {button} govuk-!-margin-bottom-0" data-module="govuk-button">'
        f'List as proposed{anyway}<span class="govuk-visually-hidden"> {who}</span></button></form>'
        if proposal
        else ""
    )
    chosen = ""
    if choices:
        options = "".join(
            f'<option value="{choice.public_id}"{" selected" if meeting is not None and meeting.pk == choice.pk else ""}>'
            f'{day_text(choice.starts_at)} ({choice.listed} of {choice.capacity}){": research window passed" if choice.short_notice else ""}</option>'
            for choice in choices
        )
        chosen = (
            f'<form method="post" class="govuk-!-margin-top-3">{fields}\n'
            f'          <div class="govuk-form-group govuk-!-margin-bottom-2"><label class="govuk-label govuk-body-s" for="choose-{referral.public_id}">'
            f'Or choose a meeting<span class="govuk-visually-hidden"> ({who})</span></label>\n'
            f'          <select class="govuk-select" id="choose-{referral.public_id}" name="meeting">{options}</select></div>\n'
            f'          <button type="submit" class="govuk-button {button} govuk-!-margin-bottom-0" data-module="govuk-button">'
            f'List for this meeting{anyway}<span class="govuk-visually-hidden"> {who}</span></button></form>'
        )
    late = ""
    if late_options is not None:
        late = (
            f'<form method="post" class="govuk-!-margin-top-3">{fields}\n'
            f'          <div class="govuk-form-group govuk-!-margin-bottom-2"><label class="govuk-label govuk-body-s" for="late-{referral.public_id}">'
            f'Or add late to a published meeting<span class="govuk-visually-hidden"> ({who})</span></label>\n'
            f'          <select class="govuk-select" id="late-{referral.public_id}" name="late_meeting">{late_options}</select></div>\n'
            '          <button type="submit" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0" data-module="govuk-button">'
            f'Add late{anyway}<span class="govuk-visually-hidden"> {who}</span></button></form>'
        )
    return f'<td class="govuk-table__cell">{proposed}\n        {chosen}\n        {late}</td>'
