"""The coordinator's list of every action of the Marac: views, filters, reminders that
carry a link only and go once a day, and a page that stays flat as actions pile up."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openmarac.actions import selectors, services
from openmarac.actions.models import Action, ChaseReminder
from openmarac.audit.models import AuditEvent

from ..conftest import sign_in


def _action(staff, hearing, *, days, agency=None):
    return services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=agency or staff["housing_rep"].agency, description="Housing options for the victim",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=days),
    )


def test_views_split_overdue_due_soon_and_recently_completed(marac, staff, heard):
    hearing = heard(days_ago=20)
    overdue, soon, later, done = (_action(staff, hearing, days=d) for d in (-3, 5, 60, 10))
    services.action_report(by=staff["housing_rep"], action=done, version=done.version, status="completed", completed_on=timezone.localdate())
    coordinator = staff["coordinator"]
    assert list(selectors.marac_actions(user=coordinator, marac=marac, view="overdue")) == [overdue]
    assert list(selectors.marac_actions(user=coordinator, marac=marac, view="due_soon")) == [soon]
    assert list(selectors.marac_actions(user=coordinator, marac=marac, view="completed")) == [done]
    assert set(selectors.marac_actions(user=coordinator, marac=marac)) == {overdue, soon, later, done}
    assert selectors.marac_action_counts(user=coordinator, marac=marac) == {"overdue": 1, "due_soon": 1, "completed": 1, "all": 4}
    assert selectors.marac_actions(user=staff["housing_rep"], marac=marac) is None


def test_tab_counts_are_the_agencies_counts_summed_and_the_most_overdue_agency_comes_first(marac, staff, heard):
    hearing = heard(days_ago=20)
    housing, police = staff["housing_rep"].agency, staff["police_rep"].agency
    _action(staff, hearing, days=-3)  # housing: one overdue, one due soon
    _action(staff, hearing, days=5)
    for days in (-4, -2, 60):  # police: two overdue, one later
        _action(staff, hearing, days=days, agency=police)
    counts, agencies = selectors.marac_action_summary(user=staff["coordinator"], marac=marac)
    assert counts == {"overdue": 3, "due_soon": 1, "completed": 0, "all": 5}
    assert [(row["owner_agency"], row["open"], row["overdue"]) for row in agencies] == [(police.pk, 3, 2), (housing.pk, 2, 1)]
    # The chair sees the same tabs, and reminds nobody.
    assert selectors.marac_action_summary(user=staff["chair"], marac=marac) == (counts, [])


def test_the_open_tabs_are_counted_from_open_actions_and_a_history_tab_only_when_open(marac, staff, heard):
    """Counting "Recently completed" and "All actions" reads every action of the
    Marac's years of history: the list counts them only on their own tab, while the
    open tabs (overdue, due soon) are counted from the open actions alone."""
    hearing = heard(days_ago=20)
    overdue, soon, later, done = (_action(staff, hearing, days=d) for d in (-3, 5, 60, 10))
    services.action_report(by=staff["housing_rep"], action=done, version=done.version, status="completed", completed_on=timezone.localdate())
    coordinator = staff["coordinator"]
    assert selectors.marac_action_counts(user=coordinator, marac=marac, views=selectors.OPEN_VIEWS) == {"overdue": 1, "due_soon": 1}
    assert selectors.marac_action_counts(user=coordinator, marac=marac, views=("overdue", "due_soon", "all")) == {"overdue": 1, "due_soon": 1, "all": 4}
    client = sign_in(Client(), coordinator)
    url = reverse("actions:all", args=[marac.slug])
    page = client.get(url).content.decode()
    assert "Overdue (1)" in page and "Due soon (1)" in page
    assert ">Recently completed</a>" in page and ">All actions</a>" in page
    page = client.get(url, {"view": "all"}).content.decode()
    assert "All actions (4)" in page and ">Recently completed</a>" in page and "Overdue (1)" in page


def test_the_chair_and_the_coordinator_see_the_chase_lists_overdue_count(marac, staff, heard):
    """Their home pages and the link on the actions page give the overdue tab's count
    (the chair's actions page said 0 before)."""
    hearing = heard(days_ago=20)
    for days in (-3, -1, 5):
        _action(staff, hearing, days=days)
    for role in ("coordinator", "chair"):
        assert selectors.overdue_count(user=staff[role], marac=marac) == 2
        assert selectors.marac_action_counts(user=staff[role], marac=marac)["overdue"] == 2
        page = sign_in(Client(), staff[role]).get(reverse("actions:mine", args=[marac.slug])).content.decode()
        assert "the chase list of overdue actions (2)" in page
    assert selectors.overdue_count(user=staff["housing_rep"], marac=marac) == 0
    assert "2 overdue actions across the Marac" in sign_in(Client(), staff["chair"]).get(reverse("core:home")).content.decode()


def test_filters_by_agency_status_meeting_and_due_date(marac, staff, heard):
    hearing = heard(days_ago=20)
    housing = _action(staff, hearing, days=5)
    police = _action(staff, heard(days_ago=20), days=20, agency=staff["chair"].agency)
    client = sign_in(Client(), staff["coordinator"])
    url = reverse("actions:all", args=[marac.slug])
    page = client.get(url, {"view": "all", "agency": staff["chair"].agency.pk}).content.decode()
    assert reverse("actions:action", args=[police.pk]) in page and reverse("actions:action", args=[housing.pk]) not in page
    # The total is the filtered list's, not the tab's (which counts both).
    assert "All actions: 1 action</caption>" in page and "All actions (2)" in page
    page = client.get(url, {"view": "all", "meeting": hearing.item.meeting.public_id}).content.decode()
    assert reverse("actions:action", args=[housing.pk]) in page and reverse("actions:action", args=[police.pk]) not in page
    due_to = (timezone.localdate() + timedelta(days=10)).isoformat()
    page = client.get(url, {"view": "all", "due_to": due_to, "status": "open"}).content.decode()
    assert reverse("actions:action", args=[housing.pk]) in page and reverse("actions:action", args=[police.pk]) not in page
    assert AuditEvent.objects.filter(summary="All actions: all").exists()


def test_a_reminder_carries_a_link_only_and_goes_once_a_day(marac, staff, heard, django_capture_on_commit_callbacks):
    action = _action(staff, heard(days_ago=20), days=-2)
    client = sign_in(Client(), staff["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("actions:chase", args=[action.pk]), {"next": reverse("actions:all", args=[marac.slug])}, follow=True)
    assert "Reminder sent to" in response.content.decode()
    (email,) = [m for m in mail.outbox if "asks about an action" in m.subject]
    assert email.to == [staff["housing_rep"].email]
    assert reverse("actions:action", args=[action.pk]) in email.body
    victim = action.case.victim
    assert victim.family_name not in email.body and action.case.reference not in email.body and action.description not in email.body
    assert AuditEvent.objects.filter(record_id=str(action.pk), summary__startswith="Reminder sent").count() == 1
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("actions:chase", args=[action.pk]), follow=True)
    assert "already reminded" in response.content.decode() and mail.outbox == []
    assert ChaseReminder.objects.count() == 1


def test_an_agency_is_reminded_of_all_its_open_actions_once_a_day(marac, staff, heard, django_capture_on_commit_callbacks):
    hearing = heard(days_ago=20)
    _action(staff, hearing, days=-2)
    _action(staff, hearing, days=4)
    agency = staff["housing_rep"].agency
    with django_capture_on_commit_callbacks(execute=True):
        assert services.agency_chase(by=staff["coordinator"], marac=marac, agency=agency) == 2
    (email,) = mail.outbox
    assert reverse("actions:mine", args=[marac.slug]) in email.body
    page = sign_in(Client(), staff["coordinator"]).post(reverse("actions:agency-chase", args=[marac.slug, agency.pk]), follow=True).content.decode()
    assert "already reminded" in page


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_the_list_pages_and_its_query_count_does_not_grow(marac, staff, heard):
    hearing = heard(days_ago=20)
    for days in (-5, 3):
        _action(staff, hearing, days=days)
    client = sign_in(Client(), staff["coordinator"])
    url = reverse("actions:all", args=[marac.slug]) + "?view=all"
    small, _ = _queries(client, url)
    template = Action.objects.first()
    joint = staff["chair"].agency
    made = Action.objects.bulk_create(
        Action(case=template.case, hearing=hearing, owner_agency=template.owner_agency, description=f"Action {i}", for_whom="victim",
               due_on=timezone.localdate() + timedelta(days=i % 40 - 20))
        for i in range(120)
    )
    Action.joint_agencies.through.objects.bulk_create(Action.joint_agencies.through(action_id=a.pk, agency_id=joint.pk) for a in made)
    large, response = _queries(client, url)
    assert large <= small
    body = response.content.decode()
    assert "Showing 1 to 25 of 122 actions" in body and f"with {joint}</span>" in body


def test_an_action_shared_with_several_agencies_is_listed_and_counted_once(marac, staff, heard):
    """Shared actions are found through a subquery on the joint agencies, not a join,
    so an action shared with several agencies appears once without a DISTINCT."""
    hearing = heard(days_ago=20)
    shared = services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Joint safety plan", for_whom="victim",
        due_on=timezone.localdate() - timedelta(days=2), joint_agencies=[staff["police_rep"].agency, staff["chair"].agency],
    )
    coordinator, police = staff["coordinator"], staff["police_rep"]
    listed = selectors.marac_actions(user=coordinator, marac=marac, agency=police.agency)
    assert list(listed) == [shared] and "DISTINCT" not in str(listed.query)
    counts, agencies = selectors.marac_action_summary(user=coordinator, marac=marac)
    assert counts["overdue"] == 1 and [row["open"] for row in agencies] == [1]
    mine = selectors.actions_of_agency(user=police, marac=marac)
    assert list(mine) == [shared] and "DISTINCT" not in str(mine.query)
    assert selectors.action_for(user=police, pk=shared.pk) == shared


def test_an_agency_with_nobody_to_remind_is_not_said_to_be_reminded(marac, staff, heard, django_capture_on_commit_callbacks):
    # The walk-through: "Reminder sent to Northshire Police" though nobody at the police
    # held a representative's role, so no email went.
    hearing = heard(days_ago=20)
    action = _action(staff, hearing, days=-2)
    staff["housing_rep"].memberships.update(is_active=False)
    agency = staff["housing_rep"].agency
    for chase in (lambda: services.agency_chase(by=staff["coordinator"], marac=marac, agency=agency),
                  lambda: services.action_chase(by=staff["coordinator"], action=action)):
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError, match="nobody to remind"):
            chase()
    assert mail.outbox == [] and not ChaseReminder.objects.exists()
    page = sign_in(Client(), staff["coordinator"]).post(reverse("actions:agency-chase", args=[marac.slug, agency.pk]), follow=True).content.decode()
    assert "Reminder sent" not in page and "nobody to remind" in page
    # The list offers it no reminder, and says why.
    listed = sign_in(Client(), staff["coordinator"]).get(reverse("actions:all", args=[marac.slug])).content.decode()
    assert "Nobody to remind: no representative or Idva" in listed
    assert reverse("actions:agency-chase", args=[marac.slug, agency.pk]) not in listed


