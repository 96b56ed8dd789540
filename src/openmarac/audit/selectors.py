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


def marac_for_audit(*, user, slug):
    """The Marac named by `slug`, if the user may run its confidentiality audit."""
    from openmarac.accounts.selectors import marac_for

    return marac_for(user=user, slug=slug, allowed=policy.can_audit_confidentiality)


def audited_user(*, marac, user_id):
    """A user who holds or held a role in the Marac, or the service account of one of
    its API credentials: the subject of a per-user report. A credential's account has no
    membership row (it is given its role for each request only, api/services.py), so it
    is found through its credential; `audited_credential` is that credential, or None."""
    from openmarac.accounts.models import Membership
    from openmarac.api.models import ApiCredential

    membership = Membership.objects.filter(marac=marac, user_id=user_id).select_related("user", "user__agency").first()
    if membership is not None:
        membership.user.audited_credential = None
        return membership.user
    credential = ApiCredential.objects.filter(marac=marac, user_id=user_id).select_related("user", "user__agency", "agency", "created_by").first()
    if credential is None:
        return None
    credential.user.audited_credential = credential
    return credential.user
