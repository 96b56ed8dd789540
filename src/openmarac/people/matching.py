"""Person matching for repeat and duplicate detection.

On every new referral the victim and each perpetrator are compared with the
people already known to the Marac. This module is the pure-Python engine for
that: it knows nothing about Django or the database.

How it is used:

1. ``blocking_keys(facts)`` gives a small set of strings for a person. The web
   app stores them in an indexed table (person_id, key) and, for a new
   referral, fetches candidates with ``WHERE key IN (...)``. That keeps a
   lookup to a few hundred people however large the Marac gets.
2. ``rank(query, candidates)`` scores each candidate with
   ``score_candidate`` and returns the best few, each with a score from 0 to
   100, a label ("likely" or "possible") and the reasons in plain English.

Nothing here merges records: a person decides.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib import resources

import jellyfish
from rapidfuzz.distance import OSA

__all__ = [
    "BlockingIndex",
    "LIKELY",
    "LIKELY_THRESHOLD",
    "MAX_KEY_LENGTH",
    "MAX_NAME_POINTS",
    "Match",
    "POSSIBLE",
    "POSSIBLE_THRESHOLD",
    "PersonFacts",
    "PreparedFacts",
    "blocking_keys",
    "dob_may_reach",
    "dob_points",
    "dob_relation",
    "given_name_equivalents",
    "normalise_name",
    "normalise_postcode",
    "normalise_uk_phone",
    "may_reach",
    "prepare",
    "rank",
    "score_candidate",
]


# --- Scoring weights ---------------------------------------------------------
# Points for each piece of evidence. Full agreement on name, date of birth,
# phone and postcode adds up to exactly 100, so the score reads as a percentage.
# Names and date of birth carry most of the weight because they are what
# agencies record most reliably; phones and addresses change often in domestic
# abuse cases (victims move, perpetrators change numbers) and are shared within
# a household, so they only add supporting evidence.
SURNAME_SAME = 30
SURNAME_SOUNDS_ALIKE = 24  # Smith/Smyth, Thompson/Thomson
SURNAME_SPELT_SIMILARLY = 20  # one typing slip, e.g. Jnoes/Jones
SURNAME_SHARES_PART = 20  # one half of a double-barrelled surname
GIVEN_SAME = 20
GIVEN_KNOWN_EQUIVALENT = 17  # Bill/William, from data/nicknames.csv
GIVEN_SIMILAR = 14  # one typing slip, or goes by a middle name
GIVEN_INITIAL = 8  # "J" against "John": consistent but weak
# Two full given names that have nothing in common are evidence *against*:
# twins share surname, date of birth, address and often a phone, and must not
# come out as "likely".
GIVEN_DIFFERENT = -15
# A swap of given name and surname costs this much against the same names
# the right way round: "Jones Sarah" for Sarah Jones scores 40 with no date of
# birth, a possible.
NAMES_SWAP_COST = 10
# Dates of birth compare as dates: each slip scores by how few other dates it
# could have come from, so that among the namesakes of a common name in a large
# Marac a near date is rarely a coincidence.
DOB_SAME = 30
DOB_SWAPPED = 20  # day and month swapped: 4/3 against 3/4 (one neighbour)
DOB_ONE_DAY = 20  # one day apart: the 19th written as the 20th, the 9th as the 10th
DOB_TWO_DAYS = 16
DOB_TRANSPOSED = 16  # two digits of the day, month or year transposed: 12/03 and 21/03, 1987 and 1978
DOB_YEAR_OUT = 16  # same day and month, the year one or ten out: 1989 and 1990, 1975 and 1985
# One digit wrong: a date has about 40 valid one-digit neighbours, so among
# namesakes in a large Marac a date one digit out is a real coincidence.
DOB_ONE_DIGIT = 16
# A known, clearly different date of birth is strong evidence of a different
# person who happens to share a common name.
DOB_DIFFERENT = -20
PHONE_SAME = 12
POSTCODE_SAME = 8

# --- Labels ------------------------------------------------------------------
# "likely" needs, for example, the same name and date of birth with at most one
# small slip (a nickname, a sound-alike surname, day and month swapped, a date
# of birth one day out), or the same name plus phone and postcode when the date
# of birth is unknown. The same name with a date of birth one digit, two days,
# a year or a transposition out (66) needs a phone or postcode too: in the
# benchmark at 1,000,000 people that combination alone gave most of the wrong
# "likely" labels (namesakes born a digit apart). Same surname and date of
# birth with a different given name (twins) stays below it, as does a common
# name with a different date of birth.
LIKELY_THRESHOLD = 70
# "possible" is worth a coordinator's look: at least a full name match with no
# contradicting date of birth (50), a surname and date of birth (60, or 45 with
# a different given name), or a given name and date of birth (50). Date of
# birth alone (30) or surname and postcode alone (38) are too common to show.
POSSIBLE_THRESHOLD = 40

LIKELY = "likely"
POSSIBLE = "possible"

# Blocking keys are cut to this length so they fit the database column
# whatever the length of a name; both sides are cut the same way, so equal
# keys stay equal (two very long names may share a key, which only costs a
# candidate scored for nothing).
MAX_KEY_LENGTH = 80


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What we know about one person, as entered; this module normalises it.

    ``names`` holds (given, family) pairs: the first is the main name, the
    rest are aliases (previous surnames, "known as" names).
    """

    names: tuple[tuple[str, str], ...]
    date_of_birth: date | None = None
    phones: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """The result of comparing a query person with one candidate."""

    score: float  # 0 to 100
    label: str | None  # "likely", "possible" or None (not worth showing)
    reasons: list[str]


