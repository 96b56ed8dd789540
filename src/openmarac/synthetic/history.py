"""Years of history in bulk, as the importer records it: cases and referrals written with
bulk_create, without people's details beyond a name. For the tests and benchmarks that
check a page stays short and its query count flat however long the Marac has run."""

import random
from datetime import date, timedelta

from openmarac.people.models import Person
from openmarac.referrals.models import Case, Referral, ReferralPerson


def bulk_referrals(*, marac, count, status=Referral.Status.HEARD, first_on=None, span_days=3650, seed=1, prefix="H"):
    """`count` referrals of as many cases, referred over `span_days` from `first_on`;
    heard ones carry the imported `heard_on` (and their case's last hearing)."""
    rng = random.Random(seed)
    first_on = first_on or date.today() - timedelta(days=span_days)
    victims = Person.objects.bulk_create(Person(marac=marac, given_name="Imported", family_name=f"{prefix}{i}") for i in range(count))
    referred = [first_on + timedelta(days=rng.randrange(span_days)) for _ in range(count)]
    heard = status == Referral.Status.HEARD
    cases = Case.objects.bulk_create(
        Case(marac=marac, reference=f"{marac.slug[:6].upper()}-{prefix}{i}", victim=victim, last_heard_on=referred[i] + timedelta(days=21) if heard else None)
        for i, victim in enumerate(victims)
    )
    referrals = Referral.objects.bulk_create(
        (
            Referral(
                marac=marac, case=case, status=status, source_key=f"{prefix}-{i}", referring_agency_kind="police", referred_on=referred[i],
                submitted_at=None, heard_on=case.last_heard_on, children_count=rng.choice([0, 0, 1, 2]), meets_visible_high_risk=True,
            )
            for i, case in enumerate(cases)
        ),
        batch_size=2000,
    )
    ReferralPerson.objects.bulk_create(
        (ReferralPerson(referral=referral, person=victim, role=ReferralPerson.Role.VICTIM) for referral, victim in zip(referrals, victims)), batch_size=2000
    )
    return referrals
