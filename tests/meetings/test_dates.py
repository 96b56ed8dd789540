"""Date guards on the meeting's operations: the pure rule (meetings/dates.py), each
guard in its service, and the coordinator's recorded override."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from openmarac.actions import services as action_services
from openmarac.audit.models import AuditEvent
from openmarac.meetings import listing, services
from openmarac.meetings.models import DeclarationSignature
from openmarac.meetings.dates import Operation, earliest_day, too_early

from ..conftest import sign_in

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
leads = st.integers(min_value=0, max_value=31)


@given(meeting_day=days, today=days, lead_days=leads, operation=st.sampled_from(Operation))
def test_an_operation_is_too_early_exactly_before_its_earliest_day(meeting_day, today, lead_days, operation):
    earliest = earliest_day(operation, meeting_day=meeting_day, lead_days=lead_days)
    refusal = too_early(operation, meeting_day=meeting_day, today=today, lead_days=lead_days)
    assert bool(refusal) == (today < earliest)
    if refusal:
        assert f"{earliest:%-d %B %Y}" in refusal


@given(meeting_day=days, lead_days=leads)
def test_publication_opens_lead_days_before_and_the_rest_on_the_day(meeting_day, lead_days):
    # The lead time before the meeting, moved back off a weekend (issue 12).
    publication = earliest_day(Operation.PUBLISH, meeting_day=meeting_day, lead_days=lead_days)
    unadjusted = meeting_day - timedelta(days=lead_days)
    assert publication.weekday() < 5 and unadjusted - timedelta(days=2) <= publication <= unadjusted
    for operation in (Operation.REGISTER, Operation.HEAR, Operation.CLOSE, Operation.MINUTES):
        assert earliest_day(operation, meeting_day=meeting_day, lead_days=lead_days) == meeting_day
    # On the meeting day everything is allowed; the day before, none of the meeting's own steps.
    assert not any(too_early(op, meeting_day=meeting_day, today=meeting_day, lead_days=lead_days) for op in Operation)
    eve = meeting_day - timedelta(days=1)
    assert all(too_early(op, meeting_day=meeting_day, today=eve, lead_days=lead_days) for op in Operation if op is not Operation.PUBLISH)


@given(meeting_day=days, today=days, lead_days=leads)
def test_publication_is_never_later_than_the_meeting_s_own_steps(meeting_day, today, lead_days):
    if not too_early(Operation.HEAR, meeting_day=meeting_day, today=today, lead_days=lead_days):
        assert not too_early(Operation.PUBLISH, meeting_day=meeting_day, today=today, lead_days=lead_days)


@pytest.fixture
def guarded(settings):
    settings.OPENMARAC_DATE_GUARDS = True


@pytest.fixture
def listed(marac, people, refer, meeting):
    """The meeting three weeks ahead with one case listed."""
    item = services.referral_list(by=people["coordinator"], referral=refer(), meeting=meeting)
    return item


def test_a_case_list_cannot_be_published_before_its_day(guarded, marac, people, listed, meeting):
    with pytest.raises(ValidationError, match="too early to publish the case list"):
        services.meeting_publish(by=people["coordinator"], meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.published_at is None
    opens = meeting.starts_at - timedelta(days=marac.case_list_lead_days)
    with freeze_time(opens + timedelta(minutes=1)):
        services.meeting_publish(by=people["coordinator"], meeting=meeting)
    assert meeting.published_at is not None


def test_the_coordinator_records_why_and_publishes_early(guarded, marac, people, listed, meeting):
    services.date_override_record(by=people["coordinator"], meeting=meeting, operations=[Operation.PUBLISH], reason="Meeting brought forward")
    services.meeting_publish(by=people["coordinator"], meeting=meeting)
    assert meeting.published_at is not None
    assert AuditEvent.objects.filter(summary__contains="Meeting brought forward").exists()
    # Only what was recorded goes ahead early.
    with pytest.raises(ValidationError, match="too early to take the register"):
        services.attendance_save(by=people["chair"], meeting=meeting, rows=[{"agency": people["police_rep"].agency_id, "status": "present"}])


@pytest.mark.parametrize("role", ["chair", "housing_rep", "idva"])
def test_only_the_coordinator_records_an_override(guarded, people, listed, meeting, role):
    with pytest.raises(PermissionDenied):
        services.date_override_record(by=people[role], meeting=meeting, operations=[Operation.PUBLISH], reason="Because")
    assert not meeting.date_overrides.exists()


def test_an_override_needs_a_reason(guarded, people, listed, meeting):
    with pytest.raises(ValidationError):
        services.date_override_record(by=people["coordinator"], meeting=meeting, operations=[Operation.PUBLISH], reason="  ")


def test_register_hearing_closing_and_minutes_wait_for_the_day(guarded, people, listed, meeting):
    services.date_override_record(by=people["coordinator"], meeting=meeting, operations=[Operation.PUBLISH], reason="Early")
    services.meeting_publish(by=people["coordinator"], meeting=meeting)
    hearing = action_services.hearing_for(listed)
    chair = people["chair"]
    with pytest.raises(ValidationError, match="take the register"):
        services.attendance_save(by=chair, meeting=meeting, rows=[{"agency": people["police_rep"].agency_id, "status": "present"}])
    with pytest.raises(ValidationError, match="record the cases"):
        action_services.hearing_save(by=chair, hearing=hearing, version=hearing.version, minutes="Heard early")
    with pytest.raises(ValidationError, match="close cases"):
        action_services.hearing_close(by=chair, hearing=hearing, reason="Idva away", children_reason="Confirmed after the meeting")
    with pytest.raises(ValidationError, match="publish the minutes"):
        action_services.minutes_publish(by=people["coordinator"], meeting=meeting)
    hearing.refresh_from_db()
    meeting.refresh_from_db()
    assert hearing.minutes == "" and hearing.closed_at is None and meeting.minutes_published_at is None
    assert not meeting.attendance.exists()
    # On the day, all of it goes ahead.
    with freeze_time(meeting.starts_at):
        services.attendance_save(by=chair, meeting=meeting, rows=[{"agency": people["police_rep"].agency_id, "status": "present"}])
        hearing = action_services.hearing_save(by=chair, hearing=hearing, version=hearing.version, minutes="Heard")
        action_services.hearing_close(by=chair, hearing=hearing, reason="Idva away", children_reason="Confirmed after the meeting")
        action_services.minutes_publish(by=people["coordinator"], meeting=meeting)
    assert meeting.minutes_published_at is not None


def test_a_recorded_override_lets_the_meeting_run_early(guarded, people, listed, meeting):
    services.date_override_record(
        by=people["coordinator"], meeting=meeting, reason="Brought forward: the chair is in court on the day",
        operations=[Operation.PUBLISH, Operation.REGISTER, Operation.HEAR, Operation.CLOSE, Operation.MINUTES],
    )
    assert services.early_operations(meeting) == []
    services.meeting_publish(by=people["coordinator"], meeting=meeting)
    hearing = action_services.hearing_for(listed)
    services.attendance_save(by=people["chair"], meeting=meeting, rows=[{"agency": people["police_rep"].agency_id, "status": "present"}])
    hearing = action_services.hearing_save(by=people["chair"], hearing=hearing, version=hearing.version, minutes="Heard early")
    action_services.hearing_close(by=people["chair"], hearing=hearing, reason="Idva away", children_reason="Confirmed after the meeting")
    action_services.minutes_publish(by=people["coordinator"], meeting=meeting)
    assert meeting.minutes_published_at is not None


def test_the_meeting_page_offers_the_override_and_it_is_recorded(guarded, client, people, listed, meeting):
    sign_in(client, people["coordinator"])
    services.declaration_sign(by=people["coordinator"], meeting=meeting)
    page = client.get(f"/meetings/{meeting.public_id}/").content.decode()
    assert "Not yet possible" in page and "Record why and go ahead" in page
    client.post(f"/meetings/{meeting.public_id}/", {"action": "publish"})
    meeting.refresh_from_db()
    assert meeting.published_at is None
    response = client.post(f"/meetings/{meeting.public_id}/early/", {"operations": ["publish"], "reason": "Bank holiday next week"})
    assert response.status_code == 302
    client.post(f"/meetings/{meeting.public_id}/", {"action": "publish"})
    meeting.refresh_from_db()
    assert meeting.published_at is not None
    assert "Bank holiday next week" in client.get(f"/meetings/{meeting.public_id}/").content.decode()


def test_an_empty_override_says_what_is_missing_in_sentences(guarded, client, people, listed, meeting):
    # The walk-through read "Choose an answer to “What goes ahead early” Answer “Why”".
    sign_in(client, people["coordinator"])
    services.declaration_sign(by=people["coordinator"], meeting=meeting)
    page = client.post(f"/meetings/{meeting.public_id}/early/", {}, follow=True).content.decode()
    assert "Choose the steps that go ahead early. Say why they go ahead early" in page
    assert not meeting.date_overrides.exists()


def test_the_override_page_refuses_anyone_but_the_coordinator(guarded, client, people, listed, meeting):
    sign_in(client, people["chair"])
    response = client.post(f"/meetings/{meeting.public_id}/early/", {"operations": ["publish"], "reason": "Chair says so"})
    assert response.status_code == 404
    assert not meeting.date_overrides.exists()


def test_automatic_publication_is_not_held_back(guarded, people, listed, meeting):
    with freeze_time(meeting.starts_at - timedelta(days=meeting.marac.case_list_lead_days) + timedelta(minutes=1)):
        assert services.publish_due(now=timezone.now()) == [meeting]


def test_the_refusal_says_where_to_go_ahead_sooner():
    # The walk-through: the coordinator, already on the meeting page, was told that "the
    # coordinator records why on the meeting page", without saying where on it.
    refusal = too_early(Operation.PUBLISH, meeting_day=date(2026, 12, 15), today=date(2026, 11, 30), lead_days=8)
    assert "“Steps not yet possible, and going ahead early”" in refusal


def test_the_meeting_page_names_the_early_steps_plainly(guarded, client, people, listed, meeting):
    # The walk: "Steps before their day" did not say what the list was.
    page = sign_in(client, people["coordinator"])
    DeclarationSignature.objects.create(meeting=meeting, user=people["coordinator"], statement="x")
    body = page.get(f"/meetings/{meeting.public_id}/").content.decode()
    assert "Steps not yet possible, and going ahead early" in body and "Steps before their day" not in body


@given(meeting_day=st.dates(min_value=date(2026, 1, 1), max_value=date(2031, 12, 31)), lead_days=leads, nation=st.sampled_from(sorted(listing.HOLIDAY_SUBDIVISIONS)))
def test_the_publication_day_is_a_working_day_shortly_before_the_lead_time(meeting_day, lead_days, nation):
    closed = listing.days_off(nation, (meeting_day.year - 1, meeting_day.year))
    publication = earliest_day(Operation.PUBLISH, meeting_day=meeting_day, lead_days=lead_days, closed=closed)
    unadjusted = meeting_day - timedelta(days=lead_days)
    assert publication.weekday() < 5 and publication not in closed
    assert unadjusted - timedelta(days=7) <= publication <= unadjusted


def test_a_case_list_due_on_good_friday_publishes_itself_the_day_before(people, marac):
    # Case lists go out 8 days ahead: for Saturday 3 April 2027 that is Good Friday.
    meeting = services.meeting_add(by=people["coordinator"], marac=marac, starts_at=timezone.make_aware(timezone.datetime(2027, 4, 3, 10, 0)))
    assert services.case_list_day(meeting) == date(2027, 3, 25)
    with freeze_time(timezone.make_aware(timezone.datetime(2027, 3, 25, 10, 1))):
        assert services.publish_due(now=timezone.now()) == [meeting]
