import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from openmarac.accounts import services
from openmarac.accounts.models import AgencyKind, Membership, Role, User
from openmarac.audit.models import AuditEvent

from ..conftest import sign_in
from ..factories import MaracAgencyFactory


@pytest.fixture
def coordinator(make_member):
    return make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA)


@pytest.fixture
def housing(marac):
    return MaracAgencyFactory(marac=marac, agency__kind=AgencyKind.HOUSING, agency__name="Northshire Housing").agency


def test_invite_creates_account_role_and_an_email_without_case_data(django_capture_on_commit_callbacks, marac, coordinator, housing):
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.user_invite(
            by=coordinator, marac=marac, email="New.Person@Housing.example", full_name="Nia Jones", agency=housing, role=Role.REPRESENTATIVE
        )
    user = membership.user
    assert user.email == "new.person@housing.example"
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@housing.example"]
    assert "/invitation/" in message.body
    assert AuditEvent.objects.filter(actor=coordinator, action="created", record_type="accounts.membership").exists()


@pytest.mark.parametrize("role", [r for r in Role if r != Role.COORDINATOR])
def test_only_coordinators_invite(marac, make_member, housing, role):
    actor = make_member(role)
    with pytest.raises(PermissionDenied):
        services.user_invite(by=actor, marac=marac, email="x@y.example", full_name="X", agency=housing, role=Role.REFERRER)


def test_coordinator_of_another_marac_cannot_invite(marac, other_marac, make_member, housing):
    outsider = make_member(Role.COORDINATOR, target_marac=other_marac)
    with pytest.raises(PermissionDenied):
        services.user_invite(by=outsider, marac=marac, email="x@y.example", full_name="X", agency=housing, role=Role.REFERRER)


def test_invite_refuses_an_agency_outside_the_marac(marac, other_marac, coordinator):
    foreign = MaracAgencyFactory(marac=other_marac).agency
    with pytest.raises(ValidationError) as error:
        services.user_invite(by=coordinator, marac=marac, email="x@y.example", full_name="X", agency=foreign, role=Role.REFERRER)
    assert "agency" in error.value.message_dict


def test_deactivating_the_last_role_deactivates_the_account_and_ends_its_sessions(marac, make_member, coordinator):
    rep = make_member(Role.REPRESENTATIVE)
    rep_client = sign_in(Client(), rep)
    assert rep_client.get("/").status_code == 200
    services.membership_deactivate(by=coordinator, membership=rep.memberships.get())
    rep.refresh_from_db()
    assert not rep.is_active
    assert not any(s.get_decoded().get("_auth_user_id") == str(rep.pk) for s in Session.objects.all())
    assert rep_client.get("/").status_code == 302


def test_deactivating_one_of_two_roles_keeps_the_account(marac, other_marac, make_member, coordinator):
    user = make_member(Role.REPRESENTATIVE)
    Membership.objects.create(user=user, marac=other_marac, role=Role.REPRESENTATIVE)
    services.membership_deactivate(by=coordinator, membership=user.memberships.get(marac=marac))
    user.refresh_from_db()
    assert user.is_active
    assert list(user.memberships.filter(is_active=True).values_list("marac", flat=True)) == [other_marac.pk]


def test_change_role(marac, make_member, coordinator):
    user = make_member(Role.REFERRER)
    membership = services.membership_change_role(by=coordinator, membership=user.memberships.get(), role=Role.CHAIR)
    assert membership.role == Role.CHAIR
    assert AuditEvent.objects.filter(summary="Role referrer → chair").exists()


def test_change_role_refuses_a_duplicate(marac, make_member, coordinator):
    user = make_member(Role.REFERRER)
    Membership.objects.create(user=user, marac=marac, role=Role.CHAIR)
    with pytest.raises(ValidationError):
        services.membership_change_role(by=coordinator, membership=user.memberships.get(role=Role.REFERRER), role=Role.CHAIR)


def test_reinviting_an_existing_person_to_another_role_adds_the_role(django_capture_on_commit_callbacks, marac, coordinator, housing):
    with django_capture_on_commit_callbacks(execute=True):
        services.user_invite(by=coordinator, marac=marac, email="a@b.example", full_name="A", agency=housing, role=Role.REFERRER)
        services.user_invite(by=coordinator, marac=marac, email="A@B.example", full_name="A", agency=housing, role=Role.REPRESENTATIVE)
    assert User.objects.filter(email="a@b.example").count() == 1
    assert set(Membership.objects.filter(user__email="a@b.example").values_list("role", flat=True)) == {"referrer", "representative"}
    assert len(mail.outbox) == 2  # still no password: the invitation is sent again


def test_agency_added_and_marked_core(marac, coordinator):
    link = services.agency_add_to_marac(by=coordinator, marac=marac, name="Northshire Fire", kind=AgencyKind.FIRE, is_core=False)
    services.agency_link_update(by=coordinator, link=link, is_core=True, is_active=True)
    link.refresh_from_db()
    assert link.is_core and link.agency.kind == "fire"


def test_only_the_system_administrator_creates_maracs(coordinator, system_admin):
    from openmarac.accounts.models import Marac

    with pytest.raises(PermissionDenied):
        services.marac_save(by=coordinator, marac=Marac(name="New Marac", slug="new"))
    created = services.marac_save(by=system_admin, marac=Marac(name="New Marac", slug="new"))
    assert created.visible_high_risk_threshold == 14 and created.repeat_window_months == 12


def test_mfa_reset_removes_the_device_and_ends_sessions(marac, make_member, coordinator):
    user = make_member(Role.REPRESENTATIVE)
    user_client = sign_in(Client(), user)
    services.mfa_reset(by=coordinator, membership=user.memberships.get(), reason="Lost phone")
    assert not user.totpdevice_set.exists()
    assert user_client.get("/").status_code == 302


@pytest.mark.parametrize("role", [r for r in Role if r != Role.COORDINATOR])
def test_only_coordinators_reset_mfa(marac, make_member, role):
    actor = make_member(role)
    target = make_member(Role.REFERRER)
    with pytest.raises(PermissionDenied):
        services.mfa_reset(by=actor, membership=target.memberships.get(), reason="Lost phone")
    assert target.totpdevice_set.exists()
