"""Writes for API credentials: create (the secret is returned once), revoke, and the
authentication of a presented token."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Marac, Membership, Role, User
from openmarac.audit import services as audit

from .models import SERVICE_ACCOUNT_DOMAIN, TOKEN_PREFIX, ApiCredential, hash_secret

# How long a credential may live: agencies renew once a year at most.
MAX_LIFETIME_DAYS = 366
# last_used_at is written at most this often, so a busy client does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass
class IssuedCredential:
    credential: ApiCredential
    token: str  # shown once, never stored


def _require(allowed):
    if not allowed:
        raise PermissionDenied


@transaction.atomic
def credential_create(*, by: User, marac: Marac, agency, name: str, expires_on, request=None) -> IssuedCredential:
    """A new credential for one agency of the Marac. Returns the token, which is shown
    once: only its SHA-256 is kept."""
    _require(policy.can_manage_api_credentials(by, marac))
    problems = {}
    if not name.strip():
        problems["name"] = "Enter a name for the credential"
    if not marac.agency_links.filter(agency=agency, is_active=True).exists():
        problems["agency"] = "Choose an agency taking part in this Marac"
    today = timezone.localdate()
    if expires_on <= today:
        problems["expires_on"] = "The expiry date must be in the future"
    elif expires_on > today + timedelta(days=MAX_LIFETIME_DAYS):
        problems["expires_on"] = f"A credential can last at most {MAX_LIFETIME_DAYS} days: choose an earlier date"
    if problems:
        raise ValidationError(problems)
    prefix = secrets.token_hex(4)
    while ApiCredential.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    account = User.objects.create(
        email=f"{prefix}@{SERVICE_ACCOUNT_DOMAIN}", full_name=f"API credential “{name.strip()}” ({prefix})"[:150], agency=agency
    )
    account.set_unusable_password()
    account.save(update_fields=["password"])
    expires_at = timezone.make_aware(timezone.datetime.combine(expires_on, timezone.datetime.min.time()))
    credential = ApiCredential.objects.create(
        name=name.strip(), marac=marac, agency=agency, user=account, prefix=prefix, secret_hash=hash_secret(secret),
        created_by=by, expires_at=expires_at,
    )
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=credential, marac=marac, summary=f"API credential {prefix} for {agency}")
    return IssuedCredential(credential, f"{TOKEN_PREFIX}_{prefix}_{secret}")


@transaction.atomic
def credential_revoke(*, by: User, credential: ApiCredential, request=None) -> ApiCredential:
    _require(policy.can_manage_api_credentials(by, credential.marac))
    credential = ApiCredential.objects.select_for_update().get(pk=credential.pk)
    if credential.revoked_at is None:
        credential.revoked_at = timezone.now()
        credential.revoked_by = by
        credential.save(update_fields=["revoked_at", "revoked_by"])
        User.objects.filter(pk=credential.user_id).update(is_active=False)
        audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=credential, marac=credential.marac, summary="API credential revoked")
    return credential


def credential_authenticate(token: str) -> ApiCredential | None:
    """The live credential a presented token names, or None (unknown, wrong secret,
    revoked, expired, or its Marac closed). The secret is compared in constant time."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    _, prefix, secret = parts
    credential = ApiCredential.objects.filter(prefix=prefix).select_related("user", "marac", "agency").first()
    if credential is None or not credential.secret_matches(secret):
        return None
    now = timezone.now()
    if not credential.is_live(now) or not credential.marac.is_active or not credential.user.is_active:
        return None
    if credential.last_used_at is None or now - credential.last_used_at > LAST_USED_RESOLUTION:
        ApiCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now
    act_for(credential)
    return credential


def act_for(credential: ApiCredential) -> User:
    """Give the credential's service account, for this request, exactly the role of an
    agency representative of the credential's agency in its Marac. The membership is
    never saved: it exists only on this user object (policy.active_memberships reads
    it), so the account is in no register, member list or mailing."""
    user = credential.user
    membership = Membership(user=user, marac=credential.marac, role=Role.REPRESENTATIVE, is_active=True)
    policy.remember_memberships(user, [membership])
    user.openmarac_api_credential = credential
    return user


def default_expiry():
    return timezone.localdate() + timedelta(days=settings.OPENMARAC_API_CREDENTIAL_DAYS)
