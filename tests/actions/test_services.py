from datetime import timedelta
from types import SimpleNamespace

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openmarac.actions import selectors, services
from openmarac.core.language import nudges_for
from openmarac.actions.models import ActionUpdate
from openmarac.actions.prompts import plan_prompts
from openmarac.actions.tasks import send_action_reminders
from openmarac.meetings import services as meeting_services
from openmarac.referrals.models import Referral


def _action(staff, hearing, **extra):
    fields = {
        "owner_agency": staff["housing_rep"].agency,
        "description": "Offer the victim a move to a safe property",
        "for_whom": "victim",
        "due_on": timezone.localdate() + timedelta(days=14),
    }
    fields.update(extra)
    return services.action_add(by=staff["coordinator"], hearing=hearing, **fields)


def test_two_sessions_editing_from_the_same_version_one_wins_the_other_keeps_its_text(staff, heard):
    hearing = heard()
    first = services.hearing_save(by=staff["coordinator"], hearing=hearing, version=hearing.version, minutes="Police to apply for a DVPO.")
    with pytest.raises(services.EditConflict) as conflict:
        services.hearing_save(by=staff["chair"], hearing=hearing, version=hearing.version, minutes="Chair's note")
    assert conflict.value.current.minutes == "Police to apply for a DVPO." and conflict.value.current.version == first.version
    again = services.hearing_save(by=staff["chair"], hearing=hearing, version=conflict.value.current.version, minutes="Chair's note")
    assert again.minutes == "Chair's note"


def test_two_agencies_updating_one_action_from_the_same_version(staff, heard):
    action = _action(staff, heard())
    services.action_report(by=staff["housing_rep"], action=action, version=action.version, status="completed", completed_on=timezone.localdate())
    with pytest.raises(services.EditConflict) as conflict:
        services.action_report(by=staff["coordinator"], action=action, version=action.version, status="open", note="Chased")
    assert conflict.value.current.status == "completed"
    assert list(ActionUpdate.objects.filter(action=action).values_list("status", flat=True)) == ["open", "completed"]


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"due_on": timezone.localdate() - timedelta(days=30)}, "due_on"),
        ({"for_whom": "child"}, "children"),
    ],
)
def test_actions_must_be_smart(staff, heard, fields, problem):
    with pytest.raises(ValidationError) as error:
        _action(staff, heard(), **fields)
    assert problem in error.value.message_dict


def test_only_chair_and_coordinator_record_the_meeting(staff, heard):
    hearing = heard()
    for role in ["housing_rep", "idva", "referrer", "governance"]:
        with pytest.raises(PermissionDenied):
            _action({**staff, "coordinator": staff[role]}, hearing)


def test_a_flag_expires_twelve_months_after_the_meeting(staff, heard):
    hearing = heard()
    action = _action(staff, hearing, kind="flag", description="Flag the tenancy file")
    meeting_day = timezone.localtime(hearing.item.meeting.starts_at).date()
    assert action.flag_expires_on == meeting_day + relativedelta(months=12)


def test_reporting_needs_a_date_or_a_reason_and_is_tracked(staff, heard):
    action = _action(staff, heard())
    with pytest.raises(ValidationError):
        services.action_report(by=staff["housing_rep"], action=action, version=action.version, status="completed")
    with pytest.raises(ValidationError):
        services.action_report(by=staff["housing_rep"], action=action, version=action.version, status="not_possible")
    updated = services.action_report(
        by=staff["housing_rep"], action=action, version=action.version, status="not_possible", not_possible_reason="circumstances_changed", note="She moved area"
    )
    assert updated.status == "not_possible"
    last = ActionUpdate.objects.filter(action=action).last()
    assert last.reported_by == staff["housing_rep"] and last.note == "She moved area"
    with pytest.raises(PermissionDenied):
        services.action_report(by=staff["probation_rep"], action=updated, version=updated.version, status="open")


def test_an_action_cannot_be_completed_before_it_was_agreed(staff, heard):
    """The walk-through recorded an action as completed the day before its meeting: the
    date is refused before the meeting's day, and accepted from it."""
    hearing = heard(days_ago=5)
    met_on = timezone.localtime(hearing.item.meeting.starts_at).date()
    action = _action(staff, hearing)
    with pytest.raises(ValidationError) as error:
        services.action_report(by=staff["housing_rep"], action=action, version=action.version, status="completed", completed_on=met_on - timedelta(days=1))
    assert error.value.message_dict["completed_on"] == [f"The completion date cannot be before the action was agreed, on {met_on:%-d %B %Y}"]
    done = services.action_report(by=staff["housing_rep"], action=action, version=action.version, status="completed", completed_on=met_on)
    assert done.completed_on == met_on


