"""Tests for the person-matching engine (pure Python: no Django, no database)."""

import csv
from datetime import date, timedelta
from importlib import resources

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from openmarac.people.matching import (
    DOB_DIFFERENT,
    DOB_ONE_DAY,
    DOB_SAME,
    DOB_YEAR_OUT,
    LIKELY_THRESHOLD,
    MAX_KEY_LENGTH,
    POSSIBLE_THRESHOLD,
    BlockingIndex,
    PersonFacts,
    blocking_keys,
    dob_may_reach,
    dob_points,
    dob_relation,
    given_name_equivalents,
    may_reach,
    normalise_name,
    normalise_postcode,
    normalise_uk_phone,
    prepare,
    rank,
    score_candidate,
)


def person(given="Sarah", family="Jones", dob=date(1985, 3, 14), phones=(), postcodes=(), aliases=()):
    return PersonFacts(
        names=((given, family), *aliases),
        date_of_birth=dob,
        phones=tuple(phones),
        postcodes=tuple(postcodes),
    )


# --- Normalising ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "tokens"),
    [
        ("O'Brien-Smith", ("obrien", "smith")),
        ("  Mary   Jane ", ("mary", "jane")),
        ("ZOË", ("zoe",)),
        ("Siân", ("sian",)),
        ("O\u2019Neill", ("oneill",)),
        ("", ()),
        (None, ()),
    ],
)
def test_normalise_name(raw, tokens):
    assert normalise_name(raw) == tokens


@pytest.mark.parametrize(
    "raw",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "+44(0)7700900123",
        "0044 7700 900123",
        "447700900123",
        "(07700) 900 123",
    ],
)
def test_uk_phone_formats_normalise_equal(raw):
    assert normalise_uk_phone(raw) == "07700900123"


def test_landline_keeps_area_code():
    assert normalise_uk_phone("+44(0)115 496 0914") == "01154960914"
    assert normalise_uk_phone("0115 4960914") == "01154960914"


@pytest.mark.parametrize("junk", ["", None, "unknown", "n/a", "999", "0770090012345678"])
def test_junk_phone_is_none(junk):
    assert normalise_uk_phone(junk) is None


def test_foreign_phone_kept_comparable():
    assert normalise_uk_phone("+33 1 23 45 67 89") == normalise_uk_phone("0033 123456789") == "+33123456789"


@pytest.mark.parametrize("raw", ["sw1a1aa", "SW1A 1AA", " sw1a  1aa ", "Sw1A1Aa"])
def test_postcode_normalises(raw):
    assert normalise_postcode(raw) == "SW1A 1AA"


def test_short_postcode_normalises():
    assert normalise_postcode("m11ae") == "M1 1AE"


@pytest.mark.parametrize("junk", ["NFA", "no fixed abode", "", None, "12345"])
def test_junk_postcode_is_none(junk):
    assert normalise_postcode(junk) is None


# --- Nickname data ------------------------------------------------------------------


def test_nickname_file_is_well_formed_and_broad():
    path = resources.files("openmarac.people") / "data" / "nicknames.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    canonicals = [row["canonical"] for row in rows]
    assert len(canonicals) >= 120
    assert len(set(canonicals)) == len(canonicals)
    for row in rows:
        assert row["variants"], row
        assert None not in row  # no stray extra columns


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("Bill", "William"),
        ("Liam", "William"),
        ("Kate", "Catherine"),
        ("Katherine", "Catherine"),
        ("Peggy", "Margaret"),
        ("Bob", "Robert"),
        ("Betty", "Elizabeth"),
        ("Jack", "John"),
    ],
)
def test_given_name_equivalents(short, full):
    assert full.lower() in given_name_equivalents(short)
    assert short.lower() in given_name_equivalents(full)


def test_ambiguous_short_form_belongs_to_every_group():
    assert {"alexander", "alexandra"} <= given_name_equivalents("Alex")
    # ...without making the two full names equivalent to each other.
    assert "alexandra" not in given_name_equivalents("Alexander")


def test_unknown_given_name_is_equivalent_to_itself_only():
    assert given_name_equivalents("Zebedee") == {"zebedee"}
    assert given_name_equivalents("") == frozenset()


