"""Accounts a Marac runs itself (issue 13) and one Marac never reaching into another
(issue 14): invitations, acceptance, unlock, authenticator resets, deactivation."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmarac.access import policy
from openmarac.accounts import mfa, services
from openmarac.accounts.models import AccountRequest, AgencyKind, Membership, Role, User
from openmarac.audit.models import AuditEvent

from ..conftest import sign_in
from ..factories import MaracAgencyFactory, member


@pytest.fixture
def coordinator(make_member):
    return make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA)


@pytest.fixture
def other_coordinator(other_marac):
    return member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)


@pytest.fixture
def shared_agency(marac, other_marac):
    """One police force taking part in both Maracs (linked by the system administrator)."""
    link = MaracAgencyFactory(marac=other_marac, agency__kind=AgencyKind.POLICE, agency__name="Shire Police")
    MaracAgencyFactory(marac=marac, agency=link.agency)
    return link.agency


@pytest.fixture
def officer_of_other_marac(other_marac, shared_agency):
    """An account that serves the other Marac only."""
    user = member(other_marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.POLICE)
    assert user.agency == shared_agency
    return user


def _run(callbacks, fn, **kwargs):
    with callbacks(execute=True):
        return fn(**kwargs)


# --- Invitations -------------------------------------------------------------------


def test_an_invited_person_shows_as_invited_until_they_first_sign_in(client, marac, coordinator, django_capture_on_commit_callbacks):
    housing = MaracAgencyFactory(marac=marac, agency__kind=AgencyKind.HOUSING).agency
    membership = _run(
        django_capture_on_commit_callbacks, services.user_invite,
        by=coordinator, marac=marac, email="new@housing.example", full_name="Nia Jones", agency=housing, role=Role.REPRESENTATIVE,
    )
    sign_in(client, coordinator)
    body = client.get(reverse("accounts:members", args=[marac.slug])).content.decode()
    row = body[body.index("Nia Jones"):]
    assert "Invited" in row[: row.index("</tr>")]
    user = membership.user
    user.last_login = timezone.now()
    user.save()
    body = client.get(reverse("accounts:members", args=[marac.slug])).content.decode()
    row = body[body.index("Nia Jones"):]
    assert "Active" in row[: row.index("</tr>")]


def test_resending_an_invitation_makes_a_new_link_and_kills_the_old(marac, coordinator, django_capture_on_commit_callbacks):
    housing = MaracAgencyFactory(marac=marac, agency__kind=AgencyKind.HOUSING).agency
    membership = _run(
        django_capture_on_commit_callbacks, services.user_invite,
        by=coordinator, marac=marac, email="new@housing.example", full_name="Nia Jones", agency=housing, role=Role.REPRESENTATIVE,
    )
    first = re.search(r"https?://\S+/invitation/\S+", mail.outbox[-1].body).group(0)
    _run(django_capture_on_commit_callbacks, services.invitation_resend, by=coordinator, membership=membership)
    second = re.search(r"https?://\S+/invitation/\S+", mail.outbox[-1].body).group(0)
    assert first != second
    client = Client()
    old = client.get("/" + first.split("/", 3)[3])
    assert old.status_code == 400 and "ask for a new set-up link" in old.content.decode()
    assert client.get("/" + second.split("/", 3)[3]).status_code == 200
    assert AuditEvent.objects.filter(summary="Invitation sent again", marac=marac).exists()


def test_an_invitation_already_used_cannot_be_resent(marac, coordinator, make_member):
    active = make_member(Role.REFERRER, last_login=timezone.now())
    with pytest.raises(ValidationError):
        services.invitation_resend(by=coordinator, membership=active.memberships.get())


def test_the_reset_form_sends_a_set_up_link_to_an_invited_account_without_a_password(client, marac, coordinator, django_capture_on_commit_callbacks):
    housing = MaracAgencyFactory(marac=marac, agency__kind=AgencyKind.HOUSING).agency
    _run(
        django_capture_on_commit_callbacks, services.user_invite,
        by=coordinator, marac=marac, email="new@housing.example", full_name="Nia Jones", agency=housing, role=Role.REPRESENTATIVE,
    )
    mail.outbox.clear()
    client.post(reverse("accounts:password-reset"), {"email": "new@housing.example"})
    assert len(mail.outbox) == 1
    assert "has no password yet" in mail.outbox[0].body
    link = re.search(r"https?://\S+/password-reset/\S+", mail.outbox[0].body).group(0)
    response = client.get("/" + link.split("/", 3)[3], follow=True)
    assert "new_password1" in response.content.decode()


# --- One person, several Maracs ------------------------------------------------------


def test_inviting_an_account_of_another_marac_asks_its_holder(marac, coordinator, officer_of_other_marac, django_capture_on_commit_callbacks):
    membership = _run(
        django_capture_on_commit_callbacks, services.user_invite,
        by=coordinator, marac=marac, email=officer_of_other_marac.email, full_name="x", agency=officer_of_other_marac.agency, role=Role.CHAIR,
    )
    assert membership.awaiting_acceptance and not membership.is_active
    assert not policy.has_role(officer_of_other_marac, marac, Role.CHAIR)
    assert "asked you to take the role Chair" in mail.outbox[-1].body
    # Audited in both Maracs.
    assert {e.marac_id for e in AuditEvent.objects.filter(record_type="accounts.membership", record_id=str(membership.pk))} >= {
        marac.pk, officer_of_other_marac.memberships.first().marac_id
    }

    client = sign_in(Client(), officer_of_other_marac)
    assert "asks you to take the role Chair" in client.get("/").content.decode()
    client.post(reverse("accounts:offers"), {"membership": membership.pk, "answer": "accept"})
    membership.refresh_from_db()
    assert membership.is_active and not membership.awaiting_acceptance
    assert policy.has_role(User.objects.get(pk=officer_of_other_marac.pk), marac, Role.CHAIR)


def test_a_declined_offer_adds_nothing(marac, coordinator, officer_of_other_marac):
    membership = services.user_invite(
        by=coordinator, marac=marac, email=officer_of_other_marac.email, full_name="x", agency=officer_of_other_marac.agency, role=Role.CHAIR,
    )
    services.membership_respond(by=officer_of_other_marac, membership=membership, accept=False)
    membership.refresh_from_db()
    assert not membership.is_active and not membership.awaiting_acceptance


def test_nobody_else_can_answer_an_offer(marac, coordinator, officer_of_other_marac, other_coordinator):
    membership = services.user_invite(
        by=coordinator, marac=marac, email=officer_of_other_marac.email, full_name="x", agency=officer_of_other_marac.agency, role=Role.CHAIR,
    )
    with pytest.raises(PermissionDenied):
        services.membership_respond(by=other_coordinator, membership=membership, accept=True)
    response = sign_in(Client(), coordinator).post(reverse("accounts:offers"), {"membership": membership.pk, "answer": "accept"})
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.awaiting_acceptance and not membership.is_active


def test_inviting_never_reactivates_an_account_deactivated_elsewhere(marac, coordinator, officer_of_other_marac, other_coordinator):
    services.account_deactivate(by=other_coordinator, membership=officer_of_other_marac.memberships.get(), reason="Left the force")
    officer_of_other_marac.refresh_from_db()
    assert not officer_of_other_marac.is_active
    with pytest.raises(ValidationError) as error:
        services.user_invite(
            by=coordinator, marac=marac, email=officer_of_other_marac.email, full_name="x", agency=officer_of_other_marac.agency, role=Role.CHAIR,
        )
    assert "deactivated in another Marac" in str(error.value)
    officer_of_other_marac.refresh_from_db()
    assert not officer_of_other_marac.is_active
    assert not Membership.objects.filter(user=officer_of_other_marac, marac=marac).exists()


def test_the_system_administrator_can_reactivate_an_account(marac, system_admin, officer_of_other_marac, other_coordinator):
    services.account_deactivate(by=other_coordinator, membership=officer_of_other_marac.memberships.get(), reason="Left")
    membership = services.user_invite(
        by=system_admin, marac=marac, email=officer_of_other_marac.email, full_name="x", agency=officer_of_other_marac.agency, role=Role.CHAIR,
    )
    officer_of_other_marac.refresh_from_db()
    assert officer_of_other_marac.is_active and membership.awaiting_acceptance


def test_a_coordinator_cannot_link_another_marac_s_agency(marac, other_marac, coordinator, system_admin):
    theirs = MaracAgencyFactory(marac=other_marac, agency__name="Southvale Housing").agency
    with pytest.raises(PermissionDenied):
        services.agency_add_to_marac(by=coordinator, marac=marac, agency=theirs)
    assert not marac.agency_links.filter(agency=theirs).exists()
    # The rendered form does not offer it either.
    body = sign_in(Client(), coordinator).get(reverse("accounts:agency-add", args=[marac.slug])).content.decode()
    assert "Southvale Housing" not in body
    services.agency_add_to_marac(by=system_admin, marac=marac, agency=theirs)
    assert marac.agency_links.filter(agency=theirs).exists()


def test_a_reset_for_an_account_serving_two_maracs_goes_to_the_system_administrator(
    marac, coordinator, shared_agency, other_marac, system_admin, django_capture_on_commit_callbacks
):
    both = member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.POLICE)
    Membership.objects.create(user=both, marac=other_marac, role=Role.REPRESENTATIVE)
    request = _run(
        django_capture_on_commit_callbacks, services.mfa_reset, by=coordinator, membership=both.memberships.get(marac=marac), reason="Lost phone"
    )
    assert isinstance(request, AccountRequest)
    assert both.totpdevice_set.exists()  # nothing deleted for the other Marac
    assert mail.outbox[-1].to == [system_admin.email]
    assert {e.marac_id for e in AuditEvent.objects.filter(record_type="accounts.accountrequest")} == {marac.pk, other_marac.pk}
    # The system administrator is told on the Maracs page and acts; the request closes.
    body = sign_in(Client(), system_admin).get(reverse("accounts:maracs")).content.decode()
    assert both.email in body and "Lost phone" in body
    services.mfa_reset(by=system_admin, membership=both.memberships.get(marac=marac), reason="Asked by Northshire")
    assert not both.totpdevice_set.exists()
    request.refresh_from_db()
    assert request.resolved_by == system_admin


def test_deactivating_an_account_serving_two_maracs_ends_only_this_marac_s_roles(marac, coordinator, other_marac):
    both = member(marac, Role.REPRESENTATIVE)
    Membership.objects.create(user=both, marac=other_marac, role=Role.REFERRER)
    referred = services.account_deactivate(by=coordinator, membership=both.memberships.get(marac=marac), reason="Moved job")
    assert referred.kind == AccountRequest.Kind.DEACTIVATE
    both.refresh_from_db()
    assert both.is_active
    assert list(both.memberships.filter(is_active=True).values_list("marac", flat=True)) == [other_marac.pk]


def test_an_account_of_this_marac_alone_is_deactivated_and_told(marac, coordinator, make_member, django_capture_on_commit_callbacks):
    user = make_member(Role.REFERRER)
    client = sign_in(Client(), user)
    assert _run(django_capture_on_commit_callbacks, services.account_deactivate, by=coordinator, membership=user.memberships.get(), reason="Left") is None
    user.refresh_from_db()
    assert not user.is_active
    assert mail.outbox[-1].to == [user.email] and "deactivated" in mail.outbox[-1].body
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(record_id=str(user.pk), summary="Account deactivated", reason="Left").exists()


# --- A Marac never loses its coordinator -------------------------------------------


def test_the_last_coordinator_cannot_be_removed_or_demoted(marac, coordinator, system_admin):
    membership = coordinator.memberships.get()
    with pytest.raises(ValidationError):
        services.membership_deactivate(by=system_admin, membership=membership)
    with pytest.raises(ValidationError):
        services.membership_change_role(by=system_admin, membership=membership, role=Role.CHAIR)
    with pytest.raises(ValidationError):
        services.account_deactivate(by=system_admin, membership=membership, reason="Left")
    membership.refresh_from_db()
    assert membership.is_active and membership.role == Role.COORDINATOR


def test_a_second_coordinator_makes_the_first_removable(marac, coordinator, make_member, system_admin):
    make_member(Role.COORDINATOR)
    services.membership_deactivate(by=system_admin, membership=coordinator.memberships.get())
    assert not coordinator.memberships.get().is_active


def test_nobody_deactivates_themselves(marac, coordinator, make_member):
    make_member(Role.COORDINATOR)
    with pytest.raises(ValidationError):
        services.membership_deactivate(by=coordinator, membership=coordinator.memberships.get())
    with pytest.raises(ValidationError):
        services.account_deactivate(by=coordinator, membership=coordinator.memberships.get(), reason="x")
    coordinator.refresh_from_db()
    assert coordinator.is_active


def test_the_last_coordinator_page_refuses_with_a_clear_message(client, marac, coordinator, system_admin):
    sign_in(client, system_admin)
    url = reverse("accounts:member-action", args=[marac.slug, coordinator.memberships.get().pk, "remove-role"])
    assert "only coordinator" in client.get(url).content.decode()
    response = client.post(url, {"reason": "Testing"})
    assert response.status_code == 200 and "Invite another coordinator" in response.content.decode()
    assert 'value="Testing"' in response.content.decode() or "Testing</textarea>" in response.content.decode()


def test_the_maracs_list_flags_one_without_a_coordinator_or_chair(client, marac, other_marac, coordinator, make_member, system_admin):
    make_member(Role.CHAIR)
    sign_in(client, system_admin)

    def row(body, name):
        rest = body[body.index(f"<td class=\"govuk-table__cell\">{name}"):]
        return rest[: rest.index("</tr>")]

    # Invited, never signed in: nobody can run the Marac yet.
    body = client.get(reverse("accounts:maracs")).content.decode()
    assert "Coordinator invited, not yet signed in" in row(body, "Northshire Marac") and "in place" not in row(body, "Northshire Marac")
    sign_in(Client(), coordinator)
    body = client.get(reverse("accounts:maracs")).content.decode()
    northshire, southvale = row(body, "Northshire Marac"), row(body, "Southvale Marac")
    assert "Coordinator and chair in place" in northshire and "not yet signed in" not in northshire
    assert "No active coordinator" in southvale and "No active chair" in southvale


# --- Unlock and recovery -------------------------------------------------------------


def _lock_out(user):
    AccessAttempt.objects.create(
        username=user.email, ip_address="10.0.0.1", user_agent="test", failures_since_start=django_settings.AXES_FAILURE_LIMIT,
        get_data="", post_data="", http_accept="", path_info="/sign-in/", attempt_time=timezone.now(),
    )


def test_a_coordinator_unlocks_a_locked_out_member_with_a_reason(client, marac, coordinator, make_member, django_capture_on_commit_callbacks):
    user = make_member(Role.REFERRER)
    _lock_out(user)
    assert services.is_locked_out(user)
    sign_in(client, coordinator)
    member_url = reverse("accounts:member", args=[marac.slug, user.memberships.get().pk])
    assert "Locked out" in client.get(member_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:member-action", args=[marac.slug, user.memberships.get().pk, "unlock"]), {"reason": "Phoned me"})
    assert response.status_code == 302
    assert not services.is_locked_out(user)
    assert mail.outbox[-1].to == [user.email]
    assert AuditEvent.objects.filter(record_id=str(user.pk), summary="Sign-in lockout cleared", reason="Phoned me", marac=marac).exists()


def test_recovery_codes_are_issued_at_set_up_and_each_works_once(client, marac, make_member):
    user = make_member(Role.REFERRER)
    user.totpdevice_set.all().delete()
    client.force_login(user)
    client.get(reverse("accounts:mfa-setup"))
    device = user.totpdevice_set.get()
    response = client.post(reverse("accounts:mfa-setup"), {"code": mfa.current_code(device)})
    assert response.url == reverse("accounts:recovery-codes")
    page = client.get(reverse("accounts:recovery-codes")).content.decode()
    codes = re.findall(r"<li><code>(\w+)</code></li>", page)
    assert len(codes) == 10
    download = client.get(reverse("accounts:recovery-codes-download"))
    assert download["Content-Disposition"].startswith("attachment") and all(c in download.content.decode() for c in codes)
    # Shown once: afterwards only how many are left.
    assert "<code>" not in client.get(reverse("accounts:recovery-codes")).content.decode()

    fresh = Client()
    fresh.force_login(user)
    assert fresh.post(reverse("accounts:mfa-recovery"), {"code": codes[0].upper()}).status_code == 302
    assert fresh.get("/").status_code == 200
    again = Client()
    again.force_login(user)
    used = again.post(reverse("accounts:mfa-recovery"), {"code": codes[0]})
    assert "not accepted" in used.content.decode()  # that code is used up
    assert again.get("/").status_code == 302
    assert mfa.recovery_codes_left(user) == 9


def test_an_authenticator_reset_removes_the_recovery_codes_too(marac, coordinator, make_member):
    user = make_member(Role.REFERRER)
    mfa.recovery_codes_issue(user)
    services.mfa_reset(by=coordinator, membership=user.memberships.get(), reason="Lost phone")
    assert not StaticDevice.objects.filter(user=user).exists()


@pytest.mark.parametrize("role", [r for r in Role if r != Role.COORDINATOR])
def test_only_coordinators_unlock_or_deactivate_accounts(marac, make_member, role):
    actor = make_member(role)
    target = make_member(Role.REFERRER)
    with pytest.raises(PermissionDenied):
        services.account_unlock(by=actor, membership=target.memberships.get(), reason="x")
    with pytest.raises(PermissionDenied):
        services.account_deactivate(by=actor, membership=target.memberships.get(), reason="x")
    target.refresh_from_db()
    assert target.is_active


# --- Lists: totals, pages and a query count that does not grow with rows ---------------


def test_the_users_list_shows_its_total_and_its_query_count_does_not_grow(client, marac, coordinator, make_member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(client, coordinator)
    for _ in range(3):
        make_member(Role.REFERRER)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:members", args=[marac.slug]))
    for _ in range(12):
        make_member(Role.REFERRER)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("accounts:members", args=[marac.slug]))
    assert len(many.captured_queries) == len(few.captured_queries)
    assert "(16 roles)" in response.content.decode()


def test_the_users_list_paginates(client, marac, coordinator, make_member, monkeypatch):
    from openmarac.accounts import manage_views

    monkeypatch.setattr(manage_views, "MEMBERS_PER_PAGE", 2)
    for _ in range(3):
        make_member(Role.REFERRER)
    sign_in(client, coordinator)
    first = client.get(reverse("accounts:members", args=[marac.slug])).content.decode()
    assert "Page 1 of 2" in first and "(4 roles)" in first
    second = client.get(reverse("accounts:members", args=[marac.slug]) + "?page=2").content.decode()
    assert "Page 2 of 2" in second


# --- The rule's edges, as a property --------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    roles=st.lists(
        st.tuples(st.sampled_from(["here", "there"]), st.sampled_from([r.value for r in Role]), st.booleans(), st.booleans()),
        min_size=1, max_size=4, unique_by=lambda t: (t[0], t[1]),
    )
)
def test_a_coordinator_acts_on_an_account_only_when_it_belongs_to_their_marac_alone(marac, other_marac, coordinator, system_admin, roles):
    """Whatever roles the account holds, active, removed or awaiting acceptance, a
    coordinator may act only when every one of them is in their own Marac."""
    account = User.objects.create_user(email=f"p{User.objects.count()}@agency.example", full_name="P")
    for where, role, active, awaiting in roles:
        Membership.objects.create(
            user=account, marac=marac if where == "here" else other_marac, role=role, is_active=active and not awaiting, awaiting_acceptance=awaiting
        )
    alone = all(where == "here" for where, *_ in roles)
    assert policy.can_act_on_account(coordinator, account, marac) == alone
    assert policy.can_act_on_account(system_admin, account, marac)
    assert not policy.can_act_on_account(coordinator, account, other_marac)


def test_removing_the_last_role_here_keeps_open_an_account_offered_a_role_elsewhere(marac, coordinator, other_marac):
    # Another Marac has offered this person a role they have not yet answered; removing
    # their only role here must not close the account under the other Marac.
    user = member(marac, Role.REFERRER)
    Membership.objects.create(user=user, marac=other_marac, role=Role.CHAIR, is_active=False, awaiting_acceptance=True)
    services.membership_deactivate(by=coordinator, membership=user.memberships.get(marac=marac), reason="Left the team")
    user.refresh_from_db()
    assert user.is_active
    assert not user.memberships.filter(marac=marac, is_active=True).exists()


def test_removing_the_last_role_of_an_account_of_this_marac_alone_closes_it(marac, coordinator):
    user = member(marac, Role.REFERRER)
    services.membership_deactivate(by=coordinator, membership=user.memberships.get(), reason="Left the team")
    user.refresh_from_db()
    assert not user.is_active


def test_a_coordinator_cannot_resend_the_invitation_of_an_account_another_marac_shares(marac, coordinator, other_marac):
    user = member(marac, Role.REFERRER)
    user.set_unusable_password()
    user.invited_at = user.date_joined
    user.save()
    Membership.objects.create(user=user, marac=other_marac, role=Role.REFERRER)
    password = user.password
    with pytest.raises(ValidationError, match="also serves another Marac"):
        services.invitation_resend(by=coordinator, membership=user.memberships.get(marac=marac))
    user.refresh_from_db()
    assert user.password == password
