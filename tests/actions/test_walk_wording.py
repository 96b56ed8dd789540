"""Wording the walk-through of the whole cycle found wrong on the action pages: a stray
space in "For", a capital after a colon, and a last case whose link read "the minutes"."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from openmarac.actions import services
from openmarac.actions.models import Action
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import DeclarationSignature

from ..conftest import sign_in


def _sign(meeting, *users):
    for user in users:
        DeclarationSignature.objects.get_or_create(meeting=meeting, user=user, defaults={"statement": "x"})


def _action(staff, hearing, for_whom="perpetrator"):
    return services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Housing options for the perpetrator",
        for_whom=for_whom, due_on=timezone.localdate() + timedelta(days=10),
    )


def test_the_action_page_says_for_whom_and_the_victim_without_a_stray_space(client, staff, heard):
    hearing = heard()
    action = _action(staff, hearing)
    sign_in(client, staff["housing_rep"])
    page = " ".join(client.get(reverse("actions:action", args=[action.pk])).content.decode().split())
    assert "The perpetrator; victim " in page and "The perpetrator ;" not in page


def test_a_reason_not_possible_reads_as_one_sentence_on_the_run_the_meeting_screen(client, marac, staff, heard):
    hearing = heard()
    action = _action(staff, hearing)
    services.action_report(
        by=staff["housing_rep"], action=action, version=action.version, status=Action.Status.NOT_POSSIBLE,
        not_possible_reason="circumstances_changed", note="She moved in with her sister",
    )
    next_meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=12))
    _sign(next_meeting, staff["chair"])
    sign_in(client, staff["chair"])
    page = client.get(reverse("actions:run-meeting", args=[next_meeting.public_id])).content.decode()
    assert "Not possible: circumstances changed in another way" in page


def test_the_last_case_closed_offers_to_go_on_to_the_minutes(client, staff, heard):
    hearing = heard(children=0)
    meeting = hearing.item.meeting
    _sign(meeting, staff["chair"])
    sign_in(client, staff["chair"])
    url = reverse("actions:hearing", args=[meeting.public_id, hearing.item_id])
    client.post(url, {"action": "close", "close-reason": "Idva called away", "close-confirm": "on"})
    page = client.get(url).content.decode()
    assert f'This was the last case: <a class="govuk-link" href="{reverse("actions:minutes", args=[meeting.public_id])}">go on to the minutes</a>.' in page
