"""Children at the hearing (seed 003): the chair confirms their number and dates of
birth before the case is closed, and an action may be for several children."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openmarac.actions import selectors, services
from openmarac.actions.prompts import plan_prompts
from openmarac.audit.models import AuditEvent


def _children(hearing):
    return list(selectors.hearing_children(hearing))


def _for_children(staff, hearing, children, **extra):
    return services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Seek the children’s views",
        for_whom="child", children=children, due_on=timezone.localdate() + timedelta(days=14), **extra,
    )


def test_a_case_with_children_cannot_close_until_the_chair_confirms_them(staff, heard):
    hearing = heard(children=2)
    services.plan_confirm_safe(by=staff["idva"], hearing=hearing)
    with pytest.raises(ValidationError) as error:
        services.hearing_close(by=staff["chair"], hearing=hearing)
    assert "children_reason" in error.value.message_dict
    hearing.refresh_from_db()
    assert hearing.closed_at is None
    services.hearing_children_confirm(by=staff["chair"], hearing=hearing, confirmed=True)
    closed = services.hearing_close(by=staff["chair"], hearing=hearing)
    assert closed.closed_at and closed.children_unconfirmed_reason == ""


def test_a_recorded_reason_lets_the_case_close_without_the_confirmation(staff, heard):
    hearing = heard(children=1)
    services.plan_confirm_safe(by=staff["idva"], hearing=hearing)
    closed = services.hearing_close(by=staff["chair"], hearing=hearing, children_reason="Children’s social care to confirm the dates by Friday")
    assert closed.children_unconfirmed_reason == "Children’s social care to confirm the dates by Friday"


def test_a_case_without_children_needs_no_confirmation(staff, heard):
    hearing = heard(children=0)
    services.plan_confirm_safe(by=staff["idva"], hearing=hearing)
    assert services.hearing_close(by=staff["chair"], hearing=hearing).closed_at


def test_corrections_need_saying_what_is_different_and_are_kept(staff, heard):
    hearing = heard(children=1)
    with pytest.raises(ValidationError) as error:
        services.hearing_children_confirm(by=staff["chair"], hearing=hearing, confirmed=False, corrections=" ")
    assert "children_corrections" in error.value.message_dict
    confirmed = services.hearing_children_confirm(by=staff["chair"], hearing=hearing, confirmed=False, corrections="A second child, Sam, born 2 May 2021")
    assert confirmed.children_confirmed is False and confirmed.children_corrections == "A second child, Sam, born 2 May 2021"
    assert confirmed.children_confirmed_by == staff["chair"] and confirmed.children_confirmed_at
    assert AuditEvent.objects.filter(summary="Children confirmed with corrections").exists()


@pytest.mark.parametrize("role", ["housing_rep", "idva", "referrer", "governance"])
def test_only_the_chair_and_coordinator_confirm_the_children(staff, heard, role):
    hearing = heard(children=1)
    with pytest.raises(PermissionDenied):
        services.hearing_children_confirm(by=staff[role], hearing=hearing, confirmed=True)
    hearing.refresh_from_db()
    assert hearing.children_confirmed is None


def test_an_action_can_be_for_several_children_and_says_which(staff, heard):
    hearing = heard(children=3)
    first, second, third = _children(hearing)
    action = _for_children(staff, hearing, [first, third])
    assert set(action.children.all()) == {first, third}
    assert action.for_whom_text == f"Children: {first} ({first.birth_text}), {third} ({third.birth_text})"
    single = _for_children(staff, hearing, [second])
    assert single.for_whom_text.startswith(f"Child: {second} (")


def test_an_action_cannot_name_a_child_of_another_case(staff, heard):
    hearing, other = heard(children=1), heard(children=1)
    with pytest.raises(ValidationError) as error:
        _for_children(staff, hearing, _children(other))
    assert "children" in error.value.message_dict


def test_children_are_kept_only_for_an_action_for_children(staff, heard):
    hearing = heard(children=1)
    action = services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Safety plan",
        for_whom="victim", children=_children(hearing), due_on=timezone.localdate() + timedelta(days=14),
    )
    assert list(action.children.all()) == [] and action.for_whom_text == "The victim"


def test_an_action_for_a_child_no_longer_silences_the_childrens_social_care_prompt(staff, heard):
    hearing = heard(children=1)
    _for_children(staff, hearing, _children(hearing))
    prompts = plan_prompts(actions=list(hearing.actions.all()), children_count=1)
    assert "There are children but no children’s social care action" in prompts


def test_the_prompts_say_which_child_no_action_is_for_yet(staff, heard):
    hearing = heard(children=2)
    first, second = _children(hearing)
    _for_children(staff, hearing, [first])
    actions = list(hearing.actions.prefetch_related("children", "joint_agencies"))
    prompts = plan_prompts(actions=actions, children_count=2, children=[first, second])
    assert f"No action is for {second} ({second.birth_text}) yet" in prompts
    assert not any(str(first) in prompt for prompt in prompts)


def test_an_action_owned_by_childrens_social_care_answers_the_prompt(staff, heard):
    hearing = heard(children=1)
    csc = staff["childrens_rep"].agency
    services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=csc, description="Strategy discussion", for_whom="child",
        children=_children(hearing), due_on=timezone.localdate() + timedelta(days=7),
    )
    prompts = plan_prompts(actions=list(hearing.actions.all()), children_count=1)
    assert "There are children but no children’s social care action" not in prompts


def test_the_seed_questions_for_the_childrens_plan_are_all_there():
    from openmarac.meetings.prompts import children_action_questions

    text = " ".join(children_action_questions()).lower()
    for topic in ("children’s views", "contact arrangements", "entry been refused", "cultural barriers", "corporate parent", "initial assessment"):
        assert topic in text


def _signed(user, meeting):
    from django.test import Client

    from openmarac.meetings.models import DeclarationSignature

    from ..conftest import sign_in

    DeclarationSignature.objects.get_or_create(meeting=meeting, user=user, defaults={"statement": "x"})
    return sign_in(Client(), user)


def test_the_case_screen_confirms_the_children_and_adds_an_action_for_two(staff, heard):
    from django.urls import reverse

    hearing = heard(children=2)
    meeting = hearing.item.meeting
    url = reverse("actions:hearing", args=[meeting.public_id, hearing.item.pk])
    chair = _signed(staff["chair"], meeting)
    body = chair.get(url).content.decode()
    assert "Questions for the children’s plan" in body and "corporate parent" in body
    response = chair.post(url, {"action": "confirm-children", "children-confirmed": "no", "children-corrections": ""})
    assert "Say what is different" in response.content.decode()
    chair.post(url, {"action": "confirm-children", "children-confirmed": "yes"})
    hearing.refresh_from_db()
    assert hearing.children_confirmed is True
    first, second = _children(hearing)
    due = timezone.localdate() + timedelta(days=7)
    response = chair.post(url, {
        "action": "add-action", "action-kind": "other", "action-owner_agency": staff["childrens_rep"].agency.pk,
        "action-description": "Seek the children’s views", "action-for_whom": "child", "action-children": [first.pk, second.pk],
        "action-due_on_day": due.day, "action-due_on_month": due.month, "action-due_on_year": due.year,
    })
    assert response.status_code == 302
    assert set(hearing.actions.get(description="Seek the children’s views").children.all()) == {first, second}
    assert f"Children: {first} ({first.birth_text}), {second}" in chair.get(url).content.decode()


def test_the_add_action_form_asks_which_children_once_under_a_child(staff, heard):
    """"Which children" is revealed under "A child" only: drawn a second time beneath
    the form it doubled every child's box (and its id) on the chair's screen."""
    from django.urls import reverse

    hearing = heard(children=2)
    meeting = hearing.item.meeting
    body = _signed(staff["chair"], meeting).get(reverse("actions:hearing", args=[meeting.public_id, hearing.item.pk])).content.decode()
    form = body[body.index('value="add-action"'):]
    form = form[:form.index("</form>")]
    assert form.count('name="action-children"') == 2
    assert form.count(">Which children</legend>") == 1
    reveal = form[form.index('id="id_action-for_whom_1-reveal"'):]
    assert reveal.index('name="action-children"') < reveal.index('id="id_action-for_whom_2"')


def test_an_empty_action_says_what_is_missing_in_plain_words(staff, heard):
    # The walk-through's error summary read "Choose the for whom" and "Enter the due by".
    from django.urls import reverse

    hearing = heard(children=1)
    meeting = hearing.item.meeting
    url = reverse("actions:hearing", args=[meeting.public_id, hearing.item.pk])
    body = _signed(staff["chair"], meeting).post(url, {"action": "add-action", "action-kind": "other"}).content.decode()
    assert "Choose who the action is for" in body and "Enter the date the action is due by" in body
    assert "Choose the for whom" not in body and "Enter the due by" not in body
    assert not hearing.actions.exists()


def test_an_agency_representative_cannot_confirm_the_children_through_the_page(staff, heard):
    from django.urls import reverse

    hearing = heard(children=1)
    meeting = hearing.item.meeting
    rep = _signed(staff["housing_rep"], meeting)
    rep.post(reverse("actions:hearing", args=[meeting.public_id, hearing.item.pk]), {"action": "confirm-children", "children-confirmed": "yes"})
    hearing.refresh_from_db()
    assert hearing.children_confirmed is None


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_action_s_child(staff, heard):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    hearing = heard(children=2)
    first, second = _children(hearing)
    linked = _for_children(staff, hearing, [first])
    plain = services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Safety plan",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=14),
    )
    before = [("actions", "0004_transfer_status_and_flag_removal")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        OldAction = executor.loader.project_state(before).apps.get_model("actions", "Action")
        assert OldAction.objects.get(pk=linked.pk).child_id == first.pk  # carried back on the way down
        OldAction.objects.filter(pk=plain.pk).update(for_whom="child", child_id=second.pk)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    from openmarac.actions.models import Action

    assert list(Action.objects.get(pk=linked.pk).children.all()) == [first]
    assert list(Action.objects.get(pk=plain.pk).children.all()) == [second]
