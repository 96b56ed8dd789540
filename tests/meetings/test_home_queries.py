"""Home pages tell of research missing for each published meeting in a fixed number of
queries, however many meetings are published (benchmark 2 of docs/performance.md found
three or four queries a meeting, for the coordinator and for agencies)."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import AgendaItem, Meeting

from ..conftest import sign_in


def _published_meeting(marac, people, refer, days):
    starts_at = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0) + timezone.timedelta(days=days)
    meeting = meeting_services.meeting_add(by=people["coordinator"], marac=marac, starts_at=starts_at)
    AgendaItem.objects.create(meeting=meeting, referral=refer())
    Meeting.objects.filter(pk=meeting.pk).update(published_at=timezone.now())
    return meeting


def _home_queries(client):
    assert client.get(reverse("core:home")).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("core:home"))
    return len(queries), response.content.decode()


def test_missing_research_costs_the_same_queries_for_one_meeting_or_three(marac, people, refer):
    coordinator = sign_in(Client(), people["coordinator"])
    _published_meeting(marac, people, refer, 14)
    one, page = _home_queries(coordinator)
    assert "not returned all research" in page
    _published_meeting(marac, people, refer, 21)
    _published_meeting(marac, people, refer, 28)
    three, page = _home_queries(coordinator)
    assert page.count("not returned all research") == 3
    assert three == one


def test_research_to_return_costs_the_same_queries_for_one_meeting_or_three(marac, people, refer):
    housing = sign_in(Client(), people["housing_rep"])  # the referrals come from housing, so it sees them
    _published_meeting(marac, people, refer, 14)
    one, page = _home_queries(housing)
    assert page.count("1 case to return by") == 1
    _published_meeting(marac, people, refer, 21)
    _published_meeting(marac, people, refer, 28)
    three, page = _home_queries(housing)
    assert page.count("1 case to return by") == 3
    assert three == one
