"""Moving a case to another Marac: within the deployment (the receiving coordinator
accepts and the history moves with it), or as a bundle for a Marac elsewhere."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Role
from openmarac.accounts.selectors import users_with_role
from openmarac.audit import services as audit
from openmarac.core.provenance import produced_for
from openmarac.notifications.services import notify
from openmarac.people.models import Person, PersonMatchKey

from .models import CaseTransfer, MatchCandidate, OtherMaracMatch, Referral

BUNDLE_FORMAT = "openmarac-case-transfer/1"


@transaction.atomic
def transfer_request(*, by, case, to_marac, reason, request=None):
    if not policy.has_role(by, case.marac, Role.COORDINATOR):
        raise PermissionDenied
    if to_marac == case.marac or not to_marac.is_active:
        raise ValidationError({"to_marac": "Choose another Marac of this deployment"})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the case is moving (for example, the victim has moved to the area)"})
    if case.transfers.filter(status=CaseTransfer.Status.PENDING).exists():
        raise ValidationError("A transfer of this case is already waiting for a decision.")
    transfer = CaseTransfer.objects.create(case=case, from_marac=case.marac, to_marac=to_marac, reason=reason, requested_by=by)
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=transfer, marac=case.marac, summary=f"Transfer to {to_marac}")
    notify(
        users=users_with_role(to_marac, Role.COORDINATOR),
        subject=f"A case transfer from {case.marac.name}",
        message=f"{case.marac.name} asks to transfer a case to {to_marac.name}. Please accept or decline it.",
        path=reverse("referrals:transfer", args=[transfer.pk]),
    )
    return transfer


@transaction.atomic
def transfer_decide(*, by, transfer, accept, note="", request=None):
    if not policy.has_role(by, transfer.to_marac, Role.COORDINATOR):
        raise PermissionDenied
    if transfer.status != CaseTransfer.Status.PENDING:
        raise ValidationError("This transfer has already been decided.")
    if not accept and not note.strip():
        raise ValidationError({"note": "Say why the transfer is declined"})
    transfer.status = CaseTransfer.Status.ACCEPTED if accept else CaseTransfer.Status.DECLINED
    transfer.decided_by, transfer.decided_at, transfer.decision_note = by, timezone.now(), note
    transfer.save()
    if accept:
        _move_case(transfer.case, transfer.to_marac)
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=transfer, marac=transfer.to_marac,
        summary="Accepted" if accept else "Declined",
    )
    notify(
        users=users_with_role(transfer.from_marac, Role.COORDINATOR),
        subject=f"Case transfer {'accepted' if accept else 'declined'} by {transfer.to_marac.name}",
        message=f"{transfer.to_marac.name} has {'accepted' if accept else 'declined'} the case transfer you requested.",
        path=reverse("referrals:transfer", args=[transfer.pk]),
    )
    return transfer


def _move_case(case, to_marac):
    """The case, its referrals and its people move; so does matching. Its reference is
    kept: it is in earlier minutes, and references are unique across the deployment, so
    no case in the receiving Marac can hold it. The sending Marac's counter is not
    touched, so its next referral still gets a number never issued before."""
    person_ids = set(Person.objects.filter(referral_roles__referral__case=case).values_list("pk", flat=True))
    # Links into the sending Marac stay there: its people as match candidates, and the
    # involvements that let its agencies open the case.
    MatchCandidate.objects.filter(referral__case=case).delete()
    OtherMaracMatch.objects.filter(referral__case=case, other_marac=to_marac).delete()
    case.involvements.all().delete()
    Person.objects.filter(pk__in=person_ids).update(marac=to_marac)
    PersonMatchKey.objects.filter(person_id__in=person_ids).update(marac=to_marac)
    Referral.objects.filter(case=case).update(marac=to_marac)
    case.marac = to_marac
    case.save(update_fields=["marac"])


def case_bundle(*, by, case, request=None):
    """Everything about the case, for a Marac outside this deployment, as JSON-ready
    data. Only a coordinator (who may see sealed values) can export it; sealed values
    are marked so the receiving Marac keeps them sealed."""
    if not policy.has_role(by, case.marac, Role.COORDINATOR):
        raise PermissionDenied
    referrals = case.referrals.exclude(status=Referral.Status.DRAFT).prefetch_related(
        "people__person__aliases", "people__person__addresses", "people__person__phones", "risk_assessments"
    )
    bundle = {
        "format": BUNDLE_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "produced_for": produced_for(by),
        "from_marac": case.marac.name,
        "case_reference": case.reference,
        "referrals": [_referral(r) for r in referrals.order_by("referred_on")],
        "actions": [
            {
                "agreed_on": a.hearing.item.meeting.starts_at.date().isoformat(),
                "agency": a.owner_agency.name,
                "kind": a.kind,
                "description": a.description,
                "for_whom": a.for_whom,
                "due_on": a.due_on.isoformat(),
                "status": a.status,
                "outcome": a.outcome_note,
            }
            for a in case.actions.select_related("owner_agency", "hearing__item__meeting").order_by("due_on")
        ],
    }
    audit.record(action=audit.Action.EXPORTED, actor=by, request=request, obj=case, marac=case.marac, summary="Transfer bundle")
    return bundle


def _referral(referral):
    return {
        "referred_on": referral.referred_on.isoformat(),
        "referring_agency_kind": referral.referring_agency_kind,
        "criteria": referral.criteria_labels,
        "checklist_score": referral.checklist_score,
        "heard_on": referral.heard_on.isoformat() if referral.heard_on else None,
        "reasons": referral.reasons,
        "risk_assessments": [
            {"definition": f"{a.definition_id}/{a.definition_version}", "score": a.score, "answers": a.answers} for a in referral.risk_assessments.all()
        ],
        "people": [
            {
                "role": rp.role,
                "given_name": rp.person.given_name,
                "family_name": rp.person.family_name,
                "aliases": [str(a) for a in rp.person.aliases.all()],
                "date_of_birth": rp.person.date_of_birth.isoformat() if rp.person.date_of_birth else None,
                "relationship_to_victim": rp.relationship_to_victim,
                "addresses": [{"address": str(a), "sealed": a.is_sealed, "current": a.is_current} for a in rp.person.addresses.all()],
                "phones": [{"number": p.number, "sealed": p.is_sealed, "safe_to_call": p.safe_to_call} for p in rp.person.phones.all()],
            }
            for rp in referral.people.all()
        ],
    }


def transfers_awaiting(*, user):
    maracs = [m for m in policy.maracs_for(user) if policy.has_role(user, m, Role.COORDINATOR)]
    return CaseTransfer.objects.filter(to_marac__in=maracs, status=CaseTransfer.Status.PENDING).select_related("from_marac", "case")


def transfer_for(*, user, pk):
    transfer = CaseTransfer.objects.filter(pk=pk).select_related("case", "from_marac", "to_marac").first()
    if transfer is None:
        return None
    if policy.has_role(user, transfer.to_marac, Role.COORDINATOR) or policy.has_role(user, transfer.from_marac, Role.COORDINATOR):
        return transfer
    return None


