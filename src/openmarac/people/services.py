"""Writes for people, and the database side of matching (blocking keys in an
indexed table, candidates fetched by key and scored by openmarac.people.matching)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from . import matching
from .models import Address, Alias, Person, PersonMatchKey, Phone, YesNoUnknown


@dataclass
class PersonData:
    """A person as a referral (web form or import file) describes them."""

    given_name: str
    family_name: str
    aliases: list = field(default_factory=list)  # [(given, family), ...]
    date_of_birth: date | None = None
    expected_birth_on: date | None = None
    gender: str = ""
    ethnicity: str = ""
    racially_minoritised: str = YesNoUnknown.UNKNOWN
    disabled: str = YesNoUnknown.UNKNOWN
    lgbt: str = YesNoUnknown.UNKNOWN
    language: str = ""
    interpreter_needed: bool = False
    address_line_1: str = ""
    address_line_2: str = ""
    town: str = ""
    postcode: str = ""
    address_sealed: bool = False
    phone: str = ""
    phone_safe_to_call: str = YesNoUnknown.UNKNOWN
    phone_safe_times: str = ""
    phone_sealed: bool = False


def person_fields(data: PersonData) -> dict:
    """The Person row's columns for `data` (all but the Marac): `person_create` and the
    importer's batches (referrals.bulk) write the same values."""
    return dict(
        given_name=data.given_name.strip(),
        family_name=data.family_name.strip(),
        date_of_birth=data.date_of_birth,
        expected_birth_on=data.expected_birth_on,
        gender=data.gender,
        ethnicity=data.ethnicity,
        racially_minoritised=data.racially_minoritised,
        disabled=data.disabled,
        lgbt=data.lgbt,
        language=data.language,
        interpreter_needed=data.interpreter_needed,
    )


def person_build(*, marac, data: PersonData) -> Person:
    """The Person row for `data`, not yet saved."""
    return Person(marac=marac, **person_fields(data))


def person_details_fields(data: PersonData) -> tuple[list[dict], list[dict], list[dict]]:
    """A new person's aliases, address and phone as column values (all but the
    person), for `person_details_build` and the importer's batches."""
    aliases = [dict(given_name=g, family_name=f) for g, f in data.aliases if g or f]
    addresses, phones = [], []
    if data.address_line_1 or data.postcode:
        addresses.append(dict(
            line_1=data.address_line_1 or "(no street address given)",
            line_2=data.address_line_2,
            town=data.town,
            postcode=data.postcode.upper().strip(),
            is_sealed=data.address_sealed,
        ))
    if data.phone:
        phones.append(dict(
            number=data.phone, safe_to_call=data.phone_safe_to_call, safe_times=data.phone_safe_times, is_sealed=data.phone_sealed,
        ))
    return aliases, addresses, phones


def person_details_build(person: Person, data: PersonData) -> tuple[list[Alias], list[Address], list[Phone]]:
    """A new person's aliases, address and phone, not yet saved."""
    aliases, addresses, phones = person_details_fields(data)
    return (
        [Alias(person=person, **alias) for alias in aliases],
        [Address(person=person, **address) for address in addresses],
        [Phone(person=person, **phone) for phone in phones],
    )


def person_create(*, marac, data: PersonData) -> Person:
    person = person_build(marac=marac, data=data)
    person.save()
    aliases, addresses, phones = person_details_build(person, data)
    Alias.objects.bulk_create(aliases)
    Address.objects.bulk_create(addresses)
    Phone.objects.bulk_create(phones)
    match_keys_refresh(person)
    return person


def facts_for(person) -> matching.PersonFacts:
    """Everything matching uses; call on a person with aliases, addresses and phones
    prefetched when doing many."""
    return person_facts(
        person.given_name, person.family_name, person.date_of_birth,
        aliases=[(a.given_name, a.family_name) for a in person.aliases.all()],
        phones=[p.number for p in person.phones.all()],
        postcodes=[a.postcode for a in person.addresses.all()],
    )


def person_facts(given_name, family_name, date_of_birth, *, aliases, phones, postcodes) -> matching.PersonFacts:
    """The facts matching uses, from a person's stored values: `facts_for` reads them
    from the database, the importer from the rows it is about to write."""
    return matching.PersonFacts(
        names=((given_name, family_name), *aliases),
        date_of_birth=date_of_birth,
        phones=tuple(phones),
        postcodes=tuple(postcode for postcode in postcodes if postcode),
    )


def match_keys_refresh(person):
    keys = matching.blocking_keys(facts_for(person))
    PersonMatchKey.objects.filter(person=person).delete()
    PersonMatchKey.objects.bulk_create(PersonMatchKey(person=person, marac_id=person.marac_id, key=key) for key in keys)