def test_on_an_open_tab_the_agencies_to_remind_are_counted_from_open_actions_alone(marac, staff, heard):
    """The reminder buttons name every agency with open actions whichever tab is shown,
    and the history tabs' counts are left out of an open tab's summary."""
    hearing = heard(days_ago=20)
    police = staff["police_rep"].agency
    _action(staff, hearing, days=-3)
    done = _action(staff, hearing, days=10, agency=police)
    services.action_report(by=staff["police_rep"], action=done, version=done.version, status="completed", completed_on=timezone.localdate())
    for views in (selectors.OPEN_VIEWS, tuple(selectors.MARAC_ACTION_VIEWS)):
        counts, agencies = selectors.marac_action_summary(user=staff["coordinator"], marac=marac, views=views)
        assert set(counts) == set(views)
        assert [(row["owner_agency"], row["open"], row["overdue"]) for row in agencies] == [(staff["housing_rep"].agency_id, 1, 1)]


def _as_row(action):
    """An action of `selectors.marac_actions` as `selectors.ActionPage` gives its row."""
    return {
        "pk": action.pk, "owner_agency__name": action.owner_agency.name, "owner_name": action.owner_name, "case__reference": action.case.reference,
        "description": action.description, "kind": action.kind, "for_whom": action.for_whom, "due_on": action.due_on, "status": action.status,
        "completed_on": action.completed_on, "agreed_at": action.agreed_at, "joints": [agency.name for agency in action.joints],
    }