# --- Normalising -------------------------------------------------------------

_APOSTROPHES = re.compile(r"['\u2019\u2018`\u02bc]")
_NOT_LETTERS = re.compile(r"[^a-z]+")


@lru_cache(maxsize=200_000)
def normalise_name(s: str | None) -> tuple[str, ...]:
    """Split a name into comparable tokens.

    Casefolds, strips accents (Zoë -> zoe), drops apostrophes so O'Brien and
    OBrien agree, and treats hyphens and other punctuation as spaces so each
    half of a double-barrelled name is its own token:
    "O'Brien-Smith" -> ("obrien", "smith").
    """
    if not s:
        return ()
    decomposed = unicodedata.normalize("NFKD", s)
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", without_accents.casefold())
    return tuple(_NOT_LETTERS.sub(" ", text).split())


_NOT_DIGITS = re.compile(r"\D")
_SPACES = re.compile(r"\s+")


# Cached because rank() compares one query with hundreds of candidates.
@lru_cache(maxsize=100_000)
def normalise_uk_phone(s: str | None) -> str | None:
    """Return a UK number in national format digits ("07700900123").

    Accepts +44, 0044, 44, "+44 (0)", spaces, dashes and brackets. A number
    from another country is kept as "+" and its digits so it still compares
    equal with itself. Returns None for anything that is not a plausible
    number, so that junk ("unknown", "n/a") never counts as a shared phone.
    """
    if not s:
        return None
    text = s.strip().replace("(0)", "")
    international = text.startswith("+")
    digits = _NOT_DIGITS.sub("", text)
    if not international and digits.startswith("00"):
        digits, international = digits[2:], True
    if international:
        if not digits.startswith("44"):
            return "+" + digits if 8 <= len(digits) <= 15 else None
        national = digits[2:]
    elif digits.startswith("44") and len(digits) == 12:
        national = digits[2:]  # "447700900123": +44 without the plus
    else:
        national = digits
    if national.startswith("0"):
        national = national[1:]  # trunk prefix, also "+44 07700 ..."
    # UK numbers have 9 or 10 digits after the leading 0.
    if len(national) not in (9, 10):
        return None
    return "0" + national


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


@lru_cache(maxsize=100_000)
def normalise_postcode(s: str | None) -> str | None:
    """Return a UK postcode as "SW1A 1AA", or None if it is not one.

    Returning None for "NFA" (no fixed abode), "unknown" and the like matters:
    otherwise every homeless victim would share a "postcode".
    """
    if not s:
        return None
    compact = _SPACES.sub("", s).upper()
    m = _POSTCODE.match(compact)
    return f"{m.group(1)} {m.group(2)}" if m else None


# --- Given-name equivalents ----------------------------------------------------