# --- Dates of birth -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "relation"),
    [
        (date(1985, 3, 14), date(1985, 3, 14), "same"),
        (date(1985, 3, 4), date(1985, 4, 3), "day_month_swapped"),
        (date(1985, 3, 19), date(1985, 3, 20), "one_day"),  # 19th written as 20th: two digits change
        (date(1985, 3, 9), date(1985, 3, 10), "one_day"),  # 9th as 10th
        (date(1985, 3, 31), date(1985, 4, 1), "one_day"),  # across a month end
        (date(1985, 12, 31), date(1986, 1, 1), "one_day"),  # across a year end
        (date(1985, 3, 14), date(1985, 3, 16), "two_days"),
        (date(1989, 3, 14), date(1990, 3, 14), "year_out"),  # one year out, two digits change
        (date(1985, 3, 14), date(1986, 3, 14), "year_out"),
        (date(1995, 3, 14), date(2005, 3, 14), "year_out"),  # ten years out
        (date(1987, 3, 12), date(1987, 3, 21), "digits_transposed"),  # 12/03 and 21/03
        (date(1987, 1, 15), date(1987, 10, 15), "digits_transposed"),  # month 01 and 10
        (date(1987, 6, 5), date(1978, 6, 5), "digits_transposed"),  # 1987 and 1978
        (date(1985, 3, 14), date(1985, 3, 17), "one_digit"),
        (date(1985, 3, 14), date(1955, 3, 14), "one_digit"),
        (date(1985, 3, 14), date(1971, 11, 2), None),
        (date(1985, 3, 14), date(1985, 3, 25), None),
        (date(1985, 3, 14), None, None),
        (None, None, None),
    ],
)
def test_dob_relation_cases(a, b, relation):
    assert dob_relation(a, b) == relation
    assert dob_relation(b, a) == relation


def test_same_name_with_dob_one_day_out_is_a_candidate():
    # The case: re-referred with the 19th written as the 20th.
    known = person("Sarah", "Jones", dob=date(1985, 3, 19))
    referral = person("Sarah", "Jones", dob=date(1985, 3, 20))
    assert blocking_keys(known) & blocking_keys(referral)
    match = score_candidate(referral, known)
    assert match.label is not None
    assert "date of birth one day apart" in match.reasons


DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))


@given(DATES, DATES)
def test_dob_points_are_symmetric_and_bounded(a, b):
    points, _ = dob_points(a, b)
    assert dob_points(b, a)[0] == points
    assert DOB_DIFFERENT <= points <= DOB_SAME
    assert (points == DOB_SAME) == (a == b)


@given(DATES, st.integers(1, 2), st.integers(3, 20_000))
def test_exact_dob_beats_near_beats_far(d, near_days, far_days):
    near = d + timedelta(days=near_days)
    far = d + timedelta(days=far_days)
    assume(near.year < 10_000 and far.year < 10_000)
    exact_points = dob_points(d, d)[0]
    near_points = dob_points(d, near)[0]
    far_points = dob_points(d, far)[0]
    assert exact_points > near_points > 0
    assert near_points >= far_points
    # Nothing further than two days apart scores as well as one day out.
    assert far_points < DOB_ONE_DAY or dob_relation(d, far) == "day_month_swapped"


@given(DATES, st.integers(3, 20_000))
def test_a_date_far_off_is_evidence_against_unless_a_known_slip(d, days):
    other = d + timedelta(days=days)
    assume(other.year < 10_000)
    relation = dob_relation(d, other)
    points, reason = dob_points(d, other)
    if relation is None:
        assert (points, reason) == (DOB_DIFFERENT, "different date of birth")
    else:
        assert relation not in ("same", "one_day", "two_days")
        assert 0 < points < DOB_SAME


@given(DATES)
def test_unknown_dob_counts_for_nothing(d):
    assert dob_points(d, None) == (0, None)
    assert dob_points(None, d) == (0, None)


@given(DATES, st.sampled_from([1, -1, 10, -10]))
def test_year_out_is_recognised(d, years):
    assume(not (d.month == 2 and d.day == 29))
    other = d.replace(year=d.year + years)
    assert dob_relation(d, other) == "year_out"
    assert dob_points(d, other)[0] == DOB_YEAR_OUT


def _change_digit(d: date, position: int, digit: int) -> date | None:
    digits = f"{d.year:04d}{d.month:02d}{d.day:02d}"
    if digits[position] == str(digit):
        return None
    changed = digits[:position] + str(digit) + digits[position + 1 :]
    try:
        return date(int(changed[:4]), int(changed[4:6]), int(changed[6:]))
    except ValueError:
        return None


