"""How a person is shown. Every page, PDF or export that shows a person goes through
`present_person`, which leaves sealed values out for anyone the access policy does not
allow to see them."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.db.models import Prefetch
from django.utils.safestring import mark_safe

from openmarac.access import policy
from openmarac.people import display
from openmarac.people.models import Person, birth_text
from openmarac.referrals.criteria import age_on

SEALED_TEXT = "Sealed: shown only to the coordinator and the Idva"
MOVED_TEXT = "Not shown: the case has moved to another Marac"


class _MaybeSealed:
    @property
    def sealed_and_shown(self):
        """A sealed value this reader may see: tagged "Sealed" so it is handled with care.
        A withheld one needs no tag, as its text already says it is sealed."""
        return self.sealed and self.text != SEALED_TEXT


@dataclass
class ShownAddress(_MaybeSealed):
    text: str
    sealed: bool
    current: bool


@dataclass
class ShownPhone(_MaybeSealed):
    text: str
    sealed: bool
    safe_to_call: str
    safe_times: str


@dataclass
class ShownPerson:
    pk: int
    name: str
    aliases: list
    date_of_birth: object
    age: int | None
    gender: str
    addresses: list = field(default_factory=list)
    phones: list = field(default_factory=list)
    language: str = ""
    interpreter_needed: bool = False
    expected_birth_on: object = None
    # The person's row, for `diversity`: only the case page shows it, so its labels are
    # not looked up for every person of a case list.
    person: object = field(default=None, repr=False, compare=False)

    @property
    def birth_text(self):
        return birth_text(self.date_of_birth, self.expected_birth_on)

    @property
    def html(self):
        """The person as pages show them (people/display.py)."""
        return mark_safe(display.person_html(self))

    @property
    def html_with_diversity(self):
        return mark_safe(display.person_html(self, show_diversity=True))

    @cached_property
    def diversity(self):
        person = self.person
        return {
            "Racially minoritised": person.get_racially_minoritised_display(),
            "Disabled": person.get_disabled_display(),
            "LGBT+": person.get_lgbt_display(),
            "Ethnicity": person.ethnicity or "Not given",
        }


# What `present_person` reads of a person beyond its own row, by relation.
_DETAILS = {"aliases": "alias_list", "addresses": "address_list", "phones": "phone_list"}


def person_details(through=""):
    """The prefetches `present_person` reads, for people reached through `through`
    ("person__" from a ReferralPerson). Into lists (`to_attr`), not the related
    managers: for those Django builds a queryset for every person and relation, which
    on a 40-case agenda cost more than the queries themselves."""
    return [Prefetch(f"{through}{relation}", to_attr=attribute) for relation, attribute in _DETAILS.items()]


def with_details(people):
    """Give each person the lists `present_person` reads (`person_details`' attributes),
    in one query a relation by the people's ids. Cheaper than `person_details`' prefetches
    for a page of many people (a 40-case agenda), where Django's prefetching, matching
    each row back to its instance, cost more than the queries."""
    ids = {person.pk for person in people}
    for relation, attribute in _DETAILS.items():
        related = Person._meta.get_field(relation).related_model
        grouped = defaultdict(list)
        for row in related.objects.filter(person_id__in=ids):
            grouped[row.person_id].append(row)
        for person in people:
            setattr(person, attribute, grouped.get(person.pk, []))
    return people


def _details(person, relation):
    prefetched = getattr(person, _DETAILS[relation], None)
    return prefetched if prefetched is not None else getattr(person, relation).all()


def present_person(person, *, user, marac, on=None, show_sealed=None, phones=True):
    """`show_sealed`, when the caller shows many people to one reader, is
    `policy.can_see_sealed_values(user, marac)` asked once for all of them. Without
    `phones` (a page that shows no phone number: the case list) the phones are neither
    read nor shown."""
    if show_sealed is None:
        show_sealed = policy.can_see_sealed_values(user, marac)
    if person.marac_id != marac.pk:
        # The person's case was transferred away: the Marac that sent it keeps its old
        # minutes and case lists, but where the victim lives now (and how to reach any
        # of the household) is for the receiving Marac alone.
        return _person(person, on, addresses=[ShownAddress(text=MOVED_TEXT, sealed=False, current=True)], phones=[])
    addresses = [
        ShownAddress(text=str(a) if (show_sealed or not a.is_sealed) else SEALED_TEXT, sealed=a.is_sealed, current=a.is_current)
        for a in _details(person, "addresses")
    ]
    shown_phones = []
    for phone in _details(person, "phones") if phones else ():
        hidden = phone.is_sealed and not show_sealed
        shown_phones.append(
            ShownPhone(
                text=SEALED_TEXT if hidden else phone.number,
                sealed=phone.is_sealed,
                safe_to_call="" if hidden else phone.get_safe_to_call_display(),
                safe_times="" if hidden else phone.safe_times,
            )
        )
    return _person(person, on, addresses=addresses, phones=shown_phones)


def _person(person, on, *, addresses, phones):
    return ShownPerson(
        pk=person.pk,
        name=str(person),
        aliases=[str(a) for a in _details(person, "aliases")],
        date_of_birth=person.date_of_birth,
        expected_birth_on=person.expected_birth_on,
        age=age_on(person.date_of_birth, on or date.today()),
        gender=person.gender,
        addresses=addresses,
        phones=phones,
        person=person,
        language=person.language,
        interpreter_needed=person.interpreter_needed,
    )