@cache
def _nickname_groups() -> dict[str, frozenset[str]]:
    """Map each known given name to the canonical names it can stand for.

    A short form can belong to several groups (Alex: Alexander, Alexandra;
    Chris: Christopher, Christine, Christina), so the value is a set.
    """
    groups: dict[str, set[str]] = {}
    path = resources.files("openmarac.people") / "data" / "nicknames.csv"
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            canonical = " ".join(normalise_name(row["canonical"]))
            names = [canonical] + [" ".join(normalise_name(v)) for v in row["variants"].split("|")]
            for name in names:
                if name:
                    groups.setdefault(name, set()).add(canonical)
    return {name: frozenset(canonicals) for name, canonicals in groups.items()}


@cache
def _group_members() -> dict[str, frozenset[str]]:
    """Map each canonical name to every name in its group, itself included."""
    members: dict[str, set[str]] = {}
    for name, canonicals in _nickname_groups().items():
        for canonical in canonicals:
            members.setdefault(canonical, set()).add(name)
    return {canonical: frozenset(names) for canonical, names in members.items()}


def _canonical_given(first_name: str) -> frozenset[str]:
    """The canonical names a (normalised) given name can stand for."""
    return _nickname_groups().get(first_name, frozenset((first_name,)))


def given_name_equivalents(name: str) -> frozenset[str]:
    """Every given name treated as the same as ``name``, normalised.

    given_name_equivalents("Bill") contains "william", "will", "liam" and
    "bill" itself. A name not in the data file is equivalent only to itself.
    """
    tokens = normalise_name(name)
    if not tokens:
        return frozenset()
    first = tokens[0]
    members = _group_members()
    result = {first}
    for canonical in _canonical_given(first):
        result |= members.get(canonical, frozenset())
    return frozenset(result)


# --- Sound-alike surnames ----------------------------------------------------

# Spellings that metaphone treats differently but that sound the same in
# British English. Applied before metaphone so that Thompson/Thomson,
# Khan/Kahn and Chloe/Cloe get the same code.
_SOUND_REWRITES = (
    (re.compile(r"th"), "t"),  # Thomson, Smith/Smit: "th" is usually /t/ or close
    (re.compile(r"mp(?=[st])"), "m"),  # Thompson, Simpson: the p is silent
    (re.compile(r"kh"), "k"),  # Khan/Kahn
    (re.compile(r"^ch(?=[lr])"), "k"),  # Christie, Chloe
    (re.compile(r"^wr"), "r"),
    (re.compile(r"^kn"), "n"),
)


@lru_cache(maxsize=200_000)
def _sound_key(word: str) -> str:
    """A phonetic code for one normalised word (letters only)."""
    for pattern, replacement in _SOUND_REWRITES:
        word = pattern.sub(replacement, word)
    return jellyfish.metaphone(word) or word


def _spelt_similarly(a: str, b: str) -> bool:
    """One typing slip (a letter wrong, missing, extra or two swapped).

    Only for names of five letters or more: among short names one slip turns
    one real name into another (Hall/Hill, Bell/Ball).
    """
    return min(len(a), len(b)) >= 5 and OSA.distance(a, b, score_cutoff=1) <= 1


# --- Comparing names -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Name:
    """A (given, family) pair with everything comparisons need, computed once."""

    raw: tuple[str, str]  # as entered, to compare the names the other way round
    given_tokens: tuple[str, ...]
    family_tokens: tuple[str, ...]
    given: str  # first given name, what people are called
    family: str  # family tokens joined: "obriensmith"
    family_sound: str  # the sound of the whole surname
    family_sounds: frozenset[str]  # whole surname and, if double-barrelled, each part
    family_token_set: frozenset[str]
    canonical_given: frozenset[str]


@lru_cache(maxsize=200_000)
def _name(given: str, family: str) -> _Name:
    given_tokens = normalise_name(given)
    family_tokens = normalise_name(family)
    family_joined = "".join(family_tokens)
    sounds = {_sound_key(family_joined)} if family_joined else set()
    if len(family_tokens) > 1:
        sounds |= {_sound_key(t) for t in family_tokens}
    first = given_tokens[0] if given_tokens else ""
    return _Name(
        raw=(given, family),
        given_tokens=given_tokens,
        family_tokens=family_tokens,
        given=first,
        family=family_joined,
        family_sound=_sound_key(family_joined) if family_joined else "",
        family_sounds=frozenset(sounds),
        family_token_set=frozenset(family_tokens),
        canonical_given=_canonical_given(first) if first else frozenset(),
    )