@given(st.dates(min_value=date(1000, 1, 1)), st.integers(0, 7), st.integers(0, 9))
def test_any_single_digit_change_is_a_slip(d, position, digit):
    # One digit wrong is "one_digit" unless a closer relation explains it
    # (the 14th as the 15th is one day apart; 1985 as 1986 is a year out).
    changed = _change_digit(d, position, digit)
    assume(changed is not None)
    assert dob_relation(d, changed) in ("one_digit", "one_day", "two_days", "year_out")
    assert dob_relation(changed, d) == dob_relation(d, changed)


@given(st.dates())
def test_swapping_day_and_month_is_recognised(d):
    assume(d.day <= 12 and d.day != d.month)
    swapped = date(d.year, d.day, d.month)
    assert dob_relation(d, swapped) == "day_month_swapped"
    assert dob_relation(swapped, d) == "day_month_swapped"


# --- Scoring ----------------------------------------------------------------------------


def test_nickname_with_same_dob_is_likely_with_reason():
    match = score_candidate(person("Bill", "Smith"), person("William", "Smith"))
    assert match.label == "likely"
    assert "given name is a known short form (Bill/William)" in match.reasons
    assert "same date of birth" in match.reasons


def test_kate_and_catherine():
    match = score_candidate(person("Kate", "Hughes"), person("Catherine", "Hughes"))
    assert match.label == "likely"
    assert "given name is a known short form (Kate/Catherine)" in match.reasons


@pytest.mark.parametrize(("a", "b"), [("Smith", "Smyth"), ("Thompson", "Thomson"), ("Khan", "Kahn")])
def test_sound_alike_surnames(a, b):
    match = score_candidate(person("Sarah", a), person("Sarah", b))
    assert "surname sounds alike" in match.reasons
    assert match.label == "likely"


def test_misspelt_surname_is_spelt_similarly():
    match = score_candidate(person("Sarah", "Jenkins"), person("Sarah", "Jenkisn"))
    assert "surname spelt similarly" in match.reasons
    assert match.label == "likely"


def test_dob_one_digit_wrong_needs_one_more_thing_for_likely():
    match = score_candidate(person(dob=date(1985, 3, 14)), person(dob=date(1985, 3, 17)))
    assert match.label == "possible"
    assert "date of birth differs by one digit" in match.reasons
    with_phone = score_candidate(
        person(dob=date(1985, 3, 14), phones=["07700 900123"]),
        person(dob=date(1988, 3, 14), phones=["07700900123"]),
    )
    assert with_phone.label == "likely"


def test_day_month_swapped_is_likely():
    match = score_candidate(person(dob=date(1990, 4, 7)), person(dob=date(1990, 7, 4)))
    assert match.label == "likely"
    assert "date of birth has day and month swapped" in match.reasons


def test_same_common_name_different_dob_is_not_likely():
    match = score_candidate(person("John", "Smith", date(1980, 1, 1)), person("John", "Smith", date(1962, 9, 23)))
    assert match.label != "likely"
    assert match.score < LIKELY_THRESHOLD
    assert "different date of birth" in match.reasons


def test_twins_living_together_are_not_likely():
    shared = dict(family="Patel", dob=date(2001, 6, 30), phones=["01632 960123"], postcodes=["LS1 4AP"])
    match = score_candidate(person("Aisha", **shared), person("Priya", **shared))
    assert match.label != "likely"


def test_same_phone_and_postcode_reasons():
    match = score_candidate(
        person(dob=None, phones=["07700 900123"], postcodes=["sw1a1aa"]),
        person(dob=None, phones=["+44 (0)7700 900123"], postcodes=["SW1A 1AA"]),
    )
    assert "same phone number" in match.reasons
    assert "same postcode" in match.reasons
    assert match.label == "likely"  # full name, phone and address; no DOB to go on


def test_same_name_without_dob_is_only_possible():
    match = score_candidate(person(dob=None), person(dob=None))
    assert match.label == "possible"


def test_alias_matches_with_reason():
    known = person("Sarah", "Jones", aliases=[("Sarah", "Whitfield")])
    match = score_candidate(person("Sarah", "Whitfield"), known)
    assert match.label == "likely"
    assert "matches an alias" in match.reasons
    assert "same surname" in match.reasons