def test_a_page_read_by_its_compiled_query_is_the_orm_lists_page(marac, staff, heard):
    """`ActionPage` reads a page by a query compiled once per view and set of filters:
    on every view, filter (an agency owning or sharing, a meeting, a status, due dates)
    and page, the same actions in the same order with the same values as the ORM's list
    (`marac_actions`), each action once however many agencies share it, the same count,
    and one query a page."""
    from openmarac.accounts.models import Agency

    hearings = [heard(days_ago=20), heard(days_ago=50)]
    agencies = [staff["housing_rep"].agency, staff["chair"].agency, staff["coordinator"].agency]
    made = [_action(staff, hearings[i % 2], days=(i * 7) % 31 - 15, agency=agencies[i % 3]) for i in range(23)]
    made[0].joint_agencies.add(agencies[1], agencies[2])
    made[4].joint_agencies.add(Agency.objects.create(name="Zeta & <Partners>"), agencies[0])
    Action.objects.filter(pk=made[1].pk).update(owner_name="D. O'Brien", status=Action.Status.COMPLETED, completed_on=timezone.localdate())
    Action.objects.filter(pk__in=[made[2].pk, made[3].pk]).update(status=Action.Status.NOT_POSSIBLE)
    coordinator, now, today = staff["coordinator"], timezone.now(), timezone.localdate()
    filters = [
        {}, {"agency": agencies[1]}, {"agency": agencies[0]}, {"meeting": hearings[1].item.meeting}, {"status": Action.Status.OPEN},
        {"status": Action.Status.COMPLETED}, {"due_from": today - timedelta(days=3)}, {"due_to": today + timedelta(days=3)},
        {"agency": agencies[2], "meeting": hearings[0].item.meeting, "status": Action.Status.OPEN, "due_from": today - timedelta(days=15), "due_to": today},
    ]
    for view in selectors.MARAC_ACTION_VIEWS:
        for chosen in filters:
            listed = selectors.marac_actions(user=coordinator, marac=marac, view=view, **chosen)
            page = selectors.ActionPage(user=coordinator, marac=marac, view=view, filters=chosen, now=now, today=today)
            assert page.count() == listed.count()
            for start in range(0, listed.count() + 5, 5):
                assert page[start : start + 5] == [_as_row(action) for action in listed[start : start + 5]], (view, chosen, start)
    assert any(len(row["joints"]) == 2 for row in selectors.ActionPage(user=coordinator, marac=marac, view="all", filters={}, now=now, today=today)[0:25])
    with CaptureQueriesContext(connection) as queries:
        selectors.ActionPage(user=coordinator, marac=marac, view="all", filters=filters[-1], now=now, today=today)[0:25]
    assert len(queries) == 1


