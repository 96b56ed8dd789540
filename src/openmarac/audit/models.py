"""The append-only audit trail: one row per thing that happened, chained by hash."""

import hashlib
import json

from django.conf import settings
from django.db import models


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")


class AppendOnlyError(Exception):
    pass


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed"
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"
        EXPORTED = "exported", "Exported"
        SIGNED_IN = "signed_in", "Signed in"
        SIGNED_OUT = "signed_out", "Signed out"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        MFA_FAILED = "mfa_failed", "MFA code rejected"
        MFA_ENROLLED = "mfa_enrolled", "MFA set up"
        DENIED = "denied", "Access denied"
        SESSION_ENDED = "session_ended", "Session ended"

    occurred_at = models.DateTimeField(db_index=True)
    # The actor's details are copied as well as linked, so the record reads the same
    # after the user changes agency or role.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=254, blank=True)
    agency_label = models.CharField(max_length=160, blank=True)
    role_label = models.CharField(max_length=160, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    record_type = models.CharField(max_length=60, blank=True)
    record_id = models.CharField(max_length=64, blank=True)
    marac = models.ForeignKey("accounts.Marac", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(max_length=500, blank=True)
    reason = models.TextField(blank=True, help_text="Why, when access needed a reason (break-glass).")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    previous_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["record_type", "record_id", "action"]),
            models.Index(fields=["actor", "occurred_at"]),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.record_type} {self.record_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")

    def compute_hash(self):
        """The hash of this row's content and the previous row's hash."""
        return event_hash(vars(self))


def event_hash(values):
    """The hash of an event's content and the previous row's hash, from its columns by
    attname: a saved event's, or a row a bulk append is about to write."""
    content = [
        values["previous_hash"],
        values["occurred_at"].isoformat(),
        values["actor_id"],
        values["actor_label"],
        values["agency_label"],
        values["role_label"],
        values["action"],
        values["record_type"],
        values["record_id"],
        values["marac_id"],
        values["summary"],
        values["reason"],
        values["ip_address"],
        values["user_agent"],
    ]
    canonical = json.dumps(content, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


GENESIS_HASH = "0" * 64


class ExceptionReview(models.Model):
    """A coordinator's review of one confidentiality-audit exception (openmarac.audit.
    reports). The exception itself is computed from the audit trail each time; only the
    review is stored, keyed by what identifies the exception."""

    class Kind(models.TextChoices):
        NOT_INVOLVED = "not_involved", "Opened a case neither on their agendas nor involving their agency"
        OUT_OF_HOURS = "out_of_hours", "Views outside working hours"
        MANY_VIEWS = "many_views", "Unusually many records viewed in a day"

    marac = models.ForeignKey("accounts.Marac", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    # The case, for "not involved"; empty for the day-level kinds.
    record_id = models.CharField(max_length=64, blank=True)
    note = models.TextField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["marac", "kind", "user", "day", "record_id"], name="one_review_per_exception")
        ]
