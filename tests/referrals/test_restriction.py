"""Restricted cases and break-glass access (issue 14): the coordinator restricts a case
to named users; nobody else can read it through any selector, and sees only
"Restricted case" on agendas; break-glass needs a reason, the password and a current
authenticator code, lasts a set time, is audited and is reported to the coordinators
until reviewed."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmarac.access import policy
from openmarac.accounts import mfa
from openmarac.accounts.models import AgencyKind, Role
from openmarac.actions import selectors as action_selectors
from openmarac.actions import services as action_services
from openmarac.actions.models import Action
from openmarac.audit.models import AuditEvent
from openmarac.core.selectors import home_panels
from openmarac.meetings import selectors as meeting_selectors
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import DeclarationSignature
from openmarac.records import selectors as record_selectors
from openmarac.referrals import restriction
from openmarac.referrals import selectors as referral_selectors
from openmarac.referrals import services as referral_services
from openmarac.referrals.models import BreakGlassGrant, Case, CaseRestriction
from openmarac.synthetic.referrals import ReferralGenerator

from ..conftest import sign_in
from ..factories import TEST_PASSWORD, member

REASON = "The perpetrator works for a member agency"
BREAK_REASON = "Police call tonight: the victim may be in danger at home"


def _code(user):
    return mfa.current_code(user.totpdevice_set.get(confirmed=True))


@pytest.fixture
def world(marac, staff):
    """A case with children, heard at a published meeting, with an action owned by
    housing, its Idva referral, its children's prompt and its sharing record; every
    agency has signed the meeting's declaration."""
    referrer = staff["referrer"]
    data = ReferralGenerator(seed=61).referral(marac=marac, referring_agency=referrer.agency, children=1, consent=False, review_owner=referrer)
    # A given name no staff member can have (the factories draw staff names at random), so
    # that "not on the page" proves the victim's name was withheld.
    data.victim.given_name = "Quillonette"
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    item = meeting_services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=staff["coordinator"], meeting=meeting)
    hearing = action_services.hearing_for(item)
    action = action_services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency, description="Housing options",
        for_whom="victim", due_on=timezone.localdate() + timedelta(days=30),
    )
    DeclarationSignature.objects.bulk_create(DeclarationSignature(meeting=meeting, user=u, statement="x") for u in staff.values())
    second = member(marac, Role.COORDINATOR, agency_kind=AgencyKind.POLICE)
    return {
        "case": referral.case, "referral": referral, "meeting": meeting, "item": item, "action": action,
        "victim_name": referral.case.victim.given_name, "second_coordinator": second, "data": data,
    }


# --- Restricting ------------------------------------------------------------------------


def test_restricting_names_the_coordinator_and_is_audited_without_the_reason(staff, world):
    coordinator, chair = staff["coordinator"], staff["chair"]
    result = restriction.case_restrict(by=coordinator, case=world["case"], reason=REASON, named_users=[staff["idva"]])
    assert set(result.named_users.all()) == {coordinator, staff["idva"]}
    event = AuditEvent.objects.filter(record_type="referrals.case", record_id=str(world["case"].pk), action="changed").last()
    assert event.summary.startswith("Case restricted") and REASON not in event.summary
    assert referral_selectors.case_for(user=chair, public_id=world["case"].public_id) is None
    assert referral_selectors.case_for(user=staff["idva"], public_id=world["case"].public_id) is not None


@pytest.mark.parametrize("actor", ["chair", "idva", "housing_rep", "childrens_rep", "referrer", "governance"])
def test_only_a_coordinator_restricts(staff, world, actor):
    with pytest.raises(PermissionDenied):
        restriction.case_restrict(by=staff[actor], case=world["case"], reason=REASON, named_users=[])
    assert not CaseRestriction.objects.exists()


def test_another_coordinator_needs_break_glass_and_cannot_change_the_list(staff, world):
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])
    second = world["second_coordinator"]
    assert referral_selectors.case_for(user=second, public_id=world["case"].public_id) is None
    with pytest.raises(PermissionDenied):
        restriction.case_restrict(by=second, case=world["case"], reason=REASON, named_users=[second])
    with pytest.raises(PermissionDenied):
        restriction.case_restriction_lift(by=second, case=world["case"])
    # Even with break-glass access, the list is not theirs to change.
    restriction.break_glass(by=second, case=world["case"], reason=BREAK_REASON, password=TEST_PASSWORD, code=_code(second))
    assert referral_selectors.case_for(user=second, public_id=world["case"].public_id) is not None
    with pytest.raises(PermissionDenied):
        restriction.case_restrict(by=second, case=world["case"], reason=REASON, named_users=[second])


