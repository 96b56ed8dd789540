from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from openmarac.audit.models import AuditEvent
from openmarac.meetings import selectors, services
from openmarac.meetings.models import AgendaItem, DeclarationSignature, Meeting, ResearchReminder
from openmarac.referrals.models import CaseInvolvement, Referral

from ..conftest import sign_in


# A Monday: eight weeks hold four fortnightly Wednesdays, whatever day the suite runs
# (run on a Wednesday, that day itself is a fifth).
@freeze_time("2026-11-30 12:00:00")
def test_generating_meetings_follows_the_pattern_and_is_idempotent(marac, people):
    marac.meeting_cadence = "fortnightly"
    marac.save()
    schedule = services.schedule_for(marac)
    schedule.weekday, schedule.weeks_ahead = 2, 8
    schedule.save()
    first = services.meetings_generate(marac=marac, by=people["coordinator"])
    again = services.meetings_generate(marac=marac, by=people["coordinator"])
    assert len(first) == 4 and again == []
    days = [timezone.localtime(m.starts_at).date() for m in first]
    assert all(d.weekday() == 2 for d in days)
    assert all((b - a).days == 14 for a, b in zip(days, days[1:]))
    assert all(timezone.localtime(m.research_deadline).date() < timezone.localtime(m.starts_at).date() for m in first)


def test_only_the_coordinator_prepares_meetings(marac, people, refer, meeting):
    referral = refer()
    for role in ["chair", "housing_rep", "idva", "governance", "referrer"]:
        with pytest.raises(PermissionDenied):
            services.referral_list(by=people[role], referral=referral, meeting=meeting)
        with pytest.raises(PermissionDenied):
            services.meeting_publish(by=people[role], meeting=meeting)


def test_listing_fills_the_earliest_meeting_then_the_next(marac, people, refer, meeting):
    meeting.capacity = 2
    meeting.save()
    later = services.meeting_add(by=people["coordinator"], marac=marac, starts_at=meeting.starts_at + timedelta(days=14))
    items = [services.referral_list(by=people["coordinator"], referral=refer()) for _ in range(3)]
    assert [i.meeting_id for i in items] == [meeting.pk, meeting.pk, later.pk]
    assert Referral.objects.filter(status=Referral.Status.LISTED).count() == 3


def test_a_full_marac_still_lists_the_case_flagged(marac, people, refer, meeting):
    meeting.capacity = 1
    meeting.save()
    services.referral_list(by=people["coordinator"], referral=refer())
    item = services.referral_list(by=people["coordinator"], referral=refer())
    assert item.meeting_id == meeting.pk
    flags = [entry.flags for entry in selectors.case_list(user=people["coordinator"], meeting=meeting)]
    assert flags[1] == ["Over this meeting’s capacity of 1 cases"]


def test_a_case_heard_after_six_weeks_is_flagged(marac, people, refer, meeting):
    old = refer(referred_on=timezone.localdate() - timedelta(days=30))
    services.referral_list(by=people["coordinator"], referral=old)
    (entry,) = selectors.case_list(user=people["coordinator"], meeting=meeting)
    assert "Heard more than 6 weeks after referral" in entry.flags


def test_listing_without_a_meeting_far_enough_ahead_makes_the_pattern_meetings(marac, people, refer):
    item = services.referral_list(by=people["coordinator"], referral=refer())
    lead = (timezone.localtime(item.meeting.starts_at).date() - timezone.localdate()).days
    assert lead >= marac.case_list_lead_days


def test_publishing_tells_agencies_without_personal_data_and_opens_the_cases_to_them(django_capture_on_commit_callbacks, marac, people, refer, meeting):
    referral = refer(children=1)
    services.referral_list(by=people["coordinator"], referral=referral, meeting=meeting)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_publish(by=people["coordinator"], meeting=meeting)
    recipients = {m.to[0] for m in mail.outbox}
    assert {people["housing_rep"].email, people["police_rep"].email, people["probation_rep"].email, people["chair"].email} <= recipients
    assert people["referrer"].email not in recipients and people["governance"].email not in recipients
    victim = referral.case.victim
    for message in mail.outbox:
        for secret in [victim.given_name, victim.family_name, referral.case.reference]:
            assert secret not in message.body and secret not in message.subject
    involved = set(CaseInvolvement.objects.filter(case=referral.case, reason="agenda").values_list("agency__kind", flat=True))
    assert {"police", "housing", "probation", "childrens_social_care"} <= involved


