"""The coordinator's and the chair's case list, read by queries compiled once and sent
together (`meetings.selectors.case_list`), gives what the ORM's queries gave: the same
entries in the same order, written the same, a restricted case hidden from the reader
without its people; and in a fixed number of queries."""

import re

import pytest
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, OuterRef
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.meetings import display, selectors, services
from openmarac.meetings.models import DeclarationSignature, Meeting
from openmarac.people.models import Address, Alias, Phone
from openmarac.referrals import restriction
from openmarac.referrals.models import CaseInvolvement, Referral
from ..conftest import sign_in


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


@pytest.mark.parametrize("role", ["coordinator", "chair", "housing_rep"])
def test_the_agenda_reads_its_date_overrides_with_the_case_list(people, agenda, role):
    """The meeting page's date overrides, with who recorded each: read with the case
    list for the coordinator and the chair (one round trip), on their own for anyone
    else; the same as the meeting's own."""
    services.date_override_record(by=people["coordinator"], meeting=agenda, operations=[services.Operation.PUBLISH], reason="Bank holiday")
    expected = list(agenda.date_overrides.select_related("recorded_by"))
    read = selectors.agenda_reads(user=people[role], meeting=agenda, now=timezone.now(), can_prepare=role == "coordinator")
    assert [entry.item.pk for entry in read.entries] == [entry.item.pk for entry in selectors.case_list(user=people[role], meeting=agenda)]
    assert read.date_overrides == expected and len(expected) == 1
    with CaptureQueriesContext(connection) as queries:
        assert [(o.operation, o.reason, o.recorded_by.email) for o in read.date_overrides] == [("publish", "Bank holiday", people["coordinator"].email)]
    assert not queries.captured_queries


def test_the_compiled_case_list_sends_its_reads_once(people, agenda, refer, settings):
    # The SQL itself, not the name it is prepared under on PostgreSQL.
    settings.OPENMARAC_PREPARED_STATEMENTS = False
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


def _every_column(items, *, hidden, since, on):
    # `_case_list_items` as it read the items before: every column of each.
    return items.select_related(*selectors.CASE_LIST_RELATED).annotate(
        restricted=ExpressionWrapper(hidden, output_field=BooleanField()),
        repeats=selectors._count_of(selectors._repeat_referrals(since, on).filter(case_id=OuterRef("referral__case_id"))),
    )


@pytest.fixture
def repeat_agenda(people, refer, agenda):
    """`agenda` with a repeat referral of a case already heard, and a late one."""
    first, again = refer(), refer()
    Referral.objects.filter(pk=first.pk).update(heard_on=timezone.localdate() - timezone.timedelta(days=60))
    Referral.objects.filter(pk=again.pk).update(
        meets_repeat=True, repeat_of=first, disclosed_on=timezone.localdate() - timezone.timedelta(days=70)
    )
    again.refresh_from_db()
    services.referral_list(by=people["coordinator"], referral=again, meeting=agenda)
    # Published, and the housing and police agencies involved in every case: the
    # representatives see the case list too.
    Meeting.objects.filter(pk=agenda.pk).update(published_at=timezone.now())
    CaseInvolvement.objects.bulk_create(
        CaseInvolvement(case_id=case_id, agency=people[role].agency, reason=CaseInvolvement.Reason.AGENDA)
        for case_id in set(agenda.items.values_list("referral__case_id", flat=True))
        for role in ("housing_rep", "police_rep")
    )
    agenda.refresh_from_db()
    return agenda