def test_bad_input_is_refused_with_clear_messages(staff, world, other_marac):
    outsider = member(other_marac, Role.CHAIR)
    with pytest.raises(ValidationError) as error:
        restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason="short", named_users=[outsider, staff["governance"]])
    assert set(error.value.message_dict) == {"reason", "named_users"}
    assert not CaseRestriction.objects.exists()


def test_changing_the_list_and_lifting(staff, world):
    coordinator, case = staff["coordinator"], world["case"]
    restriction.case_restrict(by=coordinator, case=case, reason=REASON, named_users=[staff["chair"]])
    restriction.case_restrict(by=coordinator, case=case, reason=REASON, named_users=[staff["idva"]])
    assert referral_selectors.case_for(user=staff["chair"], public_id=case.public_id) is None
    restriction.case_restriction_lift(by=coordinator, case=case)
    assert referral_selectors.case_for(user=staff["chair"], public_id=case.public_id) is not None
    summaries = list(AuditEvent.objects.filter(record_type="referrals.case", action="changed").values_list("summary", flat=True))
    assert any(s.startswith("Named users of the restriction changed") for s in summaries) and "Restriction lifted" in summaries
    with pytest.raises(ValidationError):
        restriction.case_restriction_lift(by=coordinator, case=case)
    # Restricting again reuses the row, with the new restricting coordinator.
    restriction.case_restrict(by=world["second_coordinator"], case=case, reason=REASON, named_users=[])
    assert CaseRestriction.objects.get().restricted_by == world["second_coordinator"]


# --- Everyone else sees "Restricted case" ------------------------------------------------------


def test_others_see_restricted_case_on_the_agenda_without_names(staff, world):
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])
    (entry,) = meeting_selectors.case_list(user=staff["chair"], meeting=world["meeting"])
    assert entry.restricted and entry.victim == [] and entry.perpetrators == [] and entry.children == []
    (named_entry,) = meeting_selectors.case_list(user=staff["coordinator"], meeting=world["meeting"])
    assert not named_entry.restricted and named_entry.victim
    client = sign_in(Client(), staff["chair"])
    for url in (
        reverse("meetings:meeting", args=[world["meeting"].public_id]),
        reverse("actions:run-meeting", args=[world["meeting"].public_id]),
        reverse("actions:minutes", args=[world["meeting"].public_id]),
        reverse("meetings:research", args=[world["meeting"].public_id]),
        reverse("meetings:listing", args=["northshire"]),
    ):
        page = client.get(url).content.decode()
        assert world["victim_name"] not in page and world["case"].reference not in page, url
    assert "Restricted case" in client.get(reverse("meetings:meeting", args=[world["meeting"].public_id])).content.decode()
    pdf = client.get(reverse("meetings:case-list-pdf", args=[world["meeting"].public_id]))
    assert pdf.status_code == 200
    housing = sign_in(Client(), staff["housing_rep"])
    page = housing.get(reverse("meetings:meeting", args=[world["meeting"].public_id])).content.decode()
    assert "Restricted case" in page and world["victim_name"] not in page and world["case"].reference not in page


def test_pages_of_a_restricted_case_refuse_with_an_audited_404(staff, world):
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])
    client = sign_in(Client(), staff["housing_rep"])
    before = AuditEvent.objects.filter(action="denied").count()
    for url in (
        reverse("referrals:case", args=[world["case"].public_id]),
        reverse("actions:action", args=[world["action"].pk]),
        reverse("actions:hearing", args=[world["meeting"].public_id, world["item"].pk]),
        reverse("meetings:research-case", args=[world["meeting"].public_id, world["referral"].public_id]),
    ):
        assert client.get(url).status_code == 404, url
    assert AuditEvent.objects.filter(action="denied").count() == before + 4
    # A write by URL is refused too, and changes nothing.
    updates = world["action"].updates.count()
    response = client.post(reverse("actions:action", args=[world["action"].pk]), {"version": world["action"].version, "status": "open", "note": "x"})
    assert response.status_code == 404 and world["action"].updates.count() == updates