def test_main_names_win_a_tie_with_an_alias():
    known = person("Sarah", "Jones", aliases=[("Sarah", "Jones")])
    assert "matches an alias" not in score_candidate(person("Sarah", "Jones"), known).reasons


def test_names_entered_the_wrong_way_round():
    match = score_candidate(person("Jones", "Sarah"), person("Sarah", "Jones"))
    assert "given name and surname swapped" in match.reasons
    assert match.label == "likely"


def test_surname_first_with_a_middle_name_and_a_nickname():
    known = person("Sarah Jane", "Jones")
    match = score_candidate(person("JONES", "Sarah"), known)
    assert match.reasons[0] == "given name and surname swapped"
    assert match.label == "likely"  # with the same date of birth
    match = score_candidate(person("Jones", "Sally"), known)
    assert "given name is a known short form (Sally/Sarah)" in match.reasons
    assert match.label == "possible"
    assert score_candidate(person("Jones", "Sarah", dob=None), known).label == "possible"


def test_a_given_name_that_is_someone_elses_surname_is_not_a_swap():
    # Thomas James and James Thomas share both words, but Thomas Smith and
    # Smith Jones share only one: no swap.
    assert "given name and surname swapped" in score_candidate(person("Thomas", "James"), person("James", "Thomas")).reasons
    match = score_candidate(person("Thomas", "Smith", dob=None), person("Smith", "Jones", dob=None))
    assert "given name and surname swapped" not in match.reasons
    assert match.label is None


@pytest.mark.parametrize(
    ("known", "referral"),
    [("Hall-Thompson", "Thompson"), ("Hall-Thompson", "Hall"), ("Thompson", "Hall-Thompson"), ("Hall Thompson", "Thompson")],
)
def test_double_barrelled_surname_matches_on_either_part(known, referral):
    match = score_candidate(person("Sarah", referral), person("Sarah", known))
    assert "surname shares a part (double-barrelled)" in match.reasons
    assert match.label == "likely"


def test_changed_surname_with_same_dob_and_given_name_is_shown():
    match = score_candidate(person("Sarah", "Okafor"), person("Sarah", "Jones"))
    assert match.label == "possible"
    assert match.reasons == ["same given name", "same date of birth"]


@pytest.mark.parametrize(
    ("referral_dob", "reason"),
    [
        (date(1985, 3, 15), "date of birth one day apart"),
        (date(1985, 3, 16), "date of birth two days apart"),
        (date(1995, 3, 14), "date of birth has the year one or ten out"),
        (date(1958, 3, 14), "date of birth has two digits transposed"),
    ],
)
def test_same_name_with_a_near_dob_is_shown_with_the_reason(referral_dob, reason):
    match = score_candidate(person(dob=referral_dob), person())
    assert match.label is not None
    assert reason in match.reasons


def test_date_of_birth_alone_is_not_shown():
    match = score_candidate(person("Sarah", "Jones"), person("Ahmed", "Rahman"))
    assert match.label is None


def test_rank_sorts_filters_and_limits():
    query = person("Bill", "Smith", date(1970, 5, 6), phones=["07700 900123"])
    candidates = [
        ("unrelated", person("Ahmed", "Rahman", date(1990, 1, 1))),
        ("nickname", person("William", "Smith", date(1970, 5, 6))),
        ("exact", person("Bill", "Smith", date(1970, 5, 6), phones=["07700900123"])),
        ("no-dob", person("Bill", "Smith", None)),
    ]
    results = rank(query, candidates)
    assert [pid for pid, _ in results] == ["exact", "nickname", "no-dob"]
    assert [m.label for _, m in results] == ["likely", "likely", "possible"]
    assert rank(query, candidates, limit=1)[0][0] == "exact"


# --- Blocking ----------------------------------------------------------------------------

TRUE = person(
    "William",
    "Thompson",
    date(1984, 7, 9),
    phones=["07700 900461"],
    postcodes=["LS6 2AB"],
    aliases=[("William", "Barker")],
)

