from datetime import timedelta

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.actions import services
from openmarac.actions.models import Action
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import DeclarationSignature

from ..conftest import sign_in


def _signed(user, meeting):
    DeclarationSignature.objects.get_or_create(meeting=meeting, user=user, defaults={"statement": "x"})
    return sign_in(Client(), user)


def _action(staff, hearing):
    return services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Management transfer",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=10),
    )


def test_two_sessions_update_the_same_action_one_conflicts_and_keeps_its_text(staff, heard):
    action = _action(staff, heard())
    url = reverse("actions:action", args=[action.pk])
    first, second = sign_in(Client(), staff["housing_rep"]), sign_in(Client(), staff["coordinator"])
    base = {"version": action.version}
    assert first.post(url, {**base, "status": "completed", "completed_on": timezone.localdate().isoformat(), "note": "Done"}).status_code == 302
    response = second.post(url, {**base, "status": "open", "note": "Chased the housing officer twice"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Someone else updated this action" in body and "Chased the housing officer twice" in body
    action.refresh_from_db()
    assert action.status == "completed"


def test_two_sessions_edit_the_minutes_the_second_keeps_its_text(staff, heard):
    hearing = heard()
    meeting = hearing.item.meeting
    url = reverse("actions:hearing", args=[meeting.public_id, hearing.item.pk])
    coordinator, chair = _signed(staff["coordinator"], meeting), _signed(staff["chair"], meeting)
    post = {"action": "save-hearing", "version": hearing.version}
    coordinator.post(url, {**post, "minutes": "Police to apply for a DVPO"})
    response = chair.post(url, {**post, "minutes": "Chair: school to be told"})
    body = response.content.decode()
    assert "Someone else saved a change to this case" in body
    assert "Chair: school to be told" in body and "Police to apply for a DVPO" in body
    hearing.refresh_from_db()
    assert hearing.minutes == "Police to apply for a DVPO"


def test_live_part_shows_what_others_saved(staff, heard):
    hearing = heard()
    meeting = hearing.item.meeting
    watcher = _signed(staff["housing_rep"], meeting)
    live = reverse("actions:hearing-live", args=[meeting.public_id, hearing.item.pk])
    assert "Management transfer" not in watcher.get(live).content.decode()
    _action(staff, hearing)
    assert "Management transfer" in watcher.get(live, HTTP_HX_REQUEST="true").content.decode()


def test_minutes_go_out_as_a_link_without_personal_data(django_capture_on_commit_callbacks, staff, heard):
    hearing = heard()
    meeting = hearing.item.meeting
    services.hearing_save(by=staff["coordinator"], hearing=hearing, version=hearing.version, minutes="Victim to be moved to a refuge")
    _signed(staff["housing_rep"], meeting)
    coordinator = _signed(staff["coordinator"], meeting)
    with django_capture_on_commit_callbacks(execute=True):
        coordinator.post(reverse("actions:minutes", args=[meeting.public_id]), {"confirm": "yes"})
    assert {m.to[0] for m in mail.outbox} == {staff["housing_rep"].email, staff["coordinator"].email}
    victim = hearing.item.referral.case.victim
    for message in mail.outbox:
        assert victim.family_name not in message.body and "refuge" not in message.body
        assert f"/meetings/{meeting.public_id}/minutes/" in message.body
    reader = _signed(staff["probation_rep"], meeting)
    assert "Victim to be moved to a refuge" in reader.get(reverse("actions:minutes", args=[meeting.public_id])).content.decode()


def test_the_minutes_link_only_the_actions_the_reader_may_open(staff, heard):
    # The walk-through: housing, reading the minutes, followed a police action's link to
    # a "Page not found". An action the reader may not open is named without a link.
    hearing = heard()
    meeting = hearing.item.meeting
    own = _action(staff, hearing)
    others = services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["police_rep"].agency, description="Flag the address on police systems",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=10),
    )
    services.minutes_publish(by=staff["coordinator"], meeting=meeting)
    url = reverse("actions:minutes", args=[meeting.public_id])
    housing = _signed(staff["housing_rep"], meeting)
    body = housing.get(url).content.decode()
    assert "Flag the address on police systems" in body and reverse("actions:action", args=[others.pk]) not in body
    assert f'href="{reverse("actions:action", args=[own.pk])}"' in body
    assert housing.get(reverse("actions:action", args=[others.pk])).status_code == 404
    # The coordinator may open every action of the Marac, so every one is linked.
    body = _signed(staff["coordinator"], meeting).get(url).content.decode()
    assert all(f'href="{reverse("actions:action", args=[a.pk])}"' in body for a in (own, others))


def test_each_agency_sees_its_own_summary(staff, heard):
    hearing = heard()
    _action(staff, hearing)
    meeting = hearing.item.meeting
    assert "Management transfer" in _signed(staff["housing_rep"], meeting).get(reverse("actions:agency-summary", args=[meeting.public_id])).content.decode()
    assert "Management transfer" not in _signed(staff["probation_rep"], meeting).get(reverse("actions:agency-summary", args=[meeting.public_id])).content.decode()


def test_your_agencys_actions_mark_the_overdue_ones_and_name_the_case(staff, heard):
    # The walk-through: the home page said "Overdue" while the list showed only "Open",
    # and a representative could not tell which case an action belonged to.
    hearing = heard()
    late, on_time = _action(staff, hearing), _action(staff, hearing)
    Action.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=3), description="Late one")
    client = sign_in(Client(), staff["housing_rep"])
    body = client.get(reverse("actions:mine", args=[hearing.item.meeting.marac.slug])).content.decode()
    assert body.count(">Overdue<") == 1
    assert f"Case {hearing.item.referral.case.reference}" in body
    assert late.is_overdue is False  # the instance read before the update
    late.refresh_from_db()
    assert late.is_overdue and not on_time.is_overdue


