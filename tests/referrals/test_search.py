"""Finding a case (issue 12): by name, alias, reference or date of birth; only the
cases the user may open, never counted otherwise; paginated with its total; audited
without the words searched for; the same queries for 30 results or 60, and one fewer
when they fit on one page."""

from datetime import date, timedelta
from itertools import count
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openmarac.accounts.models import Role
from openmarac.audit.models import AuditEvent
from openmarac.meetings import services as meeting_services
from openmarac.people.models import Address, Alias, Person
from openmarac.referrals import restriction, selectors, services
from openmarac.referrals.forms import CaseSearchForm
from openmarac.referrals.models import BreakGlassGrant, Case, CaseInvolvement, Referral, ReferralPerson

from ..conftest import sign_in
from ..factories import member

SEARCH = reverse("referrals:search")
_numbers = count(1)


def _case(marac, victim=("Jane", "Smith"), perpetrator=("Mark", "Jones"), *, dob=None, agencies=(), status=Referral.Status.AWAITING_LISTING, last_heard_on=None):
    """A case with one referral naming its victim and perpetrator, known to `agencies`."""
    number = next(_numbers)
    victim = Person.objects.create(marac=marac, given_name=victim[0], family_name=victim[1], date_of_birth=dob)
    perpetrator = Person.objects.create(marac=marac, given_name=perpetrator[0], family_name=perpetrator[1])
    case = Case.objects.create(marac=marac, reference=f"{marac.slug[:4].upper()}-2026-{number:04d}", victim=victim, last_heard_on=last_heard_on)
    referral = Referral.objects.create(marac=marac, case=case, status=status, referred_on=date.today(), submitted_at=timezone.now())
    ReferralPerson.objects.create(referral=referral, person=victim, role=ReferralPerson.Role.VICTIM)
    ReferralPerson.objects.create(referral=referral, person=perpetrator, role=ReferralPerson.Role.PERPETRATOR)
    for agency in agencies:
        CaseInvolvement.objects.create(case=case, agency=agency, reason=CaseInvolvement.Reason.REFERRED)
    return case


def _search(user, **params):
    response = sign_in(Client(), user).get(SEARCH, params)
    return response, response.context["page"] if response.status_code == 200 else None


def _found(user, **params):
    response, page = _search(user, **params)
    assert response.status_code == 200
    return sorted(case.reference for case in page.paginator.object_list) if page is not None else None


@pytest.fixture
def cases(staff, marac, other_marac):
    housing = staff["housing_rep"].agency
    return {
        # Housing referred this one; nobody else's agency is involved.
        "housing": _case(marac, ("Jane", "Smith"), ("Mark", "Jones"), dob=date(1990, 4, 3), agencies=[housing]),
        # The Idva service holds this one.
        "idva": _case(marac, ("Aisha", "Goldsmith"), ("Paul", "Brown"), agencies=[staff["idva"].agency]),
        # Another Marac's case, with the same names.
        "elsewhere": _case(other_marac, ("Jane", "Smith"), ("Mark", "Jones"), dob=date(1990, 4, 3)),
    }


# --- Who finds what --------------------------------------------------------------------

FOUND_BY_ROLE = {
    "coordinator": {"housing", "idva"},
    "chair": {"housing", "idva"},
    "housing_rep": {"housing"},
    "idva": {"idva"},
    "probation_rep": set(),  # in the Marac, but its agency has no part in either case
    "childrens_rep": set(),
}


@pytest.mark.parametrize("role", sorted(FOUND_BY_ROLE))
def test_each_role_finds_only_the_cases_it_may_open(staff, cases, role):
    found = _found(staff[role], q="smith")
    assert found == sorted(cases[name].reference for name in FOUND_BY_ROLE[role])
    # Nor by reference: a case the user may not open is not found by typing its number.
    for name, case in cases.items():
        if name not in FOUND_BY_ROLE[role]:
            assert _found(staff[role], q=case.reference) == []


@pytest.mark.parametrize("role", ["referrer", "governance"])
def test_roles_that_never_open_a_case_get_no_search(staff, cases, role):
    response, _ = _search(staff[role], q="smith")
    assert response.status_code == 404
    assert 'id="header-search"' not in sign_in(Client(), staff[role]).get(reverse("core:home")).content.decode()


def test_the_system_administrator_gets_no_search(system_admin, cases):
    assert _search(system_admin, q="smith")[0].status_code == 404


def test_another_marac_s_cases_never_appear(staff, cases, other_marac):
    other_coordinator = member(other_marac, Role.COORDINATOR)
    assert _found(staff["coordinator"], q="Jane Smith") == [cases["housing"].reference]
    assert _found(staff["coordinator"], q=cases["elsewhere"].reference) == []
    assert _found(other_coordinator, q="Jane Smith") == [cases["elsewhere"].reference]
    assert _found(other_coordinator, q=cases["housing"].reference) == []