def _facts_by_id(ids):
    """{person id: (PersonFacts, canonical id)} for many people, read as plain values
    in four queries whatever their number: building model instances for the few
    hundred candidates of a common name took most of a lookup at a million people."""
    names = defaultdict(list)
    phones = defaultdict(list)
    postcodes = defaultdict(list)
    people = Person.objects.filter(pk__in=ids).values_list("pk", "given_name", "family_name", "date_of_birth", "same_as_id")
    for person_id, given, family in Alias.objects.filter(person_id__in=ids).values_list("person_id", "given_name", "family_name"):
        names[person_id].append((given, family))
    # No ordering: matching does not need it, and sorting defeats the person_id index.
    for person_id, number in Phone.objects.filter(person_id__in=ids).order_by().values_list("person_id", "number"):
        phones[person_id].append(number)
    for person_id, postcode in (
        Address.objects.filter(person_id__in=ids).exclude(postcode="").order_by().values_list("person_id", "postcode")
    ):
        postcodes[person_id].append(postcode)
    return {
        pk: (
            matching.PersonFacts(
                names=((given, family), *names[pk]),
                date_of_birth=dob,
                phones=tuple(phones[pk]),
                postcodes=tuple(postcodes[pk]),
            ),
            same_as_id or pk,
        )
        for pk, given, family, dob, same_as_id in people
    }


def candidates_for(person, *, limit=5):
    """People already known to the person's Marac who may be the same person, best
    first, as (Person, Match)."""
    return candidates_for_facts(facts_for(person), marac_id=person.marac_id, exclude=person, limit=limit)


def candidates_for_facts(query, *, marac_id, exclude=None, limit=5):
    """Fetch by blocking key through the index, score in Python. Records already linked
    as duplicates count once, under the record they were linked to."""
    keys = matching.blocking_keys(query)
    key_rows = PersonMatchKey.objects.filter(marac_id=marac_id, key__in=keys)
    if exclude is not None:
        key_rows = key_rows.exclude(person=exclude)
    # Ids first: the planner then reads people by primary key instead of joining.
    ids = set(key_rows.values_list("person_id", flat=True))
    excluded_identity = exclude.canonical_id if exclude is not None else None
    best = {}
    for facts, canonical in _facts_by_id(ids).values():
        if canonical == excluded_identity:
            continue
        match = matching.score_candidate(query, facts)
        if match.label is None:
            continue
        if canonical not in best or match.score > best[canonical].score:
            best[canonical] = match
    ranked = sorted(best.items(), key=lambda pair: -pair[1].score)[:limit]
    canonical_people = Person.objects.in_bulk([canonical for canonical, _ in ranked])
    return [(canonical_people[canonical], match) for canonical, match in ranked]


def likely_matches_elsewhere(person):
    """Maracs of the same deployment holding a likely match. Only the Marac is ever
    reported: the other Marac's records are not shown."""
    found = defaultdict(set)
    _search_elsewhere(person.marac_id, {person.pk: facts_for(person)}, found)
    return found[person.pk]


# People searched for at once by `likely_matches_elsewhere_of`, and people elsewhere read
# at once: their keys and ids go to the database as lists, kept under SQLite's limit on
# parameters. Fewer, larger searches cost the database less: each reads the people
# sharing a key through the whole person table.
ELSEWHERE_SLICE = 500
FACTS_SLICE = 5000


def likely_matches_elsewhere_of(*, marac_id, person_ids) -> dict:
    """`likely_matches_elsewhere` for many people of one Marac (the importer's, searched
    by the worker after the import): {person id: {Marac id}} for those with a likely
    match elsewhere."""
    found = defaultdict(set)
    person_ids = list(person_ids)
    for start in range(0, len(person_ids), ELSEWHERE_SLICE):
        people = _facts_by_id(person_ids[start:start + ELSEWHERE_SLICE])
        _search_elsewhere(marac_id, {pk: facts for pk, (facts, _) in people.items()}, found)
    return {pk: maracs for pk, maracs in found.items() if maracs}


def _search_elsewhere(marac_id, queries, found):
    """Add to `found` ({person id: {Marac id}}) the other Maracs where the people of
    `queries` ({person id: PersonFacts}, of Marac `marac_id`) have a likely match.
    Everyone sharing a blocking key with them elsewhere is read with their date of birth
    alone, and only those whose date of birth leaves a likely match possible
    (`matching.dob_may_reach`) are read in full and scored: of a national deployment's
    namesakes, most were born years apart. A Marac found for someone is not looked at
    again for them."""
    holders = defaultdict(list)  # key -> the people of `queries` filed under it
    for pk, facts in queries.items():
        for key in matching.blocking_keys(facts):
            holders[key].append(pk)
    pairs = defaultdict(set)  # person searched for -> {(person elsewhere, their Marac)}
    shared = PersonMatchKey.objects.filter(key__in=list(holders)).exclude(marac_id=marac_id)
    # Through the person: a key whose person is gone (the key table has no foreign
    # keys) finds no one.
    for key, other_id, other_marac, other_dob in shared.values_list("key", "person_id", "marac_id", "person__date_of_birth"):
        for pk in holders[key]:
            if matching.dob_may_reach(queries[pk].date_of_birth, other_dob, matching.LIKELY_THRESHOLD):
                pairs[pk].add((other_id, other_marac))
    if not pairs:
        return
    wanted = sorted({other_id for held in pairs.values() for other_id, _ in held})
    others = {}
    for start in range(0, len(wanted), FACTS_SLICE):
        others.update(_facts_by_id(wanted[start:start + FACTS_SLICE]))
    for pk, held in pairs.items():
        for other_id, other_marac in sorted(held):
            if other_marac in found[pk] or other_id not in others:  # found already, or gone since
                continue
            if matching.score_candidate(queries[pk], others[other_id][0]).label == matching.LIKELY:
                found[pk].add(other_marac)
