"""Tests for the risk checklist definitions: pure Python, no Django, no database."""

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmarac.risk.definitions import (
    CHECKLISTS_DIR,
    ChecklistDefinition,
    DefinitionError,
    available_definitions,
    default_definition,
    get_definition,
    load_definition,
    score,
    validate_answers,
    yes_risk_factors,
)

DATA_DIR = Path(__file__).parent / "data"
SHIPPED = CHECKLISTS_DIR / "safelives-dash-2015.json"


@pytest.fixture(scope="module")
def dash() -> ChecklistDefinition:
    return load_definition(SHIPPED)


def write_json(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def minimal_definition(**overrides) -> dict:
    data = {
        "id": "tiny",
        "version": "1",
        "name": "Tiny test checklist",
        "answer_choices": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}],
        "scored_answer": "yes",
        "questions": [
            {"number": 1, "key": "first", "text": "First?", "risk_factor": "First"},
            {"number": 2, "key": "second", "text": "Second?", "risk_factor": "Second"},
        ],
    }
    data.update(overrides)
    return data


# --- the shipped SafeLives Dash checklist ------------------------------------


def test_shipped_definition_has_24_questions_numbered_1_to_24(dash):
    assert (dash.id, dash.version) == ("safelives-dash", "2015")
    assert [q.number for q in dash.questions] == list(range(1, 25))
    assert len(set(dash.question_keys)) == 24
    assert dash.max_score == 24
    assert dash.answer_values == ("yes", "no", "dont_know")
    assert dash.scored_answer == "yes"


def test_shipped_definition_transcribes_the_sub_choices(dash):
    def options(key):
        return dash.question(key).sub_choices.values

    assert dash.question("current_incident_injury").text == "Has the current incident resulted in injury?"
    assert options("threatened_to_kill") == ("you", "children", "other")
    assert options("drugs_alcohol_mental_health") == ("drugs", "alcohol", "mental_health")
    assert "forced_marriage_protection_order" in options("broken_bail_or_order")
    assert options("criminal_history") == ("domestic_abuse", "sexual_violence", "other_violence", "other")
    with_sub_choices = [q.number for q in dash.questions if q.sub_choices]
    assert with_sub_choices == [14, 18, 21, 23, 24]


def test_shipped_definition_has_the_professional_judgement_questions(dash):
    keys = [item.key for item in dash.professional_judgement]
    assert "reasonable_grounds_for_marac_referral" in keys
    assert "risks_to_children" in keys
    referral_made = next(i for i in dash.professional_judgement if i.key == "marac_referral_made")
    assert referral_made.depends_on == "reasonable_grounds_for_marac_referral"


def test_default_definition_is_the_safelives_dash(dash):
    assert default_definition() == dash
    assert get_definition("safelives-dash") == dash
    assert available_definitions()[("safelives-dash", "2015")] == dash


# --- scoring ----------------------------------------------------------------


def test_score_counts_only_yes(dash):
    answers = {
        "current_incident_injury": {"answer": "yes"},
        "very_frightened": {"answer": "no"},
        "afraid_of_further_injury_or_violence": {"answer": "dont_know"},
        "threatened_to_kill": {"answer": "yes", "sub_choices": ["you", "children"]},
        "criminal_history": {"answer": "yes", "source": "police officer", "comment": "PNC check"},
    }
    assert score(dash, answers) == 3
    assert [q.number for q in yes_risk_factors(dash, answers)] == [1, 14, 24]


def test_score_of_no_answers_is_zero_and_all_yes_is_24(dash):
    assert score(dash, {}) == 0
    assert score(dash, {key: {"answer": "yes"} for key in dash.question_keys}) == 24


def test_unknown_keys_never_add_to_the_score(dash):
    assert score(dash, {"not_a_question": {"answer": "yes"}}) == 0


# --- a second definition, shipped as a file ----------------------------------


def test_second_definition_is_found_and_scored_without_code_change(tmp_path):
    # A Marac drops its own checklist file into a directory of its choosing.
    shutil.copy(DATA_DIR / "police-dash-test.json", tmp_path / "police.json")

    found = available_definitions([tmp_path])
    assert set(found) == {("safelives-dash", "2015"), ("police-dash", "2009"), ("acpo-dash", "2009")}

    police = get_definition("acpo-dash", directories=[tmp_path])
    assert "TEST FIXTURE" in police.name
    assert [q.number for q in police.questions] == list(range(1, 28))
    # Its answer choices come from the file, not from code.
    assert police.answer_values == ("yes", "no", "not_known")

    answers = {key: {"answer": "yes"} for key in police.question_keys[:20]}
    answers["test_question_21"] = {"answer": "not_known"}
    assert score(police, answers) == 20
    assert validate_answers(police, answers) == {}
    # A "don't know" that is valid for SafeLives is not an answer here.
    assert "test_question_1" in validate_answers(police, {"test_question_1": {"answer": "dont_know"}})


