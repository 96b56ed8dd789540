"""Matching through the database: blocking keys stored per person, candidates fetched
by key and scored, duplicates counted once."""

from datetime import date

import pytest

from openmarac.people import matching
from openmarac.people.models import Person, PersonMatchKey
from openmarac.people.services import (
    PersonData, candidates_for, facts_for, likely_matches_elsewhere, likely_matches_elsewhere_of, person_create,
)

from ..factories import MaracFactory


def _person(marac, given, family, dob, **extra):
    return person_create(marac=marac, data=PersonData(given_name=given, family_name=family, date_of_birth=dob, **extra))


@pytest.mark.parametrize(
    "given, family, dob, reason",
    [
        ("Bill", "Thompson", date(1984, 3, 14), "given name is a known short form (Bill/William)"),
        ("William", "Thomson", date(1984, 3, 14), "surname sounds alike"),
        ("William", "Thompson", date(1984, 3, 17), "date of birth differs by one digit"),
        ("William", "Thompson", date(1984, 3, 13), "date of birth one day apart"),
        ("William", "Thompson", date(1994, 3, 14), "date of birth has the year one or ten out"),
        ("Thompson", "William", date(1984, 3, 14), "given name and surname swapped"),
        ("William", "Ellis-Thompson", date(1984, 3, 14), "surname shares a part (double-barrelled)"),
        ("William", "Okafor", date(1984, 3, 14), "same date of birth"),
        ("William", "Thompson", date(1984, 3, 14), "same date of birth"),
    ],
)
def test_corrupted_names_and_dates_find_the_known_person(marac, given, family, dob, reason):
    known = _person(marac, "William", "Thompson", date(1984, 3, 14), phone="07700 900555", postcode="NS1 2AB")
    _person(marac, "Wendy", "Clarke", date(1990, 1, 1))
    query = _person(marac, given, family, dob)
    found = candidates_for(query)
    assert found and found[0][0] == known
    assert any(reason in r for r in found[0][1].reasons), found[0][1].reasons


def test_day_and_month_swapped_with_the_same_phone(marac):
    known = _person(marac, "Aisha", "Begum", date(1992, 4, 7), phone="07700 900321")
    query = _person(marac, "Aisha", "Begum", date(1992, 7, 4), phone="+44 7700 900321")
    (person, match), *_ = candidates_for(query)
    assert person == known and match.label == "likely"


def test_an_alias_is_matched(marac):
    known = person_create(
        marac=marac, data=PersonData(given_name="Joanne", family_name="Reid", aliases=[("Joanne", "McAllister")], date_of_birth=date(1979, 11, 2))
    )
    query = _person(marac, "Joanne", "McAllister", date(1979, 11, 2))
    assert candidates_for(query)[0][0] == known


def test_a_linked_duplicate_counts_once_under_its_original(marac):
    original = _person(marac, "Sara", "Khan", date(1988, 6, 1))
    duplicate = _person(marac, "Sarah", "Khan", date(1988, 6, 1))
    duplicate.same_as = original
    duplicate.save()
    query = _person(marac, "Sara", "Khan", date(1988, 6, 1))
    assert [person for person, _ in candidates_for(query)] == [original]


def test_a_namesake_born_years_apart_is_not_likely(marac):
    _person(marac, "John", "Smith", date(1960, 2, 2))
    query = _person(marac, "John", "Smith", date(1995, 8, 19))
    assert all(match.label != "likely" for _, match in candidates_for(query))


def test_matching_stays_inside_the_marac_but_names_a_likely_match_elsewhere(marac, other_marac):
    _person(other_marac, "Grace", "Okafor", date(1991, 5, 5), phone="07700 900777")
    query = _person(marac, "Grace", "Okafor", date(1991, 5, 5), phone="07700 900777")
    assert candidates_for(query) == []
    assert likely_matches_elsewhere(query) == {other_marac.pk}


