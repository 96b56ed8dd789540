"""Risk checklist definitions: load, validate and score them.

A risk checklist (by default the SafeLives Dash risk checklist, 24 questions) is
kept as DATA: one JSON file per checklist version in the ``checklists/`` directory
next to this module. A Marac that uses another checklist (e.g. the police's
27-question ACPO DASH) ships another file in the same format and passes its
directory to :func:`available_definitions` / :func:`get_definition`; no code
changes. Completed checklists should record the ``(id, version)`` they were
answered against, so an old assessment is always read with the questions that
were actually asked (risk is dynamic and every version is kept).

This module is deliberately pure Python (stdlib only, no Django) so the
definitions can be checked and scored anywhere: in tests, in a management
command, or when importing data.

File format (all text in British English)::

    {
      "id": "safelives-dash",            # stable id, lower case, hyphens allowed
      "version": "2015",                 # a string; "latest" is by natural sort
      "name": "SafeLives Dash risk checklist",
      "suggested_threshold": 14,         # optional: the publisher's "visible high
                                         # risk" score. The Marac's own setting wins.
      "answer_choices": [{"value": "yes", "label": "Yes"}, ...],
      "scored_answer": "yes",            # the score counts this answer
      "sections": [{"key", "title", "intro"?}],          # optional
      "questions": [{
          "number": 1, "key": "current_incident_injury",
          "section": "risk_identification" | null,
          "text": "...", "hint": "..." | null,
          "risk_factor": "Injury",       # short label for summaries and agendas
          "sub_choices": null | {"label": "..." | null, "multiple": true,
                                 "options": [{"value", "label", "specify"?}]},
          "details_prompt": "..." | null # label of a free-text box, present when
                                         # the checklist asks to state/describe
      }],
      "professional_judgement": [{"key", "text", "kind": "yes_no"|"text"|"date",
                                  "hint"?, "depends_on"?}]   # optional
    }

A sub-choice option with ``"specify": true`` (e.g. "Other (please specify)")
means the practitioner should say more; that text goes in the answer's
``details``. ``depends_on`` on a professional judgement question names an
earlier yes/no question that must be answered yes for it to apply ("If yes,
have you made a referral?").

Answers format, one entry per answered question (omit unanswered ones)::

    {question_key: {"answer": "yes",          # one of the answer choice values
                    "sub_choices": ["you"],   # optional, only with the scored answer
                    "details": "...",         # optional, see details_prompt/specify
                    "source": "...",          # optional
                    "comment": "..."}}        # optional

Every question implicitly has ``source`` (the source of the information if it is
not the victim, e.g. "police officer"; blank means the victim, as the checklist
assumes) and ``comment``; they are not repeated in the definition files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

#: The checklists shipped with OpenMarac.
CHECKLISTS_DIR = Path(__file__).resolve().parent / "checklists"

#: The checklist used when a Marac has not configured another one.
DEFAULT_DEFINITION_ID = "safelives-dash"

#: Fields an answer entry may carry (see the module docstring).
ANSWER_FIELDS = frozenset({"answer", "sub_choices", "details", "source", "comment"})

PROFESSIONAL_JUDGEMENT_KINDS = frozenset({"yes_no", "text", "date"})

# Keys and values end up in database rows, exports and form field names, so
# they are restricted to stable snake_case.
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class DefinitionError(ValueError):
    """A checklist definition file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    #: True when choosing this option asks for more detail ("Other (please specify)").
    specify: bool = False


@dataclass(frozen=True)
class SubChoices:
    label: str | None
    multiple: bool
    options: tuple[Choice, ...]

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str | None = None


@dataclass(frozen=True)
class Question:
    number: int
    key: str
    text: str
    risk_factor: str
    section: str | None = None
    hint: str | None = None
    sub_choices: SubChoices | None = None
    details_prompt: str | None = None


@dataclass(frozen=True)
class ProfessionalJudgementQuestion:
    key: str
    text: str
    kind: str
    hint: str | None = None
    depends_on: str | None = None