def test_get_definition_picks_the_latest_version(tmp_path):
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    data["version"] = "2025"
    write_json(tmp_path / "newer.json", data)
    assert get_definition("safelives-dash", directories=[tmp_path]).version == "2025"
    assert get_definition("safelives-dash", "2015", directories=[tmp_path]).version == "2015"


def test_get_definition_unknown_is_a_clear_error():
    with pytest.raises(DefinitionError, match="no checklist 'nope'"):
        get_definition("nope")
    with pytest.raises(DefinitionError, match="version '1999'"):
        get_definition("safelives-dash", "1999")


def test_same_id_and_version_twice_is_an_error(tmp_path):
    shutil.copy(SHIPPED, tmp_path / "copy.json")
    with pytest.raises(DefinitionError, match="already defined"):
        available_definitions([tmp_path])


def test_missing_directory_is_an_error(tmp_path):
    with pytest.raises(DefinitionError, match="does not exist"):
        available_definitions([tmp_path / "missing"])


# --- validating answers -----------------------------------------------------


def test_valid_answers_have_no_errors(dash):
    answers = {
        "current_incident_injury": {"answer": "yes", "details": "Bruised arm; first injury", "comment": ""},
        "threatened_to_kill": {"answer": "yes", "sub_choices": ["other"], "details": "Her brother"},
        "drugs_alcohol_mental_health": {"answer": "no", "sub_choices": []},
        "criminal_history": {"answer": "dont_know", "source": "Health visitor"},
    }
    assert validate_answers(dash, answers) == {}


def test_validation_errors_for_bad_answers(dash):
    errors = validate_answers(
        dash,
        {
            "no_such_question": {"answer": "yes"},
            "very_frightened": {"answer": "maybe"},
            "separation_within_past_year": {},
            "threatened_to_kill": {"answer": "yes", "sub_choices": ["neighbour"]},
            "criminal_history": {"answer": "no", "sub_choices": ["domestic_abuse"]},
            "conflict_over_child_contact": {"answer": "yes", "sub_choices": ["children"]},
            "abuse_getting_worse": "yes",
            "financial_issues": {"answer": "yes", "comments": "typo in field name"},
        },
    )
    assert set(errors) == {
        "no_such_question",
        "very_frightened",
        "separation_within_past_year",
        "threatened_to_kill",
        "criminal_history",
        "conflict_over_child_contact",
        "abuse_getting_worse",
        "financial_issues",
    }
    assert "Unknown question" in errors["no_such_question"]
    assert "Invalid answer 'maybe'" in errors["very_frightened"]
    assert "No answer given" in errors["separation_within_past_year"]
    assert "'neighbour' not in the options" in errors["threatened_to_kill"]
    assert "only be given when the answer is 'Yes'" in errors["criminal_history"]
    assert "no sub-choices" in errors["conflict_over_child_contact"]
    assert "Expected an answer object" in errors["abuse_getting_worse"]
    assert "Unknown field(s): comments" in errors["financial_issues"]


def test_single_choice_sub_choices_reject_more_than_one():
    police = load_definition(DATA_DIR / "police-dash-test.json")
    errors = validate_answers(police, {"test_question_27": {"answer": "yes", "sub_choices": ["option_a", "option_b"]}})
    assert "Only one sub-choice" in errors["test_question_27"]


def test_require_all_reports_unanswered_questions(dash):
    errors = validate_answers(dash, {"very_frightened": {"answer": "no"}}, require_all=True)
    assert len(errors) == 23
    assert errors["current_incident_injury"] == "Question 1 has not been answered."


# --- rejecting malformed definition files -----------------------------------


def test_load_definition_rejects_a_duplicate_key(tmp_path):
    questions = minimal_definition()["questions"]
    questions[1]["key"] = "first"
    path = write_json(tmp_path / "dup.json", minimal_definition(questions=questions))
    with pytest.raises(DefinitionError, match="duplicate question key 'first'") as excinfo:
        load_definition(path)
    assert str(path) in str(excinfo.value)  # the message says which file


def test_load_definition_rejects_a_duplicate_number(tmp_path):
    questions = minimal_definition()["questions"]
    questions[1]["number"] = 1
    with pytest.raises(DefinitionError, match="duplicate question number 1"):
        load_definition(write_json(tmp_path / "dup.json", minimal_definition(questions=questions)))


