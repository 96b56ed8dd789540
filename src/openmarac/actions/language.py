"""Careful language: stigmatising phrases in minutes and action updates, and a better
form of words for each (seed 000: "change the narrative"). A nudge, never a block.
The list is data; a deployment can replace it with OPENMARAC_LANGUAGE_NUDGES (a JSON
file of {"phrase": "suggestion"})."""

import json
import re
from functools import lru_cache

from django.conf import settings

DEFAULT_NUDGES = {
    "refused to engage": "we were not able to engage her (or him) with the service",
    "refuses to engage": "we have not yet been able to engage her (or him) with the service",
    "failed to engage": "we were not able to engage her (or him) with the service",
    "non-engagement": "we have not been able to engage her (or him)",
    "no show": "did not attend; we will try again another way",
    "didn't show up so closed file": "we were not able to make contact, so the file was closed; say what was tried",
    "did not show up": "did not attend; say what was tried and what happens next",
    "chose to stay": "has not been able to leave safely",
    "allowed him back": "he returned to the home",
    "provoked": "describe what happened without blaming the victim",
    "hysterical": "very distressed",
    "domestic": "domestic abuse incident",
}


@lru_cache(maxsize=4)
def _nudges(path):
    if not path:
        return DEFAULT_NUDGES
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def nudges_for(text):
    """[(phrase found, suggested wording)] for each listed phrase in the text."""
    found = []
    lowered = (text or "").lower()
    for phrase, suggestion in _nudges(settings.OPENMARAC_LANGUAGE_NUDGES).items():
        if re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", lowered):
            found.append((phrase, suggestion))
    return found
