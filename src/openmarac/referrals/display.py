"""How the case page writes each of a case's referrals (an episode). Through the
template, some sixty tags and filters an episode were a quarter of the page's CPU at
five referrals; written here once, in Python, with the same HTML: the values go
through the same filters and the same escaping as the template's, and
`tests/referrals/test_display.py` holds the template this replaced and compares the
two. The possible matches (rare, with a form each) are still written by the template,
between the two parts."""

from django.core.exceptions import ObjectDoesNotExist
from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import date, linebreaksbr, yesno
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

# What `{{ value }}` is written with on a page: the template's autoescaping and localising.
_PAGE = Context(autoescape=True)


def _v(value):
    """`{{ value }}`."""
    return render_value_in_context(value, _PAGE)


def _day(value, fmt):
    """`{{ value|date:fmt }}` (a time is written in local time, as the filter writes it)."""
    return _v(date(template_localtime(value), fmt))


def _related(referral, name):
    """The referral's one-to-one `name`, or None where it has none (the template writes
    nothing for either)."""
    try:
        return getattr(referral, name)
    except ObjectDoesNotExist:
        return None


def _row(key, value):
    return f'<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{key}</dt><dd class="govuk-summary-list__value">{value}</dd></div>'


def episode_parts(episode, *, case, parts, can_decide, sees_unpublished_minutes, now, openable_idva_referrals=frozenset()):
    """The episode as the case page writes it: (what comes before its possible matches,
    what comes after). `openable_idva_referrals`: the ids of the Idva referrals the user
    may open, each linked from its row."""
    return mark_safe(_head(episode, case=case, parts=parts, sees_unpublished_minutes=sees_unpublished_minutes, now=now)), mark_safe(
        _tail(episode, parts=parts, can_decide=can_decide, openable_idva_referrals=openable_idva_referrals)
    )