def test_an_action_agreed_early_under_an_override_can_be_completed_from_that_day(staff, heard):
    """A meeting that went ahead early (recorded override): the agency may act at once,
    before the meeting's own date, but not before the action was recorded."""
    hearing = heard()
    meeting = hearing.item.meeting
    action = _action(staff, hearing)
    meeting.starts_at = timezone.now() + timedelta(days=14)
    meeting.save(update_fields=["starts_at"])
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        services.action_report(by=staff["housing_rep"], action=action, version=action.version, status="completed", completed_on=today - timedelta(days=1))
    assert services.action_report(by=staff["housing_rep"], action=action, version=action.version, status="completed", completed_on=today).completed_on == today


def test_closing_without_the_idva_needs_a_reason_and_records_the_hearing(staff, heard):
    hearing = heard()
    with pytest.raises(ValidationError):
        services.hearing_close(by=staff["chair"], hearing=hearing, children_reason="Confirmed after the meeting")
    services.plan_confirm_safe(by=staff["idva"], hearing=hearing)
    services.hearing_children_confirm(by=staff["chair"], hearing=hearing, confirmed=True)
    services.hearing_close(by=staff["chair"], hearing=hearing, children_reason="Confirmed after the meeting")
    referral = hearing.item.referral
    referral.refresh_from_db()
    assert referral.status == Referral.Status.HEARD and referral.case.last_heard_on == referral.heard_on
    with pytest.raises(PermissionDenied):
        services.plan_confirm_safe(by=staff["housing_rep"], hearing=hearing)


def test_nothing_more_is_recorded_on_a_case_closed_for_the_meeting(staff, heard):
    # The walk-through: after "Close the case" the page still offered "Add risk" and
    # "Add action", and both were saved, though it says nothing more can be recorded.
    hearing = heard(children=0)
    services.hearing_close(by=staff["chair"], hearing=hearing, reason="The Idva will confirm by phone")
    hearing.refresh_from_db()
    actions_before = hearing.actions.count()
    with pytest.raises(ValidationError, match="closed for the meeting"):
        _action(staff, hearing)
    with pytest.raises(ValidationError, match="closed for the meeting"):
        services.risk_add(by=staff["chair"], hearing=hearing, who_at_risk="The victim", from_whom="Him", harm="Harm", likelihood="high")
    assert hearing.actions.count() == actions_before and not hearing.risks.exists()


def test_overdue_actions_roll_forward_into_the_next_meeting(marac, staff, heard):
    hearing = heard(days_ago=20)
    overdue = _action(staff, hearing, due_on=timezone.localdate() - timedelta(days=5))
    _action(staff, hearing, due_on=timezone.localdate() + timedelta(days=60))
    done = _action(staff, hearing, due_on=timezone.localdate() - timedelta(days=2))
    services.action_report(by=staff["housing_rep"], action=done, version=done.version, status="completed", completed_on=timezone.localdate())
    next_meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=10))
    outstanding = list(selectors.outstanding_for(user=staff["chair"], meeting=next_meeting))
    assert overdue in outstanding and done in outstanding and len(outstanding) == 2
    assert list(selectors.outstanding_for(user=staff["housing_rep"], meeting=next_meeting)) == []
    chase = selectors.marac_actions(user=staff["coordinator"], marac=marac, view="overdue", agency=staff["housing_rep"].agency)
    assert list(chase) == [overdue]


def test_reminders_before_due_and_when_overdue_through_the_task_system(django_capture_on_commit_callbacks, staff, heard):
    hearing = heard()
    soon = _action(staff, hearing, due_on=timezone.localdate() + timedelta(days=2))
    later = _action(staff, hearing, due_on=timezone.localdate() + timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        result = send_action_reminders.enqueue()
    assert result.return_value == 1
    assert mail.outbox and all(m.to == [staff["housing_rep"].email] for m in mail.outbox)
    assert "due soon" in mail.outbox[0].subject
    victim = hearing.item.referral.case.victim
    assert victim.family_name not in mail.outbox[0].body and soon.description not in mail.outbox[0].body
    assert send_action_reminders.enqueue().return_value == 0  # nothing twice
    assert services.action_reminders_send(today=later.due_on + timedelta(days=1)) == 2  # overdue for both
    assert services.action_reminders_send(today=later.due_on + timedelta(days=2)) == 0


def test_open_after_two_meetings_is_reported_to_governance_as_counts(marac, staff, heard):
    hearing = heard(days_ago=40)
    _action(staff, hearing, due_on=timezone.localdate() - timedelta(days=20))
    for days_ago in (25, 10):
        later = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=30))
        later.starts_at = timezone.now() - timedelta(days=days_ago)
        later.save()
    assert selectors.open_after_two_meetings(marac=marac) == {staff["housing_rep"].agency.name: 1}


