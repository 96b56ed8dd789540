"""Careful language on the case pages: advice after saving, never a block (the check
itself is tested in tests/core/test_language.py)."""

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.actions import services
from openmarac.meetings.models import DeclarationSignature

from ..conftest import sign_in


def _action(staff, hearing):
    return services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Management transfer",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=10),
    )


def test_an_action_update_is_saved_as_written_with_a_warning(staff, heard):
    hearing = heard()
    action = _action(staff, hearing)
    client = sign_in(Client(), staff["housing_rep"])
    note = "Visited; she chooses to stay with him for now."
    response = client.post(reverse("actions:action", args=[action.pk]), {"version": action.version, "status": "open", "note": note}, follow=True)
    assert response.redirect_chain
    assert action.updates.filter(note=note).exists()  # saved as written
    assert "Careful language in “Update”: instead of “chooses to stay”, consider" in response.content.decode()


def test_minutes_and_the_victims_views_are_checked_and_saved(staff, heard):
    hearing = heard()
    meeting = hearing.item.meeting
    DeclarationSignature.objects.get_or_create(meeting=meeting, user=staff["coordinator"], defaults={"statement": "x"})
    client = sign_in(Client(), staff["coordinator"])
    url = reverse("actions:hearing", args=[meeting.public_id, hearing.item.pk])
    response = client.post(
        url,
        {
            "action": "save-hearing", "version": hearing.version, "children_confirmed": "yes",
            "minutes": "Both as bad as each other, police said. Domestic abuse history.",
            "victim_views": "She won't leave because of the children.",
        },
        follow=True,
    )
    body = response.content.decode()
    hearing.refresh_from_db()
    assert hearing.minutes.startswith("Both as bad as each other")
    assert "Careful language in “Minutes”: instead of “Both as bad as each other”" in body
    assert "instead of “won&#x27;t leave”" in body
    assert "instead of “Domestic" not in body and "“domestic" not in body


def test_a_form_shown_again_with_errors_shows_no_advice(staff, heard):
    hearing = heard()
    action = _action(staff, hearing)
    client = sign_in(Client(), staff["housing_rep"])
    response = client.post(reverse("actions:action", args=[action.pk]), {"version": action.version, "status": "nonsense", "note": "toxic"})
    assert response.status_code == 200
    assert "Careful language" not in response.content.decode()
    assert "Careful language" not in client.get(reverse("actions:action", args=[action.pk])).content.decode()