CORRUPTED = {
    "nickname": person("Bill", "Thompson", date(1984, 7, 9)),
    "nickname, no DOB": person("Billy", "Thompson", None),
    "sound-alike surname": person("William", "Thomson", date(1984, 7, 9)),
    "sound-alike surname, no DOB": person("William", "Tomson", None),
    "misspelt surname": person("William", "Thmopson", date(1984, 7, 9)),
    "misspelt surname, no DOB": person("William", "Thompsin", None),
    "day and month swapped": person("William", "Thompson", date(1984, 9, 7)),
    "swapped, surname changed": person("William", "Ellis", date(1984, 9, 7)),
    "no DOB": person("William", "Thompson", None),
    "alias surname": person("William", "Barker", None),
    "phone only": person("Unknown", "Person", None, phones=["+44 7700 900461"]),
    "postcode and nickname": person("Will", "Tompkins", None, postcodes=["ls62ab"]),
    "surname first": person("Thompson", "William", date(1984, 7, 9)),
    "surname first, no DOB": person("THOMPSON", "William", None),
    "surname first, nickname, no DOB": person("Thompson", "Bill", None),
    "double-barrelled now": person("William", "Thompson-Hall", date(1984, 7, 9)),
    "one half of the alias, no DOB": person("William", "Barker", None, aliases=[("William", "Hall-Barker")]),
    "surname changed, same DOB": person("William", "Okafor", date(1984, 7, 9)),
    "DOB year ten out": person("William", "Thompson", date(1994, 7, 9)),
    "DOB year one out": person("William", "Thompson", date(1983, 7, 9)),
    "DOB year digits transposed": person("William", "Thompson", date(1948, 7, 9)),
}
# Every date of birth a day or two out, with the same name.
for days in (-2, -1, 1, 2):
    near = TRUE.date_of_birth + timedelta(days=days)
    CORRUPTED[f"DOB {days:+d} days"] = person("William", "Thompson", near)
# Every one-digit typo of the date of birth, with the same surname.
for position in range(8):
    for digit in range(10):
        typo = _change_digit(TRUE.date_of_birth, position, digit)
        if typo is not None:
            CORRUPTED[f"DOB {typo.isoformat()}"] = person("William", "Thompson", typo)


@pytest.fixture(scope="module")
def index():
    index = BlockingIndex()
    index.add("true", TRUE)
    # Look-alikes that share some keys but are other people.
    index.add("brother", person("Daniel", "Thompson", date(1987, 2, 1), postcodes=["LS6 2AB"]))
    index.add("namesake", person("William", "Thompson", date(1950, 12, 25)))
    for i in range(200):
        index.add(i, person(f"Person{i}", f"Surname{i}", date(1960 + i % 40, 1 + i % 12, 1 + i % 28)))
    return index


@pytest.mark.parametrize("name", sorted(CORRUPTED))
def test_blocking_finds_each_corrupted_variant(index, name):
    assert "true" in index.candidates(CORRUPTED[name])


# A phone or postcode alone is rightly not enough, nor two slips with no date of
# birth to go on.
TOO_LITTLE = {"phone only", "postcode and nickname", "surname first, nickname, no DOB"}


@pytest.mark.parametrize("name", sorted(set(CORRUPTED) - TOO_LITTLE))
def test_each_corrupted_variant_is_worth_showing(name):
    # Every single slip must still put the true person in front of a coordinator.
    assert score_candidate(CORRUPTED[name], TRUE).label is not None


def test_blocking_does_not_fetch_everyone(index):
    found = index.candidates(CORRUPTED["nickname"])
    assert found <= {"true", "brother", "namesake"}
    assert len(index) == 203


def test_blocking_keys_cover_aliases():
    keys = blocking_keys(TRUE)
    assert any(k.startswith("fg:") and k.endswith(":william") for k in keys)
    # Main name and alias, each also filed surname first.
    assert {k for k in keys if k.startswith("fg:")} == {
        "fg:TMSN:william", "fg:BRKR:william", "fg:WLM:thompson", "fg:WLM:barker",
    }
    assert "ph:07700900461" in keys
    assert "dob:1984-07-09" in keys and "dob:1984-09-07" in keys


def test_keys_fit_the_database_column_however_long_the_name():
    known = person("Bartholomew" * 10, "Featherstonehaugh" * 10)
    assert max(map(len, blocking_keys(known))) <= MAX_KEY_LENGTH
    # Cut keys still meet: the same long name without a date of birth is found.
    referral = person("Bartholomew" * 10, "Featherstonehaugh" * 10, dob=None)
    assert {k for k in blocking_keys(referral) if k.startswith("fg:")} & blocking_keys(known)


def test_nothing_to_go_on_gives_no_keys():
    assert blocking_keys(PersonFacts(names=())) == set()


# --- Properties of the score --------------------------------------------------------------