def test_the_lists_reads_are_the_orms_and_the_page_asked_for_is_read_with_them(marac, staff, heard):
    """`action_list_reads` gives what the ORM gave: the summary, the filter's options
    (drawn as the fields drew them from instances), the agencies with someone to
    remind and the filtered count; the page asked for comes with them, in one round
    trip; any other page is read when asked for. Nothing for a representative."""
    from openmarac.actions.forms import ActionFilterForm
    from openmarac.meetings.services import researching_agency_ids

    hearing = heard(days_ago=20)
    for i in range(30):
        _action(staff, hearing, days=i - 20, agency=staff["chair"].agency if i % 4 else None)
    coordinator, now, today = staff["coordinator"], timezone.now(), timezone.localdate()
    chosen = {"agency": staff["chair"].agency}
    read = selectors.action_list_reads(user=coordinator, marac=marac, view="overdue", filters=chosen, page_number=1, can_chase=True, now=now, today=today, per_page=10)
    assert (read.counts, read.agencies) == selectors.marac_action_summary(user=coordinator, marac=marac, views=selectors.OPEN_VIEWS)
    assert read.remindable == set(researching_agency_ids(marac)) and read.remindable
    listed = selectors.marac_actions(user=coordinator, marac=marac, view="overdue", **chosen)
    assert read.count == listed.count() > 10
    first, second = ([_as_row(action) for action in listed[start : start + 10]] for start in (0, 10))
    with CaptureQueriesContext(connection) as queries:
        assert read.page[0:10] == first and read.page[10:20] == second
    assert len(queries) == 1  # the second page only
    agencies, meetings = selectors.action_filter_choices(marac=marac, now=now)
    for data in ({}, {"agency": str(staff["chair"].agency.pk), "meeting": str(hearing.item.meeting.public_id)}, {"agency": "nonsense"}):
        form = ActionFilterForm(data, agencies=agencies, meetings=meetings)
        read_form = ActionFilterForm(data, agencies=agencies, meetings=meetings, meeting_options=read.meeting_options, agency_options=read.agency_options)
        assert str(read_form["agency"]) == str(form["agency"]) and str(read_form["meeting"]) == str(form["meeting"])
        assert read_form.filters() == form.filters()
    assert selectors.action_list_reads(
        user=staff["housing_rep"], marac=marac, view="all", filters={}, page_number=1, can_chase=False, now=now, today=today, per_page=10
    ) is None
    unfiltered = selectors.action_list_reads(user=coordinator, marac=marac, view="all", filters={}, page_number=2, can_chase=False, now=now, today=today, per_page=10)
    assert unfiltered.count is None and unfiltered.remindable == set() and unfiltered.counts["all"] == 30
    client = sign_in(Client(), coordinator)
    for page in ("2", "99", "100000000000000000000000", "0", "-1", "x"):
        response = client.get(reverse("actions:all", args=[marac.slug]) + f"?view=all&page={page}")
        shown = "1 to 25" if page == "x" else "26 to 30"  # not a number: the first page; out of range: the last
        assert f"Showing {shown} of 30 actions" in response.content.decode(), page


