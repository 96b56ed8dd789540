"""How a person shown by `selectors.present_person` is written on a page. The case page
shows every person of every referral of a case; through the template (about twenty tags
and filters a person) that was a third of the page's time. Written here once, in Python,
with the same HTML (tests compare it with the template it replaced)."""

from django.utils.html import escape

_ROW = '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{}</dt><dd class="govuk-summary-list__value">{}</dd></div>'
SEALED_TAG = '<strong class="govuk-tag govuk-tag--purple">Sealed</strong> '


def _born(shown):
    if shown.date_of_birth:
        day = shown.date_of_birth
        return f"{day.day} {day:%B %Y} (age {shown.age})"
    if shown.expected_birth_on:
        return f"Unborn, expected {shown.expected_birth_on:%m/%Y}"
    return "Not known"


def _address(address):
    label = "Address" if address.current else "Previous address"
    return (
        f'\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{label}</dt>\n'
        f'    <dd class="govuk-summary-list__value">{SEALED_TAG if address.sealed_and_shown else ""}{escape(address.text)}</dd></div>\n  '
    )


def _phone(phone):
    safe = ""
    if phone.safe_to_call:
        times = f"; safe times: {escape(phone.safe_times)}" if phone.safe_times else ""
        safe = f'<br><span class="govuk-body-s">Safe to call: {escape(phone.safe_to_call)}{times}</span>'
    return (
        '\n  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Phone</dt>\n'
        f'    <dd class="govuk-summary-list__value">{SEALED_TAG if phone.sealed_and_shown else ""}{escape(phone.text)}{safe}</dd></div>\n  '
    )


def person_html(shown, *, show_diversity=False):
    """The person's summary list; with `show_diversity`, their diversity and language too."""
    aliases = f'<br><span class="govuk-body-s">Also known as {", ".join(escape(alias) for alias in shown.aliases)}</span>' if shown.aliases else ""
    gender = _ROW.format("Gender", escape(shown.gender)) if shown.gender else ""
    diversity = ""
    if show_diversity:
        language = ""
        if shown.language:
            language = _ROW.format("Language", f"{escape(shown.language)}{' (interpreter needed)' if shown.interpreter_needed else ''}")
        rows = "".join(_ROW.format(escape(label), escape(value)) for label, value in shown.diversity.items())
        diversity = f"\n  {rows}\n  {language}\n  "
    return (
        '<dl class="govuk-summary-list govuk-summary-list--no-border govuk-!-margin-bottom-4">\n'
        f"  {_ROW.format('Name', escape(shown.name) + aliases)}\n"
        f"  {_ROW.format('Date of birth', _born(shown))}\n"
        f"  {gender}\n"
        f"  {''.join(_address(address) for address in shown.addresses)}\n"
        f"  {''.join(_phone(phone) for phone in shown.phones)}\n"
        f"  {diversity}\n"
        "</dl>"
    )
