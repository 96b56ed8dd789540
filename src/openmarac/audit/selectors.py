"""Reads of the audit trail, each scoped by the access policy."""

from openmarac.access import policy

from .models import AuditEvent


def viewers_of(*, user, marac, obj):
    """Who has viewed (or exported) this record: coordinators of its Marac only."""
    if not policy.can_see_record_access_log(user, marac):
        return None
    return (
        AuditEvent.objects.filter(
            record_type=obj._meta.label_lower,
            record_id=str(obj.pk),
            action__in=[AuditEvent.Action.VIEWED, AuditEvent.Action.EXPORTED],
        )
        .order_by("-occurred_at")
        .values("occurred_at", "actor_label", "agency_label", "role_label", "action")
    )
