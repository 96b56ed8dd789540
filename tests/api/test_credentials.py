"""Credentials: created by the Marac's coordinator only, the key shown once and kept
as a fingerprint, expiring and revocable; their service accounts hold no role, no
password and no place in any list of people."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.accounts import selectors as account_selectors
from openmarac.accounts.models import AgencyKind, Membership, Role
from openmarac.api import services
from openmarac.api.models import ApiCredential, hash_secret
from openmarac.audit.models import AuditEvent

from ..conftest import sign_in
from ..factories import UserFactory, member


def _create(world, by=None, **overrides):
    values = {
        "marac": world["marac"], "agency": world["credentials"]["housing"].agency, "name": "Another system",
        "expires_on": timezone.localdate() + timedelta(days=30),
    }
    values.update(overrides)
    return services.credential_create(by=by or world["coordinator"], **values)


def test_the_key_is_shown_once_and_kept_as_a_fingerprint(world, db):
    issued = _create(world)
    credential = issued.credential
    assert issued.token.startswith(f"om_{credential.prefix}_")
    secret = issued.token.split("_", 2)[2]
    assert len(secret) >= 43 and credential.secret_hash == hash_secret(secret)
    assert secret not in str(ApiCredential.objects.filter(pk=credential.pk).values().get())
    assert services.credential_authenticate(issued.token).pk == credential.pk


def test_the_service_account_holds_no_role_and_cannot_sign_in(world, db):
    credential = _create(world).credential
    account = credential.user
    assert not account.has_usable_password() and not Membership.objects.filter(user=account).exists()
    assert not account.totpdevice_set.exists()
    members = account_selectors.members_of(user=world["coordinator"], marac=world["marac"])
    assert account.pk not in {m.user_id for m in members}


@pytest.mark.parametrize("who", ["chair", "representative", "system_admin", "other_coordinator"])
def test_only_the_marac_coordinator_creates_credentials(world, db, who):
    if who == "system_admin":
        user = UserFactory(is_system_admin=True, agency=None)
    elif who == "other_coordinator":
        user = member(world["other_marac"], Role.COORDINATOR)
    else:
        user = world["people"][who]
    before = ApiCredential.objects.count()
    with pytest.raises(PermissionDenied):
        _create(world, by=user)
    with pytest.raises(PermissionDenied):
        services.credential_revoke(by=user, credential=world["credentials"]["housing"])
    assert ApiCredential.objects.count() == before
    assert world["credentials"]["housing"].revoked_at is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"expires_on": timezone.localdate()}, "expires_on"),
        ({"expires_on": timezone.localdate() + timedelta(days=367)}, "expires_on"),
    ],
)
def test_a_credential_needs_a_name_and_an_expiry_within_a_year(world, db, overrides, field):
    with pytest.raises(ValidationError) as refused:
        _create(world, **overrides)
    assert field in refused.value.message_dict


def test_an_agency_outside_the_marac_is_refused(world, db):
    outsider = member(world["other_marac"], Role.REPRESENTATIVE, agency_kind=AgencyKind.POLICE).agency
    with pytest.raises(ValidationError) as refused:
        _create(world, agency=outsider)
    assert "agency" in refused.value.message_dict


def test_revoking_ends_the_key_at_once_and_is_audited(world, db):
    issued = _create(world)
    services.credential_revoke(by=world["coordinator"], credential=issued.credential)
    assert services.credential_authenticate(issued.token) is None
    assert not issued.credential.user.__class__.objects.get(pk=issued.credential.user_id).is_active
    event = AuditEvent.objects.filter(record_type="api.apicredential", record_id=str(issued.credential.pk)).last()
    assert event.summary == "API credential revoked" and event.actor_id == world["coordinator"].pk


def test_expiry_ends_the_key(world, db):
    issued = _create(world)
    ApiCredential.objects.filter(pk=issued.credential.pk).update(expires_at=timezone.now())
    assert services.credential_authenticate(issued.token) is None


def test_last_use_is_recorded(world, db):
    issued = _create(world)
    Client().get(reverse("api-v1:flags"), headers={"Authorization": f"Bearer {issued.token}"})
    assert ApiCredential.objects.get(pk=issued.credential.pk).last_used_at is not None


def test_the_list_pages_with_its_total_and_never_shows_a_key(world, db):
    for number in range(30):
        _create(world, name=f"System {number}")
    client = sign_in(Client(), world["coordinator"])
    response = client.get(reverse("api:credentials", kwargs={"slug": world["marac"].slug}))
    total = ApiCredential.objects.filter(marac=world["marac"]).count()
    assert f"of {total} credentials" in response.content.decode()
    assert "System 29" in response.content.decode() and "System 0<" not in response.content.decode()
    assert world["tokens"]["housing"].split("_", 2)[2] not in response.content.decode()


def test_the_list_reads_a_fixed_number_of_queries(world, db, django_assert_max_num_queries):
    client = sign_in(Client(), world["coordinator"])
    url = reverse("api:credentials", kwargs={"slug": world["marac"].slug})
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for number in range(20):
        _create(world, name=f"System {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_create_page_shows_the_key_once_after_a_redirect(world, db):
    """POST/redirect/GET: the key waits in the session for one showing, so reloading
    the page neither creates a second credential nor shows the key again."""
    client = sign_in(Client(), world["coordinator"])
    url = reverse("api:credential-create", kwargs={"slug": world["marac"].slug})
    agency = world["credentials"]["probation"].agency
    response = client.post(url, {"name": "Probation case system", "agency": agency.pk, "expires_on": (timezone.localdate() + timedelta(days=60)).strftime("%d/%m/%Y")})
    credential = ApiCredential.objects.get(name="Probation case system")
    created = reverse("api:credential-created", kwargs={"pk": credential.pk})
    assert response.status_code == 302 and response.url == created
    shown = client.get(created)
    content = shown.content.decode()
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    token = content.split('data-testid="api-token"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert token.startswith(f"om_{credential.prefix}_") and services.credential_authenticate(token).pk == credential.pk
    again = client.get(created)
    assert again.status_code == 200 and token not in again.content.decode() and "api-token-gone" in again.content.decode()
    assert ApiCredential.objects.filter(name="Probation case system").count() == 1


def test_a_key_waiting_in_the_session_shows_only_for_its_own_credential(world, db):
    client = sign_in(Client(), world["coordinator"])
    url = reverse("api:credential-create", kwargs={"slug": world["marac"].slug})
    agency = world["credentials"]["probation"].agency
    client.post(url, {"name": "New system", "agency": agency.pk, "expires_on": (timezone.localdate() + timedelta(days=60)).strftime("%d/%m/%Y")})
    other = reverse("api:credential-created", kwargs={"pk": world["credentials"]["housing"].pk})
    assert "api-token-gone" in client.get(other).content.decode()
    created = reverse("api:credential-created", kwargs={"pk": ApiCredential.objects.get(name="New system").pk})
    assert 'data-testid="api-token"' in client.get(created).content.decode()


def test_revoking_asks_first_and_says_what_it_ends(world, db):
    issued = _create(world)
    client = sign_in(Client(), world["coordinator"])
    url = reverse("api:credential-revoke", kwargs={"pk": issued.credential.pk})
    listing = client.get(reverse("api:credentials", kwargs={"slug": world["marac"].slug})).content.decode()
    assert f'href="{url}"' in listing
    page = client.get(url)
    content = page.content.decode()
    assert page.status_code == 200 and "Another system" in content and f"om_{issued.credential.prefix}_" in content
    assert "cannot be undone" in content and "Revoke credential" in content
    assert ApiCredential.objects.get(pk=issued.credential.pk).revoked_at is None  # the GET changes nothing
    response = client.post(url)
    assert response.status_code == 302 and response.url == reverse("api:credentials", kwargs={"slug": world["marac"].slug})
    assert ApiCredential.objects.get(pk=issued.credential.pk).revoked_at is not None
    assert services.credential_authenticate(issued.token) is None
    # Revoked already: the page goes back to the list, and a second POST changes nothing.
    revoked_at = ApiCredential.objects.get(pk=issued.credential.pk).revoked_at
    assert client.get(url).status_code == 302 and client.post(url).status_code == 302
    assert ApiCredential.objects.get(pk=issued.credential.pk).revoked_at == revoked_at


def test_the_create_form_keeps_what_was_typed_on_error(world, db):
    client = sign_in(Client(), world["coordinator"])
    url = reverse("api:credential-create", kwargs={"slug": world["marac"].slug})
    response = client.post(url, {"name": "Kept name", "agency": "", "expires_on": "31/02/2027"})
    content = response.content.decode()
    assert response.status_code == 200 and "Kept name" in content and "govuk-error-summary" in content


def test_no_email_goes_to_a_service_account(world, db, mailoutbox):
    from django.test import TestCase

    from openmarac.notifications.services import notify

    account = world["credentials"]["housing"].user
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify(users=[account, world["coordinator"]], subject="Test", message="Something", path="/")
    assert [m.to for m in mailoutbox] == [[world["coordinator"].email]]