def _head(episode, *, case, parts, sees_unpublished_minutes, now):
    referral = episode["referral"]
    repeat = '<strong class="govuk-tag govuk-tag--orange">Repeat</strong>' if referral.meets_repeat else ""
    out = [
        f'\n\n<section class="govuk-!-margin-bottom-9" aria-labelledby="referral-{_v(referral.pk)}">\n'
        f'  <h2 class="govuk-heading-l" id="referral-{_v(referral.pk)}">Referral of {_day(referral.referred_on, "j F Y")}\n'
        f"    {repeat}\n"
        f'    <strong class="govuk-tag govuk-tag--blue">{_v(referral.get_status_display())}</strong></h2>\n  '
    ]
    if referral.repeat_of_id:
        out.append(
            f'<div class="govuk-inset-text">Repeat of the referral of {_day(referral.repeat_of_referred_on, "j F Y")}, '
            f"within {_v(case.marac.repeat_window_months)} months, with the same perpetrator.</div>"
        )
    out.append("\n  ")
    if parts["elsewhere"]:
        for hint in referral.other_marac_matches.all():
            out.append(
                '\n  <div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">!</span>\n'
                f'    <strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span> A possible match for the {_v(hint.role)} '
                f"exists in {_v(hint.other_marac.name)}; contact its coordinator.</strong></div>\n  "
            )
    out.append('\n\n  <h3 class="govuk-heading-m">Referral</h3>\n  <dl class="govuk-summary-list">\n    ')
    if referral.disclosed_on:
        out.append(_row("Disclosure or incident", f'{_day(referral.disclosed_on, "j F Y")} (the six weeks to hearing count from this date)'))
    out.append("\n    ")
    items = episode["items"]
    if items or referral.heard_on:
        out.append('<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Meetings</dt><dd class="govuk-summary-list__value">\n      ')
        for i, item in enumerate(items):
            out.append(_meeting_line(item, sees_unpublished_minutes=sees_unpublished_minutes, now=now))
            if i < len(items) - 1:
                out.append("<br>")
        out.append("\n      ")
        if referral.heard_on and not items:
            out.append(f'Heard on {_day(referral.heard_on, "j F Y")} (before this Marac used OpenMarac)')
        out.append("\n    </dd></div>")
    agency = referral.referring_agency if referral.referring_agency else referral.referring_agency_kind
    referred_by = f"{_v(referral.referrer_name)}, {_v(agency)}"
    if referral.referrer_phone:
        referred_by += f"<br>{_v(referral.referrer_phone)}"
    if referral.referrer_email:
        referred_by += f"<br>{_v(referral.referrer_email)}"
    score = referral.checklist_score
    incidents = referral.police_incidents_last_12_months
    aware = _v(yesno(referral.victim_aware, "Yes,No,Not recorded"))
    if referral.victim_not_aware_reason:
        aware += f": {_v(referral.victim_not_aware_reason)}"
    out += [
        "\n    ",
        _row("Referred by", referred_by),
        "\n    ",
        _row("Criteria met", ", ".join(conditional_escape(label) for label in referral.criteria_labels)),
        "\n    ",
        _row("Checklist score", f'{_v("Not given" if score is None else score)} (threshold {_v(case.marac.visible_high_risk_threshold)})'),
        "\n    ",
        _row("Professional judgement", linebreaksbr(referral.professional_judgement_rationale, autoescape=True))
        if referral.professional_judgement_rationale else "",
        "\n    ",
        _row("Police incidents, last 12 months", _v("Not known" if incidents is None else incidents)),
        "\n    ",
        _row("Reasons", linebreaksbr(referral.reasons, autoescape=True)),
        "\n    ",
        _row("Victim knows of referral", aware),
        "\n    ",
        _row("Consent", _v(yesno(referral.consent_given, "Given,Not given: shared without consent,Not recorded"))),
        "\n    ",
        _row("Afraid of", _v(referral.victim_afraid_of)) if referral.victim_afraid_of else "",
        "\n    ",
        _row("Safe to talk to", _v(referral.safe_to_talk_to)) if referral.safe_to_talk_to else "",
        "\n    ",
        _row("Not safe to talk to", _v(referral.unsafe_to_talk_to)) if referral.unsafe_to_talk_to else "",
        "\n    ",
        _row("Previous referrals", f"{_v(referral.previous_marac_reference)} {_v(referral.previous_other_marac)}")
        if referral.previous_marac_reference or referral.previous_other_marac else "",
        '\n  </dl>\n\n  <h3 class="govuk-heading-m">Victim</h3>\n  ',
    ]
    people = episode["people"]
    # Each person as `includes/person.html` writes them, between two line ends.
    out += [f"\n{shown.html_with_diversity}\n" for _, shown in people["victim"]]
    out.append('\n  <h3 class="govuk-heading-m">Perpetrators</h3>\n  ')
    for n, (rp, shown) in enumerate(people["perpetrator"], start=1):
        out.append(
            f'\n  <h4 class="govuk-heading-s">Perpetrator {n}</h4>\n  \n{shown.html}\n\n'
            f'  <p class="govuk-body">Relationship to the victim: {_v(rp.relationship_to_victim)}</p>\n  '
        )
    children = people["child"]
    out.append(f'\n  <h3 class="govuk-heading-m">Children ({_v(len(children))})</h3>\n  ')
    for n, (rp, shown) in enumerate(children, start=1):
        unreliable = '<strong class="govuk-tag govuk-tag--yellow">Details may be unreliable</strong>' if rp.details_unreliable else ""
        # Only what the referral recorded: an empty "To the perpetrator: ." reads as a gap.
        facts = "".join(
            f"{label}: {_v(value)}. "
            for label, value in (
                ("To the victim", rp.relationship_to_victim), ("To the perpetrator", rp.relationship_to_perpetrator),
                ("School", rp.school), ("GP", rp.gp),
            )
            if value
        )
        out.append(
            f'\n  <h4 class="govuk-heading-s">Child {n}</h4>\n  {unreliable}\n  \n{shown.html}\n\n'
            + (f'  <p class="govuk-body">{facts}</p>\n  ' if facts else "")
        )
    if not children:
        out.append('<p class="govuk-body">No children listed.</p>\n  ')
    out.append("\n\n  ")
    if episode["yes_factors"]:
        factors = "".join(f"<li>{_v(question.number)}. {_v(question.risk_factor)}</li>" for question in episode["yes_factors"])
        out.append(
            '\n  <h3 class="govuk-heading-m">Risk factors answered yes</h3>\n'
            f'  <ul class="govuk-list govuk-list--bullet">{factors}</ul>\n  '
        )
    out.append("\n\n  ")
    return "".join(out)


