"""Tests for the research-form prompts (pure Python: no Django, no database)."""

import json
from importlib import resources

import pytest

from openmarac.meetings.prompts import PromptSection, load_prompts, needs_shown, prompts_for

# The values of openmarac.accounts.models.AgencyKind. Importing that module
# needs Django settings (it defines models), and these tests run without
# Django, so the list is copied here. Keep it in step with AgencyKind.
AGENCY_KINDS = (
    "police",
    "idva",
    "housing",
    "childrens_social_care",
    "probation",
    "health",
    "mental_health",
    "substance_misuse",
    "adult_social_care",
    "education",
    "camhs",
    "youth_offending",
    "refuge",
    "specialist_by_and_for",
    "sexual_violence",
    "perpetrator_programme",
    "fire",
    "other",
)

# Kinds the seed has no table for: they carry the general set.
GENERAL_KINDS = ("youth_offending", "fire", "other")

SEEDS = ("000_18be6d48bfb7e99e.txt", "001_ecd25fb17830de4b.txt", "003_a44d6e8c33cd2ef8.txt")

MENTAL_HEALTH_ONLY = {"drugs_alcohol_mental_health": {"answer": "yes", "sub_choices": ["mental_health"]}}


def raw():
    text = (resources.files("openmarac.meetings") / "data" / "research_prompts.json").read_text(encoding="utf-8")
    return json.loads(text)


def titles(sections):
    return [s.title for s in sections]


def test_every_agency_kind_has_an_entry():
    agencies = load_prompts()["agencies"]
    assert set(agencies) == set(AGENCY_KINDS)
    for kind in AGENCY_KINDS:
        assert agencies[kind]["bring"], kind
        assert agencies[kind]["may_lead_to"], kind


def test_kinds_without_a_seed_table_use_the_general_set_and_say_so():
    data = load_prompts()
    for kind in GENERAL_KINDS:
        entry = data["agencies"][kind]
        assert entry["bring"] == data["general"]["bring"]
        assert entry["may_lead_to"] == data["general"]["may_lead_to"]
        assert entry["source"].startswith("General set")


@pytest.mark.parametrize("kind", ["police", "housing", "childrens_social_care"])
def test_core_agency_prompts_are_not_empty(kind):
    sections = prompts_for(agency_kind=kind, checklist_answers=None, children_count=0)
    bring, may_lead_to = sections
    assert bring.items and may_lead_to.items
    assert bring.items == tuple(load_prompts()["agencies"][kind]["bring"])
    assert may_lead_to.items == tuple(load_prompts()["agencies"][kind]["may_lead_to"])


def test_no_needs_and_no_children_gives_only_the_agency_sections():
    sections = prompts_for(agency_kind="police", checklist_answers={}, children_count=0)
    assert titles(sections) == ["Information to bring", "What it may lead to"]
    assert all(isinstance(s, PromptSection) for s in sections)


def test_mental_health_sub_choice_adds_mental_health_and_care_act_not_substance_misuse():
    sections = prompts_for(agency_kind="housing", checklist_answers=MENTAL_HEALTH_ONLY, children_count=0)
    assert titles(sections) == ["Information to bring", "What it may lead to", "Mental health", "The Care Act 2014"]


@pytest.mark.parametrize("sub_choice", ["drugs", "alcohol"])
def test_drugs_or_alcohol_sub_choice_adds_substance_misuse_and_care_act(sub_choice):
    answers = {"drugs_alcohol_mental_health": {"answer": "yes", "sub_choices": [sub_choice]}}
    assert needs_shown(answers) == {"substance_misuse", "care_act"}


def test_question_answered_no_or_dont_know_shows_no_need():
    for answer in ("no", "dont_know"):
        answers = {"drugs_alcohol_mental_health": {"answer": answer}, "depressed_or_suicidal": {"answer": answer}}
        assert needs_shown(answers) == set()


def test_yes_without_a_recorded_sub_choice_shows_every_need_it_could_mean():
    answers = {"drugs_alcohol_mental_health": {"answer": "yes"}}
    assert needs_shown(answers) == {"mental_health", "substance_misuse", "care_act"}


def test_victim_depressed_or_suicidal_shows_mental_health():
    assert needs_shown({"depressed_or_suicidal": {"answer": "yes"}}) == {"mental_health", "care_act"}


