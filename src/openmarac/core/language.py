"""Careful language: phrases that blame or stigmatise the victim, and a better form of
words for each (seed 000: "change the narrative"; seed 004, the survey: "the victim
allows", "accepts", "won't leave", "chooses to stay/return", "toxic", "both as bad as
each other"). It advises, it never blocks: what was written is saved as written.

Every free-text field is checked without any code in the view:

- every field of a ``GovukForm`` or ``GovukModelForm`` drawn as a text area is checked
  when the form is valid; a form lists single-line fields to check as well in
  ``careful_language_fields``, or leaves fields out in ``careful_language_exempt``;
- ``CarefulLanguageMiddleware`` shows the advice (a warning naming the field, the
  words used and a suggestion) on the page the save redirects to;
- text that does not come through a form (an import, an API call) is checked with
  ``nudges_for(text)``.

The list is data; a deployment can replace it with OPENMARAC_LANGUAGE_NUDGES, a JSON
file of ``{"phrase": "suggestion"}`` (each phrase matched as written, whole words, any
case) or of ``[{"phrase": ..., "pattern": ..., "suggestion": ...}]`` (``pattern`` a
regular expression, for inflected forms).
"""

import json
import re
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from django import forms
from django.conf import settings
from django.contrib import messages

ENGAGE = "we were not able to engage her (or him) with the service; say what was tried"
LEAVE = "has not been able to leave safely yet; say what stands in the way (fear, money, housing, the children)"
BLAME = "say what the perpetrator did, not what the victim let happen"

# (phrase as listed, regular expression for its usual forms, suggestion)
DEFAULT_NUDGES = (
    ("refused to engage", r"refus(?:e|es|ed|ing) to engage", ENGAGE),
    ("failed to engage", r"fail(?:s|ed|ing)? to engage", ENGAGE),
    ("non-engagement", r"non[- ]?engag(?:ement|ing|ed)", "we have not yet been able to engage her (or him)"),
    ("didn't show up so closed file", r"did(?:n't| not) show(?: up)?,? so (?:we )?closed (?:the |her |his )?file",
     "we were not able to make contact, so the file was closed; say what was tried"),
    ("did not show up", r"did(?:n't| not) show up", "did not attend; say what was tried and what happens next"),
    ("no show", r"no[- ]shows?", "did not attend; we will try again another way"),
    ("chooses to stay or return",
     r"(?:choose|chooses|chose|chosen|choosing|decided|decides) to (?:stay|return|remain|go back|move back)", LEAVE),
    ("won't leave", r"(?:won't|wont|will not|refus(?:e|es|ed|ing) to) leave", LEAVE),
    ("allows",
     # Only with the perpetrator or contact as the object: "she allowed us in" is fine.
     r"(?:(?:victim|client|mum|mother|she) (?:is |has |keeps )?)?allow(?:s|ed|ing)? (?:him|them|contact|the perpetrator|"
     r"the abuser|(?:her|his|their) (?:ex-?partner|ex|partner|husband|wife|boyfriend|girlfriend))",
     "he returned to the home (" + BLAME + ")"),
    ("accepts",
     r"accept(?:s|ed|ing)? (?:the |his |her |their |this )?(?:abuse|violence|behaviou?r|situation)"
     r"|(?:victim|client|mum|mother|she) (?:is |was )?accepting of",
     "describe what the perpetrator does and what makes it hard for her (or him) to be safe"),
    ("toxic", r"toxic(?! trio)", "name the abuse and who is causing the harm"),
    ("both as bad as each other", r"(?:both |just )?as bad as (?:each other|one another)",
     "describe what each person did and who is afraid of whom: a victim's resistance is not mutual abuse"),
    ("provoked", r"provok(?:e|es|ed|ing)", "describe what happened without blaming the victim"),
    ("hysterical", r"hysteric(?:al|s)", "very distressed"),
    # "A domestic" (police shorthand for an incident) hides the abuse; "domestic abuse"
    # itself, and "domestic violence", are fine.
    ("a domestic",
     r"(?:(?:a|another|the|this|that) )?domestic (?:dispute|row|argument)s?|domestics"
     r"|(?:a|another|the|this|that) domestic(?!\s*-?\s*(?:abuse|violence|homicide|setting|situation|circumstances|"
     r"arrangements|work|worker|servitude|related|abuser|perpetrator|and|or)\b)",
     "domestic abuse incident"),
)