def _meeting_line(item, *, sees_unpublished_minutes, now):
    meeting = item.meeting
    on = _day(meeting.starts_at, "j F Y")
    if meeting.status == "cancelled":
        return f"Listed for {on}, a meeting since cancelled"
    if meeting.starts_at <= now:
        line = f"Heard on {on}"
        if item.section == "anniversary":
            line += " (review 12 months after the last hearing)"
        if meeting.minutes_published_at or sees_unpublished_minutes:
            url = conditional_escape(reverse("actions:minutes", args=[meeting.public_id]))
            line += f': <a class="govuk-link" href="{url}">minutes and action plan<span class="govuk-visually-hidden"> of {on}</span></a>'
        else:
            line += " (minutes not yet published)"
        return line
    return f"Listed for the meeting of {on}"


def _tail(episode, *, parts, can_decide, openable_idva_referrals=frozenset()):
    referral = episode["referral"]
    out = ['\n\n  <h3 class="govuk-heading-m">Set in motion</h3>\n  <dl class="govuk-summary-list">\n    ']
    idva = _related(referral, "idva_referral")
    if idva:
        missing = ". <strong>This Marac has no Idva service agency: add one.</strong>" if not idva.idva_agency else ""
        # Linked only for those who may open it: the Idva, once first contact is made, has
        # no other way back to it; anyone else would be shown "Page not found".
        link = ""
        if openable_idva_referrals and idva.pk in openable_idva_referrals:
            url = conditional_escape(reverse("referrals:idva-referral", args=[idva.pk]))
            link = (
                f'<br><a class="govuk-link" href="{url}">Contact attempts and first contact<span class="govuk-visually-hidden"> '
                f'for the referral of {_day(referral.referred_on, "j F Y")}</span></a>'
            )
        out.append(_row("Idva referral", f'{_v(idva.get_status_display())}; first contact due {_day(idva.first_contact_due, "j M Y H:i")}{missing}{link}'))
    out.append("\n    ")
    prompt = _related(referral, "children_prompt")
    if prompt:
        if prompt.confirmed_at:
            outcome = f'{_v(prompt.get_outcome_display())} ({_day(prompt.confirmed_at, "j M Y")})'
        else:
            outcome = "Awaiting confirmation"
        out.append(_row("Children’s social care", outcome))
    out.append("\n    ")
    check = _related(referral, "agency_check")
    if check:
        if check.checked_at:
            text = f'Sent on by {_v(check.checked_by.full_name if check.checked_by else "")} on {_day(check.checked_at, "j M Y H:i")}'
            if check.added_information:
                text += f". Added: {linebreaksbr(check.added_information, autoescape=True)}"
        elif check.timed_out_at:
            text = f'Not checked in time: went on as it was on {_day(check.timed_out_at, "j M Y H:i")}'
        else:
            text = (
                f'Being checked by the agency’s Marac representative until {_day(check.due_at, "j M Y H:i")} '
                "(it may add information; it cannot stop the referral)"
            )
        out.append(_row(f"Checked by {_v(check.agency)}", text))
    out.append("\n    ")
    sharing = _related(referral, "sharing_decision")
    if sharing:
        out.append(_row("Sharing without consent", f'Recorded; review due {_day(sharing.review_on, "j M Y")}'))
    out.append("\n  </dl>\n  ")
    if parts["concerns"]:
        for concern in referral.quality_concerns.all():
            out.append(f'<div class="govuk-inset-text">Quality concern: <strong>{_v(concern.get_category_display())}</strong>. {_v(concern.note)}</div>')
    out.append("\n  ")
    if can_decide:
        url = conditional_escape(reverse("referrals:quality-concern", args=[referral.public_id]))
        out.append(
            f'<p class="govuk-body"><a class="govuk-link" href="{url}">Record a quality concern<span class="govuk-visually-hidden"> '
            f'about the referral of {_day(referral.referred_on, "j F Y")}</span></a></p>'
        )
    out.append("\n</section>\n\n")
    return "".join(out)
