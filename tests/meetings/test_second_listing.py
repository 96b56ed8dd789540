"""One case on two agendas at once (issue 12): when a referral's case is already on the
agenda of a meeting not yet held (a possible match joined the new referral to a listed
case), listing it again says which meeting and needs the coordinator's confirmation."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.meetings import services
from openmarac.meetings.models import AgendaItem
from openmarac.referrals.models import Referral

from ..conftest import sign_in


@pytest.fixture
def joined(people, refer, meeting):
    """A referral listed for `meeting`, and a later referral of the same case awaiting
    listing: what confirming a possible match leaves."""
    first = refer()
    services.referral_list(by=people["coordinator"], referral=first, meeting=meeting)
    second = refer()
    Referral.objects.filter(pk=second.pk).update(case=first.case)
    second.refresh_from_db()
    return second


@pytest.fixture
def later(people, marac, meeting):
    return services.meeting_add(by=people["coordinator"], marac=marac, starts_at=meeting.starts_at + timezone.timedelta(days=14))


def test_listing_a_case_already_on_an_agenda_is_refused_until_confirmed(people, joined, meeting, later):
    with pytest.raises(ValidationError, match=f"already on the agenda of the {meeting.title}, not yet held"):
        services.referral_list(by=people["coordinator"], referral=joined, meeting=later)
    assert not AgendaItem.objects.filter(referral=joined).exists()
    item = services.referral_list(by=people["coordinator"], referral=joined, meeting=later, confirm_second_listing=True)
    assert item.meeting == later


def test_a_case_on_a_past_meeting_s_agenda_is_listed_without_asking(people, refer, meeting, later):
    first = refer()
    services.referral_list(by=people["coordinator"], referral=first, meeting=meeting)
    meeting.starts_at = timezone.now() - timezone.timedelta(days=3)
    meeting.save(update_fields=["starts_at"])
    second = refer()
    Referral.objects.filter(pk=second.pk).update(case=first.case)
    second.refresh_from_db()
    assert services.referral_list(by=people["coordinator"], referral=second, meeting=later).meeting == later


def test_list_all_as_proposed_leaves_the_case_for_the_coordinator(people, marac, refer, joined):
    other = refer()
    listed = services.list_all_as_proposed(by=people["coordinator"], marac=marac)
    assert [item.referral for item in listed] == [other]
    joined.refresh_from_db()
    assert joined.status == Referral.Status.AWAITING_LISTING


def test_the_listing_page_names_the_meeting_and_asks_for_confirmation(people, marac, joined, meeting, later):
    client = sign_in(Client(), people["coordinator"])
    url = reverse("meetings:listing", args=[marac.slug])
    page = client.get(url).content.decode()
    assert f"This case is already on the agenda of the {meeting.title}, not yet held" in page
    assert "List as proposed anyway" in page and 'name="confirm_second_listing" value="yes"' in page
    refused = client.post(url, {"referral": joined.public_id, "meeting": later.public_id}, follow=True).content.decode()
    assert "Confirm to give the case a second agenda item" in refused
    assert not AgendaItem.objects.filter(referral=joined).exists()
    client.post(url, {"referral": joined.public_id, "meeting": later.public_id, "confirm_second_listing": "yes"})
    assert AgendaItem.objects.get(referral=joined).meeting == later
