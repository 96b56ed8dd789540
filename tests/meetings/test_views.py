import subprocess

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from openmarac.accounts.models import Role
from openmarac.audit.models import AuditEvent
from openmarac.meetings import services

from ..conftest import sign_in
from ..factories import marac_with_core_agencies, member

SEALED = "Safe House 4, Hidden Close"


@pytest.fixture
def published(marac, people, refer, meeting):
    referral = refer(children=2)
    referral.case.victim.addresses.update(line_1=SEALED, is_sealed=True)
    services.referral_list(by=people["coordinator"], referral=referral, meeting=meeting)
    services.meeting_publish(by=people["coordinator"], meeting=meeting)
    return meeting, referral


def _client(user):
    return sign_in(Client(), user)


def test_attendees_sign_the_declaration_before_seeing_case_material(people, published):
    meeting, referral = published
    client = _client(people["housing_rep"])
    url = reverse("meetings:meeting", args=[meeting.public_id])
    response = client.get(url)
    assert response.status_code == 302 and "/declaration/" in response.url
    page = client.get(response.url).content.decode()
    assert "Confidentiality declaration" in page
    response = client.post(response.url, {"agree": "yes"})
    assert response.url == url
    body = client.get(url).content.decode()
    assert referral.case.reference in body
    assert SEALED not in body and "Sealed: shown only to the coordinator and the Idva" in body
    assert AuditEvent.objects.filter(actor=people["housing_rep"], action="viewed", record_type="meetings.meeting").exists()


def test_declaration_needs_the_box_ticked(people, published):
    meeting, _ = published
    client = _client(people["housing_rep"])
    response = client.post(reverse("meetings:declaration", args=[meeting.public_id]), {})
    assert response.status_code == 200 and "Tick the box" in response.content.decode()


def test_unpublished_case_list_is_not_found_for_representatives(marac, people, refer, meeting):
    services.referral_list(by=people["coordinator"], referral=refer(), meeting=meeting)
    assert _client(people["housing_rep"]).get(reverse("meetings:meeting", args=[meeting.public_id])).status_code == 404


def test_a_representative_of_another_marac_cannot_see_the_case_list(other_marac, published):
    meeting, _ = published
    marac_with_core_agencies(other_marac)
    outsider = member(other_marac, Role.REPRESENTATIVE)
    client = _client(outsider)
    for name in ["meeting", "case-list-pdf", "research", "declaration", "meeting-ics"]:
        assert client.get(reverse(f"meetings:{name}", args=[meeting.public_id])).status_code == 404