def test_an_action_agreed_at_either_of_the_last_two_meetings_held_is_not_yet_open_after_two(marac, staff, heard):
    """The edges: agreed at the second most recent meeting held (one meeting since) or
    at the last, not counted; agreed before them, counted while open; nothing at all
    until two meetings have been held."""
    oldest = heard(days_ago=40)
    _action(staff, oldest, due_on=timezone.localdate() - timedelta(days=20))
    assert selectors.open_after_two_meetings(marac=marac) == {}  # one meeting held
    done = _action(staff, oldest, owner_agency=staff["police_rep"].agency)
    services.action_report(by=staff["police_rep"], action=done, version=done.version, status="completed", completed_on=timezone.localdate())
    for days_ago in (25, 10):
        _action(staff, heard(days_ago=days_ago), owner_agency=staff["police_rep"].agency)
    assert selectors.open_after_two_meetings(marac=marac) == {staff["housing_rep"].agency.name: 1}


def test_plan_prompts_name_what_is_missing():
    prompts = plan_prompts(actions=[], children_count=2, needs={"mental_health"})
    assert any("perpetrator" in p for p in prompts)
    assert any("children’s social care" in p for p in prompts)
    assert any(p.startswith("Flag and tag") for p in prompts)
    assert any(p.startswith("Complex needs") for p in prompts)

    class A:
        def __init__(self, kind, for_whom):
            self.kind, self.for_whom = kind, for_whom
            self.owner_agency = SimpleNamespace(kind="housing")
            self.joint_agencies = SimpleNamespace(all=list)

    full = [A(k, w) for k, w in [("flag", "victim"), ("childrens_referral", "child"), ("other", "perpetrator"), ("housing_victim", "victim"),
                                  ("housing_perpetrator", "perpetrator"), ("dvds", "victim"), ("protection_order", "victim"), ("mappa", "perpetrator"),
                                  ("professionals_meeting", "household")]]
    assert plan_prompts(actions=full, children_count=2) == []


@pytest.mark.parametrize("text, phrase", [("She refused to engage with us.", "refused to engage"), ("No show at the appointment", "no show"),
                                          ("Didn't show up so closed file", "didn't show up so closed file")])
def test_stigmatising_phrases_get_a_better_form_of_words(text, phrase):
    assert phrase in [found.lower() for found, _ in nudges_for(text)]


def test_careful_wording_is_not_flagged():
    assert nudges_for("We were not able to engage her with the service this week.") == []


def test_a_case_twelve_months_after_its_hearing_is_listed_for_review(marac, staff, heard):
    from openmarac.meetings import selectors as meeting_selectors

    hearing = heard(days_ago=360, children=0)
    services.plan_confirm_safe(by=staff["idva"], hearing=hearing)
    services.hearing_close(by=staff["chair"], hearing=hearing, children_reason="Confirmed after the meeting")
    case = hearing.item.referral.case
    assert case in meeting_selectors.anniversaries_due(user=staff["coordinator"], marac=marac)
    item = meeting_services.case_anniversary_list(by=staff["coordinator"], case=case)
    assert item.section == "anniversary" and item.referral == hearing.item.referral
    assert case not in meeting_selectors.anniversaries_due(user=staff["coordinator"], marac=marac)
    entries = meeting_selectors.case_list(user=staff["coordinator"], meeting=item.meeting)
    assert entries[-1].item.section == "anniversary"


def test_a_case_that_keeps_coming_back_is_marked_for_a_different_approach(marac, staff, heard):
    from openmarac.meetings import selectors as meeting_selectors

    hearing = heard()
    case = hearing.item.referral.case
    Referral.objects.filter(pk=hearing.item.referral.pk).update(meets_repeat=True)
    for days_ago in (100, 200):
        Referral.objects.create(
            marac=marac, case=case, status="heard", meets_repeat=True, referred_on=timezone.localdate() - timedelta(days=days_ago)
        )
    (entry,) = meeting_selectors.case_list(user=staff["chair"], meeting=hearing.item.meeting)
    assert any("a different approach is needed" in flag for flag in entry.flags)
    marac.repeat_alert_count = 4
    marac.save()
    (entry,) = meeting_selectors.case_list(user=staff["chair"], meeting=hearing.item.meeting)
    assert not any("different approach" in flag for flag in entry.flags)
    assert case.referrals.count() == 3


