"""Late listing (issue 15): a late high-risk referral can be added to a published
meeting that is still to come and has room, when the coordinator chooses; agencies are
told it was added late (no case details), and the case list and research grid say so."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.meetings import selectors, services
from openmarac.meetings.models import AgendaItem, DeclarationSignature

from ..conftest import sign_in


@pytest.fixture
def published(people, refer, meeting):
    services.referral_list(by=people["coordinator"], referral=refer(), meeting=meeting)
    services.meeting_publish(by=people["coordinator"], meeting=meeting)
    mail.outbox.clear()
    return meeting


def test_a_case_added_after_publication_is_marked_late_and_agencies_are_told(django_capture_on_commit_callbacks, people, refer, published):
    late = refer()
    with django_capture_on_commit_callbacks(execute=True):
        item = services.referral_list(by=people["coordinator"], referral=late, meeting=published)
    assert item.added_late
    assert not AgendaItem.objects.get(meeting=published, referral__in=[i.referral for i in published.items.exclude(pk=item.pk)]).added_late
    told = {address for message in mail.outbox for address in message.to}
    assert people["housing_rep"].email in told and people["idva"].email in told
    victim = late.case.victim
    for message in mail.outbox:
        # The referrer is told the case is listed; every attendee that it was added late.
        assert ("added late" in message.subject) != (message.to == [late.referrer.email])
        assert victim.family_name not in message.body and late.case.reference not in message.body
    entries = selectors.case_list(user=people["coordinator"], meeting=published)
    flags = {entry.referral.pk: entry.flags for entry in entries}
    assert "Added late, after the case list was sent" in flags[late.pk]
    assert all("Added late" not in flag for pk, shown in flags.items() if pk != late.pk for flag in shown)
    # The agencies can open it: it is on a case list they were sent.
    assert late.case in [e.referral.case for e in selectors.case_list(user=people["housing_rep"], meeting=published)]


def test_a_full_or_started_meeting_takes_no_late_case(people, refer, published):
    published.capacity = 1
    published.save(update_fields=["capacity"])
    assert selectors.late_listing_meetings(user=people["coordinator"], marac=published.marac) == []
    referral = refer()
    with pytest.raises(ValidationError, match="full"):
        services.referral_list(by=people["coordinator"], referral=referral, meeting=published)
    published.capacity = 5
    published.starts_at = timezone.now() - timezone.timedelta(minutes=5)
    published.save(update_fields=["capacity", "starts_at"])
    with pytest.raises(ValidationError, match="started"):
        services.referral_list(by=people["coordinator"], referral=referral, meeting=published)
    referral.refresh_from_db()
    assert referral.status == referral.Status.AWAITING_LISTING


def test_only_the_coordinator_chooses_a_late_listing_from_the_listing_page(django_capture_on_commit_callbacks, marac, people, refer, published):
    referral = refer()
    url = reverse("meetings:listing", args=[marac.slug])
    client = sign_in(Client(), people["coordinator"])
    page = client.get(url).content.decode()
    assert "Add late" in page and f'value="{published.public_id}"' in page
    assert selectors.late_listing_meetings(user=people["chair"], marac=marac) == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"referral": referral.public_id, "late_meeting": published.public_id}, follow=True)
    assert "added late to the meeting" in response.content.decode()
    assert AgendaItem.objects.get(referral=referral).added_late
    # A meeting that is not open to late listing is refused with a message, nothing listed.
    other = refer()
    response = client.post(url, {"referral": other.public_id, "late_meeting": "00000000-0000-0000-0000-000000000000"}, follow=True)
    assert "Choose a published meeting" in response.content.decode() and not AgendaItem.objects.filter(referral=other).exists()
    assert sign_in(Client(), people["chair"]).post(url, {"referral": other.public_id, "late_meeting": published.public_id}).status_code == 404


def test_the_research_grid_marks_the_late_case(people, refer, published):
    late = refer()
    services.referral_list(by=people["coordinator"], referral=late, meeting=published)
    for user in (people["coordinator"], people["housing_rep"]):
        DeclarationSignature.objects.create(meeting=published, user=user, statement="x")
    grid = sign_in(Client(), people["coordinator"]).get(reverse("meetings:research", args=[published.public_id])).content.decode()
    assert grid.count("Added late") == 1
    mine = sign_in(Client(), people["housing_rep"]).get(reverse("meetings:research", args=[published.public_id])).content.decode()
    assert mine.count("Added late") == 1