def test_case_list_pdf_is_marked_names_its_reader_and_renders(tmp_path, people, published):
    meeting, referral = published
    client = _client(people["housing_rep"])
    client.post(reverse("meetings:declaration", args=[meeting.public_id]), {"agree": "yes"})
    response = client.get(reverse("meetings:case-list-pdf", args=[meeting.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "case-list.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.count("\f")
    assert text.count("OFFICIAL-SENSITIVE") >= 2 * max(pages, 1)
    assert f"Produced for {people['housing_rep'].full_name} ({people['housing_rep'].agency}) on" in text
    assert referral.case.reference in text and SEALED not in text
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True)
    assert list(tmp_path.glob("page*.png"))
    assert AuditEvent.objects.filter(actor=people["housing_rep"], action="exported", record_type="meetings.meeting").exists()


def test_the_coordinator_sees_sealed_values_on_the_case_list(people, published):
    meeting, _ = published
    client = _client(people["coordinator"])
    client.post(reverse("meetings:declaration", args=[meeting.public_id]), {"agree": "yes"})
    assert SEALED in client.get(reverse("meetings:meeting", args=[meeting.public_id])).content.decode()


def test_meeting_calendar_carries_no_names(people, published):
    meeting, referral = published
    response = _client(people["housing_rep"]).get(reverse("meetings:meeting-ics", args=[meeting.public_id]))
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == f"{meeting.marac.name} meeting"
    # The whole name: a family name alone can be part of the reader's own (Taylor, Taylor-Richardson).
    victim = referral.case.victim
    assert f"{victim.given_name} {victim.family_name}" not in response.content.decode()
    # Whose copy, and when: on the calendar and in the event a calendar program shows.
    reader = f"Produced for {people['housing_rep'].full_name} ({people['housing_rep'].agency}) on"
    assert str(calendar["x-openmarac-produced-for"]).startswith(reader)
    assert reader in str(event["description"])
    assert AuditEvent.objects.filter(actor=people["housing_rep"], action="exported", summary="Calendar").exists()


def test_agency_slots_list_only_its_cases(people, published):
    meeting, referral = published
    housing = _client(people["housing_rep"])  # housing referred the case
    assert referral.case.reference in housing.get(reverse("meetings:agency-slots", args=[meeting.marac.slug])).content.decode()
    probation = _client(people["probation_rep"])
    assert referral.case.reference not in probation.get(reverse("meetings:agency-slots", args=[meeting.marac.slug])).content.decode()
    calendar = Calendar.from_ical(housing.get(reverse("meetings:agency-slots", args=[meeting.marac.slug]) + "?format=ics").content)
    assert len(calendar.walk("VEVENT")) == 1
    assert str(calendar["x-openmarac-produced-for"]).startswith(f"Produced for {people['housing_rep'].full_name}")
    assert AuditEvent.objects.filter(actor=people["housing_rep"], action="exported", record_type="meetings.slots").exists()


@pytest.mark.parametrize("visible_before, sees", [(True, True), (False, False)])
def test_research_visibility_before_the_meeting_is_the_marac_s_choice(marac, people, published, visible_before, sees):
    meeting, referral = published
    schedule = services.schedule_for(marac)
    schedule.research_visible_before_meeting = visible_before
    schedule.save()
    services.research_save(by=people["housing_rep"], meeting=meeting, referral=referral, data={"facts": "Tenancy warning issued"}, submit=True)
    url = reverse("meetings:research-case", args=[meeting.public_id, referral.public_id])
    for role, expected in [("probation_rep", sees), ("chair", True), ("coordinator", True)]:
        client = _client(people[role])
        client.post(reverse("meetings:declaration", args=[meeting.public_id]), {"agree": "yes"})
        assert ("Tenancy warning issued" in client.get(url).content.decode()) is expected, role


def test_no_trace_sits_below_the_form_and_asks_for_confirmation(people, published):
    meeting, referral = published
    client = _client(people["probation_rep"])
    client.post(reverse("meetings:declaration", args=[meeting.public_id]), {"agree": "yes"})
    url = reverse("meetings:research-case", args=[meeting.public_id, referral.public_id])
    page = client.get(url).content.decode()
    assert page.index("Return research") < page.index("Record no trace")
    response = client.post(url, {"action": "no-trace", "version": 0}, follow=True)
    assert "Confirm that your agency has checked its records" in response.content.decode()
    assert not referral.research.exists()
    response = client.post(url, {"action": "no-trace", "version": 0, "confirm_no_trace": "yes"})
    assert response.status_code == 302
    assert referral.research.get(agency=people["probation_rep"].agency).no_trace


def test_research_form_opens_with_the_case_list_entry_and_a_section_per_person(people, published):
    """The victim, perpetrator and children as the case list gives them, with the
    sealed address shown only as sealed to a representative; then the form's sections."""
    meeting, referral = published
    client = _client(people["housing_rep"])
    client.post(reverse("meetings:declaration", args=[meeting.public_id]), {"agree": "yes"})
    page = client.get(reverse("meetings:research-case", args=[meeting.public_id, referral.public_id])).content.decode()
    victim = referral.case.victim
    assert victim.family_name in page and "What the case list says" in page
    assert SEALED not in page and "Sealed" in page
    for child in referral.people.filter(role="child").select_related("person"):
        assert child.person.family_name in page and f"{child.person.date_of_birth:%-d %b %Y}" in page
    for section in ("The victim", "The perpetrator", "The children", "Your agency’s record"):
        assert f'<h2 class="govuk-fieldset__heading">{section}</h2>' in page


def _researcher(marac, meeting, colleague):
    """A second representative of the same agency, declaration signed."""
    user = member(marac, Role.REPRESENTATIVE, agency_kind=colleague.agency.kind)
    assert user.agency == colleague.agency
    client = _client(user)
    client.post(reverse("meetings:declaration", args=[meeting.public_id]), {"agree": "yes"})
    return client


def test_two_colleagues_research_the_same_case_neither_loses_their_text(marac, people, published):
    meeting, referral = published
    url = reverse("meetings:research-case", args=[meeting.public_id, referral.public_id])
    first = _researcher(marac, meeting, people["housing_rep"])
    second = _researcher(marac, meeting, people["housing_rep"])
    # Both open the empty form (version 0), then both save.
    assert 'name="version" value="0"' in first.get(url).content.decode()
    assert first.post(url, {"action": "save", "version": 0, "facts": "Tenancy warning in May"}).status_code == 302
    response = second.post(url, {"action": "save", "version": 0, "facts": "Rent arrears since March"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Someone else from your agency saved research on this case" in body
    assert "Rent arrears since March" in body  # what the second typed, kept in the form
    assert "Tenancy warning in May" in body  # what the first saved, shown beside it
    research = referral.research.get(agency=people["housing_rep"].agency)
    assert research.facts == "Tenancy warning in May" and research.version == 1
    # Having read both, the second saves again on top of the first, deliberately.
    assert 'name="version" value="1"' in body
    merged = "Tenancy warning in May; rent arrears since March"
    assert second.post(url, {"action": "return", "version": 1, "facts": merged}).status_code == 302
    research.refresh_from_db()
    assert research.facts == merged and research.version == 2 and research.returned_at


def test_no_trace_cannot_overwrite_research_a_colleague_just_saved(marac, people, published):
    meeting, referral = published
    url = reverse("meetings:research-case", args=[meeting.public_id, referral.public_id])
    first = _researcher(marac, meeting, people["housing_rep"])
    second = _researcher(marac, meeting, people["housing_rep"])
    first.post(url, {"action": "return", "version": 0, "facts": "Tenancy warning in May"})
    for stale in ({"version": 0}, {}):
        response = second.post(url, {"action": "no-trace", "confirm_no_trace": "yes", **stale})
        assert "Nothing was recorded" in response.content.decode()
    research = referral.research.get(agency=people["housing_rep"].agency)
    assert not research.no_trace and research.facts == "Tenancy warning in May"


def test_research_form_shows_prompts_for_the_agency_and_the_children(people, published):
    meeting, referral = published
    client = _client(people["housing_rep"])
    client.post(reverse("meetings:declaration", args=[meeting.public_id]), {"agree": "yes"})
    body = client.get(reverse("meetings:research-case", args=[meeting.public_id, referral.public_id])).content.decode()
    assert "Information to bring" in body
    assert "Children" in body


def test_past_meetings_are_listed_with_their_minutes(people, published):
    # The walk-through: once its day had passed, a meeting (and its minutes) could be
    # reached from nowhere in the browser.
    meeting, _ = published
    meeting.starts_at = meeting.starts_at - timezone.timedelta(days=60)
    meeting.minutes_published_at = timezone.now()
    meeting.save()
    url = reverse("meetings:meetings", args=[meeting.marac.slug])
    for role in ("coordinator", "chair", "housing_rep"):
        page = _client(people[role]).get(url).content.decode()
        past = page[page.index("Past meetings"):]
        assert reverse("actions:minutes", args=[meeting.public_id]) in past
        assert "Showing 1 to 1 of 1 past meetings" in past


def test_a_representative_is_not_linked_to_minutes_not_yet_published(people, published):
    meeting, _ = published
    meeting.starts_at = meeting.starts_at - timezone.timedelta(days=60)
    meeting.save()
    url = reverse("meetings:meetings", args=[meeting.marac.slug])
    minutes = reverse("actions:minutes", args=[meeting.public_id])
    rep_page = _client(people["housing_rep"]).get(url).content.decode()
    assert "Not yet published" in rep_page and minutes not in rep_page
    assert minutes in _client(people["coordinator"]).get(url).content.decode()


def test_an_empty_research_form_is_not_returned(marac, people, published):
    """The walk-through returned a blank form by mistake and the grid showed it as
    "Returned": returning needs something written; an agency holding nothing records no trace."""
    meeting, referral = published
    url = reverse("meetings:research-case", args=[meeting.public_id, referral.public_id])
    client = _researcher(marac, meeting, people["housing_rep"])
    response = client.post(url, {"action": "return", "version": 0})
    assert response.status_code == 200
    assert "Write what your agency holds on this case before returning it, or record “no trace” below" in response.content.decode()
    assert not referral.research.filter(returned_at__isnull=False).exists()
    # Saving an empty draft is still allowed, and so is returning what is written.
    assert client.post(url, {"action": "save", "version": 0}).status_code == 302
    assert client.post(url, {"action": "return", "version": 1, "details_correct": "yes"}).status_code == 302
    assert referral.research.get(agency=people["housing_rep"].agency).returned_at


@pytest.mark.parametrize("role, sees_link", [("coordinator", True), ("chair", False)])
def test_the_grid_says_where_to_add_a_missing_representative(people, published, role, sees_link):
    """An agency with nobody to return research: the coordinator is taken to where people
    are added; the chair, who cannot add anyone, is told who can."""
    meeting, _ = published
    client = _client(people[role])
    client.post(reverse("meetings:declaration", args=[meeting.public_id]), {"agree": "yes"})
    page = client.get(reverse("meetings:research", args=[meeting.public_id])).content.decode()
    assert "No representative or Idva to return research or be reminded" in page
    members = reverse("accounts:members", args=[meeting.marac.slug])
    assert (f'href="{members}"' in page.split("No representative or Idva", 1)[1][:400]) is sees_link
    assert ("the coordinator can add one" in page) is not sees_link


def test_research_saying_the_details_are_wrong_is_returned_only_with_the_corrections(marac, people, published):
    meeting, referral = published
    url = reverse("meetings:research-case", args=[meeting.public_id, referral.public_id])
    client = _researcher(marac, meeting, people["housing_rep"])
    response = client.post(url, {"action": "return", "version": 0, "details_correct": "corrected", "facts": "Tenancy since 2019"})
    page = response.content.decode()
    assert response.status_code == 200 and "Write the corrections to the case list’s details, or choose another answer" in page
    assert "Tenancy since 2019" in page  # what was typed is kept
    assert not referral.research.filter(returned_at__isnull=False).exists()
    assert client.post(url, {"action": "save", "version": 0, "details_correct": "corrected"}).status_code == 302  # a draft may wait
    response = client.post(url, {"action": "return", "version": 1, "details_correct": "corrected", "corrections": "Date of birth 3 May 1990"})
    assert response.status_code == 302 and referral.research.get(agency=people["housing_rep"].agency).returned_at
