"""After the hearing each agency that knows the case updates its own systems: one
"update our agency's records" action per agency, due the next day where the risk
escalated and within three working days otherwise (issue 15)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from openmarac.actions import services
from openmarac.actions.models import Action, ActionKind
from openmarac.audit.models import AuditEvent
from openmarac.core.selectors import home_panels
from openmarac.meetings.models import ResearchReturn

from ..conftest import sign_in


def _returned(hearing, user, *, no_trace=False):
    item = hearing.item
    return ResearchReturn.objects.create(
        meeting=item.meeting, referral=item.referral, agency=user.agency, no_trace=no_trace,
        last_contact="Seen last week" if not no_trace else "", returned_by=user, returned_at=timezone.now(),
    )


def _updates(hearing):
    return Action.objects.filter(hearing=hearing, kind=ActionKind.UPDATE_RECORDS)


def _close(staff, hearing):
    return services.hearing_close(by=staff["coordinator"], hearing=hearing, reason="The Idva was not able to attend", children_reason="Children confirmed by phone after")


def test_closing_a_case_makes_one_records_update_per_agency_that_knows_it(staff, heard):
    hearing = heard()
    _returned(hearing, staff["housing_rep"])
    _returned(hearing, staff["police_rep"])
    _returned(hearing, staff["probation_rep"], no_trace=True)  # holds nothing: nothing to update
    services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["childrens_rep"].agency, description="Strategy discussion",
        for_whom="household", due_on=timezone.localdate() + timedelta(days=7), joint_agencies=[staff["police_rep"].agency],
    )
    _close(staff, hearing)
    owners = sorted(a.owner_agency.name for a in _updates(hearing))
    expected = sorted(staff[name].agency.name for name in ("housing_rep", "police_rep", "childrens_rep"))
    assert owners == expected
    assert AuditEvent.objects.filter(summary__startswith="3 records updates").exists()


def test_no_agency_knows_the_case_no_records_update(staff, heard):
    hearing = heard()
    _close(staff, hearing)
    assert not _updates(hearing).exists()


def test_due_the_next_day_when_the_risk_escalated(staff, heard):
    hearing = heard()
    referral = hearing.item.referral
    referral.meets_escalation = True
    referral.save(update_fields=["meets_escalation"])
    _returned(hearing, staff["housing_rep"])
    _close(staff, hearing)
    (update,) = _updates(hearing)
    heard_on = timezone.localtime(hearing.item.meeting.starts_at).date()
    assert update.due_on == heard_on + timedelta(days=1)
    assert "24 hours" in update.description


def test_a_higher_score_than_the_last_hearing_is_an_escalation(staff, heard):
    first = heard(days_ago=40)
    _close(staff, first)
    earlier = first.item.referral
    earlier.checklist_score = 10
    earlier.save(update_fields=["checklist_score"])
    hearing = heard()
    referral = hearing.item.referral
    referral.case, referral.checklist_score, referral.meets_escalation = earlier.case, 16, False
    referral.save(update_fields=["case", "checklist_score", "meets_escalation"])
    _returned(hearing, staff["housing_rep"])
    _close(staff, hearing)
    (update,) = _updates(hearing)
    assert update.due_on == timezone.localtime(hearing.item.meeting.starts_at).date() + timedelta(days=1)


def test_otherwise_due_within_three_working_days(staff, heard):
    hearing = heard()
    referral = hearing.item.referral
    referral.meets_escalation = False
    referral.save(update_fields=["meets_escalation"])
    _returned(hearing, staff["housing_rep"])
    _close(staff, hearing)
    (update,) = _updates(hearing)
    heard_on = timezone.localtime(hearing.item.meeting.starts_at).date()
    assert update.due_on == services.working_days_after(heard_on, 3)
    assert update.due_on.weekday() < 5


@given(st.integers(0, 30) | st.none(), st.integers(0, 30) | st.none(), st.booleans())
def test_escalation_is_the_criterion_or_a_rising_score(score, previous, meets_escalation):
    escalated = services.risk_escalated(score=score, previous_score=previous, meets_escalation=meets_escalation)
    rose = score is not None and previous is not None and score > previous
    assert escalated == (meets_escalation or rose)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), st.booleans())
def test_records_updates_are_due_on_a_working_day_within_a_week(heard_on, escalated):
    due = services.records_update_due(heard_on=heard_on, escalated=escalated)
    if escalated:
        assert due == heard_on + timedelta(days=1)
    else:
        assert due.weekday() < 5
        assert 3 <= (due - heard_on).days <= 5
        assert sum(1 for n in range(1, (due - heard_on).days + 1) if (heard_on + timedelta(days=n)).weekday() < 5) == 3


def test_the_home_page_calls_overdue_only_the_records_updates_the_action_list_does(staff, heard, client):
    """The walk-through: "Overdue: 2 cases on which to update your agency's records" when
    the action list showed one of the two overdue and the other due in a fortnight."""
    from openmarac.actions.selectors import MARAC_ACTION_VIEWS

    rep = staff["housing_rep"]
    hearings = [heard(), heard(days_ago=3)]
    for hearing in hearings:
        _returned(hearing, rep)
        _close(staff, hearing)
    today = timezone.localdate()
    _updates(hearings[0]).update(due_on=today - timedelta(days=1))
    _updates(hearings[1]).update(due_on=today + timedelta(days=14))
    overdue = Action.objects.filter(MARAC_ACTION_VIEWS["overdue"][1](today=today), kind=ActionKind.UPDATE_RECORDS, owner_agency=rep.agency)
    assert overdue.count() == 1
    lines = {a.text: a.urgent for panel in home_panels(user=rep) for a in panel.attention if "update your agency’s records" in a.text}
    assert lines == {
        "1 case on which to update your agency’s records after the meeting": True,
        "1 more case on which to update your agency’s records after the meeting": False,
    }
    # None overdue: one line, not urgent, counting both.
    _updates(hearings[0]).update(due_on=today)
    lines = {a.text: a.urgent for panel in home_panels(user=rep) for a in panel.attention if "update your agency’s records" in a.text}
    assert lines == {"2 cases on which to update your agency’s records after the meeting": False}


def test_ticked_by_the_agency_with_who_and_when_and_off_the_home_page(staff, heard, client):
    hearing = heard()
    _returned(hearing, staff["housing_rep"])
    _close(staff, hearing)
    (update,) = _updates(hearing)
    rep = staff["housing_rep"]

    def attention_texts():
        return [a.text for panel in home_panels(user=rep) for a in panel.attention]

    assert any("update your agency’s records" in text for text in attention_texts())
    sign_in(client, rep)
    page = client.get(reverse("actions:action", args=[update.pk]))
    assert "We have updated our records" in page.content.decode()
    response = client.post(reverse("actions:records-updated", args=[update.pk]), {"version": update.version})
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.status == Action.Status.COMPLETED and update.completed_on == timezone.localdate()
    last = update.updates.last()
    assert last.reported_by == rep and last.note == services.RECORDS_UPDATE_NOTE
    assert not any("update your agency’s records" in text for text in attention_texts())
    # A second tick from a stale page changes nothing and says why.
    again = client.post(reverse("actions:records-updated", args=[update.pk]), {"version": update.version - 1}, follow=True)
    assert "Someone else updated this action first" in again.content.decode()
    assert update.updates.count() == 2


def test_another_agency_cannot_tick_it(staff, heard, client):
    hearing = heard()
    _returned(hearing, staff["housing_rep"])
    _close(staff, hearing)
    (update,) = _updates(hearing)
    sign_in(client, staff["probation_rep"])
    assert client.post(reverse("actions:records-updated", args=[update.pk]), {"version": update.version}).status_code == 404
    update.refresh_from_db()
    assert update.status == Action.Status.OPEN


def test_a_volunteered_action_is_not_ticked_this_way(staff, heard):
    hearing = heard()
    action = services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Housing options",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=7),
    )
    with pytest.raises(ValidationError):
        services.records_updated(by=staff["housing_rep"], action=action, version=action.version)


def test_records_updates_are_not_counted_as_agreed_actions(staff, heard, marac):
    from openmarac.governance import figures

    hearing = heard()
    _returned(hearing, staff["housing_rep"])
    _close(staff, hearing)
    assert _updates(hearing).exists()
    assert not figures._actions_in(marac, type("P", (), {"start": date(2000, 1, 1), "end": date(2100, 1, 1)})()).exists()
