"""The one path by which anything is written to the audit trail."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from openmarac.core import compiled
from openmarac.core.rows import insert_rows

from .models import GENESIS_HASH, AuditEvent, event_hash

Action = AuditEvent.Action

# Any constant: it names the lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_ID = 7_311_962


def record(*, action, actor=None, request=None, obj=None, record_type="", record_id="", marac=None, summary="", reason=""):
    """Append one event. `obj` (a model instance) fills in the record type and id; the
    request, the actor (its user when none is given), the address and the browser."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    record_many([dict(
        action=action, actor=actor, obj=obj, record_type=record_type, record_id=record_id, marac=marac, summary=summary, reason=reason,
        ip_address=_client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:300] if request else "",
    )])


def _actor_label(actor):
    """Who acted, as the record keeps it: a person's email; for an agency system, the
    API credential it used ("API credential “Police records” (3fa1b2c4)"), named by its
    service account (openmarac.api)."""
    if actor is None:
        return ""
    from openmarac.api.models import is_service_account

    if is_service_account(actor):
        return actor.full_name
    return actor.email


def record_many(events):
    """Append events: each a dict of `record`'s keyword arguments without the request
    (with `ip_address` and `user_agent` when there was one). One lock and one insert of
    plain rows, the chain as if recorded one by one in the order given: a bulk import's
    thousands, or a page's one (plain rows, not a model's save, which cost a page of
    case data more than its own queries)."""
    if not events:
        return
    labels = {}
    rows = []
    for event in events:
        event = dict(event)
        obj, actor, marac = event.pop("obj", None), event.get("actor"), event.get("marac")
        if obj is not None:
            event["record_type"] = event.get("record_type") or obj._meta.label_lower
            event["record_id"] = event.get("record_id") or str(obj.pk)
        key = (actor.pk if actor else None, marac.pk if marac else None)
        if key not in labels:
            labels[key] = (_actor_label(actor), str(actor.agency) if actor and actor.agency_id else "", _roles_label(actor, marac))
        actor_label, agency_label, role_label = labels[key]
        rows.append(dict(
            occurred_at=timezone.now(), actor_id=key[0], actor_label=actor_label, agency_label=agency_label, role_label=role_label,
            action=event["action"], record_type=event.get("record_type", ""), record_id=str(event.get("record_id", "")),
            marac_id=key[1], summary=event.get("summary", "")[:500], reason=event.get("reason", ""),
            ip_address=event.get("ip_address"), user_agent=event.get("user_agent", ""),
        ))
    with transaction.atomic():
        # On PostgreSQL appends to the chain take turns by a lock, taken in the same round
        # trip as the last row is read, once the lock is held.
        last = compiled.rows_under_lock(_CHAIN_LOCK_ID, _last_row_hash)
        previous = last[0]["row_hash"] if last else GENESIS_HASH
        for row in rows:
            row["previous_hash"] = previous
            row["row_hash"] = previous = event_hash(row)
        # In the order given: the chain is read back in id order.
        insert_rows(AuditEvent, rows)


def _last_row_hash():
    # Compiled once (core.compiled): every page of case data appends here, and building
    # this query each time cost more than running it.
    return AuditEvent.objects.order_by("-id").values("row_hash")[:1]


def _roles_label(actor, marac):
    if actor is None:
        return ""
    from openmarac.access import policy

    if marac is not None:
        roles = sorted(policy.roles_in(actor, marac))
    else:
        roles = sorted({m.role for m in policy.active_memberships(actor)})
    if actor.is_system_admin:
        roles.append("system_admin")
    return ", ".join(roles)


def _client_ip(request):
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@dataclass
class ChainReport:
    checked: int
    first_break_id: int | None = None
    problem: str = ""

    @property
    def whole(self):
        return self.first_break_id is None


def verify_chain(*, chunk_size=2000):
    """Recompute every row's hash in order; report the first row where the chain breaks."""
    expected_previous = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if event.previous_hash != expected_previous:
            return ChainReport(checked, event.id, "its link to the row before does not match (a row was removed or changed)")
        if event.compute_hash() != event.row_hash:
            return ChainReport(checked, event.id, "its content does not match its hash (the row was changed)")
        expected_previous = event.row_hash
        checked += 1
    return ChainReport(checked)


def exception_review(*, by, marac, kind, user_id, day, record_id="", note, request=None):
    """Mark one confidentiality-audit exception as reviewed, with a note. The exception
    must be one the audit trail shows; each is reviewed once."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from openmarac.access import policy

    from . import reports
    from .models import ExceptionReview

    if not policy.can_audit_confidentiality(by, marac):
        raise PermissionDenied
    if not note.strip():
        raise ValidationError({"note": "Enter what you found"})
    with transaction.atomic():
        found = reports.exception_find(marac=marac, kind=kind, user_id=user_id, day=day, record_id=record_id)
        if found is None:
            raise ValidationError("There is no such exception in the audit trail")
        if found.review is not None:
            raise ValidationError("This exception has already been reviewed")
        review = ExceptionReview.objects.create(
            marac=marac, kind=kind, user_id=user_id, day=day, record_id=record_id, note=note.strip(), reviewed_by=by
        )
        # The note stays in the review row; the audit names only the kind of exception.
        record(action=Action.CHANGED, actor=by, request=request, obj=review, marac=marac, summary=f"Exception reviewed: {kind}")
    return review
