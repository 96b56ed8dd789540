"""Subject access requests: the one-month deadline, the bundle and its review marks."""

import calendar
import json
import subprocess
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from openmarac.accounts.models import Role
from openmarac.audit.models import AuditEvent
from openmarac.records import bundle as bundles
from openmarac.records import services
from openmarac.records.models import SubjectAccessRequest
from tests.conftest import sign_in
from tests.factories import member

from .conftest import people_of


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_due_is_one_calendar_month_later(received):
    due = services.due_on_for(received)
    next_month = (received.month % 12) + 1
    assert due.month == next_month and due.year == received.year + (received.month == 12)
    last_day = calendar.monthrange(due.year, due.month)[1]
    # The same day of the next month, or its last day when it has no such day.
    assert due.day == min(received.day, last_day)
    assert 28 <= (due - received).days <= 31


@pytest.mark.parametrize(
    "received, due",
    [
        (date(2025, 1, 31), date(2025, 2, 28)),
        (date(2024, 1, 31), date(2024, 2, 29)),
        (date(2025, 3, 31), date(2025, 4, 30)),
        (date(2025, 12, 15), date(2026, 1, 15)),
        (date(2025, 2, 28), date(2025, 3, 28)),
    ],
)
def test_due_dates_at_the_edges(received, due):
    assert services.due_on_for(received) == due


def test_record_needs_a_name_or_a_person_and_a_past_date(marac, staff):
    with pytest.raises(ValidationError) as error:
        services.sar_record(by=staff["coordinator"], marac=marac, received_on=timezone.localdate() + timedelta(days=1))
    assert set(error.value.message_dict) == {"requester_name", "received_on"}


@pytest.mark.parametrize("role", ["chair", "idva", "housing_rep", "referrer", "governance"])
def test_only_the_coordinator_records_a_request(marac, staff, role):
    with pytest.raises(PermissionDenied):
        services.sar_record(by=staff[role], marac=marac, requester_name="A Person", received_on=timezone.localdate())
    assert not SubjectAccessRequest.objects.exists()