@dataclass(frozen=True)
class ChecklistDefinition:
    id: str
    version: str
    name: str
    answer_choices: tuple[Choice, ...]
    scored_answer: str
    questions: tuple[Question, ...]
    sections: tuple[Section, ...] = ()
    professional_judgement: tuple[ProfessionalJudgementQuestion, ...] = ()
    suggested_threshold: int | None = None
    #: Where the definition was loaded from; informative only.
    path: Path | None = field(default=None, compare=False)

    @property
    def max_score(self) -> int:
        return len(self.questions)

    @property
    def answer_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.answer_choices)

    @property
    def question_keys(self) -> tuple[str, ...]:
        return tuple(question.key for question in self.questions)

    def question(self, key: str) -> Question:
        """Return the question with this key; KeyError if there is none."""
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)

    def __str__(self) -> str:
        return f"{self.name} ({self.id} {self.version})"


# --------------------------------------------------------------------------
# Loading and validating definition files
# --------------------------------------------------------------------------


def load_definition(path: str | PathLike[str]) -> ChecklistDefinition:
    """Load and validate one checklist definition file.

    Raises DefinitionError naming the file and the offending field, because
    these files may be written by a Marac's administrator rather than a
    developer and the message is all they will have to go on.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read checklist definition: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"{path}: not valid JSON: {exc}") from exc
    try:
        definition = _parse_definition(raw)
    except DefinitionError as exc:
        raise DefinitionError(f"{path}: {exc}") from None
    # Dataclasses are frozen; set the informative path without a second parse.
    object.__setattr__(definition, "path", path)
    return definition


def _parse_definition(raw: Any) -> ChecklistDefinition:
    _check_fields(
        raw,
        "definition",
        required=("id", "version", "name", "answer_choices", "scored_answer", "questions"),
        optional=("sections", "professional_judgement", "suggested_threshold"),
    )
    checklist_id = _string(raw, "id", "definition", pattern=_ID_RE)
    version = _string(raw, "version", "definition", pattern=_VERSION_RE)
    name = _string(raw, "name", "definition")

    answer_choices = _parse_choices(raw["answer_choices"], "answer_choices")
    if len(answer_choices) < 2:
        raise DefinitionError("answer_choices: at least two answer choices are needed")
    answer_values = [choice.value for choice in answer_choices]
    scored_answer = _string(raw, "scored_answer", "definition")
    if scored_answer not in answer_values:
        raise DefinitionError(
            f"scored_answer {scored_answer!r} is not one of the answer choices "
            f"({', '.join(answer_values)})"
        )

    sections = tuple(
        _parse_section(item, f"sections[{i}]") for i, item in enumerate(_list(raw, "sections", optional=True))
    )
    _check_unique([s.key for s in sections], "section key")
    section_keys = {s.key for s in sections}

    questions_raw = _list(raw, "questions")
    if not questions_raw:
        raise DefinitionError("questions: a checklist needs at least one question")
    questions = [_parse_question(item, f"questions[{i}]", section_keys) for i, item in enumerate(questions_raw)]
    _check_unique([q.number for q in questions], "question number")
    _check_unique([q.key for q in questions], "question key")
    # Numbers, not file order, define the order the questions are asked in.
    questions.sort(key=lambda q: q.number)

    professional_judgement = tuple(
        _parse_professional_judgement(item, f"professional_judgement[{i}]")
        for i, item in enumerate(_list(raw, "professional_judgement", optional=True))
    )
    # One namespace for both kinds of key, so a form can use them as field names.
    _check_unique([q.key for q in questions] + [p.key for p in professional_judgement], "question key")
    _check_depends_on(professional_judgement)

    threshold = raw.get("suggested_threshold")
    if threshold is not None and (
        not isinstance(threshold, int) or isinstance(threshold, bool) or not 1 <= threshold <= len(questions)
    ):
        raise DefinitionError(
            f"suggested_threshold must be a whole number from 1 to {len(questions)}, got {threshold!r}"
        )

    return ChecklistDefinition(
        id=checklist_id,
        version=version,
        name=name,
        answer_choices=answer_choices,
        scored_answer=scored_answer,
        questions=tuple(questions),
        sections=sections,
        professional_judgement=professional_judgement,
        suggested_threshold=threshold,
    )


def _parse_choices(raw: Any, where: str) -> tuple[Choice, ...]:
    if not isinstance(raw, list):
        raise DefinitionError(f"{where}: expected a list, got {type(raw).__name__}")
    choices = []
    for i, item in enumerate(raw):
        item_where = f"{where}[{i}]"
        _check_fields(item, item_where, required=("value", "label"), optional=("specify",))
        specify = item.get("specify", False)
        if not isinstance(specify, bool):
            raise DefinitionError(f"{item_where}.specify: expected true or false, got {specify!r}")
        choices.append(
            Choice(
                value=_string(item, "value", item_where, pattern=_KEY_RE),
                label=_string(item, "label", item_where),
                specify=specify,
            )
        )
    _check_unique([c.value for c in choices], f"{where} value")
    return tuple(choices)


def _parse_section(raw: Any, where: str) -> Section:
    _check_fields(raw, where, required=("key", "title"), optional=("intro",))
    return Section(
        key=_string(raw, "key", where, pattern=_KEY_RE),
        title=_string(raw, "title", where),
        intro=_string(raw, "intro", where, optional=True),
    )


def _parse_question(raw: Any, where: str, section_keys: set[str]) -> Question:
    _check_fields(
        raw,
        where,
        required=("number", "key", "text", "risk_factor"),
        optional=("section", "hint", "sub_choices", "details_prompt"),
    )
    number = raw["number"]
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise DefinitionError(f"{where}.number: expected a whole number of 1 or more, got {number!r}")
    where = f"{where} (question {number})"
    section = _string(raw, "section", where, optional=True)
    if section is not None and section not in section_keys:
        raise DefinitionError(f"{where}.section: {section!r} is not one of the sections")
    sub_choices = None
    if raw.get("sub_choices") is not None:
        sub_where = f"{where}.sub_choices"
        sub_raw = raw["sub_choices"]
        _check_fields(sub_raw, sub_where, required=("options",), optional=("label", "multiple"))
        multiple = sub_raw.get("multiple", True)
        if not isinstance(multiple, bool):
            raise DefinitionError(f"{sub_where}.multiple: expected true or false, got {multiple!r}")
        options = _parse_choices(sub_raw["options"], f"{sub_where}.options")
        if not options:
            raise DefinitionError(f"{sub_where}.options: give at least one option, or set sub_choices to null")
        sub_choices = SubChoices(
            label=_string(sub_raw, "label", sub_where, optional=True),
            multiple=multiple,
            options=options,
        )
    return Question(
        number=number,
        key=_string(raw, "key", where, pattern=_KEY_RE),
        text=_string(raw, "text", where),
        risk_factor=_string(raw, "risk_factor", where),
        section=section,
        hint=_string(raw, "hint", where, optional=True),
        sub_choices=sub_choices,
        details_prompt=_string(raw, "details_prompt", where, optional=True),
    )


def _parse_professional_judgement(raw: Any, where: str) -> ProfessionalJudgementQuestion:
    _check_fields(raw, where, required=("key", "text", "kind"), optional=("hint", "depends_on"))
    kind = _string(raw, "kind", where)
    if kind not in PROFESSIONAL_JUDGEMENT_KINDS:
        raise DefinitionError(
            f"{where}.kind: {kind!r} is not one of {', '.join(sorted(PROFESSIONAL_JUDGEMENT_KINDS))}"
        )
    return ProfessionalJudgementQuestion(
        key=_string(raw, "key", where, pattern=_KEY_RE),
        text=_string(raw, "text", where),
        kind=kind,
        hint=_string(raw, "hint", where, optional=True),
        depends_on=_string(raw, "depends_on", where, pattern=_KEY_RE, optional=True),
    )


def _check_depends_on(items: tuple[ProfessionalJudgementQuestion, ...]) -> None:
    # Only an EARLIER yes/no question can gate another; this also rules out cycles.
    seen: dict[str, ProfessionalJudgementQuestion] = {}
    for item in items:
        if item.depends_on is not None:
            parent = seen.get(item.depends_on)
            if parent is None or parent.kind != "yes_no":
                raise DefinitionError(
                    f"professional_judgement {item.key!r}: depends_on {item.depends_on!r} "
                    "must name an earlier yes_no question"
                )
        seen[item.key] = item


def _check_fields(raw: Any, where: str, *, required: Iterable[str], optional: Iterable[str]) -> None:
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where}: expected an object, got {type(raw).__name__}")
    required = tuple(required)
    missing = [name for name in required if name not in raw]
    if missing:
        raise DefinitionError(f"{where}: missing {', '.join(missing)}")
    # Unknown fields are rejected so that a typo ("sub_choice") fails loudly
    # instead of silently dropping data from the checklist.
    unknown = sorted(set(raw) - set(required) - set(optional))
    if unknown:
        raise DefinitionError(f"{where}: unknown field(s) {', '.join(unknown)}")


def _string(raw: dict, name: str, where: str, *, pattern: re.Pattern | None = None, optional: bool = False):
    value = raw.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(f"{where}.{name}: expected a non-empty string, got {value!r}")
    if pattern is not None and not pattern.match(value):
        raise DefinitionError(
            f"{where}.{name}: {value!r} is not allowed here (use lower-case letters, digits and underscores)"
            if pattern is _KEY_RE
            else f"{where}.{name}: {value!r} is not allowed here (no spaces or punctuation)"
        )
    return value


def _list(raw: dict, name: str, *, optional: bool = False) -> list:
    value = raw.get(name)
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise DefinitionError(f"{name}: expected a list, got {type(value).__name__}")
    return value


def _check_unique(values: list, what: str) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise DefinitionError(f"duplicate {what} {value!r}")
        seen.add(value)


# --------------------------------------------------------------------------
# Finding definitions
# --------------------------------------------------------------------------


def available_definitions(
    directories: Iterable[str | PathLike[str]] | None = None,
) -> dict[tuple[str, str], ChecklistDefinition]:
    """All definitions in the shipped ``checklists/`` directory and in ``directories``.

    Returns ``{(id, version): definition}``. Every ``*.json`` file in each
    directory is loaded; one bad file raises DefinitionError rather than being
    skipped, because a silently missing checklist is worse than a loud one. The
    same (id, version) in two files is an error too: which one wins would
    otherwise depend on file order.
    """
    dirs: list[Path] = []
    for directory in [CHECKLISTS_DIR, *(directories or ())]:
        directory = Path(directory).resolve()
        if directory not in dirs:
            dirs.append(directory)

    found: dict[tuple[str, str], ChecklistDefinition] = {}
    for directory in dirs:
        if not directory.is_dir():
            raise DefinitionError(f"checklist directory {directory} does not exist")
        for path in sorted(directory.glob("*.json")):
            definition = _loaded(path)
            ident = (definition.id, definition.version)
            if ident in found:
                raise DefinitionError(
                    f"{path}: checklist {definition.id!r} version {definition.version!r} "
                    f"is already defined in {found[ident].path}"
                )
            found[ident] = definition
    return found


# Each file's definition as last parsed, by path, with the file's modification time and
# size when it was: every page that shows a risk assessment names its questions, and
# parsing the files again for each took a tenth of the chair's case screen. A file
# changed or replaced is parsed again; a bad one still raises every time.
_parsed: dict[Path, tuple[tuple[int, int], ChecklistDefinition]] = {}


def _loaded(path: Path) -> ChecklistDefinition:
    try:
        stat = path.stat()
    except OSError:
        return load_definition(path)
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _parsed.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    definition = load_definition(path)
    _parsed[path] = (stamp, definition)
    return definition


def get_definition(
    id: str,
    version: str | None = None,
    directories: Iterable[str | PathLike[str]] | None = None,
) -> ChecklistDefinition:
    """The definition ``id`` at ``version``, or its latest version when None.

    Versions are compared naturally ("2009" < "2015", "2015" < "2015.1").
    Raises DefinitionError if there is no such checklist.
    """
    found = available_definitions(directories)
    if version is not None:
        try:
            return found[(id, version)]
        except KeyError:
            available = ", ".join(f"{i} {v}" for i, v in sorted(found)) or "none"
            raise DefinitionError(
                f"no checklist {id!r} version {version!r}; available: {available}"
            ) from None
    candidates = [definition for (found_id, _), definition in found.items() if found_id == id]
    if not candidates:
        available = ", ".join(sorted({i for i, _ in found})) or "none"
        raise DefinitionError(f"no checklist {id!r}; available: {available}")
    return max(candidates, key=lambda definition: _version_key(definition.version))


def default_definition(directories: Iterable[str | PathLike[str]] | None = None) -> ChecklistDefinition:
    """The latest SafeLives Dash risk checklist."""
    return get_definition(DEFAULT_DEFINITION_ID, directories=directories)


def _version_key(version: str) -> tuple:
    # Natural sort: digit runs compare as numbers, so "10" sorts after "9".
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.findall(r"\d+|\D+", version)
    )


# --------------------------------------------------------------------------
# Scoring and validating answers
# --------------------------------------------------------------------------


def _answer_of(entry: Any) -> Any:
    return entry.get("answer") if isinstance(entry, Mapping) else None


def score(definition: ChecklistDefinition, answers: Mapping[str, Any]) -> int:
    """The number of questions answered with the scored answer ("yes").

    Only the definition's questions count: unknown keys in ``answers`` are a
    validation problem (see validate_answers), never extra points. "Don't know"
    scores nothing, as on the paper form ("Total ‘yes’ responses").
    """
    return len(yes_risk_factors(definition, answers))


def yes_risk_factors(definition: ChecklistDefinition, answers: Mapping[str, Any]) -> list[Question]:
    """The questions answered with the scored answer, in checklist order."""
    return [
        question
        for question in definition.questions
        if _answer_of(answers.get(question.key)) == definition.scored_answer
    ]


def validate_answers(
    definition: ChecklistDefinition,
    answers: Mapping[str, Any],
    *,
    require_all: bool = False,
) -> dict[str, str]:
    """Check answers against the definition; return ``{question_key: message}``.

    An empty dict means the answers are valid. Unanswered questions are simply
    absent from ``answers`` and are fine unless ``require_all`` is true (a
    submitted checklist: "Don't know" is an answer, a blank is not).
    """
    if not isinstance(answers, Mapping):
        raise TypeError(f"answers must be a mapping of question key to answer, got {type(answers).__name__}")
    questions = {question.key: question for question in definition.questions}
    errors: dict[str, str] = {}
    for key, entry in answers.items():
        question = questions.get(key)
        if question is None:
            errors[key] = f"Unknown question {key!r} for the {definition}."
            continue
        problems = _answer_problems(definition, question, entry)
        if problems:
            errors[key] = " ".join(problems)
    if require_all:
        for question in definition.questions:
            if question.key not in answers:
                errors[question.key] = f"Question {question.number} has not been answered."
    return errors


def _answer_problems(definition: ChecklistDefinition, question: Question, entry: Any) -> list[str]:
    if not isinstance(entry, Mapping):
        return [f"Expected an answer object, got {type(entry).__name__}."]
    problems = []
    unknown = sorted(set(entry) - ANSWER_FIELDS)
    if unknown:
        problems.append(f"Unknown field(s): {', '.join(map(str, unknown))}.")

    answer = entry.get("answer")
    labels = ", ".join(f"{c.label} ({c.value})" for c in definition.answer_choices)
    if answer is None:
        problems.append(f"No answer given; choose one of {labels}.")
    elif answer not in definition.answer_values:
        problems.append(f"Invalid answer {answer!r}; choose one of {labels}.")

    sub_choices = entry.get("sub_choices")
    if sub_choices is None:
        sub_choices = []
    if not isinstance(sub_choices, (list, tuple)) or not all(isinstance(v, str) for v in sub_choices):
        problems.append("Sub-choices must be a list of option values.")
    elif sub_choices:
        options = question.sub_choices
        if options is None:
            problems.append("This question has no sub-choices.")
        else:
            not_options = [value for value in sub_choices if value not in options.values]
            if not_options:
                problems.append(
                    f"Sub-choice(s) {', '.join(map(repr, not_options))} not in the options "
                    f"({', '.join(options.values)})."
                )
            if len(set(sub_choices)) != len(sub_choices):
                problems.append("A sub-choice is given more than once.")
            if not options.multiple and len(sub_choices) > 1:
                problems.append("Only one sub-choice may be chosen.")
        # The form says "If yes, tick who": sub-choices qualify a present risk
        # factor, so they make no sense alongside "no" or "don't know".
        if answer != definition.scored_answer:
            scored_label = next(c.label for c in definition.answer_choices if c.value == definition.scored_answer)
            problems.append(f"Sub-choices can only be given when the answer is {scored_label!r}.")

    for text_field in ("details", "source", "comment"):
        value = entry.get(text_field)
        if value is not None and not isinstance(value, str):
            problems.append(f"{text_field.capitalize()} must be text.")
    return problems
