"""The home pages' reads compiled once and sent together (core/selectors.py) give what
the ORM's selectors gave, for every role and for a user with several roles, restricted
and lapsed cases included; and their query count does not grow with the data."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Membership, Role
from openmarac.actions import selectors as action_selectors
from openmarac.actions import services as action_services
from openmarac.actions.models import Action, ActionKind
from openmarac.core import compiled
from openmarac.core.selectors import home_panels
from openmarac.meetings import selectors as meeting_selectors
from openmarac.referrals import selectors as referral_selectors
from openmarac.referrals.models import AgencyCheck, BreakGlassGrant, CaseRestriction, ChildrenReferralPrompt, IdvaReferral, MatchCandidate

from ..conftest import sign_in
from .test_home_queries import _published_meeting


@pytest.fixture
def world(marac, people, refer):
    coordinator, housing = people["coordinator"], people["housing_rep"]
    meetings = [_published_meeting(marac, people, refer, days) for days in (7, 14)]
    items = [meeting.items.get() for meeting in meetings]
    for meeting in meetings:
        meeting.items.create(referral=refer())
    # A restricted case naming nobody but the coordinator, on the first case list.
    restricted = items[0].referral
    CaseRestriction.objects.create(case=restricted.case, reason="Works for housing", restricted_by=coordinator, restricted_at=timezone.now()).named_users.add(coordinator)
    # A case whose access has lapsed for agencies.
    lapsed = refer()
    lapsed.case.__class__.objects.filter(pk=lapsed.case_id).update(last_heard_on=timezone.localdate() - timedelta(days=500))
    today = timezone.localdate()
    for n, item in enumerate(items):
        hearing = action_services.hearing_for(item)
        for owner, kind, due in ((housing, "other", -3), (housing, ActionKind.UPDATE_RECORDS, 2), (people["police_rep"], "other", 5), (housing, "other", 30)):
            Action.objects.create(
                case=item.referral.case, hearing=hearing, kind=kind, owner_agency=owner.agency, description="Do", for_whom="victim",
                due_on=today + timedelta(days=due + n), created_by=coordinator,
            )
    for referral in (restricted, lapsed, items[1].referral):
        AgencyCheck.objects.get_or_create(referral=referral, defaults={"agency": housing.agency, "due_at": timezone.now() + timedelta(hours=5)})
        ChildrenReferralPrompt.objects.get_or_create(referral=referral, defaults={"agency": housing.agency})
        IdvaReferral.objects.filter(referral=referral).update(first_contact_at=None, idva_agency=people["idva"].agency)
        person = referral.people.first()
        MatchCandidate.objects.get_or_create(new_person_id=person.person_id, candidate_id=person.person_id, defaults={"referral": referral, "score": 0.9, "label": "likely"})
    BreakGlassGrant.objects.create(case=restricted.case, user=people["chair"], reason="Urgent", granted_at=timezone.now(), expires_at=timezone.now() + timedelta(hours=4))
    # Several roles: the housing representative also chairs, and an Idva also coordinates.
    both = people["chair"]
    Membership.objects.create(user=both, marac=marac, role=Role.REPRESENTATIVE, is_active=True)
    Membership.objects.create(user=people["idva"], marac=marac, role=Role.COORDINATOR, is_active=True)
    return meetings


USERS = ["coordinator", "chair", "idva", "housing_rep", "police_rep", "childrens_rep", "referrer", "governance"]


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("who", USERS)
def test_the_compiled_reads_give_the_orms_answers(marac, people, world, who):
    user = _fresh(people[who])
    now, today = timezone.now(), timezone.localdate()
    published = list(meeting_selectors.meetings_for(user=user, marac=marac).filter(status="scheduled", published_at__isnull=False))
    reads = compiled.read_together(
        meeting_selectors.published_upcoming_read(user=user, marac=marac, now=now),
        meeting_selectors.research_outstanding_read(user=user, marac=marac, now=now),
        action_selectors.open_agency_counts_read(user=user, marac=marac, now=now, today=today),
        referral_selectors.agency_checks_open_read(user=user, marac=marac),
        referral_selectors.children_prompts_read(user=user, marac=marac),
        referral_selectors.idva_referrals_awaiting_contact_read(user=user, marac=marac),
        referral_selectors.pending_matches_count_read(user=user, marac=marac, now=now),
        action_selectors.overdue_count_read(user=user, marac=marac, now=now, today=today),
    )
    meetings, outstanding, counts, checks, prompts, idva, matches, overdue = reads
    assert [m.pk for m in meetings] == [m.pk for m in published]
    assert {row["meeting"]: row["n"] for row in outstanding} == meeting_selectors.research_outstanding_by_meeting(user=user, marac=marac, meetings=published)
    records = Q(kind=ActionKind.UPDATE_RECORDS)
    orm_counts = action_selectors.actions_of_agency(user=user, marac=marac).filter(status="open").aggregate(
        records_n=Count("id", filter=records), records_late=Count("id", filter=records & Q(due_on__lt=today)), n=Count("id", filter=~records),
        late=Count("id", filter=~records & Q(due_on__lt=today)), soon=Count("id", filter=~records & Q(due_on__gte=today, due_on__lte=today + timedelta(days=7))),
    )
    assert (counts[0] if counts else dict.fromkeys(orm_counts, 0)) == orm_counts
    assert [c.pk for c in checks] == [c.pk for c in referral_selectors.agency_checks_open(user=user, marac=marac)]
    assert {p.pk for p in prompts} == {p.pk for p in referral_selectors.children_prompts_for(user=user, marac=marac)}
    assert [i.pk for i in idva] == [i.pk for i in referral_selectors.idva_referrals_for(user=user, marac=marac).filter(first_contact_at__isnull=True) if user.agency_id]
    assert (matches[0]["n"] if matches else 0) == referral_selectors.pending_match_decisions(user=user, marac=marac).values("referral_id").distinct().count()
    orm_overdue = Action.objects.filter(policy.visible_actions_q(user), marac=marac, status="open", due_on__lt=today).count() if policy.has_role(user, marac, *policy.ALL_CASES_ROLES) else 0
    assert (overdue[0]["n"] if overdue else 0) == orm_overdue
    # The world has something to show for the roles that see it.
    if who == "housing_rep":
        assert outstanding and counts and checks
    if who == "coordinator":
        assert checks and matches and overdue


def test_the_orms_answers_are_not_all_empty(marac, people, world):
    housing = _fresh(people["housing_rep"])
    published = type(world[0]).objects.filter(pk__in=[m.pk for m in world])
    assert meeting_selectors.research_outstanding_by_meeting(user=housing, marac=marac, meetings=published)
    assert referral_selectors.agency_checks_open(user=housing, marac=marac)
    assert ChildrenReferralPrompt.objects.filter(agency=housing.agency).exists()
    assert list(referral_selectors.children_prompts_for(user=_fresh(people["childrens_rep"]), marac=marac))
    idva = _fresh(people["idva"])
    assert list(referral_selectors.idva_referrals_for(user=idva, marac=marac).filter(first_contact_at__isnull=True))
    assert referral_selectors.pending_match_decisions(user=_fresh(people["coordinator"]), marac=marac).exists()


@pytest.mark.parametrize("who", USERS)
def test_a_home_page_reads_the_same_number_of_queries_with_more_data(marac, people, refer, who, settings):
    # The SQL itself below, not the name it is prepared under on PostgreSQL.
    settings.OPENMARAC_PREPARED_STATEMENTS = False
    client = sign_in(Client(), people[who])
    client.get(reverse("core:home"))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("core:home")).status_code == 200
        return captured

    _published_meeting(marac, people, refer, 7)
    one = queries()
    for days in (14, 21):
        meeting = _published_meeting(marac, people, refer, days)
        meeting.items.create(referral=refer())
    three = queries()
    assert len(three) == len(one)
    # No list of ids in the home page's reads: each read is compiled once.
    assert not [q["sql"] for q in three.captured_queries if "IN (%s, %s" in q["sql"] or ", %s, %s, %s)" in q["sql"]]


def test_a_coordinator_reads_the_panel_in_one_round_trip_on_postgresql(marac, people, world):
    coordinator = _fresh(people["coordinator"])
    home_panels(user=coordinator)  # compiled once
    coordinator = _fresh(people["coordinator"])
    with CaptureQueriesContext(connection) as captured:
        home_panels(user=coordinator)
    # The memberships, the panel's reads (one statement on PostgreSQL, one each
    # elsewhere) and nothing else.
    expected = 2 if connection.vendor == "postgresql" else 1 + 12
    assert len(captured) == expected, [q["sql"][:80] for q in captured.captured_queries]
