"""Careful language on an agency's research: advice after saving, the research saved as
written (the check itself is tested in tests/core/test_language.py)."""

from django.test import Client
from django.urls import reverse

from openmarac.meetings import services

from ..conftest import sign_in


def test_research_is_saved_as_written_with_a_warning(people, refer, meeting):
    referral = refer()
    services.referral_list(by=people["coordinator"], referral=referral, meeting=meeting)
    services.meeting_publish(by=people["coordinator"], meeting=meeting)
    client = sign_in(Client(), people["housing_rep"])
    client.post(reverse("meetings:declaration", args=[meeting.public_id]), {"agree": "yes"})
    url = reverse("meetings:research-case", args=[meeting.public_id, referral.public_id])
    opinion = "Neighbours describe a toxic relationship; she allowed him back in May."
    response = client.post(url, {"action": "save", "version": 0, "professional_opinion": opinion, "facts": "Domestic abuse reported in May"}, follow=True)
    body = response.content.decode()
    assert referral.research.get(agency=people["housing_rep"].agency).professional_opinion == opinion
    assert "instead of “toxic”" in body and "instead of “she allowed him”" in body
    assert "Careful language in “Facts" not in body  # "domestic abuse" is never flagged