def test_load_definition_rejects_a_bad_scored_answer(tmp_path):
    path = write_json(tmp_path / "bad.json", minimal_definition(scored_answer="maybe"))
    with pytest.raises(DefinitionError, match=r"scored_answer 'maybe' is not one of the answer choices \(yes, no\)"):
        load_definition(path)


def test_load_definition_rejects_duplicate_sub_choice_values(tmp_path):
    questions = minimal_definition()["questions"]
    questions[0]["sub_choices"] = {
        "label": "Who?",
        "multiple": True,
        "options": [{"value": "you", "label": "You"}, {"value": "you", "label": "You again"}],
    }
    with pytest.raises(DefinitionError, match="duplicate .*options value 'you'"):
        load_definition(write_json(tmp_path / "bad.json", minimal_definition(questions=questions)))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"questions": []}, "at least one question"),
        ({"version": 2015}, "version: expected a non-empty string"),
        ({"questions": [{"number": 1, "key": "Bad Key", "text": "?", "risk_factor": "x"}]}, "lower-case"),
        ({"questions": [{"number": 1, "key": "a", "text": "?", "risk_factor": "x", "hnit": "typo"}]}, "unknown field"),
        ({"questions": [{"number": 1, "key": "a", "text": "?", "risk_factor": "x", "section": "s"}]}, "not one of the sections"),
        ({"suggested_threshold": 3}, "suggested_threshold"),
        ({"professional_judgement": [{"key": "pj", "text": "?", "kind": "essay"}]}, "kind"),
    ],
)
def test_load_definition_rejects_other_malformed_files(tmp_path, change, message):
    with pytest.raises(DefinitionError, match=message):
        load_definition(write_json(tmp_path / "bad.json", minimal_definition(**change)))


def test_load_definition_rejects_invalid_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DefinitionError, match="not valid JSON"):
        load_definition(path)


# --- properties -------------------------------------------------------------

SHIPPED_DASH = load_definition(SHIPPED)


@st.composite
def random_answers(draw, definition=SHIPPED_DASH):
    """Any subset of the questions, each with any answer; sub-choices only with yes."""
    answers = {}
    for question in definition.questions:
        if not draw(st.booleans()):
            continue  # left unanswered
        answer = draw(st.sampled_from(definition.answer_values))
        entry = {"answer": answer}
        if question.sub_choices and answer == definition.scored_answer:
            entry["sub_choices"] = draw(
                st.lists(st.sampled_from(question.sub_choices.values), unique=True)
            )
        answers[question.key] = entry
    return answers


@given(random_answers())
def test_score_is_the_number_of_yes_answers(answers):
    expected = sum(1 for entry in answers.values() if entry["answer"] == "yes")
    assert score(SHIPPED_DASH, answers) == expected
    assert 0 <= score(SHIPPED_DASH, answers) <= len(SHIPPED_DASH.questions)
    assert len(yes_risk_factors(SHIPPED_DASH, answers)) == expected
    assert validate_answers(SHIPPED_DASH, answers) == {}


junk_keys = st.sampled_from(SHIPPED_DASH.question_keys) | st.text(max_size=20)
junk_entries = st.fixed_dictionaries(
    {"answer": st.sampled_from(["yes", "no", "dont_know", "YES", "", None]) | st.text(max_size=5)}
) | st.none() | st.text(max_size=5)


@given(st.dictionaries(junk_keys, junk_entries))
def test_score_counts_yes_for_known_questions_whatever_the_input(answers):
    # Junk input must never crash scoring or push the score out of range.
    expected = sum(
        1
        for key, entry in answers.items()
        if key in SHIPPED_DASH.question_keys and isinstance(entry, dict) and entry["answer"] == "yes"
    )
    assert score(SHIPPED_DASH, answers) == expected
    assert 0 <= expected <= SHIPPED_DASH.max_score
    errors = validate_answers(SHIPPED_DASH, answers)
    assert set(errors) <= set(answers)


def test_shipped_police_dash_has_27_questions_in_four_sections():
    police = get_definition("police-dash")
    assert [q.number for q in police.questions] == list(range(1, 28))
    assert [s.title for s in police.sections][0] == "Current situation"
    assert police.answer_values == ("yes", "no", "not_known")
    assert police.question("strangle_choke_suffocate_drown").number == 18
    assert [o.value for o in police.question("broken_bail_or_order").sub_choices.options][:2] == ["bail_conditions", "non_molestation_order"]
    assert score(police, {key: {"answer": "yes"} for key in police.question_keys}) == 27