def _compare_family(a: _Name, b: _Name) -> tuple[int, str | None]:
    if not a.family or not b.family:
        return 0, None
    if a.family == b.family:
        return SURNAME_SAME, "same surname"
    if a.family_sound == b.family_sound:
        return SURNAME_SOUNDS_ALIKE, "surname sounds alike"
    if _spelt_similarly(a.family, b.family):
        return SURNAME_SPELT_SIMILARLY, "surname spelt similarly"
    if not a.family_token_set.isdisjoint(b.family_token_set) or not a.family_sounds.isdisjoint(b.family_sounds):
        # Smith-Jones against Jones, or against Smyth: either half will do.
        return SURNAME_SHARES_PART, "surname shares a part (double-barrelled)"
    # A different surname is not held against anyone: surnames change with
    # marriage and separation, which is common among Marac victims.
    return 0, None


def _compare_given(a: _Name, b: _Name) -> tuple[int, str | None]:
    if not a.given or not b.given:
        return 0, None
    if a.given == b.given:
        return GIVEN_SAME, "same given name"
    if len(a.given) == 1 or len(b.given) == 1:
        if a.given[0] == b.given[0]:
            return GIVEN_INITIAL, "same first initial"
        return GIVEN_DIFFERENT, "different given name"
    if not a.canonical_given.isdisjoint(b.canonical_given):
        pair = f"{a.given.title()}/{b.given.title()}"
        return GIVEN_KNOWN_EQUIVALENT, f"given name is a known short form ({pair})"
    if _spelt_similarly(a.given, b.given):
        return GIVEN_SIMILAR, "given name spelt similarly"
    if a.given in b.given_tokens or b.given in a.given_tokens:
        return GIVEN_SIMILAR, "given name matches a middle name"
    return GIVEN_DIFFERENT, "different given name"


def _compare_names(a: _Name, b: _Name) -> tuple[int, list[str]]:
    points, reasons = _compare_parts(a, b)
    # Written surname first ("JONES Sarah"): compare with the names the other
    # way round, all the usual slips allowed, at a small cost. Both parts must
    # agree, or any "Thomas" would half-match every Thomas. Either side is
    # turned round, and the better kept, so the score does not depend on which
    # record is the query.
    for x, y in ((_name(a.raw[1], a.raw[0]), b), (a, _name(b.raw[1], b.raw[0]))):
        given_points, given_reason = _compare_given(x, y)
        if given_points <= 0:
            continue  # the surnames cannot make it a swap
        family_points, family_reason = _compare_family(x, y)
        swapped = given_points + family_points - NAMES_SWAP_COST
        if family_points > 0 and swapped > points:
            points, reasons = swapped, ["given name and surname swapped", given_reason, family_reason]
    return points, reasons


def _compare_parts(a: _Name, b: _Name) -> tuple[int, list[str]]:
    given_points, given_reason = _compare_given(a, b)
    family_points, family_reason = _compare_family(a, b)
    return given_points + family_points, [r for r in (given_reason, family_reason) if r]


# --- Dates of birth -------------------------------------------------------------


# How two dates of birth relate, closest first, with the points each scores and
# the reason shown to the coordinator.
DOB_RELATIONS = {
    "same": (DOB_SAME, "same date of birth"),
    "day_month_swapped": (DOB_SWAPPED, "date of birth has day and month swapped"),
    "one_day": (DOB_ONE_DAY, "date of birth one day apart"),
    "two_days": (DOB_TWO_DAYS, "date of birth two days apart"),
    "year_out": (DOB_YEAR_OUT, "date of birth has the year one or ten out"),
    "digits_transposed": (DOB_TRANSPOSED, "date of birth has two digits transposed"),
    "one_digit": (DOB_ONE_DIGIT, "date of birth differs by one digit"),
}