def test_the_search_box_is_in_the_header_for_those_who_may_search(staff):
    page = sign_in(Client(), staff["housing_rep"]).get(reverse("core:home")).content.decode()
    assert f'action="{SEARCH}"' in page and 'id="header-search"' in page


# --- What is matched -------------------------------------------------------------------


@pytest.mark.parametrize(
    "q, names",
    [
        ("smith", {"housing", "idva"}),  # part of a family name, any case
        ("JAN", {"housing"}),
        ("jane smith", {"housing"}),  # every word, in the given or the family name
        ("smith jane", {"housing"}),
        ("goldSM", {"idva"}),
        ("jones", {"housing"}),  # the perpetrator
        ("Paul Brown", {"idva"}),
        ("03/04/1990", {"housing"}),  # a date of birth typed into the box
        ("3-4-1990", {"housing"}),
        ("smith 03/04/1990", {"housing"}),
        ("goldsmith 03/04/1990", set()),
        ("zz", set()),
        # A word of one or two letters: the start of a given or family name only.
        ("sm", {"housing"}),  # Smith, not Goldsmith
        ("SM", {"housing"}),
        ("go", {"idva"}),
        ("mi", set()),  # in Smith, but the start of no name
        ("j smith", {"housing"}),  # Jane (and Jones)
        ("a go", {"idva"}),  # Aisha Goldsmith
        ("jane br", set()),  # Brown is not Jane's case's
        ("ol sm", set()),
    ],
)
def test_names_and_dates_of_birth_are_matched(staff, cases, q, names):
    assert _found(staff["coordinator"], q=q) == sorted(cases[name].reference for name in names)


def test_a_short_word_matches_the_start_of_an_alias_too(staff, cases):
    Alias.objects.create(person=cases["idva"].victim, given_name="Jay", family_name="Okafor")
    assert _found(staff["coordinator"], q="ok") == [cases["idva"].reference]
    assert _found(staff["coordinator"], q="ka") == []


def test_a_reference_is_matched_exactly_whatever_its_case(staff, cases):
    reference = cases["housing"].reference
    assert _found(staff["coordinator"], q=reference.lower()) == [reference]
    assert _found(staff["coordinator"], q=f"  {reference}  ") == [reference]
    assert _found(staff["coordinator"], q=reference[:-1]) == []  # not a prefix search


def test_a_date_of_birth_in_the_date_input(staff, cases):
    found = _found(staff["coordinator"], date_of_birth_day="3", date_of_birth_month="4", date_of_birth_year="1990")
    assert found == [cases["housing"].reference]
    assert _found(staff["coordinator"], q="jane", date_of_birth_day="3", date_of_birth_month="4", date_of_birth_year="1991") == []


def test_a_name_the_person_is_also_known_by_is_matched(staff, cases):
    Alias.objects.create(person=cases["idva"].victim, given_name="Jay", family_name="Okafor")
    assert _found(staff["coordinator"], q="okafor") == [cases["idva"].reference]
    assert _found(staff["coordinator"], q="jay okafor") == [cases["idva"].reference]


def test_addresses_are_never_searched_or_shown(staff, cases):
    Address.objects.create(person=cases["housing"].victim, line_1="7 Quillmoor Close", postcode="NS1 1AA", is_sealed=True)
    assert _found(staff["coordinator"], q="Quillmoor") == []
    response, _ = _search(staff["coordinator"], q="jane smith")
    assert "Quillmoor" not in response.content.decode()


def test_a_merged_case_leads_to_the_case_it_joined(staff, cases, marac):
    merged = _case(marac, ("Jane", "Smith"), ("Mark", "Jones"))
    Case.objects.filter(pk=merged.pk).update(status=Case.Status.MERGED, merged_into=cases["housing"])
    assert _found(staff["coordinator"], q="jane smith") == [cases["housing"].reference]
    # Its own reference is still found, and its page leads on to the case it joined.
    assert _found(staff["coordinator"], q=merged.reference) == [merged.reference]


# --- Restricted cases ------------------------------------------------------------------