def test_a_closed_case_screen_offers_no_forms_to_record_more(staff, heard):
    hearing = heard(children=0)
    services.hearing_close(by=staff["chair"], hearing=hearing, reason="The Idva will confirm by phone")
    meeting = hearing.item.meeting
    body = _signed(staff["chair"], meeting).get(reverse("actions:hearing", args=[meeting.public_id, hearing.item.pk])).content.decode()
    assert "Closed for this meeting" in body
    for form_button in ("Add risk", "Add action", ">Save<"):
        assert form_button not in body


def test_the_minutes_say_whether_they_are_published_and_warn_of_open_cases(staff, heard):
    # The walk-through: the chair could not tell whether the minutes had gone out, and
    # the coordinator could publish them with cases still "Not yet heard", unwarned.
    hearing = heard(children=0)
    meeting = hearing.item.meeting
    url = reverse("actions:minutes", args=[meeting.public_id])
    coordinator_page = _signed(staff["coordinator"], meeting).get(url).content.decode()
    assert "1 case not yet closed" in coordinator_page and "Not yet published. Publishing sends a link" in coordinator_page
    assert "the coordinator publishes the minutes" in _signed(staff["chair"], meeting).get(url).content.decode()
    services.hearing_close(by=staff["chair"], hearing=hearing, reason="The Idva will confirm by phone")
    assert "not yet closed" not in _signed(staff["coordinator"], meeting).get(url).content.decode()


def test_the_minutes_are_published_only_once_the_coordinator_confirms(staff, heard):
    meeting = heard().item.meeting
    coordinator = _signed(staff["coordinator"], meeting)
    url = reverse("actions:minutes", args=[meeting.public_id])
    page = coordinator.get(url).content.decode()
    assert "every agency representative and Idva of" in page and "Publishing cannot be undone" in page
    refused = coordinator.post(url, follow=True).content.decode()
    assert "Confirm that you have checked the minutes" in refused
    meeting.refresh_from_db()
    assert meeting.minutes_published_at is None
    coordinator.post(url, {"confirm": "yes"})
    meeting.refresh_from_db()
    assert meeting.minutes_published_at is not None


def test_the_meetings_outstanding_actions_come_a_page_at_a_time_with_their_total(marac, staff, heard):
    """A Marac that has run for years can have thousands of actions overdue: the chair's
    run-the-meeting page shows them a page at a time, in one order, with the total."""
    hearing = heard(days_ago=20)
    overdue = [
        services.action_add(
            by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description=f"Overdue step {n}",
            for_whom="victim", due_on=timezone.localdate() - timedelta(days=1 + n % 3),
        )
        for n in range(27)
    ]
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=10))
    client = _signed(staff["chair"], meeting)
    url = reverse("actions:run-meeting", args=[meeting.public_id])
    shown = []
    for page_number, expected in ((1, "Showing 1 to 25 of 27 outstanding actions"), (2, "Showing 26 to 27 of 27 outstanding actions")):
        page = client.get(url, {"outstanding": page_number}).content.decode()
        assert expected in page
        shown += [action.pk for action in overdue if reverse("actions:action", args=[action.pk]) + '"' in page]
    assert sorted(shown) == sorted(action.pk for action in overdue)  # each once, on one of the pages


def test_case_screen_of_an_id_no_row_can_have_is_not_found(staff, heard):
    # The chair's item is read by a query compiled once: an id beyond any row's is not
    # found (as the ORM's lookup finds nothing), not a database error.
    hearing = heard()
    meeting = hearing.item.meeting
    for user in (staff["chair"], staff["housing_rep"]):
        client = _signed(user, meeting)
        for view in ("actions:hearing", "actions:hearing-live"):
            assert client.get(reverse(view, args=[meeting.public_id, 2**63])).status_code == 404
            assert client.get(reverse(view, args=[meeting.public_id, hearing.item.pk + 1000])).status_code == 404


def test_run_early_an_action_due_by_the_meeting_but_not_yet_is_not_called_overdue(marac, staff, heard):
    # The walk-through: a meeting run a fortnight early (with the coordinator's reason)
    # called an action due in five days "Open, overdue".
    hearing = heard(days_ago=20)
    for days, description in ((-1, "Past its date"), (5, "Due in five days")):
        services.action_add(
            by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description=description,
            for_whom="victim", due_on=timezone.localdate() + timedelta(days=days),
        )
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=14))
    page = _signed(staff["chair"], meeting).get(reverse("actions:run-meeting", args=[meeting.public_id])).content.decode()
    rows = {row.split("</a>")[0].rsplit(">", 1)[1]: row for row in page.split('<tr class="govuk-table__row">') if "</a>" in row}
    assert "Open, overdue" in rows["Past its date"] and "Open, not yet due" in rows["Due in five days"]


def test_an_action_links_on_to_its_case_and_the_agencys_actions(staff, heard):
    action = _action(staff, heard())
    case_url = reverse("referrals:case", args=[action.case.public_id])
    mine = reverse("actions:mine", args=[action.case.marac.slug])
    for who in ("housing_rep", "coordinator"):
        page = sign_in(Client(), staff[who]).get(reverse("actions:action", args=[action.pk])).content.decode()
        assert f'href="{mine}"' in page
        # The case, only to those who may open it (the case page's own rule).
        opens_case = sign_in(Client(), staff[who]).get(case_url).status_code == 200
        assert (f'href="{case_url}"' in page) == opens_case
