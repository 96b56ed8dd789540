"""The coordinator's and the chair's case list, read by queries compiled once and sent
together (`meetings.selectors.case_list`), gives what the ORM's queries gave: the same
entries in the same order, written the same, a restricted case hidden from the reader
without its people; and in a fixed number of queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openmarac.access import policy
from openmarac.meetings import selectors, services
from openmarac.people.models import Address, Alias, Phone
from openmarac.referrals import restriction


def _orm_case_list(user, meeting):
    """The case list as the ORM read it before (and still does for the other roles)."""
    on = timezone.localtime(meeting.starts_at).date()
    items = list(
        selectors._case_list_items(
            selectors.agenda_items(user=user, meeting=meeting), hidden=policy.hidden_case_q(user, "referral__case_id"),
            since=selectors._repeat_window_start(meeting, on), on=on,
        )
    )
    slots = selectors._slots(meeting, [selectors._agenda_entry(i.pk, i.section, i.listed_at, i.referral.children_count) for i in items])
    return selectors._entries(
        user=user, meeting=meeting, items={i.pk: i for i in items}, slots=slots,
        hidden={i.referral.case_id for i in items if i.restricted}, repeats={i.referral.case_id: i.repeats for i in items},
    )


@pytest.fixture
def agenda(people, refer, meeting):
    """Four cases: one restricted to the coordinator, people with aliases, sealed and
    old addresses and phones, and one victim on two referrals."""
    referrals = [refer(children=n) for n in (0, 2, 1, 3)]
    for referral in referrals:
        services.referral_list(by=people["coordinator"], referral=referral, meeting=meeting)
    first, second = referrals[0].case.victim, referrals[1].case.victim
    Alias.objects.bulk_create([Alias(person=first, given_name="Zed", family_name="Alpha"), Alias(person=first, given_name="Amy", family_name="Beta")])
    Address.objects.create(person=first, line_1="1 Old Road", is_current=False)
    Address.objects.create(person=second, line_1="Refuge 9", is_sealed=True)
    Phone.objects.create(person=second, number="07700 900999", is_sealed=True, safe_times="Mornings")
    Phone.objects.create(person=first, number="07700 900111", is_current=False)
    restriction.case_restrict(by=people["coordinator"], case=referrals[2].case, reason="The perpetrator works for a member agency", named_users=[])
    return meeting


@pytest.mark.parametrize("role", ["coordinator", "chair"])
def test_the_compiled_case_list_is_the_orms(people, agenda, role):
    user = people[role]
    expected = _orm_case_list(user, agenda)
    entries = selectors.case_list(user=user, meeting=agenda)
    assert [entry.item.pk for entry in entries] == [entry.item.pk for entry in expected]
    assert [entry.restricted for entry in entries] == [entry.restricted for entry in expected]
    assert [entry.html for entry in entries] == [entry.html for entry in expected]
    # The chair may not open the restricted case: it is on the list, without its people.
    assert sum(entry.restricted for entry in entries) == (role == "chair")
    assert all(entry.victim for entry in entries if not entry.restricted)


def test_the_compiled_case_list_sends_its_reads_once(people, agenda, refer):
    user = people["coordinator"]
    selectors.case_list(user=user, meeting=agenda)
    with CaptureQueriesContext(connection) as before:
        selectors.case_list(user=user, meeting=agenda)
    services.referral_list(by=people["coordinator"], referral=refer(children=2), meeting=agenda)
    with CaptureQueriesContext(connection) as after:
        entries = selectors.case_list(user=user, meeting=agenda)
    assert len(entries) == 5 and len(after) == len(before)
    # No list of ids in the SQL: the people are read by the meeting.
    assert not any(re.search(r'"(person_id|referral_id)" IN \((?!SELECT)', query["sql"]) for query in after.captured_queries)