def _meeting_options(user, marac, now):
    """The filter's meeting options as the action list reads them (`action_list_reads`)."""
    return selectors.action_list_reads(
        user=user, marac=marac, view="all", filters={}, page_number=1, can_chase=False, now=now, today=timezone.localdate(), per_page=25
    ).meeting_options


def test_the_meeting_filter_draws_what_a_meeting_instance_each_drew(marac, staff, heard):
    """The filter's meeting options come from two values a meeting, the day read in the
    database: the same select, chosen or not (a meeting at 00:30 on a summer night, the
    day before in UTC, a winter one at 23:59), and the same meeting chosen."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django import forms

    from openmarac.actions.forms import ActionFilterForm
    from openmarac.core.forms import GovukForm, GovukSelect
    from openmarac.meetings.models import Meeting

    london = ZoneInfo("Europe/London")
    hearings = [heard(days_ago=days) for days in (20, 40, 60)]
    for hearing in hearings:
        _action(staff, hearing, days=-3)
    year = timezone.localdate().year - (1 if timezone.localdate().month < 9 else 0)
    late, early = (datetime(year, 8, 14, 0, 30, tzinfo=london), datetime(year - 1, 12, 2, 23, 59, tzinfo=london))
    Meeting.objects.filter(pk=hearings[0].item.meeting_id).update(starts_at=late)
    Meeting.objects.filter(pk=hearings[1].item.meeting_id).update(starts_at=early)
    now = timezone.now()
    agencies, meetings = selectors.action_filter_choices(marac=marac, now=now)
    # The options as the page reads them, by a query compiled once: the same.
    options = _meeting_options(staff["coordinator"], marac, now)
    assert [public_id for public_id, _ in options] == [meeting.public_id for meeting in meetings] and len(options) == 3

    class Before(GovukForm):
        meeting = forms.ModelChoiceField(queryset=meetings, required=False, empty_label="Any meeting", to_field_name="public_id", widget=GovukSelect)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["meeting"].label_from_instance = lambda meeting: f"{timezone.localtime(meeting.starts_at):%-d %B %Y}"

    for chosen in ("", str(hearings[0].item.meeting.public_id), "nonsense"):
        form, before = ActionFilterForm({"meeting": chosen}, agencies=agencies, meetings=meetings), Before({"meeting": chosen})
        assert str(form["meeting"]) == str(before["meeting"])
        read = ActionFilterForm({"meeting": chosen}, agencies=agencies, meetings=meetings, meeting_options=options)
        assert str(read["meeting"]) == str(before["meeting"]) and read.is_valid() == before.is_valid()
        assert form.is_valid() == before.is_valid() and form.errors.get("meeting") == before.errors.get("meeting")
    html = str(ActionFilterForm({}, agencies=agencies, meetings=meetings)["meeting"])
    assert f">{late:%-d %B %Y}</option>" in html and f">{early:%-d %B %Y}</option>" in html and html.count("<option") == 4
    assert ActionFilterForm({"meeting": str(hearings[1].item.meeting.public_id)}, agencies=agencies, meetings=meetings).filters()["meeting"].pk == hearings[1].item.meeting_id


def test_the_meeting_filter_offers_every_meeting_held_and_any_to_come_that_agreed_actions(marac, staff, heard):
    """Every meeting of the last two years that has been held, whether or not it agreed
    an action (choosing one that did not lists none); a meeting still to come only when
    it was run early and agreed actions; a cancelled one only when it agreed actions."""
    from openmarac.meetings import services as meeting_services
    from openmarac.meetings.models import Meeting

    coordinator, now = staff["coordinator"], timezone.now()

    def meeting(days):
        made = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=now + timezone.timedelta(days=20))
        Meeting.objects.filter(pk=made.pk).update(starts_at=now + timezone.timedelta(days=days))
        return Meeting.objects.get(pk=made.pk)

    with_actions = heard(days_ago=10)
    _action(staff, with_actions, days=5)
    held_without = meeting(-30)
    too_old = meeting(-800)
    to_come = meeting(9)
    run_early = heard(meeting=meeting(12))
    _action(staff, run_early, days=20)
    cancelled_without = meeting(-40)
    Meeting.objects.filter(pk=cancelled_without.pk).update(status=Meeting.Status.CANCELLED)
    cancelled_with = heard(days_ago=50)
    _action(staff, cancelled_with, days=-30)
    Meeting.objects.filter(pk=cancelled_with.item.meeting_id).update(status=Meeting.Status.CANCELLED)

    offered = [public_id for public_id, _ in _meeting_options(coordinator, marac, now)]
    _, meetings = selectors.action_filter_choices(marac=marac, now=now)
    assert offered == [m.public_id for m in meetings]
    expected = [run_early.item.meeting, with_actions.item.meeting, held_without, cancelled_with.item.meeting]
    assert offered == [m.public_id for m in expected]
    assert not {too_old.public_id, to_come.public_id, cancelled_without.public_id} & set(offered)