@pytest.mark.parametrize("role", ["coordinator", "chair", "police_rep", "housing_rep", "idva"])
def test_the_case_list_reads_only_the_columns_it_shows(client, people, repeat_agenda, role, monkeypatch):
    """The items are read with only the columns the case list shows; the agenda page
    is the same as when every column was read, and writing it reads nothing more."""
    user = people[role]
    DeclarationSignature.objects.create(meeting=repeat_agenda, user=user, statement="Test")
    entries = selectors.case_list(user=user, meeting=repeat_agenda)
    shown = [entry for entry in entries if not entry.restricted]
    assert shown
    assert all({"draft", "reasons", "created_at"} <= entry.referral.get_deferred_fields() for entry in shown)
    with CaptureQueriesContext(connection) as queries:
        [entry.html for entry in entries]
        display.agenda_sections(entries, meeting=repeat_agenda, csrf_input="<input>", move_options="")
    assert queries.captured_queries == []
    sign_in(client, user)
    url = reverse("meetings:meeting", args=[repeat_agenda.public_id])
    page = client.get(url)
    monkeypatch.setattr(selectors, "_case_list_items", _every_column)
    before = client.get(url)
    assert page.status_code == before.status_code == 200
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
    assert token.sub(b"", page.content) == token.sub(b"", before.content)
    assert len(page.context["entries"]) == len(before.context["entries"])
    # The repeat's previous hearing and the late flag are written (from the deferred read).
    assert b"Previous referral" in page.content and b"Heard more than 6 weeks after disclosure" in page.content


def test_the_move_menu_is_written_as_from_each_meeting(people, marac, meeting):
    """The agenda's "Move case to" options, from two values a meeting read by a compiled
    query, are those written from each meeting the move accepts, in order (a meeting at
    00:30 BST: the day before in UTC); not the meeting itself, a cancelled one or one
    already held."""
    from openmarac.core.display import day_text, time_text

    for starts_at in (timezone.datetime(2027, 6, 1, 23, 30, tzinfo=timezone.timezone.utc), timezone.now() + timezone.timedelta(days=40)):
        services.meeting_add(by=people["coordinator"], marac=marac, starts_at=starts_at)
    cancelled = services.meeting_add(by=people["coordinator"], marac=marac, starts_at=timezone.now() + timezone.timedelta(days=50))
    Meeting.objects.filter(pk=cancelled.pk).update(status=Meeting.Status.CANCELLED)
    Meeting.objects.filter(pk=services.meeting_add(by=people["coordinator"], marac=marac, starts_at=timezone.now() + timezone.timedelta(days=60)).pk).update(
        starts_at=timezone.now() - timezone.timedelta(days=3)
    )
    now = timezone.now()
    others = list(selectors.move_target_meetings(meeting=meeting, now=now))
    expected = "".join(f'<option value="{other.pk}">{day_text(other.starts_at)} {time_text(other.starts_at)}</option>' for other in others)
    read = selectors.agenda_reads(user=people["coordinator"], meeting=meeting, now=now, can_prepare=True)
    assert display.move_options_html(read.move_targets) == expected
    # Nothing to move a case to for those who do not prepare meetings.
    assert selectors.agenda_reads(user=people["chair"], meeting=meeting, now=now, can_prepare=False).move_targets == []
    assert len(others) == 2 and meeting not in others and "2 Jun 2027 00:30" in expected
    assert others == sorted(others, key=lambda other: other.starts_at)


@pytest.mark.parametrize("role", ["coordinator", "police_rep"])
def test_the_case_list_reads_and_makes_no_phone(people, repeat_agenda, role, settings):
    """The case list shows no phone number: the coordinator's compiled reads do not read
    the phones, and no entry carries one (sealed or not), for any reader."""
    # The SQL itself, not the name it is prepared under on PostgreSQL.
    settings.OPENMARAC_PREPARED_STATEMENTS = False
    user = people[role]
    with CaptureQueriesContext(connection) as queries:
        entries = selectors.case_list(user=user, meeting=repeat_agenda)
    shown = [person for entry in entries for _rp, person in (*entry.victim, *entry.perpetrators, *entry.children)]
    assert shown and all(person.phones == [] for person in shown)
    if role == "coordinator":
        assert not any("people_phone" in query["sql"] for query in queries.captured_queries)
    # The addresses are still there, the sealed one as this reader may see it.
    assert any(person.addresses for person in shown)