def dob_relation(a: date | None, b: date | None) -> str | None:
    """How two dates of birth relate, allowing for the usual slips.

    Dates compare as dates, not as strings of digits: returns "same",
    "day_month_swapped" (3/4/1990 against 4/3/1990: UK and US order mixed
    up), "one_day" or "two_days" apart (the 19th written as the 20th, across
    a month or year end too), "year_out" (same day and month, the year one or
    ten out: 1989/1990, 1975/1985), "digits_transposed" (two neighbouring
    digits of the day, month or year swapped: 12/03 and 21/03, 1987 and 1978),
    "one_digit" (one digit of DDMMYYYY mistyped) or None (unknown, or too
    different). The first that applies wins, in that order. The same whichever
    way round the dates are passed.
    """
    if a is None or b is None:
        return None
    if a == b:
        return "same"
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return "day_month_swapped"
    days = abs((a - b).days)
    if days <= 2:
        return "one_day" if days == 1 else "two_days"
    if (a.day != b.day) + (a.month != b.month) + (a.year != b.year) > 1:
        # Every slip below changes one of day, month and year only. Most pairs
        # compared are this far apart, so they are told apart without the digits.
        return None
    if (a.month, a.day) == (b.month, b.day) and abs(a.year - b.year) in (1, 10):
        return "year_out"
    a_parts, b_parts = _dob_parts(a), _dob_parts(b)
    changed = [(x, y) for x, y in zip(a_parts, b_parts, strict=True) if x != y]
    if len(changed) == 1 and _adjacent_transposition(*changed[0]):
        return "digits_transposed"
    if sum(x != y for x, y in zip("".join(a_parts), "".join(b_parts), strict=True)) == 1:
        return "one_digit"
    return None


def dob_points(a: date | None, b: date | None) -> tuple[int, str | None]:
    """Points two dates of birth add to a match, and the reason to show.

    Unknown on either side counts for nothing; known and too different to be
    a slip counts against (DOB_DIFFERENT).
    """
    relation = dob_relation(a, b)
    if relation is not None:
        return DOB_RELATIONS[relation]
    if a is None or b is None:
        return 0, None
    return DOB_DIFFERENT, "different date of birth"


def _dob_parts(d: date) -> tuple[str, str, str]:
    # Not strftime: "%Y" is not zero-padded before the year 1000 on Linux.
    return f"{d.day:02d}", f"{d.month:02d}", f"{d.year:04d}"


def _adjacent_transposition(x: str, y: str) -> bool:
    """Whether y is x with two neighbouring digits swapped ("1987"/"1978")."""
    diffs = [i for i, (p, q) in enumerate(zip(x, y, strict=True)) if p != q]
    return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and x[diffs[0]] == y[diffs[1]] and x[diffs[1]] == y[diffs[0]]


def _swapped_dob(d: date) -> date | None:
    if d.day <= 12 and d.day != d.month:
        return date(d.year, d.day, d.month)
    return None


# --- Blocking keys ----------------------------------------------------------------