NAMES = st.sampled_from(["Bill", "William", "Kate", "Catherine", "Sarah", "Sara", "Mohammed", "J", "", "Zoë"])
SURNAMES = st.sampled_from(["Smith", "Smyth", "Thompson", "Thomson", "O'Brien-Smith", "Jones", "Khan", ""])
FACTS = st.builds(
    PersonFacts,
    names=st.lists(st.tuples(NAMES | st.text(max_size=8), SURNAMES | st.text(max_size=8)), max_size=3).map(tuple),
    date_of_birth=st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    phones=st.lists(st.sampled_from(["07700 900123", "+447700900123", "0115 496 0914", "junk"]), max_size=2).map(tuple),
    postcodes=st.lists(st.sampled_from(["SW1A 1AA", "sw1a1aa", "M1 1AE", "NFA"]), max_size=2).map(tuple),
)


@given(FACTS, FACTS)
def test_score_is_between_0_and_100_and_label_follows_thresholds(a, b):
    match = score_candidate(a, b)
    assert 0 <= match.score <= 100
    if match.score >= LIKELY_THRESHOLD:
        assert match.label == "likely"
    elif match.score >= POSSIBLE_THRESHOLD:
        assert match.label == "possible"
    else:
        assert match.label is None


@given(FACTS, FACTS)
def test_score_does_not_depend_on_order(a, b):
    assert score_candidate(a, b).score == score_candidate(b, a).score


REAL_NAMES = st.tuples(
    st.sampled_from(["Bill", "William", "Kate", "Catherine", "Sarah", "Zoë", "Mohammed"]),
    st.sampled_from(["Smith", "Smyth", "Thompson", "O'Brien-Smith", "Jones", "Khan"]),
)
NAMED_WITH_DOB = st.builds(
    PersonFacts,
    names=st.lists(REAL_NAMES, min_size=1, max_size=2).map(tuple),
    date_of_birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    phones=FACTS.map(lambda f: f.phones),
    postcodes=FACTS.map(lambda f: f.postcodes),
)


@given(NAMED_WITH_DOB)
def test_identical_named_people_with_dob_are_likely(facts):
    assert score_candidate(facts, facts).label == "likely"


@st.composite
def related_pairs(draw):
    """A person and a second record of them with a few fields changed."""
    a = draw(NAMED_WITH_DOB)
    given_name, family = a.names[0]
    if draw(st.booleans()):
        given_name = draw(st.sampled_from(sorted(given_name_equivalents(given_name))))
    if draw(st.booleans()):
        family = draw(st.sampled_from(["Smith", "Smyth", "Thomson", "Jnoes", "Kahn", family]))
    dob = draw(st.sampled_from(["same", "none", "other", "digit", "swap"]))
    d = a.date_of_birth
    if dob == "none":
        d = None
    elif dob == "other":
        d = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    elif dob == "digit":
        d = _change_digit(d, draw(st.integers(0, 7)), draw(st.integers(0, 9))) or d
    elif dob == "swap" and d.day <= 12:
        d = date(d.year, d.day, d.month)
    b = PersonFacts(
        names=((given_name, family),) + draw(st.lists(REAL_NAMES, max_size=1).map(tuple)),
        date_of_birth=d,
        phones=draw(st.sampled_from([a.phones, ()])),
        postcodes=draw(st.sampled_from([a.postcodes, ()])),
    )
    return a, b


@given(related_pairs())
def test_people_labelled_likely_are_found_by_blocking(pair):
    # Anyone labelled likely must share at least one blocking key, or the web
    # app would never fetch them to score.
    a, b = pair
    assume(score_candidate(a, b).label == "likely")
    assert blocking_keys(a) & blocking_keys(b)


# --- The quick bound for comparing one person with many ---------------------------------


@given(FACTS, FACTS, st.integers(0, 100))
def test_a_pair_that_may_not_reach_a_threshold_scores_below_it(a, b, threshold):
    if not may_reach(prepare(a), prepare(b), threshold):
        assert score_candidate(a, b).score < threshold


@given(FACTS, FACTS, st.integers(0, 100))
def test_a_pair_whose_dates_of_birth_may_not_reach_a_threshold_scores_below_it(a, b, threshold):
    if not dob_may_reach(a.date_of_birth, b.date_of_birth, threshold):
        assert score_candidate(a, b).score < threshold