def test_matching_shows_a_restricted_persons_record_only_to_the_named(staff, world, marac):
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])
    victim = world["case"].victim
    repeat = referral_services.referral_record(
        marac=marac, data=ReferralGenerator(seed=62).referral(marac=marac, referring_agency=staff["referrer"].agency, victim=world["data"].victim),
        by=staff["referrer"], notify_agencies=False,
    )
    assert repeat.match_candidates.filter(candidate=victim).exists()
    second = world["second_coordinator"]
    assert victim.pk in restriction.people_of_hidden_cases(user=second, marac=marac)
    assert victim.pk not in restriction.people_of_hidden_cases(user=staff["coordinator"], marac=marac)
    page = sign_in(Client(), second).get(reverse("referrals:case", args=[repeat.case.public_id])).content.decode()
    assert world["case"].reference not in page
    named_page = sign_in(Client(), staff["coordinator"]).get(reverse("referrals:case", args=[repeat.case.public_id])).content.decode()
    assert "Possible" in named_page or "possible" in named_page
    assert victim not in list(record_selectors.marac_people_choices(user=second, marac=marac, query=victim.given_name))
    assert victim in list(record_selectors.marac_people_choices(user=staff["coordinator"], marac=marac, query=victim.given_name))


# --- Break-glass ------------------------------------------------------------------------------


def test_break_glass_needs_reason_password_and_code(staff, world, settings):
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])
    chair, case = staff["chair"], world["case"]
    with pytest.raises(ValidationError) as error:
        restriction.break_glass(by=chair, case=case, reason="", password=TEST_PASSWORD, code=_code(chair))
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        restriction.break_glass(by=chair, case=case, reason=BREAK_REASON, password="wrong", code=_code(chair))
    assert "password" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        restriction.break_glass(by=chair, case=case, reason=BREAK_REASON, password=TEST_PASSWORD, code="000000" if _code(chair) != "000000" else "111111")
    assert "code" in error.value.message_dict
    assert not BreakGlassGrant.objects.exists()
    refusals = AuditEvent.objects.filter(action="denied", summary__startswith="Break-glass refused")
    assert refusals.count() == 2 and refusals.first().reason == BREAK_REASON


def test_break_glass_grants_time_limited_access_audited_and_reported(staff, world, settings, django_capture_on_commit_callbacks):
    settings.OPENMARAC_BREAK_GLASS_MINUTES = 30
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])
    chair, case = staff["chair"], world["case"]
    with django_capture_on_commit_callbacks(execute=True):
        grant = restriction.break_glass(by=chair, case=case, reason=BREAK_REASON, password=TEST_PASSWORD, code=_code(chair))
    assert grant.expires_at - grant.granted_at == timedelta(minutes=30)
    assert referral_selectors.case_for(user=chair, public_id=case.public_id) is not None
    event = AuditEvent.objects.filter(record_type="referrals.case", record_id=str(case.pk), summary__startswith="Break-glass access").get()
    assert event.reason == BREAK_REASON and event.actor == chair
    recipients = {address for message in mail.outbox for address in message.to}
    assert recipients == {staff["coordinator"].email, world["second_coordinator"].email}
    for message in mail.outbox:
        assert world["victim_name"] not in message.body and case.reference not in message.body and BREAK_REASON not in message.body
    # When the time is up, the case is closed to them again.
    BreakGlassGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert referral_selectors.case_for(user=chair, public_id=case.public_id) is None


def test_break_glass_is_only_for_roles_that_would_see_the_case(staff, world, marac):
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])
    for actor in ("referrer", "governance"):
        with pytest.raises(PermissionDenied):
            restriction.break_glass(by=staff[actor], case=world["case"], reason=BREAK_REASON, password=TEST_PASSWORD, code=_code(staff[actor]))
    # A named user does not need it.
    with pytest.raises(PermissionDenied):
        restriction.break_glass(by=staff["coordinator"], case=world["case"], reason=BREAK_REASON, password=TEST_PASSWORD, code=_code(staff["coordinator"]))


def test_break_glass_shows_on_coordinators_home_until_reviewed(staff, world):
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])
    chair = staff["chair"]
    grant = restriction.break_glass(by=chair, case=world["case"], reason=BREAK_REASON, password=TEST_PASSWORD, code=_code(chair))

    def attention(user):
        return [item.text for panel in home_panels(user=user) for item in panel.attention if "break-glass" in item.text]

    assert attention(staff["coordinator"]) and attention(world["second_coordinator"]) and not attention(chair)
    with pytest.raises(ValidationError):
        restriction.break_glass_review(by=staff["coordinator"], grant=grant, note=" ")
    with pytest.raises(PermissionDenied):
        restriction.break_glass_review(by=chair, grant=grant, note="Fine")
    restriction.break_glass_review(by=staff["coordinator"], grant=grant, note="Spoke to the chair: a genuine emergency")
    grant.refresh_from_db()
    assert grant.reviewed_by == staff["coordinator"] and grant.reviewed_at and grant.review_note
    assert not attention(staff["coordinator"])
    with pytest.raises(ValidationError):
        restriction.break_glass_review(by=world["second_coordinator"], grant=grant, note="Again")


