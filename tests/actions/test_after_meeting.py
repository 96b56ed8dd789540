"""After the meeting, everyone who needs to know hears: the minutes reach every agency
present or that sent apologies; the referrer is told when the case is listed and when
it is heard, and sees the outcome written for them; each agency's frontline summary
has every action its staff must know about; the Idva records telling the victim."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.actions import services
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import DeclarationSignature
from openmarac.referrals import services as referral_services
from openmarac.referrals.models import Referral

from ..conftest import sign_in
from ..factories import member


def _signed(user, meeting):
    DeclarationSignature.objects.get_or_create(meeting=meeting, user=user, defaults={"statement": "x"})
    return sign_in(Client(), user)


def _register(staff, meeting, **statuses):
    meeting_services.attendance_save(
        by=staff["coordinator"], meeting=meeting, rows=[{"agency": staff[who].agency_id, "status": status} for who, status in statuses.items()]
    )


def test_minutes_links_reach_agencies_present_or_sending_apologies(django_capture_on_commit_callbacks, marac, staff, heard):
    hearing = heard()
    meeting = hearing.item.meeting
    services.hearing_save(by=staff["coordinator"], hearing=hearing, version=hearing.version, minutes="Move to a refuge in Eastport")
    # Probation sent apologies and children's social care was present; neither signed.
    # Police were absent; housing signed the declaration.
    _register(staff, meeting, probation_rep="apologies", childrens_rep="present", police_rep="absent")
    colleague = member(marac, "representative", agency_kind="probation")
    _signed(staff["housing_rep"], meeting)
    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_publish(by=staff["coordinator"], meeting=meeting)
    recipients = {address for message in mail.outbox for address in message.to}
    assert {staff["probation_rep"].email, colleague.email, staff["childrens_rep"].email, staff["housing_rep"].email} <= recipients
    assert staff["police_rep"].email not in recipients and staff["referrer"].email not in recipients
    victim = hearing.item.referral.case.victim
    for message in mail.outbox:
        assert f"/meetings/{meeting.public_id}/minutes/" in message.body
        for secret in (victim.given_name, victim.family_name, "Eastport", hearing.item.referral.case.reference):
            assert secret not in message.body and secret not in message.subject


def test_only_the_coordinator_publishes_the_minutes(staff, heard):
    meeting = heard().item.meeting
    with pytest.raises(PermissionDenied):
        services.minutes_publish(by=staff["chair"], meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.minutes_published_at is None


def test_the_referrer_is_told_when_listed_and_when_heard_with_no_personal_data(django_capture_on_commit_callbacks, marac, staff, generator):
    referrer = staff["referrer"]
    data = generator.referral(marac=marac, referring_agency=referrer.agency)
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    with django_capture_on_commit_callbacks(execute=True):
        item = meeting_services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
    (listed,) = [m for m in mail.outbox if referrer.email in m.to]
    assert "listed" in listed.subject
    meeting.starts_at = timezone.now() - timedelta(hours=2)
    meeting.save()
    hearing = services.hearing_for(item)
    services.hearing_save(
        by=staff["coordinator"], hearing=hearing, version=hearing.version,
        referrer_summary="Housing will offer a management transfer; tell the tenancy officer to expect the Idva's call.",
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.hearing_close(by=staff["coordinator"], hearing=hearing, reason="The Idva is on leave", children_reason="Confirmed after the meeting")
    (heard_message,) = [m for m in mail.outbox if referrer.email in m.to]
    assert "heard" in heard_message.subject
    for message in (listed, heard_message):
        assert f"/referrals/{referral.public_id}/" in message.body
        for secret in (data.victim.given_name, data.victim.family_name, data.victim.postcode, data.perpetrators[0].data.family_name,
                       referral.case.reference, "management transfer"):
            assert secret not in message.body and secret not in message.subject
    page = sign_in(Client(), referrer).get(reverse("referrals:referral", args=[referral.public_id])).content.decode()
    assert "Housing will offer a management transfer" in page and "The Marac heard the case on" in page


def test_a_referrer_who_has_left_the_marac_is_not_told(django_capture_on_commit_callbacks, marac, staff, generator):
    referrer = staff["referrer"]
    referral = referral_services.referral_record(
        marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency), by=referrer, notify_agencies=False
    )
    referrer.memberships.update(is_active=False)
    referral.refresh_from_db()  # as a later request would read it, without the memberships cached on the user
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
    assert all(referrer.email not in m.to for m in mail.outbox)


def test_the_frontline_summary_has_own_joint_and_household_actions(marac, staff, heard):
    hearing = heard(children=1)
    meeting = hearing.item.meeting
    due = timezone.localdate() + timedelta(days=10)
    add = lambda owner, text, **kw: services.action_add(  # noqa: E731
        by=staff["coordinator"], hearing=hearing, owner_agency=staff[owner].agency, description=text, for_whom="victim", due_on=due, **kw
    )
    add("housing_rep", "Management transfer")
    add("police_rep", "Joint visit with housing", joint_agencies=[staff["housing_rep"].agency])
    school = member(marac, "representative", agency_kind="education")
    add_school = services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=school.agency, description="Designated safeguarding lead to check in daily",
        for_whom="victim", due_on=due,
    )
    # Children's social care holds the children's referral of this case: it works with
    # the household, so it sees every action on it, though it owns none.
    csc = _signed(staff["childrens_rep"], meeting).get(reverse("actions:agency-summary", args=[meeting.public_id])).content.decode()
    assert "Management transfer" in csc and add_school.description in csc
    client = _signed(staff["housing_rep"], meeting)
    url = reverse("actions:agency-summary", args=[meeting.public_id])
    body = client.get(url).content.decode()
    assert "Management transfer" in body and "Joint visit with housing" in body
    assert add_school.description in body
    text = client.get(url + "?format=txt")
    assert text["Content-Type"].startswith("text/plain")
    content = text.content.decode()
    assert "Management transfer" in content and add_school.description in content
    for address in hearing.item.referral.case.victim.addresses.all():
        assert address.postcode not in content
    # Probation, not involved in the first case, sees none of its actions.
    probation = _signed(staff["probation_rep"], meeting).get(url).content.decode()
    assert "Management transfer" not in probation and add_school.description not in probation


def test_the_frontline_summary_reads_a_fixed_number_of_rows(django_assert_max_num_queries, marac, staff, heard):
    hearing = heard()
    meeting = hearing.item.meeting
    client = _signed(staff["housing_rep"], meeting)
    url = reverse("actions:agency-summary", args=[meeting.public_id])

    def add(n):
        for i in range(n):
            services.action_add(
                by=staff["coordinator"], hearing=hearing, owner_agency=staff["police_rep" if i % 2 else "housing_rep"].agency,
                description=f"Action {i}", for_whom="victim", due_on=timezone.localdate() + timedelta(days=5),
            )

    add(2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_idva_records_telling_the_victim_or_why_not(staff, heard):
    hearing = heard()
    meeting = hearing.item.meeting
    idva = staff["idva"]
    with pytest.raises(ValidationError):
        services.victim_told_record(by=idva, hearing=hearing, told=True, told_on=timezone.localdate())  # not closed yet
    services.hearing_close(by=staff["coordinator"], hearing=hearing, reason="Idva on leave", children_reason="Confirmed after the meeting")
    with pytest.raises(ValidationError) as error:
        services.victim_told_record(by=idva, hearing=hearing, told=False, not_told_reason=" ")
    assert "not_told_reason" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.victim_told_record(by=staff["housing_rep"], hearing=hearing, told=True, told_on=timezone.localdate())
    client = _signed(idva, meeting)
    url = reverse("actions:victim-told", args=[meeting.public_id, hearing.item_id])
    response = client.post(url, {"told": "yes", "told_on": ""})
    assert "Enter the date the victim was told" in response.content.decode()
    response = client.post(url, {"told": "no", "not_told_reason": "He reads her messages; the Idva will see her at the GP surgery."})
    assert response.status_code == 302
    hearing.refresh_from_db()
    assert hearing.victim_told_of_plan is False and "GP surgery" in hearing.victim_not_told_reason
    assert hearing.victim_told_recorded_by == idva
    idva_page = client.get(reverse("referrals:idva-referral", args=[hearing.item.referral.idva_referral.pk])).content.decode()
    assert "not told" in idva_page and url in idva_page


def test_without_a_summary_the_referrer_is_not_sent_to_a_page_they_cannot_open(marac, staff, generator):
    # The walk-through: "they are on your agency's actions page" led a referrer, who has
    # no such page, nowhere; a representative who refers gets the link itself.
    for person, expected in ((staff["referrer"], "Ask your agency’s Marac representative"), (staff["housing_rep"], reverse("actions:mine", args=[marac.slug]))):
        data = generator.referral(marac=marac, referring_agency=person.agency)
        referral = referral_services.referral_record(marac=marac, data=data, by=person, notify_agencies=False)
        Referral.objects.filter(pk=referral.pk).update(status=Referral.Status.HEARD, heard_on=timezone.localdate())
        page = sign_in(Client(), person).get(reverse("referrals:referral", args=[referral.public_id])).content.decode()
        assert "The chair has not written an outcome for you" in page and expected in page


@pytest.mark.parametrize("actor, sees_link_before_publication", [("coordinator", True), ("chair", True), ("housing_rep", False)])
def test_the_case_page_leads_to_the_hearing_minutes(staff, heard, actor, sees_link_before_publication):
    """The case page says when each referral was heard and leads to the minutes and action
    plan: for representatives once published, as on the meetings page."""
    hearing = heard()
    meeting, case = hearing.item.meeting, hearing.item.referral.case
    client = _signed(staff[actor], meeting)
    minutes_url = reverse("actions:minutes", args=[meeting.public_id])
    page = client.get(reverse("referrals:case", args=[case.public_id])).content.decode()
    assert f"Heard on {timezone.localtime(meeting.starts_at):%-d %B %Y}" in page
    assert (minutes_url in page) is sees_link_before_publication
    services.minutes_publish(by=staff["coordinator"], meeting=meeting)
    page = client.get(reverse("referrals:case", args=[case.public_id])).content.decode()
    assert minutes_url in page and client.get(minutes_url).status_code == 200


def test_the_case_page_says_which_meeting_a_referral_is_listed_for(staff, heard):
    hearing = heard()
    meeting = hearing.item.meeting
    meeting.starts_at = timezone.now() + timedelta(days=10)
    meeting.save()
    page = _signed(staff["housing_rep"], meeting).get(reverse("referrals:case", args=[hearing.item.referral.case.public_id])).content.decode()
    assert f"Listed for the meeting of {timezone.localtime(meeting.starts_at):%-d %B %Y}" in page
