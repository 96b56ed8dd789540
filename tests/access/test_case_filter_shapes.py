"""The agency's case filter at national scale: each case (or agenda item's case) is
tested on its own, through EXISTS on the case's involvements, never by building the set
of every case the agency was ever involved in; and a case the agency is involved in for
several reasons comes once, without DISTINCT."""

from datetime import timedelta

import pytest
from django.utils import timezone

from openmarac.access import policy
from openmarac.meetings import selectors as meeting_selectors
from openmarac.meetings import services as meeting_services
from openmarac.referrals import selectors as referral_selectors
from openmarac.referrals import services as referral_services
from openmarac.referrals.models import Case, CaseInvolvement
from openmarac.synthetic.referrals import ReferralGenerator


@pytest.fixture
def agenda(marac, staff):
    """A published meeting with three cases: one the housing agency referred and has an
    action on (involved for several reasons), one only on the agenda, and one on the
    agenda whose housing involvement is removed (housing may not open it)."""
    generator = ReferralGenerator(seed=7)
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    cases = []
    for _ in range(3):
        data = generator.referral(marac=marac, referring_agency=staff["referrer"].agency)
        referral = referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False)
        meeting_services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
        cases.append(referral.case)
    meeting_services.meeting_publish(by=staff["coordinator"], meeting=meeting)
    housing = staff["housing_rep"].agency
    for reason in (CaseInvolvement.Reason.REFERRED, CaseInvolvement.Reason.ACTION):
        CaseInvolvement.objects.get_or_create(case=cases[0], agency=housing, reason=reason)
    CaseInvolvement.objects.filter(case=cases[2], agency=housing).delete()
    return meeting, cases


def test_an_agency_finds_each_case_it_is_involved_in_once_and_no_other(staff, agenda):
    meeting, (several, listed, uninvolved) = agenda
    housing = staff["housing_rep"]
    assert CaseInvolvement.objects.filter(case=several, agency=housing.agency).count() >= 2
    visible = Case.objects.filter(policy.visible_cases_q(housing))
    assert sorted(visible.values_list("pk", flat=True)) == sorted([several.pk, listed.pk])
    assert "DISTINCT" not in str(visible.query)
    assert referral_selectors.case_for(user=housing, public_id=several.public_id) == several
    assert referral_selectors.case_for(user=housing, public_id=uninvolved.public_id) is None
    items = meeting_selectors.visible_items(user=housing, meeting=meeting)
    assert sorted(item.referral.case_id for item in items) == sorted([several.pk, listed.pk])
    assert sorted(item.referral.case_id for item in meeting_selectors.agenda_items(user=housing, meeting=meeting)) == sorted([several.pk, listed.pk])
    # The coordinator's role opens every case of the Marac.
    assert meeting_selectors.visible_items(user=staff["coordinator"], meeting=meeting).count() == 3


def test_an_agenda_is_filtered_through_its_own_items_cases(staff, agenda):
    """Not `case_id IN (SELECT … FROM referrals_case …)`: at 1.2 million cases that made
    PostgreSQL hash every case the agency was ever involved in to filter 40 items."""
    meeting, _ = agenda
    sql = str(meeting_selectors.visible_items(user=staff["housing_rep"], meeting=meeting).query)
    assert 'FROM "referrals_case"' not in sql
    assert '"referrals_caseinvolvement"' in sql and "EXISTS" in sql


def test_a_cases_people_are_found_by_their_ids(agenda):
    """Not `id IN (SELECT …) OR id = victim`: PostgreSQL can use no index for such an OR
    and read every person of every Marac for each case page (1.2 s at national scale);
    one list of ids, each part read by its index."""
    from openmarac.records.selectors import people_in_case
    from openmarac.referrals.models import ReferralPerson

    _, (case, *_) = agenda
    people = people_in_case(case=case)
    assert " OR " not in str(people.query)
    named = set(ReferralPerson.objects.filter(referral__case=case).values_list("person_id", flat=True))
    assert set(people.values_list("pk", flat=True)) == named | {case.victim_id}


def test_case_for_compiled_opens_what_the_access_filter_opens(staff, agenda, marac):
    """`case_for` reads by a query compiled for each shape of the access filter: for
    every role, the same cases as `visible_cases_q` (restricted ones, one with lapsed
    access, a merged one leading to the case it joined), with the same Marac."""
    from datetime import date

    from openmarac.referrals.models import CaseRestriction

    _, (several, listed, uninvolved) = agenda
    Case.objects.filter(pk=listed.pk).update(last_heard_on=date(2000, 1, 1))
    restricted = CaseRestriction.objects.create(case=several, reason="Works for the police", restricted_by=staff["coordinator"], restricted_at=timezone.now())
    restricted.named_users.set([staff["chair"]])
    Case.objects.filter(pk=uninvolved.pk).update(merged_into=listed)
    users = list(staff.values())
    for user in users:
        policy.forget_memberships(user)
        for case in Case.objects.all():
            expected = Case.objects.filter(policy.visible_cases_q(user), public_id=case.public_id).select_related("marac", "merged_into").first()
            if expected is not None and expected.merged_into_id:
                expected = Case.objects.filter(policy.visible_cases_q(user), pk=expected.merged_into_id).first()
            found = referral_selectors.case_for(user=user, public_id=case.public_id)
            assert (found and found.pk) == (expected and expected.pk), (user.email, case.pk)
            if found is not None:
                assert found.marac.name == marac.name and found.merged_into_id == expected.merged_into_id
            assert referral_selectors.case_for(user=user, public_id=str(case.public_id)) == found
    assert referral_selectors.case_for(user=staff["chair"], public_id=several.public_id) == several
    assert referral_selectors.case_for(user=staff["coordinator"], public_id=several.public_id) is None
    assert referral_selectors.case_for(user=staff["coordinator"], public_id=uninvolved.public_id) == listed