def blocking_keys(facts: PersonFacts) -> set[str]:
    """Keys under which a person is filed, and looked up.

    Two people can only be compared if they share at least one key, so the
    keys are chosen so that each single slip we allow for still leaves one key
    in common, while each key is shared by only a few people:

    - ``fy:<surname sound>:<birth year>:<given initial>`` catches a slip in
      the day or month (a wrong or transposed digit, a day or two out, day and
      month swapped) when the surname sounds the same.
    - ``fd:<surname sound>:<MMDD>:<given initial>`` catches a slip in the
      year (a wrong or transposed digit, one or ten years out).
      The given initial is the first letter of the given name's sound and of
      its canonical names' (Bill gives B and W, William W; Katherine and
      Catherine both K): without it a common surname and a year put hundreds
      of people under one key at a million people.
    - ``fg:<surname sound>:<canonical given name>`` catches the same name (or a
      nickname: Bill and William both give "william") whatever the date of
      birth, including when it is unknown, or a slip across a year end. Each
      name is also filed the other way round, so "JONES Sarah", written
      surname first, finds Sarah Jones. Each half of a double-barrelled
      surname has its own sound, so Smith-Jones is found as Smith and as Jones.
    - ``fp:<canonical given name>:<first three letters of surname>`` and
      ``fs:...:<first letter and last three letters>`` catch a misspelt
      surname that no longer sounds the same when there is no date of birth
      to fall back on.
    - ``dob:<date>`` (and the date with day and month swapped) catches a
      surname that is misspelt, changed by marriage or separation, or not
      recorded.
    - ``ph:<phone>`` catches the same phone number whatever the names.
    - ``pc:<postcode>:<given initial>`` catches the same address and a
      consistent given name.

    Every name, aliases included, gets its name keys.
    """
    keys: set[str] = set()
    dob = facts.date_of_birth
    postcodes = {p for p in map(normalise_postcode, facts.postcodes) if p}
    for given, family in facts.names:
        name = _name(given, family)
        initials = _sound_initials(name)
        for sound in name.family_sounds:
            if dob is not None:
                for initial in initials:
                    keys.add(f"fy:{sound}:{dob.year}:{initial}")
                    keys.add(f"fd:{sound}:{dob:%m%d}:{initial}")
            for canonical in name.canonical_given:
                keys.add(f"fg:{sound}:{canonical}")
        turned = _name(family, given)  # as if written surname first
        for sound in turned.family_sounds:
            for canonical in turned.canonical_given:
                keys.add(f"fg:{sound}:{canonical}")
        if len(name.family) >= 4:
            # A misspelt surname whose sound changes (Weston/Westpn) when the
            # date of birth is unknown, as it often is for perpetrators: one
            # typing slip leaves the start or the end of the surname intact.
            # The end key keeps the first letter too (rarely mistyped), since
            # endings alone are too common ("son").
            start, end = name.family[:3], name.family[0] + name.family[-3:]
            for canonical in name.canonical_given:
                keys.add(f"fp:{canonical}:{start}")
                keys.add(f"fs:{canonical}:{end}")
        if name.given:
            initials = {c[0] for c in name.canonical_given} | {name.given[0]}
            for postcode in postcodes:
                for initial in initials:
                    keys.add(f"pc:{postcode}:{initial}")
    if dob is not None:
        keys.add(f"dob:{dob.isoformat()}")
        swapped = _swapped_dob(dob)
        if swapped is not None:
            # Filed under both orders, so a swapped date finds the true one
            # whichever record has it the wrong way round.
            keys.add(f"dob:{swapped.isoformat()}")
    for phone in map(normalise_uk_phone, facts.phones):
        if phone:
            keys.add(f"ph:{phone}")
    return {key[:MAX_KEY_LENGTH] for key in keys}


def _sound_initials(name: _Name) -> set[str]:
    """First letters of the sounds of a given name and its canonical names."""
    if not name.given:
        return {"_"}
    return {_sound_key(n)[0] for n in name.canonical_given | {name.given}}


class BlockingIndex:
    """In-memory stand-in for the (person_id, key) table, indexed on key.

    Used by tests and the benchmark; the web app does the same with
    ``SELECT person_id FROM ... WHERE key IN (...)``.
    """

    def __init__(self) -> None:
        self._ids_by_key: dict[str, list[Hashable]] = {}
        self._count = 0

    def add(self, person_id: Hashable, facts: PersonFacts) -> None:
        for key in blocking_keys(facts):
            self._ids_by_key.setdefault(key, []).append(person_id)
        self._count += 1

    def candidates(self, facts: PersonFacts) -> set[Hashable]:
        """Ids of everyone sharing at least one blocking key with ``facts``."""
        found: set[Hashable] = set()
        for key in blocking_keys(facts):
            found.update(self._ids_by_key.get(key, ()))
        return found

    def __len__(self) -> int:
        return self._count


# --- Scoring --------------------------------------------------------------------