def test_case_list_publishes_itself_at_the_lead_time(marac, people, refer, meeting):
    services.referral_list(by=people["coordinator"], referral=refer(), meeting=meeting)
    assert services.publish_due() == []
    with freeze_time(meeting.starts_at - timedelta(days=marac.case_list_lead_days)):
        assert services.publish_due() == [meeting]
    meeting.refresh_from_db()
    assert meeting.published_at and meeting.published_by is None


def test_cancelling_relists_the_cases_and_tells_agencies(django_capture_on_commit_callbacks, marac, people, refer, meeting):
    later = services.meeting_add(by=people["coordinator"], marac=marac, starts_at=meeting.starts_at + timedelta(days=7))
    referral = refer()
    services.referral_list(by=people["coordinator"], referral=referral, meeting=meeting)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_cancel(by=people["coordinator"], meeting=meeting, note="Venue unavailable")
    assert AgendaItem.objects.get(referral=referral).meeting == later
    assert any("cancelled" in m.subject for m in mail.outbox)
    assert all("Venue unavailable" not in m.body for m in mail.outbox)  # free text stays out of email
    with pytest.raises(ValidationError):
        services.meeting_cancel(by=people["coordinator"], meeting=later, note="")


def test_moving_a_meeting_moves_its_research_deadline(django_capture_on_commit_callbacks, marac, people, meeting):
    new_time = meeting.starts_at + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_move(by=people["coordinator"], meeting=meeting, starts_at=new_time, note="Chair on leave")
    assert meeting.research_deadline < new_time and meeting.research_deadline > new_time - timedelta(days=5)
    assert any("moved" in m.subject for m in mail.outbox)


def _published(people, refer, meeting, count=2):
    referrals = [refer() for _ in range(count)]
    for referral in referrals:
        services.referral_list(by=people["coordinator"], referral=referral, meeting=meeting)
    services.meeting_publish(by=people["coordinator"], meeting=meeting)
    return referrals


def test_research_matrix_shows_returned_no_trace_missing_and_late(marac, people, refer, meeting):
    first, second = _published(people, refer, meeting)
    services.research_save(by=people["housing_rep"], meeting=meeting, referral=first, data={"last_contact": "Tenancy visit 3 Nov"}, submit=True)
    services.research_save(by=people["police_rep"], meeting=meeting, referral=first, data={"no_trace": True}, submit=True)
    with freeze_time(meeting.research_deadline + timedelta(hours=1)):
        services.research_save(by=people["housing_rep"], meeting=meeting, referral=second, data={"facts": "Rent arrears"}, submit=True)
    matrix = selectors.research_matrix(user=people["coordinator"], meeting=meeting)
    by_agency = {agency.kind: [cell.status for cell in cells] for agency, cells in matrix["rows"]}
    assert by_agency["housing"] == ["returned", "late"]
    assert by_agency["police"] == ["no_trace", "awaited"]
    assert by_agency["probation"] == ["awaited", "awaited"]
    with freeze_time(meeting.research_deadline + timedelta(hours=1)):
        late = {agency.kind: [cell.status for cell in cells] for agency, cells in selectors.research_matrix(user=people["coordinator"], meeting=meeting)["rows"]}
    assert late["police"] == ["no_trace", "missing"] and late["probation"] == ["missing", "missing"]
    # Agencies with no representative or Idva are marked, so the grid can say why nobody is reminded.
    unrepresented = {agency.kind for agency, _ in matrix["rows"] if agency.pk in matrix["unrepresented"]}
    represented = {people[key].agency.kind for key in ("idva", "housing_rep", "childrens_rep", "probation_rep", "police_rep")}
    assert unrepresented and unrepresented == set(by_agency) - represented
    assert selectors.research_matrix(user=people["housing_rep"], meeting=meeting) is None


