"""Careful language on the Idva's contact notes: advice after saving, the note saved as
written (the check itself is tested in tests/core/test_language.py)."""

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.referrals import services
from openmarac.referrals.models import ContactAttempt

from ..conftest import sign_in


def test_an_idva_contact_note_is_saved_as_written_with_a_warning(marac, intake, generator):
    referrer = intake["referrer"]
    referral = services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    client = sign_in(Client(), intake["idva"])
    note = "No answer again; she won't leave him and refuses to engage."
    attempted_at = timezone.localtime() - timedelta(hours=1)
    response = client.post(
        reverse("referrals:idva-referral", args=[referral.idva_referral.pk]),
        {"attempted_at": attempted_at.strftime("%Y-%m-%dT%H:%M"), "method": "phone", "outcome": "no_answer", "note": note},
        follow=True,
    )
    body = response.content.decode()
    assert ContactAttempt.objects.get(idva_referral=referral.idva_referral).note == note
    assert "Careful language in “Notes”: instead of “won&#x27;t leave”" in body
    assert "instead of “refuses to engage”" in body