def test_the_run_pages_lines_say_what_the_case_list_says(marac, staff, heard):
    # agenda_lines (the run page and the minutes) reads no one's details, but lists the
    # same items in the same slots, with the same restricted cases, flags and children,
    # as case_list, for every role, before and after the case is restricted.
    from openmarac.meetings import selectors as meeting_selectors
    from openmarac.referrals import restriction

    hearing = heard(children=2)
    meeting, case = hearing.item.meeting, hearing.item.referral.case
    Referral.objects.filter(pk=hearing.item.referral.pk).update(meets_repeat=True)
    for days_ago in (100, 200):
        Referral.objects.create(marac=marac, case=case, status="heard", meets_repeat=True, referred_on=timezone.localdate() - timedelta(days=days_ago))

    def lines_and_entries(user):
        lines = meeting_selectors.agenda_lines(user=user, meeting=meeting)
        entries = meeting_selectors.case_list(user=user, meeting=meeting)
        return (
            [(line.item.pk, line.slot, line.restricted, line.flags, line.children_count, line.referral.case.reference) for line in lines],
            [(entry.item.pk, entry.slot, entry.restricted, entry.flags, len(entry.children), entry.referral.case.reference) for entry in entries],
        )

    lines, entries = lines_and_entries(staff["chair"])
    assert lines == entries and lines[0][4] == 2 and any("different approach" in flag for flag in lines[0][3])
    restriction.case_restrict(by=staff["coordinator"], case=case, reason="Works for a member agency", named_users=[])
    for role in ("chair", "coordinator", "housing_rep", "idva"):
        lines, entries = lines_and_entries(staff[role])
        assert lines == entries, role
    assert lines_and_entries(staff["chair"])[0][0][2] is True  # hidden from the chair
    assert lines_and_entries(staff["coordinator"])[0][0][2] is False  # the coordinator restricted it, and is named


def _agreed(action):
    action.refresh_from_db()
    return action.agreed_marac_id, action.agreed_meeting_at


def _meeting_of(hearing):
    meeting = hearing.item.meeting
    meeting.refresh_from_db()
    return meeting.marac_id, meeting.starts_at


def test_every_action_keeps_the_marac_and_start_of_the_meeting_that_agreed_it(marac, staff, heard):
    from openmarac.actions.models import Action

    hearing = heard(days_ago=3)
    added = _action(staff, hearing)
    made = Action.objects.bulk_create([
        Action(case=hearing.item.referral.case, hearing=hearing, owner_agency=staff["police_rep"].agency, description="Flag", for_whom="victim", due_on=timezone.localdate())
    ])
    services.hearing_close(by=staff["chair"], hearing=hearing, reason="Idva not present", children_reason="Checked after")
    actions = list(Action.objects.filter(hearing=hearing))
    assert len(actions) > 2 and {added.pk, made[0].pk} <= {a.pk for a in actions}  # the records updates too
    assert {_agreed(action) for action in actions} == {_meeting_of(hearing)}


def test_moving_a_meeting_or_an_agenda_item_moves_the_start_its_actions_keep(marac, staff, heard):
    """The services that move a meeting, move an agenda item to another meeting or
    relist a cancelled meeting's items keep each action's meeting start in step."""
    from openmarac.actions.models import Action

    coordinator = staff["coordinator"]
    future = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    hearing = heard(meeting=future)
    action = Action.objects.create(
        case=hearing.item.referral.case, hearing=hearing, owner_agency=staff["police_rep"].agency, description="Flag", for_whom="victim", due_on=timezone.localdate()
    )
    other = _action(staff, heard(days_ago=3))
    assert _agreed(action) == _meeting_of(hearing)
    meeting_services.meeting_move(by=coordinator, meeting=future, starts_at=future.starts_at + timedelta(days=1), note="Room taken")
    assert _agreed(action) == _meeting_of(hearing) == (marac.pk, future.starts_at)
    later = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=27))
    meeting_services.agenda_item_move(by=coordinator, item=hearing.item, meeting=later)
    hearing.item.refresh_from_db()
    assert _agreed(action) == _meeting_of(hearing) == (marac.pk, later.starts_at)
    meeting_services.meeting_cancel(by=coordinator, meeting=later, note="Snow")
    hearing.item.refresh_from_db()
    assert hearing.item.meeting_id != later.pk and _agreed(action) == _meeting_of(hearing)
    # The action of another meeting is left as it was.
    assert _agreed(other) == _meeting_of(other.hearing)


def test_the_migration_fills_every_action_with_its_meeting_in_one_statement(marac, staff, heard):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openmarac.actions.models import Action

    for days_ago in (3, 10):
        hearing = heard(days_ago=days_ago)
        _action(staff, hearing)
        _action(staff, hearing, owner_agency=staff["police_rep"].agency)
    expected = {a.pk: (a.agreed_marac_id, a.agreed_meeting_at) for a in Action.objects.all()}
    assert len(expected) == 4 and len(set(expected.values())) == 2
    Action.objects.update(agreed_marac=None, agreed_meeting_at=None)
    migration = importlib.import_module("openmarac.actions.migrations.0012_agreed_meeting")
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        migration.fill_agreed(apps, SimpleNamespace(connection=connection, execute=cursor.execute))
    assert len(queries) == 1 and queries[0]["sql"].startswith("UPDATE")
    assert {a.pk: (a.agreed_marac_id, a.agreed_meeting_at) for a in Action.objects.all()} == expected