def test_a_restricted_case_is_found_only_by_the_people_named_on_it(staff, cases, marac):
    restricting = member(marac, Role.COORDINATOR)
    case = cases["housing"]
    restriction.case_restrict(by=restricting, case=case, reason="The perpetrator works for a member agency", named_users=[staff["chair"]])
    # Neither found nor counted by anyone not named, even by its reference.
    for role in ("coordinator", "housing_rep"):
        response, page = _search(staff[role], q="smith")
        assert case.reference not in response.content.decode()
        assert case.reference not in [c.reference for c in page.paginator.object_list]
        assert _found(staff[role], q=case.reference) == []
    assert _found(staff["coordinator"], q="jane smith") == []
    assert "0 cases found" in _search(staff["coordinator"], q="jane smith")[0].content.decode()
    assert _found(staff["chair"], q="jane smith") == [case.reference]
    assert _found(restricting, q="jane smith") == [case.reference]
    # Live break-glass access opens it, and so finds it, until it expires.
    grant = BreakGlassGrant.objects.create(
        case=case, user=staff["coordinator"], reason="Urgent call", granted_at=timezone.now(), expires_at=timezone.now() + timedelta(hours=1)
    )
    assert _found(staff["coordinator"], q="jane smith") == [case.reference]
    BreakGlassGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert _found(staff["coordinator"], q="jane smith") == []


# --- Messages --------------------------------------------------------------------------


def test_the_page_opens_with_an_empty_form_and_no_message(staff):
    response, page = _search(staff["coordinator"])
    body = response.content.decode()
    assert page is None and "There is a problem" not in body and "Find a case" in body


@pytest.mark.parametrize(
    "params, message",
    [
        ({"q": ""}, "Enter a name, a case reference or a date of birth"),
        ({"q": "   "}, "Enter a name, a case reference or a date of birth"),
        ({"q": "j"}, "Enter at least 2 characters of a name or case reference"),
        ({"q": "31/02/1990"}, "Enter a real date of birth, for example 03/04/1990"),
        ({"q": "01/01/1990 02/02/1990"}, "Enter one date of birth"),
        ({"q": "smith 42"}, "Enter a name, a case reference or a date of birth such as 03/04/1990"),
        ({"q": "", "date_of_birth_day": "3", "date_of_birth_month": "", "date_of_birth_year": "1990"}, "Date of birth must include a month"),
    ],
)
def test_an_empty_short_or_impossible_search_is_explained(staff, cases, params, message):
    response, page = _search(staff["coordinator"], **params)
    body = response.content.decode()
    assert response.status_code == 200 and page is None
    assert "There is a problem" in body and message in body and "<title>Error: Find a case" in body
    assert not AuditEvent.objects.filter(summary__startswith="Case search").exists()


def test_no_results_says_so(staff, cases):
    body = _search(staff["coordinator"], q="Nobody")[0].content.decode()
    assert "0 cases found" in body and "No case you can open matches" in body
    assert 'value="Nobody"' in body  # what was typed is kept


# --- Results: status, pagination, queries, audit ----------------------------------------


def test_each_row_gives_reference_victim_status_marac_and_a_link(staff, cases):
    case = cases["housing"]
    body = _search(staff["coordinator"], q="jane smith")[0].content.decode()
    assert "1 case found" in body
    assert f'href="{reverse("referrals:case", args=[case.public_id])}">{case.reference}</a>' in body
    assert "Jane Smith" in body and "Awaiting listing" in body and "Northshire Marac" in body


def test_a_listed_case_shows_its_meeting_date(staff, marac, generator):
    referrer = staff["referrer"]
    referral = services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    starts_at = timezone.now() + timedelta(days=20)
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=starts_at)
    meeting_services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
    body = _search(staff["coordinator"], q=referral.case.reference)[0].content.decode()
    assert f"Listed for the meeting of {timezone.localtime(starts_at):%-d %b %Y}" in body


def test_status_words():
    today = date(2027, 6, 1)

    def status(**fields):
        case = SimpleNamespace(**{"status": Case.Status.OPEN, "latest_status": Referral.Status.HEARD, "listed_for": None, "last_heard_on": None, **fields})
        return selectors.case_search_status(case, today)

    assert status(latest_status=Referral.Status.AWAITING_LISTING) == "Awaiting listing"
    assert status(latest_status=Referral.Status.LISTED, listed_for=timezone.make_aware(timezone.datetime(2027, 6, 9, 10))) == "Listed for the meeting of 9 Jun 2027"
    assert status(last_heard_on=date(2027, 5, 4)) == "Heard on 4 May 2027"
    assert status(last_heard_on=date(2026, 6, 1)) == "Heard on 1 Jun 2026"  # 12 months to the day: still active
    assert status(last_heard_on=date(2026, 5, 31)) == "Closed (last heard on 31 May 2026)"
    assert status(status=Case.Status.MERGED) == "Merged into another case"


def test_results_are_paginated_with_their_total(staff, marac):
    for _ in range(30):
        _case(marac, ("Amira", "Hussain"))
    body = _search(staff["coordinator"], q="hussain")[0].content.decode()
    assert "30 cases found" in body and "Showing 1 to 25 of 30 cases" in body and "Page 1 of 2" in body
    response, page = _search(staff["coordinator"], q="hussain", page="2")
    assert len(page.object_list) == 5 and "Showing 26 to 30 of 30 cases" in response.content.decode()