def test_many_people_are_searched_for_elsewhere_as_one_by_one_and_as_every_pair_scored(marac, other_marac):
    third = MaracFactory(name="Westshire Marac", slug="westshire")
    phone, postcode = "07700 900555", "NS1 2AB"
    # Elsewhere: William Thompson in two Maracs, a namesake born years later, and
    # someone whose date of birth is not known.
    _person(other_marac, "William", "Thompson", date(1984, 3, 14), phone=phone, postcode=postcode)
    _person(third, "William", "Thompson", date(1984, 3, 14))
    _person(third, "William", "Thompson", date(1999, 8, 30), phone=phone, postcode=postcode)
    _person(other_marac, "Grace", "Okafor", None, phone="07700 900777", postcode="NS4 4CD")
    # Here: each of them again with a slip, or someone else sharing a key with them.
    searched = [
        _person(marac, given, family, dob, **extra)
        for given, family, dob, extra in [
            ("Bill", "Thompson", date(1984, 3, 14), {}),
            ("William", "Thomson", date(1984, 3, 14), {}),
            ("William", "Thompson", date(1984, 3, 17), {"phone": phone}),
            ("William", "Thompson", date(1984, 3, 17), {}),
            ("Thompson", "William", date(1984, 3, 14), {}),
            ("William", "Thompson", date(1999, 8, 30), {}),
            ("William", "Thompson", date(1970, 1, 1), {"phone": phone, "postcode": postcode}),
            ("Wendy", "Okafor", date(1984, 3, 14), {}),
            ("Grace", "Okafor", None, {"phone": "07700 900777", "postcode": "NS4 4CD"}),
            ("Grace", "Okafor", date(1991, 5, 5), {}),
        ]
    ]

    def every_pair_scored(person):
        facts = facts_for(person)
        keys = PersonMatchKey.objects.filter(person=person).values("key")
        return {
            other.marac_id for other in Person.objects.exclude(marac=marac).filter(match_keys__key__in=keys).distinct()
            if matching.score_candidate(facts, facts_for(other)).label == matching.LIKELY
        }

    expected = {person.pk: every_pair_scored(person) for person in searched}
    expected = {pk: maracs for pk, maracs in expected.items() if maracs}
    assert likely_matches_elsewhere_of(marac_id=marac.pk, person_ids=[p.pk for p in searched]) == expected
    assert {p.pk: likely_matches_elsewhere(p) for p in searched if likely_matches_elsewhere(p)} == expected
    # Found in both Maracs, in one only, and not at all.
    assert {other_marac.pk, third.pk} in expected.values() and {other_marac.pk} in expected.values()
    assert len(expected) < len(searched)


def test_blocking_keys_are_stored_for_each_person(marac):
    person = _person(marac, "Leah", "Price", date(2000, 12, 1), phone="07700 900111", postcode="NS3 9ZZ")
    keys = set(PersonMatchKey.objects.filter(person=person).values_list("key", flat=True))
    assert keys and all(key for key in keys)
    assert any(key.startswith("dob:") for key in keys) and any(key.startswith("ph:") for key in keys)


def test_the_migration_refreshes_keys_filed_the_old_way(marac):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("openmarac.people.migrations.0002_refresh_match_keys_for_date_and_name_slips")
    known = _person(marac, "Sarah", "Jones", date(1985, 3, 19), aliases=[("Sarah", "Hall")])
    expected = set(PersonMatchKey.objects.filter(person=known).values_list("key", flat=True))
    PersonMatchKey.objects.filter(person=known).delete()
    PersonMatchKey.objects.create(person=known, marac=marac, key="fy:JNS:1985")  # an old key, without the initial
    migration.refresh_keys(apps, None)
    assert set(PersonMatchKey.objects.filter(person=known).values_list("key", flat=True)) == expected
    query = _person(marac, "Sarah", "Jones", date(1985, 3, 20))
    assert candidates_for(query)[0][0] == known
