"""Flags end on time (issue 15): at least 12 months after the meeting unless a reason
is recorded, reminders a month before and on the day (each once), the owning agency's
confirmation, and the coordinator's view of flags due, overdue and confirmed."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from openmarac.actions import flags, selectors, services
from openmarac.actions.models import Action, ActionKind, ActionReminder
from openmarac.actions.tasks import send_flag_reminders

from ..conftest import sign_in

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@pytest.mark.parametrize(
    "meeting_on, expires_on",
    [
        (date(2028, 2, 29), date(2029, 2, 28)),  # a leap day: the last day of February
        (date(2026, 1, 31), date(2027, 1, 31)),
        (date(2026, 3, 31), date(2027, 3, 31)),
        (date(2027, 2, 28), date(2028, 2, 28)),  # not the 29th in the leap year after
    ],
)
def test_twelve_months_after_a_meeting(meeting_on, expires_on):
    assert flags.default_expiry(meeting_on) == expires_on


@pytest.mark.parametrize(
    "expires_on, reminded_on",
    [
        (date(2027, 3, 31), date(2027, 2, 28)),
        (date(2028, 3, 31), date(2028, 2, 29)),
        (date(2027, 1, 31), date(2026, 12, 31)),
        (date(2027, 5, 31), date(2027, 4, 30)),
        (date(2027, 6, 15), date(2027, 5, 15)),
    ],
)
def test_a_month_before(expires_on, reminded_on):
    assert flags.month_before(expires_on) == reminded_on


@given(dates)
def test_twelve_months_is_a_year_never_more_never_less(meeting_on):
    expires = flags.default_expiry(meeting_on)
    assert 365 <= (expires - meeting_on).days <= 366
    assert expires.month == meeting_on.month and expires.year == meeting_on.year + 1
    assert expires.day == meeting_on.day or (meeting_on.month, meeting_on.day) == (2, 29) and expires.day == 28
    assert not flags.needs_reason(meeting_on=meeting_on, expires_on=expires)
    assert flags.needs_reason(meeting_on=meeting_on, expires_on=expires - timedelta(days=1))


@given(dates)
def test_a_month_before_is_in_the_previous_month_and_never_later_in_it_than_the_day(expires_on):
    reminded = flags.month_before(expires_on)
    assert (reminded.year * 12 + reminded.month) == (expires_on.year * 12 + expires_on.month) - 1
    assert reminded.day <= expires_on.day
    assert 28 <= (expires_on - reminded).days <= 31


@given(dates, st.integers(min_value=-70, max_value=70))
def test_the_due_horizon_selects_exactly_the_flags_whose_first_reminder_has_come(today, offset):
    expires_on = today + timedelta(days=offset)
    assert (expires_on <= flags.due_horizon(today)) == (flags.month_before(expires_on) <= today)


@given(dates, st.integers(min_value=-70, max_value=70), st.booleans())
def test_each_flag_has_exactly_one_state(today, offset, removed):
    expires_on = today + timedelta(days=offset)
    shown = flags.state(expires_on=expires_on, removed=removed, today=today)
    assert shown == ("confirmed" if removed else "overdue" if offset < 0 else "due" if flags.month_before(expires_on) <= today else "running")


def _flag(staff, hearing, **extra):
    return services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, kind=ActionKind.FLAG,
        description="Flag the tenancy file", for_whom="victim", due_on=timezone.localdate() + timedelta(days=3), **extra,
    )


def test_a_flag_shorter_than_twelve_months_needs_a_reason(staff, heard):
    hearing = heard()
    meeting_on = timezone.localtime(hearing.item.meeting.starts_at).date()
    with pytest.raises(ValidationError) as raised:
        _flag(staff, hearing, flag_expires_on=meeting_on + relativedelta(months=6))
    assert "flag_short_reason" in raised.value.message_dict
    assert not Action.objects.filter(kind=ActionKind.FLAG).exists()
    short = _flag(staff, hearing, flag_expires_on=meeting_on + relativedelta(months=6), flag_short_reason="Victim has left the area for good")
    assert short.flag_short_reason == "Victim has left the area for good"
    longer = _flag(staff, hearing, flag_expires_on=meeting_on + relativedelta(months=24), flag_short_reason="not needed")
    assert longer.flag_short_reason == ""  # a longer flag keeps no reason it does not need
    default = _flag(staff, hearing)
    assert default.flag_expires_on == flags.default_expiry(meeting_on)
    with pytest.raises(ValidationError):
        _flag(staff, hearing, flag_expires_on=meeting_on, flag_short_reason="Ends at once")


def test_the_hearing_form_keeps_what_was_typed_when_the_reason_is_missing(staff, heard):
    hearing = heard()
    item, meeting = hearing.item, hearing.item.meeting
    meeting_on = timezone.localtime(meeting.starts_at).date()
    client = sign_in(Client(), staff["coordinator"])
    from openmarac.meetings.models import DeclarationSignature

    DeclarationSignature.objects.create(meeting=meeting, user=staff["coordinator"], statement="x")
    response = client.post(
        reverse("actions:hearing", args=[meeting.public_id, item.pk]),
        {
            "action": "add-action", "action-kind": "flag", "action-owner_agency": staff["housing_rep"].agency.pk,
            "action-description": "Flag the tenancy file for repeat calls", "action-for_whom": "victim",
            "action-due_on": (meeting_on + timedelta(days=7)).isoformat(), "action-flag_expires_on": (meeting_on + relativedelta(months=3)).isoformat(),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "needs a reason" in page and "Flag the tenancy file for repeat calls" in page
    assert not Action.objects.filter(kind=ActionKind.FLAG).exists()


def test_reminders_fire_once_a_month_before_and_once_on_the_day(django_capture_on_commit_callbacks, staff, heard):
    hearing = heard()
    flag = _flag(staff, hearing)
    ends, first = flag.flag_expires_on, flags.month_before(flag.flag_expires_on)
    with django_capture_on_commit_callbacks(execute=True):
        sent = [services.flag_reminders_send(today=day) for day in (first - timedelta(days=1), first, first, ends - timedelta(days=1), ends, ends, ends + timedelta(days=3))]
    assert sent == [0, 1, 0, 0, 1, 0, 0]
    assert [m.to for m in mail.outbox] == [[staff["housing_rep"].email]] * 2
    assert "ends in a month" in mail.outbox[0].subject and "ends today" in mail.outbox[1].subject
    victim = hearing.item.referral.case.victim
    for message in mail.outbox:
        assert victim.family_name not in message.body and flag.description not in message.body
        assert reverse("actions:action", args=[flag.pk]) in message.body
    assert set(ActionReminder.objects.filter(action=flag).values_list("kind", "sent_on")) == {("flag_month", first), ("flag_due", ends)}


def test_the_worker_task_and_run_scheduled_each_send_once_on_each_date(django_capture_on_commit_callbacks, staff, heard, capsys):
    hearing = heard()
    flag = _flag(staff, hearing)
    first = flags.month_before(flag.flag_expires_on)
    with freeze_time(first), django_capture_on_commit_callbacks(execute=True):
        assert send_flag_reminders.enqueue().return_value == 1
        assert send_flag_reminders.enqueue().return_value == 0
    with freeze_time(flag.flag_expires_on), django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduled")
        call_command("run_scheduled")
    out = capsys.readouterr().out
    assert "Flag reminders sent: 1." in out and "Flag reminders sent: 0." in out
    assert len([m for m in mail.outbox if "a flag ends" in m.subject]) == 2


def test_confirmed_flags_are_not_reminded_and_a_transferred_one_is_left_to_its_new_owner(staff, heard):
    hearing = heard()
    confirmed, moved = _flag(staff, hearing), _flag(staff, hearing)
    services.flag_removed_confirm(by=staff["housing_rep"], action=confirmed)
    Action.objects.filter(pk=moved.pk).update(status=Action.Status.TRANSFERRED)
    assert services.flag_reminders_send(today=confirmed.flag_expires_on) == 0


def test_the_owning_agency_confirms_removal_once_with_who_and_when(staff, heard):
    hearing = heard()
    flag = _flag(staff, hearing)
    client = sign_in(Client(), staff["housing_rep"])
    assert "Flag removed from our files" in client.get(reverse("actions:action", args=[flag.pk])).content.decode()
    response = client.post(reverse("actions:flag-removed", args=[flag.pk]))
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.flag_removed_by == staff["housing_rep"] and flag.flag_removed_at is not None
    assert flag.updates.last().note == "Flag removed from our files"
    page = client.get(reverse("actions:action", args=[flag.pk])).content.decode()
    assert f"confirmed by {escape(str(staff['housing_rep']))}" in page and reverse("actions:flag-removed", args=[flag.pk]) not in page
    with pytest.raises(ValidationError):
        services.flag_removed_confirm(by=staff["coordinator"], action=flag)
    other = _flag(staff, hearing)
    assert sign_in(Client(), staff["police_rep"]).post(reverse("actions:flag-removed", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.flag_removed_at is None


def test_the_coordinator_sees_flags_due_overdue_and_confirmed_with_totals(staff, heard):
    hearing = heard()
    today = timezone.localdate()
    meeting_on = timezone.localtime(hearing.item.meeting.starts_at).date()
    reason = {"flag_short_reason": "Agreed at the meeting"}
    due = _flag(staff, hearing, flag_expires_on=today + timedelta(days=10), **reason)
    later = _flag(staff, hearing, flag_expires_on=today + timedelta(days=90), **reason)
    overdue = _flag(staff, hearing, flag_expires_on=today + timedelta(days=1), **reason)
    Action.objects.filter(pk=overdue.pk).update(flag_expires_on=today - timedelta(days=2))  # its date has passed
    confirmed = _flag(staff, hearing, flag_expires_on=today + timedelta(days=5), **reason)
    services.flag_removed_confirm(by=staff["housing_rep"], action=confirmed)
    views = selectors.flags_overview(user=staff["coordinator"], marac=hearing.item.meeting.marac)
    assert list(views["due"]) == [due] and list(views["overdue"]) == [overdue] and list(views["confirmed"]) == [confirmed]
    assert later not in views["due"] and meeting_on < today
    assert selectors.flags_overview(user=staff["chair"], marac=hearing.item.meeting.marac) is None
    client = sign_in(Client(), staff["coordinator"])
    url = reverse("actions:flags", args=[hearing.item.meeting.marac.slug])
    page = client.get(url).content.decode()
    assert "Due to come off (1)" in page and "Overdue: not confirmed removed (1)" in page and "Confirmed removed (1)" in page
    assert 'data-total="1"' in page
    assert "Not confirmed" in client.get(url + "?show=overdue").content.decode()
    assert f"confirmed by {escape(str(staff['housing_rep']))}" in client.get(url + "?show=confirmed").content.decode()
    assert sign_in(Client(), staff["housing_rep"]).get(url).status_code == 404


def test_the_flags_page_reads_the_same_number_of_queries_for_few_or_many_flags(staff, heard):
    hearing = heard()
    client = sign_in(Client(), staff["coordinator"])
    url = reverse("actions:flags", args=[hearing.item.meeting.marac.slug]) + "?show=confirmed"
    reason = {"flag_short_reason": "Agreed"}

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def confirmed_flag():
        flag = _flag(staff, hearing, flag_expires_on=timezone.localdate() + timedelta(days=5), **reason)
        services.flag_removed_confirm(by=staff["housing_rep"], action=flag)

    confirmed_flag()
    few = queries()
    for _ in range(6):
        confirmed_flag()
    assert queries() == few
