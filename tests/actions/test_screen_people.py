"""The chair's case screen reads its case's people by queries compiled once
(`referrals.selectors.referral_people_reads`), sent with its other reads: the same
people, in the same order, with the same details as `with_people` gives."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmarac.core import compiled
from openmarac.people.models import Address, Alias, Phone
from openmarac.referrals.selectors import referral_people_reads, with_people, with_people_rows

pytestmark = pytest.mark.django_db


def _seen(referral):
    return [
        (rp.pk, rp.role, rp.person.pk, rp.person.given_name, rp.person.family_name, rp.person.date_of_birth,
         [(a.pk, a.given_name) for a in rp.person.alias_list],
         [(a.pk, a.line_1, a.is_sealed, a.is_current) for a in rp.person.address_list],
         [(p.pk, p.number, p.is_sealed) for p in rp.person.phone_list])
        for rp in referral.people_list
    ]


def test_the_screen_s_people_are_those_with_people_gives(heard):
    hearing = heard(children=2)
    referral = hearing.item.referral
    people = [rp.person for rp in referral.people.all()]
    victim, child = people[0], people[-1]
    Alias.objects.create(person=victim, given_name="Annie", family_name="B")
    Alias.objects.create(person=victim, given_name="Ann", family_name="A")
    Address.objects.create(person=victim, line_1="2 Refuge Row", is_sealed=True, is_current=False)
    Phone.objects.create(person=child, number="07700 900123", is_sealed=True)
    expected = _seen(with_people([type(referral).objects.get(pk=referral.pk)])[0])
    assert len(expected) >= 4 and any(row[6] for row in expected)
    fresh = type(referral).objects.get(pk=referral.pk)
    with CaptureQueriesContext(connection) as queries:
        with_people_rows([fresh], compiled.rows_together(*referral_people_reads(referral=fresh)))
        assert _seen(fresh) == expected
    # Four statements, sent as one on PostgreSQL; nothing read while looking at them.
    assert len(queries) == (1 if connection.vendor == "postgresql" else 4)


def test_the_case_page_s_episodes_are_those_case_referrals_gives(heard):
    from openmarac.referrals import selectors

    hearing = heard()
    case = hearing.item.referral.case
    parts = selectors.case_parts(case=case)
    expected = list(selectors.case_referrals(case=case, parts=parts, with_assessments=False))
    referrals, items = selectors.case_episodes(read=compiled.read_together(*selectors.case_episodes_reads(case=case)), parts=parts, with_candidates=True)

    def seen(referral, agenda_items):
        idva = getattr(referral, "idva_referral", None)
        return (
            referral.pk, referral.status, referral.referred_on, referral.repeat_of_referred_on, str(referral.referring_agency),
            idva and (idva.pk, idva.idva_agency_id), [(item.pk, item.meeting.pk, item.meeting.starts_at) for item in agenda_items],
        )

    assert [seen(r, r.agenda_items.all()) for r in expected] == [seen(r, items.get(r.pk, [])) for r in referrals]
    assert items[referrals[0].pk]