def test_a_coordinator_does_not_review_their_own_break_glass(staff, world):
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])
    second = world["second_coordinator"]
    grant = restriction.break_glass(by=second, case=world["case"], reason=BREAK_REASON, password=TEST_PASSWORD, code=_code(second))
    with pytest.raises(PermissionDenied):
        restriction.break_glass_review(by=second, grant=grant, note="Mine")


def test_break_glass_page_keeps_the_reason_and_never_echoes_the_password(staff, world):
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])
    client = sign_in(Client(), staff["chair"])
    url = reverse("referrals:break-glass", args=[world["case"].public_id])
    page = client.get(url).content.decode()
    assert world["victim_name"] not in page and world["case"].reference not in page
    response = client.post(url, {"reason": BREAK_REASON, "password": "wrong-password-typed", "code": "123456"})
    page = response.content.decode()
    assert response.status_code == 200 and BREAK_REASON in page and "wrong-password-typed" not in page and "The password is not right" in page
    response = client.post(url, {"reason": BREAK_REASON, "password": TEST_PASSWORD, "code": _code(staff["chair"])})
    assert response.status_code == 302 and response.url == reverse("referrals:case", args=[world["case"].public_id])
    assert "Restricted case" in client.get(response.url).content.decode()


# --- No one outside the list reads the case through any selector ---------------------------


def _reads(user, world):
    """What the user can read of the world's case, selector by selector."""
    case, meeting, marac = world["case"], world["meeting"], world["case"].marac
    referral = world["referral"]
    entries = meeting_selectors.case_list(user=user, meeting=meeting) if policy.can_see_meeting(user, meeting) else []
    research = meeting_selectors.research_for_agency(user=user, meeting=meeting) or []
    reads = {
        "case": referral_selectors.case_for(user=user, public_id=case.public_id) is not None,
        "cases": Case.objects.filter(policy.visible_cases_q(user), pk=case.pk).exists(),
        "action": action_selectors.action_for(user=user, pk=world["action"].pk) is not None,
        "actions": action_selectors.actions_of_agency(user=user, marac=marac).filter(case=case).exists()
        or action_selectors.outstanding_for(user=user, meeting=meeting).filter(case=case).exists()
        or (action_selectors.marac_actions(user=user, marac=marac, view="overdue", today=timezone.localdate() + timedelta(days=31)) or Action.objects.none()).filter(case=case).exists()
        or _on_the_action_list(user, marac, case),
        "idva": referral_selectors.idva_referral_for(user=user, pk=referral.idva_referral.pk) is not None
        or referral_selectors.idva_referrals_for(user=user, marac=marac).filter(pk=referral.idva_referral.pk).exists(),
        "children": referral_selectors.children_prompt_for(user=user, pk=referral.children_prompt.pk) is not None
        or referral_selectors.children_prompts_for(user=user, marac=marac).filter(pk=referral.children_prompt.pk).exists(),
        "sharing": referral_selectors.sharing_decision_for(user=user, pk=referral.sharing_decision.pk) is not None,
        "research": any(item.referral_id == referral.pk for item, _ in research),
        "hearing": meeting_selectors.visible_items(user=user, meeting=meeting).filter(pk=world["item"].pk).exists(),
        "case list entry": any(not e.restricted and (e.victim or e.perpetrators or e.children) for e in entries),
        # The minutes are built from the same entries (actions/views.py:_minutes_entries).
        "minutes": any(not e.restricted for e in entries),
        "people": not {p.pk for p in record_selectors.people_in_case(case=case)} <= restriction.people_of_hidden_cases(user=user, marac=marac),
    }
    return {name for name, readable in reads.items() if readable}


def _on_the_action_list(user, marac, case):
    # The Marac's action list as its page reads it (compiled queries), every action:
    # the case's actions on it exactly when the ORM's list has them.
    read = action_selectors.action_list_reads(
        user=user, marac=marac, view="all", filters={}, page_number=1, can_chase=False, now=timezone.now(), today=timezone.localdate(), per_page=1000
    )
    listed = read is not None and any(row["case__reference"] == case.reference for row in read.page[0:1000])
    assert listed == (action_selectors.marac_actions(user=user, marac=marac, view="all") or Action.objects.none()).filter(case=case).exists()
    return listed