@given(related_pairs())
def test_a_related_pair_left_out_by_its_dates_of_birth_is_not_likely(pair):
    a, b = pair
    if not dob_may_reach(a.date_of_birth, b.date_of_birth, LIKELY_THRESHOLD):
        assert score_candidate(a, b).label != "likely"


def test_the_date_bound_keeps_every_slip_and_an_unknown_date_and_leaves_out_the_rest():
    sarah = person(phones=["07700 900123"], postcodes=["SW1A 1AA"])
    for dob in (date(1985, 3, 14), date(1985, 3, 13), date(1986, 3, 14), date(1995, 3, 14), date(1985, 3, 17), None):
        assert dob_may_reach(sarah.date_of_birth, dob, LIKELY_THRESHOLD)
    # The same names, phone and postcode, born years apart: 50 + 12 + 8 - 20 = 50.
    namesake = person(dob=date(1972, 7, 2), phones=["07700 900123"], postcodes=["SW1A 1AA"])
    assert not dob_may_reach(sarah.date_of_birth, namesake.date_of_birth, LIKELY_THRESHOLD)
    assert score_candidate(sarah, namesake).score == 50
    # Both dates unknown: the same names, phone and postcode reach it exactly.
    assert dob_may_reach(None, None, LIKELY_THRESHOLD)
    assert score_candidate(person(dob=None, phones=["07700 900123"], postcodes=["SW1A 1AA"]),
                           person(dob=None, phones=["07700 900123"], postcodes=["SW1A 1AA"])).label == "likely"


# Names a slip, an equivalent or a part away from each other, and names unrelated to them.
NAME_PARTS = ["Sarah", "Sara", "Sarha", "Jones", "Jnoes", "Smith-Jones", "Bill", "William", "Mary Sarah", "S", "", "Brown", "Thompson", "Thomson"]


def test_the_names_step_of_the_bound_leaves_out_no_one_who_could_be_labelled():
    # Every pair of names made of the parts above, with the same date of birth (so the
    # names decide), and with a shared postcode too.
    names = [(given, family) for given in NAME_PARTS for family in NAME_PARTS]
    for postcodes in ((), ("SW1A 1AA",)):
        people = [PersonFacts(names=(name,), date_of_birth=date(1985, 3, 14), postcodes=postcodes) for name in names]
        prepared = [prepare(facts) for facts in people]
        left_out = 0
        for a, prepared_a in zip(people, prepared):
            for b, prepared_b in zip(people, prepared):
                if not may_reach(prepared_a, prepared_b):
                    left_out += 1
                    assert score_candidate(a, b).label is None, (a.names, b.names)
        assert left_out  # the bound does leave people out


@given(related_pairs())
def test_a_related_pair_left_out_by_the_bound_is_not_labelled(pair):
    a, b = pair
    if not may_reach(prepare(a), prepare(b)):
        assert score_candidate(a, b).label is None


def test_the_bound_leaves_out_a_namesake_with_another_date_of_birth_unless_a_phone_is_shared():
    sarah = person(phones=["07700 900123"], postcodes=["SW1A 1AA"])
    namesake = person(dob=date(1972, 7, 2), postcodes=["SW1A 1AA"])
    assert not may_reach(prepare(sarah), prepare(namesake))
    with_phone = person(dob=date(1972, 7, 2), phones=["+44 7700 900123"])
    assert may_reach(prepare(sarah), prepare(with_phone))
    assert score_candidate(sarah, with_phone).label == "possible"



@pytest.mark.parametrize(
    ("given_name", "family", "reached"),
    [
        ("Julie", "Brown", False),  # only the date of birth in common
        ("Julie", "Smyth", False),
        ("Sara", "Brown", True),  # a given name one slip out
        ("Julie", "Jnoes", True),  # a surname one slip out
        ("Julie", "Joanes", True),
        ("Jones", "Sarah", True),  # the names swapped
        ("Kate", "Jones-Smith", True),  # part of a double-barrelled surname
        ("S", "Brown", True),  # an initial: never left out
        ("Mary Sarah", "Brown", True),  # goes by a middle name
    ],
)
def test_the_bound_leaves_out_someone_sharing_only_a_date_of_birth(given_name, family, reached):
    sarah, other = person(given="Sarah", family="Jones"), person(given=given_name, family=family)
    assert may_reach(prepare(sarah), prepare(other)) is reached
    assert may_reach(prepare(other), prepare(sarah)) is reached
    if not reached:
        assert score_candidate(sarah, other).label is None