@dataclass(frozen=True)
class Nudge:
    phrase: str
    pattern: re.Pattern
    suggestion: str


@dataclass(frozen=True)
class Advice:
    """Careful-language advice on one form field."""

    field: str
    label: str
    words: str  # what was written
    suggestion: str

    @property
    def message(self):
        return f"Careful language in “{self.label}”: instead of “{self.words}”, consider “{self.suggestion}”."


def _compile(phrase, pattern, suggestion):
    return Nudge(phrase, re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])", re.IGNORECASE), suggestion)


@lru_cache(maxsize=4)
def _nudges(path):
    if not path:
        return tuple(_compile(*entry) for entry in DEFAULT_NUDGES)
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if isinstance(data, dict):
        return tuple(_compile(phrase, re.escape(phrase), suggestion) for phrase, suggestion in data.items())
    return tuple(_compile(e["phrase"], e.get("pattern") or re.escape(e["phrase"]), e["suggestion"]) for e in data)


def nudges_for(text):
    """[(words found, suggested wording)] in the order they appear in the text. Where
    two listed phrases overlap ("didn't show up so closed file", "did not show up"),
    only the longer is reported."""
    text = (text or "").replace("\u2019", "'").replace("\u2018", "'")
    matches = []
    for nudge in _nudges(settings.OPENMARAC_LANGUAGE_NUDGES):
        matches += [(m.start(), m.end(), m.group(0), nudge.suggestion) for m in nudge.pattern.finditer(text)]
    covered, kept, seen = [], [], set()
    for start, end, words, suggestion in sorted(matches, key=lambda m: m[0] - m[1]):
        if any(start < c_end and c_start < end for c_start, c_end in covered):
            continue
        covered.append((start, end))
        if (words.lower(), suggestion) not in seen:
            seen.add((words.lower(), suggestion))
            kept.append((start, words, suggestion))
    return [(words, suggestion) for _, words, suggestion in sorted(kept)]


def free_text_fields(form):
    """Names of the form's fields checked for careful language."""
    listed = set(getattr(form, "careful_language_fields", ()))
    exempt = set(getattr(form, "careful_language_exempt", ()))
    return [
        name
        for name, field in form.fields.items()
        if (name in listed or isinstance(field.widget, forms.Textarea)) and name not in exempt
    ]


def advice_for_form(form):
    """[Advice] on a valid form's free-text fields."""
    found = []
    for name in free_text_fields(form):
        value = form.cleaned_data.get(name)
        if isinstance(value, str):
            label = str(form.fields[name].label or name.replace("_", " ").capitalize())
            found += [Advice(name, label, words, suggestion) for words, suggestion in nudges_for(value)]
    return found


# The advice found while this request is handled; set by CarefulLanguageMiddleware.
_pending: ContextVar = ContextVar("careful_language", default=None)


def note_form(form):
    """Called by GovukFormMixin when a bound form is valid: keeps the advice on the
    form (``form.careful_language``) and for the page the save redirects to."""
    form.careful_language = advice_for_form(form)
    pending = _pending.get()
    if pending is not None:
        pending.extend(form.careful_language)


class CarefulLanguageMiddleware:
    """Shows careful-language advice found in the forms a request saved, as one warning
    on the page it redirects to. A form shown again (with errors) shows none: the
    advice comes once the writing is saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pending = []
        token = _pending.set(pending)
        try:
            response = self.get_response(request)
        finally:
            _pending.reset(token)
        if pending and response.status_code in (301, 302, 303) and hasattr(request, "_messages"):
            # One warning holding every piece of advice: one banner, not one per phrase.
            messages.warning(request, " ".join(dict.fromkeys(advice.message for advice in pending)))
        return response
