"""Careful language: each phrase in its usual forms, the words that must not fire, every
free-text field checked, and advice that never stops a save."""

import importlib
import json

import pytest
from django import forms

from openmarac.core import language
from openmarac.core.forms import GovukForm, GovukFormMixin, GovukModelForm
from openmarac.core.language import advice_for_form, free_text_fields, nudges_for
from openmarac.risk.definitions import default_definition


def _found(text):
    return [words.lower() for words, _ in nudges_for(text)]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # The survey (seed 004): "the victim allows", "accepts", "won't leave",
        # "chooses to stay/return", "toxic", "both as bad as each other".
        ("She allows him back into the house.", "she allows him"),
        ("The victim allowed him to visit the children.", "victim allowed him"),
        ("She keeps allowing her ex-partner to stay.", "she keeps allowing her ex-partner"),
        ("Allowed the perpetrator back in.", "allowed the perpetrator"),
        ("Victim allows contact.", "victim allows contact"),
        ("She accepts the abuse as normal.", "accepts the abuse"),
        ("Mum has accepted his behaviour for years.", "accepted his behaviour"),
        ("She is accepting of the violence.", "she is accepting of"),
        ("She won't leave him.", "won't leave"),
        ("She won’t leave the relationship.", "won't leave"),
        ("Victim will not leave.", "will not leave"),
        ("She refuses to leave.", "refuses to leave"),
        ("She chooses to stay with him.", "chooses to stay"),
        ("The victim chose to return home.", "chose to return"),
        ("She has chosen to remain at the address.", "chosen to remain"),
        ("Client choosing to go back to him.", "choosing to go back"),
        ("It is a toxic relationship.", "toxic"),
        ("Both described as TOXIC.", "toxic"),
        ("They are both as bad as each other.", "both as bad as each other"),
        ("Police view them as just as bad as one another.", "just as bad as one another"),
        # Seed 000 ("change the narrative") and the earlier list.
        ("She refused to engage with us.", "refused to engage"),
        ("Refuses to engage.", "refuses to engage"),
        ("He has failed to engage again.", "failed to engage"),
        ("Non-engagement noted.", "non-engagement"),
        ("No show at the appointment", "no show"),
        ("Three no-shows this month.", "no-shows"),
        ("Didn't show up so closed file", "didn't show up so closed file"),
        ("She did not show up on Tuesday.", "did not show up"),
        ("He was provoked by her comments.", "provoked"),
        ("Victim was hysterical on the phone.", "hysterical"),
        ("Police attended a domestic at the address.", "a domestic"),
        ("Another domestic reported on Friday.", "another domestic"),
        ("Several domestics last year.", "domestics"),
        ("Called to a domestic dispute.", "a domestic dispute"),
        ("Domestic row at the address.", "domestic row"),
    ],
)
def test_each_phrase_in_its_usual_forms_gets_a_better_form_of_words(text, words):
    found = nudges_for(text)
    assert words in [w.lower() for w, _ in found], found
    assert all(suggestion for _, suggestion in found)


@pytest.mark.parametrize(
    "text",
    [
        "Referred for domestic abuse; a domestic abuse incident on 3 May.",
        "History of domestic violence and domestic abuse.",
        "Domestic abuse was disclosed to the GP.",
        "The domestic abuse service will call her.",
        "Consider the impact of the toxic trio on the children.",
        "He was intoxicated when police arrived.",
        "The order allows police to arrest him if he returns.",
        "The Idva accepted the referral and will call on Monday.",
        "We will let him know the outcome through probation.",
        "She allowed us into the house and we spoke alone.",
        "We were not able to engage her with the service this week.",
        "She did not attend; we will try again by text.",
        "She has not been able to leave safely yet.",
        "",
    ],
)
def test_careful_wording_is_not_flagged(text):
    assert nudges_for(text) == []


def test_overlapping_phrases_report_the_longer_once():
    assert _found("Didn't show up so closed file. Didn't show up so closed file.") == ["didn't show up so closed file"]


def test_a_deployment_list_replaces_the_default(tmp_path, settings):
    path = tmp_path / "nudges.json"
    path.write_text(json.dumps({"kicked off": "describe what happened"}))
    settings.OPENMARAC_LANGUAGE_NUDGES = str(path)
    assert nudges_for("He kicked off at the school gate; she won't leave.") == [("kicked off", "describe what happened")]
    path = tmp_path / "patterns.json"
    path.write_text(json.dumps([{"phrase": "kicks off", "pattern": r"kick(?:s|ed|ing)? off", "suggestion": "say what he did"}]))
    settings.OPENMARAC_LANGUAGE_NUDGES = str(path)
    assert nudges_for("He kicks off.") == [("kicks off", "say what he did")]