def score_candidate(query: PersonFacts, candidate: PersonFacts) -> Match:
    """Score how likely ``candidate`` is the same person as ``query``.

    Every name of one is compared with every name of the other (aliases
    included) and the best pair counts. The score is the same whichever way
    round the two are passed; only the wording of reasons may differ.
    """
    points = 0
    reasons: list[str] = []

    best: tuple[int, list[str]] | None = None
    via_alias = False
    for i, (q_given, q_family) in enumerate(query.names):
        q_name = _name(q_given, q_family)
        for j, (c_given, c_family) in enumerate(candidate.names):
            pair = _compare_names(q_name, _name(c_given, c_family))
            # Strictly greater: on a tie the main names win, so "matches an
            # alias" is only said when an alias really did better.
            if best is None or pair[0] > best[0]:
                best = pair
                via_alias = (i, j) != (0, 0)
    if best is not None:
        points += best[0]
        reasons += best[1]

    dob_score, dob_reason = dob_points(query.date_of_birth, candidate.date_of_birth)
    points += dob_score
    if dob_reason:
        reasons.append(dob_reason)

    if _share_any(query.phones, candidate.phones, normalise_uk_phone):
        points += PHONE_SAME
        reasons.append("same phone number")
    if _share_any(query.postcodes, candidate.postcodes, normalise_postcode):
        points += POSTCODE_SAME
        reasons.append("same postcode")

    if via_alias and best is not None and best[0] > 0:
        reasons.append("matches an alias")

    score = float(max(0, min(100, points)))
    if score >= LIKELY_THRESHOLD:
        label = LIKELY
    elif score >= POSSIBLE_THRESHOLD:
        label = POSSIBLE
    else:
        label = None
    return Match(score=score, label=label, reasons=reasons)


# --- Comparing one person with many ----------------------------------------------------

# The most the names can add: the same given name and surname (a swap scores less).
MAX_NAME_POINTS = GIVEN_SAME + SURNAME_SAME


@dataclass(frozen=True, slots=True)
class PreparedFacts:
    """A person's facts with what the quick bound (`may_reach`) reads worked out once, for
    a caller that compares each person with many (the importer's index of a Marac's
    people)."""

    facts: PersonFacts
    # Normalised, junk left out. Tuples, not sets: a person has one or two, and an
    # index holds hundreds of thousands of people.
    phones: tuple[str, ...]
    postcodes: tuple[str, ...]
    # For each name, the signals of its given name, of its surname read as a given name
    # (the swap) and of its surname (`_given_signals`, `_family_signals`): shared
    # frozensets, cached by name, so a person holds only references.
    names: tuple[tuple[frozenset[str], frozenset[str], frozenset[str]], ...]
    # A one-letter given name (or first surname token, for the swap) agrees with any
    # name of the same initial, which the signals do not cover: never left out.
    initial: bool


def prepare(facts: PersonFacts) -> PreparedFacts:
    names = [_name(given, family) for given, family in facts.names]
    return PreparedFacts(
        facts=facts,
        phones=tuple({p for p in map(normalise_uk_phone, facts.phones) if p}),
        postcodes=tuple({p for p in map(normalise_postcode, facts.postcodes) if p}),
        names=tuple(
            (_given_signals(name.given_tokens), _given_signals(name.family_tokens), _family_signals(name.family_tokens))
            for name in names
        ),
        initial=any(len(tokens[0]) == 1 for name in names for tokens in (name.given_tokens, name.family_tokens) if tokens),
    )


def may_reach(query: PreparedFacts, candidate: PreparedFacts, threshold: float = POSSIBLE_THRESHOLD) -> bool:
    """Whether ``score_candidate(query.facts, candidate.facts)`` can reach ``threshold``.
    A necessary condition, not a score: when it is False the candidate cannot be
    labelled, so the full comparison is not needed. Two steps, cheapest first:

    - the points the date of birth, phone and postcode give, exactly as the score
      counts them, plus the most the names could add (MAX_NAME_POINTS). Most people
      sharing a blocking key have a clearly different date of birth, which no name can
      make up for without a shared phone;
    - when the names must add something (a date of birth in common but nothing
      else), some name of one must be related to some name of the other: a given
      name or a surname in common, alike, a known equivalent or one slip apart, or
      the names swapped (`_names_may_agree`). Most of the rest share only a date of
      birth with someone of another name."""
    other = dob_points(query.facts.date_of_birth, candidate.facts.date_of_birth)[0]
    # Loops rather than any(): this runs for every pair, and a generator costs more
    # than the one or two values it would look at.
    for phone in query.phones:
        if phone in candidate.phones:
            other += PHONE_SAME
            break
    for postcode in query.postcodes:
        if postcode in candidate.postcodes:
            other += POSTCODE_SAME
            break
    if other + MAX_NAME_POINTS < threshold:
        return False
    if other >= threshold or threshold <= 0:
        # The names need add nothing (they may take away: not bounded here), or any
        # score will do (it is never below 0).
        return True
    return _names_may_agree(query, candidate)