def test_needs_flags_from_the_referral():
    sections = prompts_for(agency_kind="police", checklist_answers=None, children_count=0, needs_flags={"care_act"})
    assert titles(sections)[2:] == ["The Care Act 2014"]
    sections = prompts_for(
        agency_kind="police", checklist_answers=None, children_count=0, needs_flags={"substance_misuse"}
    )
    assert titles(sections)[2:] == ["Substance misuse", "The Care Act 2014"]
    with pytest.raises(ValueError):
        prompts_for(agency_kind="police", checklist_answers=None, children_count=0, needs_flags={"disabled"})


def test_children_section_only_with_children():
    without = prompts_for(agency_kind="education", checklist_answers=None, children_count=0)
    with_children = prompts_for(agency_kind="education", checklist_answers=None, children_count=2)
    assert "Children" not in titles(without)
    assert titles(with_children)[-1] == "Children"
    assert with_children[-1].items == tuple(load_prompts()["children"]["prompts"])


def test_children_section_adds_agency_specific_prompts():
    children = load_prompts()["children"]
    section = prompts_for(agency_kind="childrens_social_care", checklist_answers=None, children_count=1)[-1]
    assert section.items == (*children["prompts"], *children["agency_prompts"]["childrens_social_care"])


def test_order_is_agency_then_needs_then_children():
    sections = prompts_for(
        agency_kind="police", checklist_answers=MENTAL_HEALTH_ONLY, children_count=1, needs_flags={"substance_misuse"}
    )
    assert titles(sections) == [
        "Information to bring",
        "What it may lead to",
        "Mental health",
        "Substance misuse",
        "The Care Act 2014",
        "Children",
    ]


@pytest.mark.parametrize("kind", ["", "ambulance", "POLICE"])
def test_unknown_agency_kind_gets_the_general_section(kind):
    general = load_prompts()["general"]
    sections = prompts_for(agency_kind=kind, checklist_answers=None, children_count=0)
    assert [s.items for s in sections] == [tuple(general["bring"]), tuple(general["may_lead_to"])]


def test_loaded_data_is_cached_and_read_only():
    assert load_prompts() is load_prompts()
    with pytest.raises(TypeError):
        load_prompts()["agencies"]["police"]["bring"] += ("extra",)


def test_json_is_well_formed():
    data = raw()

    def check_prompts(where, prompts):
        assert isinstance(prompts, list) and prompts, where
        for prompt in prompts:
            assert isinstance(prompt, str) and prompt.strip() == prompt and prompt, (where, prompt)
            assert "\n" not in prompt and len(prompt) <= 140, (where, prompt)
        assert len(set(prompts)) == len(prompts), f"{where}: duplicate prompt"

    def check_source(where, entry):
        source = entry.get("source")
        assert isinstance(source, str) and any(seed in source for seed in SEEDS), where

    for key in ("bring", "may_lead_to"):
        assert data["section_titles"][key]
    for where, entry in [("general", data["general"]), *data["agencies"].items()]:
        check_source(where, entry)
        assert entry["label"], where
        check_prompts(f"{where}.bring", entry["bring"])
        check_prompts(f"{where}.may_lead_to", entry["may_lead_to"])
    assert list(data["needs"]) == ["mental_health", "substance_misuse", "care_act"]
    for need, entry in data["needs"].items():
        check_source(need, entry)
        assert entry["title"], need
        check_prompts(need, entry["prompts"])
        assert "000_18be6d48bfb7e99e.txt" in entry["source"]
    check_source("children", data["children"])
    assert "003_a44d6e8c33cd2ef8.txt" in data["children"]["source"]
    assert data["children"]["title"]
    check_prompts("children", data["children"]["prompts"])
    for kind, prompts in data["children"]["agency_prompts"].items():
        assert kind in AGENCY_KINDS
        check_prompts(f"children.{kind}", prompts)


def test_checklist_mapping_names_real_questions_and_sub_choices():
    checklist = json.loads(
        (resources.files("openmarac.risk") / "checklists" / "safelives-dash-2015.json").read_text(encoding="utf-8")
    )
    questions = {q["key"]: q for q in checklist["questions"]}
    mapping = raw()["needs_from_checklist"]
    assert set(mapping) <= set(raw()["needs"])
    assert mapping["mental_health"] and mapping["substance_misuse"]
    for need, rules in mapping.items():
        for rule in rules:
            assert rule["question"] in questions, (need, rule)
            wanted = rule["sub_choice"]
            if wanted is not None:
                options = {o["value"] for o in questions[rule["question"]]["sub_choices"]["options"]}
                assert wanted in options, (need, rule)
