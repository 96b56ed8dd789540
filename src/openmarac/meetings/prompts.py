"""Research prompts for an agency's research form.

The prompts are data, in ``data/research_prompts.json``, transcribed from the
SafeLives seeds (see each entry's ``source``):

- per agency kind, what information to bring and what it may lead to (seed
  ``001_…``, the tables at the end of "Information sharing and action planning
  guidance"); kinds with no table get a short general set;
- mental health, substance misuse and Care Act prompts for complex needs (seed
  ``000_…``);
- children's prompts (seed ``003_…``), with a few extra for children's social
  care and police.

``prompts_for`` picks the sections for one agency and one case. It is pure
Python (no Django) so the web layer can call it with plain values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = ["PromptSection", "children_action_questions", "load_prompts", "needs_shown", "prompts_for"]

#: The answer that makes a checklist question count towards a need.
_YES = "yes"


@dataclass(frozen=True)
class PromptSection:
    title: str
    items: tuple[str, ...]


def _freeze(value: Any) -> Any:
    """Make the loaded JSON read-only: the result is cached and shared."""
    if isinstance(value, dict):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value


@cache
def load_prompts() -> Mapping[str, Any]:
    """The prompts file, parsed once. Mappings are read-only and lists are tuples."""
    text = (resources.files("openmarac.meetings") / "data" / "research_prompts.json").read_text(encoding="utf-8")
    data = json.loads(text)
    _check(data)
    return _freeze(data)


def _check(data: Mapping[str, Any]) -> None:
    """Fail loudly on a malformed file rather than show an empty form."""
    for key in ("section_titles", "general", "agencies", "needs", "needs_from_checklist", "children"):
        if key not in data:
            raise ValueError(f"research_prompts.json: missing {key!r}")
    for where, entry in [("general", data["general"]), *((f"agencies.{k}", v) for k, v in data["agencies"].items())]:
        for key in ("bring", "may_lead_to"):
            if not entry.get(key):
                raise ValueError(f"research_prompts.json: {where}.{key} is empty")
    needs = data["needs"]
    for need, rules in data["needs_from_checklist"].items():
        if need not in needs:
            raise ValueError(f"research_prompts.json: needs_from_checklist.{need} is not a need")
        for rule in rules:
            if not rule.get("question"):
                raise ValueError(f"research_prompts.json: needs_from_checklist.{need} has a rule with no question")
    for need, entry in needs.items():
        for implied in entry.get("implied_by", ()):
            if implied not in needs:
                raise ValueError(f"research_prompts.json: needs.{need}.implied_by names unknown need {implied!r}")


def _answer_parts(entry: Any) -> tuple[str | None, tuple[str, ...]]:
    """(answer, sub_choices) from one checklist answer entry."""
    if isinstance(entry, str):  # tolerate a bare answer value
        return entry, ()
    if isinstance(entry, Mapping):
        subs = entry.get("sub_choices") or ()
        if isinstance(subs, str):
            subs = (subs,)
        return entry.get("answer"), tuple(subs)
    return None, ()


def needs_shown(
    checklist_answers: Mapping[str, Any] | None,
    needs_flags: set[str] | frozenset[str] = frozenset(),
) -> set[str]:
    """The needs (keys of ``needs`` in the JSON) that this case shows.

    A need is shown when it is in ``needs_flags``, or a checklist rule under
    ``needs_from_checklist`` matches: the question is answered "yes" and either
    the rule names no sub-choice, the named sub-choice is ticked, or no
    sub-choice was recorded at all (we cannot tell which, so we prompt rather
    than miss it). Then needs with ``implied_by`` (the Care Act) are added.
    """
    data = load_prompts()
    needs = data["needs"]
    unknown = set(needs_flags) - set(needs)
    if unknown:
        raise ValueError(f"unknown need flag(s): {', '.join(sorted(unknown))}; known: {', '.join(needs)}")
    shown = set(needs_flags)
    answers = checklist_answers or {}
    for need, rules in data["needs_from_checklist"].items():
        for rule in rules:
            answer, subs = _answer_parts(answers.get(rule["question"]))
            if answer != _YES:
                continue
            wanted = rule.get("sub_choice")
            if wanted is None or not subs or wanted in subs:
                shown.add(need)
                break
    for need, entry in needs.items():
        if any(implied in shown for implied in entry.get("implied_by", ())):
            shown.add(need)
    return shown


def prompts_for(
    *,
    agency_kind: str,
    checklist_answers: dict | None,
    children_count: int,
    needs_flags: set[str] | frozenset[str] = frozenset(),
) -> list[PromptSection]:
    """The prompt sections for one agency's research form on one case.

    Order: the agency's "bring" section, its "may lead to" section (the general
    set for a kind with no entry), then each need shown (in the JSON's order),
    then children when ``children_count`` > 0.

    ``checklist_answers`` is the risk checklist's answers format
    (``{question_key: {"answer": "yes", "sub_choices": [...]}}``). Pass
    ``needs_flags`` from the referral, e.g. ``{"care_act"}`` when the victim is
    noted as disabled; unknown flags raise ``ValueError``.
    """
    data = load_prompts()
    titles = data["section_titles"]
    agency = data["agencies"].get(agency_kind) or data["general"]
    sections = [
        PromptSection(titles["bring"], tuple(agency["bring"])),
        PromptSection(titles["may_lead_to"], tuple(agency["may_lead_to"])),
    ]
    shown = needs_shown(checklist_answers, needs_flags)
    for need, entry in data["needs"].items():
        if need in shown:
            sections.append(PromptSection(entry["title"], tuple(entry["prompts"])))
    if children_count > 0:
        children = data["children"]
        extra = children.get("agency_prompts", {}).get(agency_kind, ())
        sections.append(PromptSection(children["title"], (*children["prompts"], *extra)))
    return sections


def children_action_questions() -> tuple[str, ...]:
    """Seed ``003_…``'s key questions for the action plan of a case with children
    (the child's views, safe contact, entry refused, cultural barriers, the
    corporate parent and the rest), asked beside the plan."""
    return tuple(load_prompts()["children"].get("action_planning", ()))