# --- Every free-text field ------------------------------------------------------------

FORM_MODULES = ["accounts", "actions", "audit", "meetings", "records", "referrals"]

# The free-text fields the issue names, and the rest of each form's text areas.
EXPECTED = {
    ("referrals", "ReferralReasonsForm"): {"reasons"},
    ("referrals", "JudgementForm"): {"professional_judgement_rationale"},
    ("referrals", "ConsentForm"): {"victim_not_aware_reason", "victim_afraid_of", "safe_to_talk_to", "unsafe_to_talk_to"},
    ("referrals", "ContactAttemptForm"): {"note"},  # the Idva's contact notes
    ("referrals", "QualityConcernForm"): {"note"},
    ("referrals", "ChildrenPromptForm"): {"note"},
    ("referrals", "SharingLogForm"): {"information"},
    ("referrals", "TransferForm"): {"reason"},
    ("meetings", "ResearchForm"): {
        "facts", "professional_opinion", "risk_information", "actions_taken", "victim_priorities",
        "victim_fears", "safe_and_unsafe_people", "last_contact", "recent_behaviour", "corrections",
    },
    ("meetings", "MeetingChangeForm"): {"note"},
    ("actions", "HearingForm"): {"minutes", "victim_views", "referrer_summary"},
    ("actions", "RiskForm"): {"harm"},
    ("actions", "ActionForm"): {"description", "flag_short_reason"},
    ("actions", "ActionReportForm"): {"note"},  # action updates
    ("actions", "CloseForm"): {"reason"},
    ("actions", "ProposalForm"): {"description"},
    ("actions", "ProposalDeclineForm"): {"reason"},
    ("records", "CorrectionForm"): {"reason"},
}


def _form_classes():
    for app in FORM_MODULES:
        module = importlib.import_module(f"openmarac.{app}.forms")
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                yield app, name, value


def _declared_text_areas(form_class):
    fields = dict(form_class.base_fields)
    if form_class.__name__ == "JudgementForm":  # its fields come from the checklist definition
        fields = form_class(definition=default_definition()).fields
    return {name for name, field in fields.items() if isinstance(field.widget, forms.Textarea)}


@pytest.mark.parametrize(("app", "name", "fields"), [(app, name, fields) for (app, name), fields in EXPECTED.items()])
def test_the_named_free_text_fields_are_checked(app, name, fields):
    form_class = getattr(importlib.import_module(f"openmarac.{app}.forms"), name)
    assert issubclass(form_class, GovukFormMixin)
    declared = _declared_text_areas(form_class)
    assert fields <= declared, fields - declared


@pytest.mark.parametrize(("app", "name", "form_class"), list(_form_classes()), ids=lambda v: getattr(v, "__name__", v))
def test_every_form_with_free_text_is_checked(app, name, form_class):
    # Free text means a text area; every form holding one gets the check through
    # GovukFormMixin, so a form outside it would go unchecked.
    if _declared_text_areas(form_class):
        assert issubclass(form_class, (GovukForm, GovukModelForm))


class _Note(GovukForm):
    note = forms.CharField(widget=forms.Textarea, required=False)
    subject = forms.CharField(required=False)
    statement = forms.CharField(widget=forms.Textarea, required=False)
    careful_language_fields = ("subject",)
    careful_language_exempt = ("statement",)


def test_a_form_names_single_line_fields_to_check_and_text_areas_to_leave_out():
    form = _Note({"note": "She won't leave.", "subject": "A toxic week", "statement": "No show."})
    assert free_text_fields(form) == ["note", "subject"]
    assert form.is_valid()
    assert [(a.field, a.words) for a in form.careful_language] == [("note", "won't leave"), ("subject", "toxic")]
    assert form.careful_language[0].message.startswith("Careful language in “Note”: instead of “won't leave”, consider")


def test_a_form_with_errors_gives_no_advice_yet():
    class Required(_Note):
        other = forms.CharField()

    form = Required({"note": "She won't leave."})
    assert not form.is_valid()
    assert not hasattr(form, "careful_language")
    assert advice_for_form(_valid(_Note({"note": "toxic"}))) != []


def _valid(form):
    assert form.is_valid()
    return form


def test_outside_a_request_the_form_still_gets_its_advice():
    assert language._pending.get() is None
    assert _valid(_Note({"note": "toxic"})).careful_language