def dob_may_reach(a: date | None, b: date | None, threshold: float) -> bool:
    """Whether two people with these dates of birth could score ``threshold``, whatever
    else is known of them: the date's points plus the most names, phone and postcode
    can add. `may_reach` without the facts, for a caller that knows only the date:
    two people born years apart cannot be a likely match, however alike their names."""
    return dob_points(a, b)[0] + MAX_NAME_POINTS + PHONE_SAME + POSTCODE_SAME >= threshold


def _names_may_agree(query: PreparedFacts, candidate: PreparedFacts) -> bool:
    """Whether any pair of their names could score above 0 in `_compare_names`: that
    needs a given name or surname that agrees (`_compare_given` or `_compare_family`
    above 0), the right way round or with either side's names swapped. Each way a
    name agrees leaves a signal in common (see `_given_signals`)."""
    if query.initial or candidate.initial:
        return True
    for q_given, q_turned, q_family in query.names:
        for c_given, c_turned, c_family in candidate.names:
            if not (
                q_family.isdisjoint(c_family) and q_given.isdisjoint(c_given)
                and q_turned.isdisjoint(c_given) and q_given.isdisjoint(c_turned)
            ):
                return True
    return False


def _one_slip_away(word: str) -> set[str]:
    """The word and each way of deleting one letter: two words one typing slip apart
    (a letter wrong, missing, extra, or two swapped) always share one of these."""
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


@lru_cache(maxsize=100_000)
def _given_signals(tokens: tuple[str, ...]) -> frozenset[str]:
    """Signals of a given name (normalised tokens), for `_names_may_agree`. Two given
    names that `_compare_given` scores above 0 share one: the same name or a known
    equivalent share a canonical name ("c:"), one a middle name of the other share a
    token ("t:"), one slip apart (five letters or more) share a one-slip form ("d:").
    One-letter initials are left to PreparedFacts.initial."""
    if not tokens:
        return frozenset()
    first = tokens[0]
    signals = {f"c:{canonical}" for canonical in _canonical_given(first)} | {f"t:{token}" for token in tokens}
    if len(first) >= 5:
        signals |= {f"d:{form}" for form in _one_slip_away(first)}
    return frozenset(signals)


@lru_cache(maxsize=100_000)
def _family_signals(tokens: tuple[str, ...]) -> frozenset[str]:
    """Signals of a surname (normalised tokens): two surnames that `_compare_family`
    scores above 0 share one: a sound ("s:", the whole surname's and each part's), a
    part ("p:"), or a one-slip form of the whole (five letters or more, "e:")."""
    if not tokens:
        return frozenset()
    family = "".join(tokens)
    sounds = {_sound_key(family)} | ({_sound_key(token) for token in tokens} if len(tokens) > 1 else set())
    signals = {f"s:{sound}" for sound in sounds} | {f"p:{token}" for token in tokens}
    if len(family) >= 5:
        signals |= {f"e:{form}" for form in _one_slip_away(family)}
    return frozenset(signals)


def _share_any(a: tuple[str, ...], b: tuple[str, ...], normalise) -> bool:
    """Whether any value of ``a`` equals any of ``b`` once normalised."""
    if not a or not b:
        return False
    normalised_a = set(map(normalise, a)) - {None}
    return any(normalise(value) in normalised_a for value in b)


def rank(
    query: PersonFacts,
    candidates: Iterable[tuple[Hashable, PersonFacts]],
    limit: int = 5,
) -> list[tuple[Hashable, Match]]:
    """Score candidates and return the best ``limit`` worth showing.

    Returns (person_id, Match) pairs, highest score first, leaving out those
    below POSSIBLE_THRESHOLD. Equal scores keep the order they came in.
    """
    scored = []
    for person_id, facts in candidates:
        match = score_candidate(query, facts)
        if match.label is not None:
            scored.append((person_id, match))
    scored.sort(key=lambda pair: -pair[1].score)
    return scored[:limit]