PEOPLE = ["coordinator", "second_coordinator", "chair", "idva", "housing_rep", "childrens_rep", "probation_rep", "referrer", "governance"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    named=st.sets(st.sampled_from(PEOPLE)),
    grants=st.dictionaries(st.sampled_from(PEOPLE), st.sampled_from(["live", "expired"])),
    lifted=st.booleans(),
)
def test_nobody_outside_the_list_without_live_break_glass_reads_the_case(staff, world, named, grants, lifted):
    people = {**staff, "second_coordinator": world["second_coordinator"]}
    with transaction.atomic():
        restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[people[n] for n in named if n != "governance"])
        now = timezone.now()
        for name, state in grants.items():
            expires = now + timedelta(minutes=5) if state == "live" else now - timedelta(minutes=5)
            BreakGlassGrant.objects.create(case=world["case"], user=people[name], reason=BREAK_REASON, granted_at=now - timedelta(minutes=10), expires_at=expires)
        if lifted:
            restriction.case_restriction_lift(by=staff["coordinator"], case=world["case"])
        for name in PEOPLE:
            user = people[name]
            allowed = lifted or name == "coordinator" or (name in named and name != "governance") or grants.get(name) == "live"
            if not allowed:
                assert _reads(user, world) == set(), name
        # The named and the live grants read exactly what their role allows unrestricted.
        transaction.set_rollback(True)


def test_the_property_test_can_fail_an_unrestricted_case_is_read(staff, world):
    """The reads above find the case when it is not restricted, so the property test
    is not vacuous."""
    assert {"case", "cases", "action", "hearing", "case list entry", "minutes", "people"} <= _reads(staff["chair"], world)
    assert {"actions"} <= _reads(staff["coordinator"], world) and {"actions"} <= _reads(staff["housing_rep"], world)
    assert {"case", "idva", "research", "hearing"} <= _reads(staff["idva"], world)
    assert {"children"} <= _reads(staff["childrens_rep"], world)
    assert {"sharing"} <= _reads(staff["referrer"], world)


def test_break_glass_stops_after_as_many_wrong_tries_as_sign_in_allows(staff, world, settings):
    # A signed-in session must not be a way to guess the password without limit.
    settings.AXES_FAILURE_LIMIT = 3
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])
    chair, case = staff["chair"], world["case"]
    for _ in range(3):
        with pytest.raises(ValidationError):
            restriction.break_glass(by=chair, case=case, reason=BREAK_REASON, password="wrong", code=_code(chair))
    with pytest.raises(ValidationError) as error:
        restriction.break_glass(by=chair, case=case, reason=BREAK_REASON, password=TEST_PASSWORD, code=_code(chair))
    assert "Too many attempts" in error.value.message_dict["password"][0]
    assert not BreakGlassGrant.objects.exists()


def test_the_flags_page_hides_a_restricted_case_from_a_coordinator_not_named(staff, world):
    from openmarac.actions import selectors as action_selectors

    flag = action_services.action_add(
        by=staff["coordinator"], hearing=action_services.hearing_for(world["item"]), owner_agency=staff["housing_rep"].agency,
        description="Flag the tenancy file", for_whom="victim", due_on=timezone.localdate() + timedelta(days=30), kind="flag",
    )
    restriction.case_restrict(by=staff["coordinator"], case=world["case"], reason=REASON, named_users=[])

    def flags_seen_by(user):
        views = action_selectors.flags_overview(user=user, marac=world["case"].marac, today=flag.flag_expires_on)
        return {action.pk for view in views.values() for action in view}

    assert flag.pk in flags_seen_by(staff["coordinator"])
    assert flag.pk not in flags_seen_by(world["second_coordinator"])


def test_the_restriction_page_does_not_offer_the_coordinator_themself_who_is_always_named(staff, world):
    coordinator, case = staff["coordinator"], world["case"]
    page = sign_in(Client(), coordinator).get(reverse("referrals:restriction", args=[case.public_id])).content.decode()
    offered = re.findall(r'name="named_users" type="checkbox" value="(\d+)"', page)
    assert offered and str(coordinator.pk) not in offered and str(world["second_coordinator"].pk) in offered
    assert "You are always named" in page
