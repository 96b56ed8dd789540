"""Per-agency API credentials and the idempotency keys of their POSTs."""

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.utils import timezone

# Service accounts of credentials live under this domain: no one can receive mail
# there (RFC 2606), so no invitation or password reset can ever reach one.
SERVICE_ACCOUNT_DOMAIN = "api-credentials.openmarac.invalid"
TOKEN_PREFIX = "om"


def is_service_account(user) -> bool:
    """An API credential's account: never a person, never emailed."""
    return user.email.endswith("@" + SERVICE_ACCOUNT_DOMAIN)


def hash_secret(secret: str) -> str:
    """The secret is a 256-bit random token, so one SHA-256 is enough (a slow password
    hash protects guessable secrets; this one cannot be guessed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiCredential(models.Model):
    """An agency system's key to the API, scoped to one Marac and one agency.

    The credential acts through its own service account (`user`): a User with no
    password, no authenticator and no Membership row, given the role of an agency
    representative of `agency` in `marac` for the length of each API request (see
    api/authentication.py). So every selector, service and audit call that takes a user
    works unchanged, and the account never appears in registers, member lists or
    mailings."""

    name = models.CharField(max_length=120)
    marac = models.ForeignKey("accounts.Marac", on_delete=models.PROTECT, related_name="api_credentials")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="api_credentials")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_credential")
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    def is_live(self, now=None):
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    @property
    def status(self):
        if self.revoked_at:
            return "Revoked"
        return "Active" if self.is_live() else "Expired"


class IdempotencyKey(models.Model):
    """The stored answer to one POST made with an `Idempotency-Key` header: the same
    key and body gets this answer again; the same key with another body gets a 409."""

    credential = models.ForeignKey(ApiCredential, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["credential", "key"], name="one_answer_per_idempotency_key")]

    def __str__(self):
        return f"{self.credential_id}:{self.key}"