def _queries(client, q):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SEARCH, {"q": q})
    assert response.status_code == 200
    return len(queries), len(response.context["page"].object_list)


def test_the_same_queries_for_30_results_or_60(staff, marac):
    client = sign_in(Client(), staff["coordinator"])
    for _ in range(30):
        _case(marac, ("Olu", "Adeyemi"))
    for _ in range(60):
        _case(marac, ("Beth", "Kowalski"))
    client.get(SEARCH, {"q": "warm"})  # the session and memberships, read once
    fewer, shown_fewer = _queries(client, "adeyemi")
    more, shown_more = _queries(client, "kowalski")
    assert (shown_fewer, shown_more) == (25, 25)
    assert fewer == more


def test_results_that_fit_on_one_page_are_not_counted_again(staff, marac):
    """A first page that is not full holds every result, so it is the count: one query
    fewer than for a full page, and the same total on the page."""
    client = sign_in(Client(), staff["coordinator"])
    for name, how_many in (("Adeyemi", 24), ("Kowalski", 25), ("Nowak", 26)):
        for _ in range(how_many):
            _case(marac, ("Olu", name))
    client.get(SEARCH, {"q": "warm"})  # the session and memberships, read once
    short, shown = _queries(client, "adeyemi")
    full, _ = _queries(client, "kowalski")
    assert shown == 24 and short == full - 1
    for name, total, pages in (("adeyemi", 24, 1), ("kowalski", 25, 1), ("nowak", 26, 2)):
        response = client.get(SEARCH, {"q": name})
        body = response.content.decode()
        assert f"{total} cases found" in body and f"Showing 1 to {min(total, 25)} of {total} cases" in body
        assert response.context["page"].paginator.num_pages == pages


def test_a_search_is_audited_with_its_count_never_its_words(staff, cases, marac):
    _search(staff["coordinator"], q="Smith")
    event = AuditEvent.objects.filter(actor=staff["coordinator"], record_type="referrals.case").latest("id")
    assert event.action == "viewed" and event.marac == marac
    assert event.summary == "Case search by name or case reference: 2 cases found"
    assert "smith" not in (event.summary + event.reason + event.record_id).lower()
    _search(staff["coordinator"], q="03/04/1990")
    assert AuditEvent.objects.filter(actor=staff["coordinator"]).latest("id").summary == "Case search by date of birth: 1 case found"


def test_a_user_of_two_maracs_searches_both_and_each_marac_s_audit_has_its_count(staff, cases, marac, other_marac):
    both = staff["chair"]
    both.memberships.create(marac=other_marac, role=Role.CHAIR, is_active=True)
    assert _found(both, q="jane smith") == sorted([cases["housing"].reference, cases["elsewhere"].reference])
    summaries = dict(AuditEvent.objects.filter(actor=both, summary__startswith="Case search").values_list("marac__slug", "summary"))
    assert summaries == {"northshire": "Case search by name: 1 case found", "southvale": "Case search by name: 1 case found"}


@given(st.text(max_size=40))
def test_any_typing_gives_terms_or_one_message_never_an_exception(q):
    form = CaseSearchForm({"q": q})
    if form.is_valid():
        terms = form.terms()
        assert terms["names"] or terms["reference"] or terms["date_of_birth"]
        assert all(len(word) >= 1 and not any(c.isdigit() for c in word) for word in terms["names"])
    else:
        assert len(form.errors["q"]) == 1


@pytest.mark.django_db
def test_a_short_word_is_read_from_the_names_prefix_indexes(marac):
    """A word of one or two letters reads a range of an index of the Marac's names, not
    every person: SQLite's NOCASE indexes (people 0008), which its LIKE can use, or
    PostgreSQL's UPPER(name) text_pattern_ops ones (people 0007)."""
    for given_name, family_name in (("Jane", "Smith"), ("SMITA", "Patel"), ("Ann", "smart"), ("Osman", "Ali")):
        Person.objects.create(marac=marac, given_name=given_name, family_name=family_name)
    found = Person.objects.filter(selectors.name_word_q("sM"), marac=marac)
    assert sorted(found.values_list("given_name", flat=True)) == ["Ann", "Jane", "SMITA"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            sql, params = found.values("pk").query.sql_with_params()
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "people_person_given_nocase" in plan and "people_person_family_nocase" in plan, plan
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'people_person'")
            assert {"people_person_given_prefix", "people_person_family_prefix"} <= {row[0] for row in cursor.fetchall()}