def test_only_attendee_agencies_research_cases_on_the_list(marac, people, refer, meeting):
    (listed,) = _published(people, refer, meeting, count=1)
    unlisted = refer()
    with pytest.raises(PermissionDenied):
        services.research_save(by=people["housing_rep"], meeting=meeting, referral=unlisted, data={}, submit=True)
    for role in ["referrer", "governance"]:
        with pytest.raises(PermissionDenied):
            services.research_save(by=people[role], meeting=meeting, referral=listed, data={}, submit=True)


def test_reminders_go_once_a_day_to_agencies_missing_research(django_capture_on_commit_callbacks, marac, people, refer, meeting):
    (referral,) = _published(people, refer, meeting, count=1)
    services.research_save(by=people["housing_rep"], meeting=meeting, referral=referral, data={"no_trace": True}, submit=True)
    deadline_day = timezone.localtime(meeting.research_deadline).date()
    assert services.research_reminders_send(today=deadline_day - timedelta(days=5)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.research_reminders_send(today=deadline_day)
        assert services.research_reminders_send(today=deadline_day) == 0
    reminded = {m.to[0] for m in mail.outbox}
    assert people["police_rep"].email in reminded and people["probation_rep"].email in reminded
    assert people["idva"].email in reminded  # the Idva service owes research too
    assert people["housing_rep"].email not in reminded
    assert sent == ResearchReminder.objects.count()
    assert all(referral.case.victim.family_name not in m.body for m in mail.outbox)


def test_a_published_meeting_with_no_cases_owes_no_research(django_capture_on_commit_callbacks, marac, people, refer, meeting):
    # The walk-through found "3 agencies have not returned all research" on the home page
    # for a meeting with an empty case list, and the reminders would have gone too.
    _published(people, refer, meeting, count=0)
    assert services.agencies_missing_research(meeting) == []
    deadline_day = timezone.localtime(meeting.research_deadline).date()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.research_reminders_send(today=deadline_day) == 0
    assert mail.outbox == []


def test_register_and_declaration(marac, people, refer, meeting):
    _published(people, refer, meeting, count=1)
    services.declaration_sign(by=people["housing_rep"], meeting=meeting)
    services.declaration_sign(by=people["housing_rep"], meeting=meeting)
    assert meeting.signatures.count() == 1
    housing_id = people["housing_rep"].agency_id
    services.attendance_save(
        by=people["coordinator"], meeting=meeting,
        rows=[{"agency": housing_id, "status": "present", "name": "H. Rep"}, {"agency": people["probation_rep"].agency_id, "status": "apologies", "information_sent_in_advance": True},
              {"is_observer": True, "name": "Student social worker", "observer_signed": True}],
    )
    register = selectors.register(user=people["coordinator"], meeting=meeting)
    rows = {row["link"].agency_id: row for row in register["rows"]}
    assert rows[housing_id]["attendance"].status == "present" and rows[housing_id]["signatures"]
    assert rows[people["probation_rep"].agency_id]["attendance"].information_sent_in_advance is True
    assert register["observers"][0].observer_signed
    with pytest.raises(PermissionDenied):
        services.declaration_sign(by=people["governance"], meeting=meeting)


def test_a_signature_counts_as_attending_only_by_the_meeting_day_and_before_the_minutes(meeting):
    day = meeting.starts_at
    assert services.signed_at_the_meeting(meeting, day - timedelta(days=3))
    assert services.signed_at_the_meeting(meeting, timezone.localtime(day).replace(hour=23, minute=59))
    assert not services.signed_at_the_meeting(meeting, day + timedelta(days=1))
    # Minutes published early (the coordinator recorded why): a signature after them, even
    # on the day, came too late to be at the meeting.
    meeting.minutes_published_at = day + timedelta(hours=2)
    assert services.signed_at_the_meeting(meeting, day + timedelta(hours=1))
    assert not services.signed_at_the_meeting(meeting, day + timedelta(hours=3))


def test_asynchronous_coordination_has_a_closing_date_and_no_slots(marac, people, refer):
    closing = timezone.now() + timedelta(days=20)
    meeting = services.meeting_add(by=people["coordinator"], marac=marac, starts_at=closing, mode="async")
    assert meeting.research_deadline == closing
    services.referral_list(by=people["coordinator"], referral=refer(), meeting=meeting)
    (entry,) = selectors.case_list(user=people["coordinator"], meeting=meeting)
    assert entry.slot.starts_at is None
    assert Meeting.objects.get(pk=meeting.pk).is_async


def test_cancelling_keeps_opened_hearings_and_review_sections(marac, people, refer, meeting):
    from openmarac.actions.services import hearing_for

    later = services.meeting_add(by=people["coordinator"], marac=marac, starts_at=meeting.starts_at + timedelta(days=7))
    item = services.referral_list(by=people["coordinator"], referral=refer(), meeting=meeting)
    hearing_for(item)  # someone opened the case screen
    services.meeting_cancel(by=people["coordinator"], meeting=meeting, note="Venue unavailable")
    item.refresh_from_db()
    assert item.meeting == later and item.referral.status == Referral.Status.LISTED


def test_research_saved_against_an_old_version_writes_nothing(people, refer, meeting):
    referral = refer()
    services.referral_list(by=people["coordinator"], referral=referral, meeting=meeting)
    services.meeting_publish(by=people["coordinator"], meeting=meeting)
    saved = services.research_save(by=people["housing_rep"], meeting=meeting, referral=referral, data={"facts": "First"}, submit=False, version=0)
    assert saved.version == 1
    events = AuditEvent.objects.count()
    with pytest.raises(services.ResearchConflict) as conflict:
        services.research_save(by=people["housing_rep"], meeting=meeting, referral=referral, data={"facts": "Second"}, submit=True, version=0)
    assert conflict.value.current.facts == "First"
    saved.refresh_from_db()
    assert saved.facts == "First" and saved.version == 1 and saved.returned_at is None
    assert AuditEvent.objects.count() == events


def test_before_the_case_list_is_published_the_grid_says_not_asked_yet_not_missing(client, marac, people, refer, meeting):
    """The walk-through found every agency marked "Missing" in red on a meeting whose
    case list had not gone out: nobody had been asked yet."""
    referral = refer()
    services.referral_list(by=people["coordinator"], referral=referral, meeting=meeting)
    matrix = selectors.research_matrix(user=people["coordinator"], meeting=meeting)
    assert {cell.status for _, cells in matrix["rows"] for cell in cells} == {"not_asked"}
    sign_in(client, people["coordinator"])
    DeclarationSignature.objects.create(meeting=meeting, user=people["coordinator"], statement="x")
    page = client.get(reverse("meetings:research", args=[meeting.public_id])).content.decode()
    assert "Not asked yet" in page and ">Missing<" not in page
    services.meeting_publish(by=people["coordinator"], meeting=meeting)
    matrix = selectors.research_matrix(user=people["coordinator"], meeting=meeting)
    # Asked, but not yet late: "Not yet returned"; "Missing" once the deadline has passed.
    assert {cell.status for _, cells in matrix["rows"] for cell in cells} == {"awaited"}
    meeting.research_deadline = timezone.now() - timedelta(minutes=1)
    matrix = selectors.research_matrix(user=people["coordinator"], meeting=meeting)
    assert {cell.status for _, cells in matrix["rows"] for cell in cells} == {"missing"}


def test_one_meetings_missing_research_is_the_rule_for_many_meetings(marac, people, refer, meeting):
    # agencies_missing_research (one compiled query, for the minutes and the research
    # grid) and agencies_missing_research_by_meeting (the home page's) give one answer.
    def both():
        one = [agency.pk for agency in services.agencies_missing_research(meeting)]
        many = [agency.pk for agency in services.agencies_missing_research_by_meeting([meeting])[meeting.pk]]
        assert one == many
        return one

    assert both() == []  # nothing listed yet: nothing owed
    first, second = _published(people, refer, meeting)
    owing = both()
    assert {people[role].agency_id for role in ("housing_rep", "police_rep", "probation_rep", "idva")} <= set(owing)
    services.research_save(by=people["housing_rep"], meeting=meeting, referral=first, data={"no_trace": True}, submit=True)
    services.research_save(by=people["police_rep"], meeting=meeting, referral=first, data={"no_trace": True}, submit=False)  # not returned
    assert people["housing_rep"].agency_id in both()
    services.research_save(by=people["housing_rep"], meeting=meeting, referral=second, data={"no_trace": True}, submit=True)
    owing = both()
    assert people["housing_rep"].agency_id not in owing and people["police_rep"].agency_id in owing