def test_another_maracs_person_cannot_be_linked(marac, other_marac, staff, old_case):
    sar = services.sar_record(by=staff["coordinator"], marac=marac, requester_name="Someone", received_on=timezone.localdate())
    other = member(other_marac, Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        services.sar_link_person(by=other, sar=sar, person=old_case.case.victim)


def test_bundle_holds_everything_about_the_person_and_marks_others_for_review(marac, staff, old_case):
    victim = old_case.case.victim
    services.person_correct(by=staff["coordinator"], person=victim, changes={"language": "Welsh"}, reason="Told the Idva")
    sar = services.sar_record(by=staff["coordinator"], marac=marac, person=victim, received_on=timezone.localdate())
    bundle = bundles.subject_access_bundle(by=staff["coordinator"], sar=sar)

    record = bundle["records"][0]
    assert (record["given_name"], record["family_name"], record["date_of_birth"]) == ("Zephyrine", "Quillfeather", "1979-03-14")
    assert record["addresses"][0]["address"].startswith("17 Wyvernholt Lane")
    assert record["phones"][0]["number"] == "07700 900461"
    assert record["corrections"][0]["new_value"] == "Welsh"
    [referral] = bundle["referrals"]
    assert referral["their_role"] == "Victim" and referral["case_reference"] == old_case.case.reference
    assert referral["reasons"]["review"] == bundles.FREE_TEXT
    others = {o["value"]["name"]: o["review"] for o in referral["other_people"]}
    assert others == {"Balthazar Ormondroyd": bundles.OTHER_PERSON, "Peregrina Quillfeather": bundles.OTHER_PERSON}
    research = {t["field"]: t for t in bundle["research"][0]["text"]}
    assert research["last_contact"]["value"].startswith("Zephyrine Quillfeather rang") and research["last_contact"]["label"] == "Last contact"
    assert bundle["hearings"][0]["minutes"]["review"] == bundles.FREE_TEXT
    # The agreed action, beside the records updates made for each agency at the close.
    (rehouse,) = [a for a in bundle["actions"] if a["description"]["value"].startswith("Rehouse")]
    assert rehouse["about_someone_else"] is False  # for the victim, who asked
    assert bundle["perpetrator_warning"] is False
    assert AuditEvent.objects.filter(record_type="records.subjectaccessrequest", action="exported").count() == 1
    json.dumps(bundle)  # JSON-ready as it is


def test_a_perpetrators_bundle_carries_the_warning_and_marks_the_victim(marac, staff, old_case):
    perpetrator = people_of(old_case.referral, "perpetrator")[0]
    sar = services.sar_record(by=staff["coordinator"], marac=marac, person=perpetrator, received_on=timezone.localdate())
    bundle = bundles.subject_access_bundle(by=staff["coordinator"], sar=sar)
    assert bundle["perpetrator_warning"] is True
    assert {o["value"]["role"] for o in bundle["referrals"][0]["other_people"]} == {"Victim", "Child"}
    assert bundle["actions"][0]["about_someone_else"] is True  # the victim's rehousing


def test_bundle_lists_who_viewed_the_case(client, marac, staff, old_case):
    sign_in(client, staff["chair"])
    assert client.get(reverse("referrals:case", args=[old_case.case.public_id])).status_code == 200
    sar = services.sar_record(by=staff["coordinator"], marac=marac, person=old_case.case.victim, received_on=timezone.localdate())
    viewed = bundles.subject_access_bundle(by=staff["coordinator"], sar=sar)["viewed_by"]
    assert any(v["agency"] == str(staff["chair"].agency) and v["record"] == "referrals.case" and v["what"] == "Viewed the case" for v in viewed)
    # Which organisation looked, not the individual member of staff.
    assert staff["chair"].email not in json.dumps(viewed)


def test_bundle_pdf_and_json_downloads(client, marac, staff, old_case):
    sar = services.sar_record(by=staff["coordinator"], marac=marac, person=old_case.case.victim, received_on=timezone.localdate())
    sign_in(client, staff["coordinator"])
    response = client.get(reverse("records:sar-bundle-json", args=[sar.pk]))
    assert response.status_code == 200 and json.loads(response.content)["records"][0]["given_name"] == "Zephyrine"
    pdf = client.get(reverse("records:sar-bundle-pdf", args=[sar.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_no_bundle_until_the_request_is_linked_to_a_record(client, marac, staff):
    sar = services.sar_record(by=staff["coordinator"], marac=marac, requester_name="Someone", received_on=timezone.localdate())
    sign_in(client, staff["coordinator"])
    assert client.get(reverse("records:sar-bundle-json", args=[sar.pk])).status_code == 404


def test_add_link_and_complete_through_the_pages(client, marac, staff, old_case):
    sign_in(client, staff["coordinator"])
    received = timezone.localdate() - timedelta(days=3)
    response = client.post(reverse("records:sar-add", args=[marac.slug]), {"requester_name": "Zephyrine Q", "received_on": received.isoformat(), "note": "By letter"})
    sar = SubjectAccessRequest.objects.get()
    assert response.status_code == 302 and sar.due_on == services.due_on_for(received)
    found = client.get(reverse("records:sar", args=[sar.pk]), {"q": "zephyrine quill"})
    assert b"Zephyrine Quillfeather" in found.content
    client.post(reverse("records:sar-link", args=[sar.pk]), {"person": old_case.case.victim.pk})
    sar.refresh_from_db()
    assert sar.person == old_case.case.victim
    home = client.get(reverse("core:home"))
    assert f"response due {sar.due_on:%-d %B %Y}".encode() in home.content
    client.post(reverse("records:sar-complete", args=[sar.pk]), {"completed_on": timezone.localdate().isoformat()})
    sar.refresh_from_db()
    assert sar.completed_on == timezone.localdate()
    assert b"Subject access request received" not in client.get(reverse("core:home")).content


def test_bad_input_keeps_what_was_typed(client, marac, staff):
    sign_in(client, staff["coordinator"])
    response = client.post(reverse("records:sar-add", args=[marac.slug]), {"requester_name": "Kept Name", "received_on_day": "31", "received_on_month": "02", "received_on_year": "2025", "note": "Kept note"})
    assert response.status_code == 200
    assert b"must be a real date" in response.content and b"Kept Name" in response.content and b"Kept note" in response.content
    assert not SubjectAccessRequest.objects.exists()
    sar = services.sar_record(by=staff["coordinator"], marac=marac, requester_name="Someone", received_on=timezone.localdate())
    response = client.post(reverse("records:sar-complete", args=[sar.pk]), {"completed_on": (timezone.localdate() - timedelta(days=5)).isoformat()})
    assert response.status_code == 400 and b"between the date received and today" in response.content


def test_request_list_paginates_with_its_total_in_constant_queries(client, marac, staff, django_assert_max_num_queries):
    for i in range(30):
        services.sar_record(by=staff["coordinator"], marac=marac, requester_name=f"Person {i}", received_on=timezone.localdate())
    sign_in(client, staff["coordinator"])
    url = reverse("records:sar-list", args=[marac.slug])
    with django_assert_max_num_queries(25):
        first = client.get(url)
    assert b"Showing 1 to 25 of 30 requests" in first.content
    assert b"Showing 26 to 30 of 30 requests" in client.get(url, {"page": 2}).content


def test_a_bundle_leaves_out_a_record_that_moved_to_another_marac(marac, other_marac, staff):
    # The victim's case moved after the request was linked: their new address is the
    # receiving Marac's to disclose, never the sending Marac's.
    from openmarac.accounts.models import AgencyKind
    from openmarac.referrals import services as referral_services
    from openmarac.referrals import transfer
    from openmarac.synthetic.referrals import ReferralGenerator
    from tests.factories import marac_with_core_agencies

    data = ReferralGenerator(seed=33).referral(marac=marac, referring_agency=staff["referrer"].agency, children=0)
    data.victim.address_line_1 = "4 Larkspur Refuge Road"
    referral = referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False)
    sar = services.sar_record(by=staff["coordinator"], marac=marac, person=referral.case.victim, received_on=timezone.localdate())
    marac_with_core_agencies(other_marac)
    receiving = member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    pending = transfer.transfer_request(by=staff["coordinator"], case=referral.case, to_marac=other_marac, reason="Moved")
    transfer.transfer_decide(by=receiving, transfer=pending, accept=True)

    bundle = bundles.subject_access_bundle(by=staff["coordinator"], sar=sar)
    assert bundle["records"] == [] and bundle["referrals"] == [] and bundle["research"] == []
    assert "Larkspur" not in json.dumps(bundle)
    # It says where the records went, so the requester can be told who answers for them,
    # on the page, in the JSON and in the PDF.
    moved_on = timezone.localdate()
    assert bundle["moved_away"] == [{"to_marac": other_marac.name, "moved_on": moved_on.isoformat()}]
    client = sign_in(Client(), staff["coordinator"])
    page = client.get(reverse("records:sar", args=[sar.pk])).content.decode()
    assert f"Moved to {other_marac.name} on {moved_on:%-d %B %Y}" in page and referral.case.reference not in page
    pdf = client.get(reverse("records:sar-bundle-pdf", args=[sar.pk])).content
    text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode().split())
    assert f"Moved to {other_marac.name} on {moved_on.isoformat()}" in text and "Larkspur" not in text


def test_a_bundle_of_a_record_that_never_moved_says_nothing_of_moves(marac, staff, old_case):
    sar = services.sar_record(by=staff["coordinator"], marac=marac, person=old_case.case.victim, received_on=timezone.localdate())
    assert bundles.subject_access_bundle(by=staff["coordinator"], sar=sar)["moved_away"] == []


def test_a_restricted_case_that_moved_is_not_named_to_a_coordinator_it_is_hidden_from(marac, other_marac, staff):
    from openmarac.accounts.models import AgencyKind
    from openmarac.referrals import restriction, transfer
    from openmarac.referrals import services as referral_services
    from openmarac.synthetic.referrals import ReferralGenerator
    from tests.factories import marac_with_core_agencies

    data = ReferralGenerator(seed=34).referral(marac=marac, referring_agency=staff["referrer"].agency, children=0)
    referral = referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False)
    restriction.case_restrict(by=staff["coordinator"], case=referral.case, reason="The victim works for the council", named_users=[])
    marac_with_core_agencies(other_marac)
    receiving = member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    transfer.transfer_decide(
        by=receiving, accept=True,
        transfer=transfer.transfer_request(by=staff["coordinator"], case=referral.case, to_marac=other_marac, reason="Moved"),
    )
    other_coordinator = member(marac, Role.COORDINATOR)
    sar = services.sar_record(by=other_coordinator, marac=marac, person=referral.case.victim, received_on=timezone.localdate())
    assert bundles.records_moved_away(by=other_coordinator, sar=sar) == []
    assert [move["to_marac"] for move in bundles.records_moved_away(by=staff["coordinator"], sar=sar)] == [other_marac.name]
