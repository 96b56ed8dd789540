"""Moving a case to another Marac: within the deployment (the receiving coordinator
accepts and the history moves with it), or as a bundle for a Marac elsewhere."""

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Agency, AgencyKind, Role
from openmarac.accounts.selectors import users_with_role
from openmarac.audit import services as audit
from openmarac.core.provenance import produced_for
from openmarac.notifications.services import notify
from openmarac.people.models import Person, PersonMatchKey

from .models import CaseInvolvement, CaseRestriction, CaseTransfer, ChildrenReferralPrompt, IdvaReferral, MatchCandidate, OtherMaracMatch, Referral, SharingDecision

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


def receiving_agencies(marac):
    """The agencies that may own an action in `marac`: its active agencies."""
    return Agency.objects.filter(marac_links__marac=marac, marac_links__is_active=True).order_by("name")


@dataclass
class Handover:
    """Everything still open on the case that someone must carry on after the move, for
    the receiving coordinator to see before accepting: nothing is left where nobody can
    see it."""

    actions: list
    # The sending Marac's agenda items for the case not yet heard: they come off, and the
    # referral waits to be listed by the receiving Marac instead (`_unlist_unheard`).
    unheard_listings: list
    idva_referrals: list
    childrens_prompts: list
    sharing_decisions: list
    receiving_idva: object
    receiving_childrens: object


def handover_for(transfer):
    from openmarac.actions.models import Action

    case, to_marac = transfer.case, transfer.to_marac
    linked = set(receiving_agencies(to_marac).values_list("pk", flat=True))
    actions = list(
        Action.objects.filter(case=case, status=Action.Status.OPEN).select_related("owner_agency", "hearing__item__meeting").order_by("due_on", "id")
    )
    for action in actions:
        # An agency linked to both Maracs keeps its action unless the coordinator says otherwise.
        action.stays_with_owner = action.owner_agency_id in linked
    return Handover(
        actions=actions,
        unheard_listings=unheard_listings(case),
        idva_referrals=list(IdvaReferral.objects.filter(referral__case=case).select_related("idva_agency").annotate(attempt_count=Count("attempts"))),
        childrens_prompts=list(ChildrenReferralPrompt.objects.filter(referral__case=case).select_related("agency")),
        sharing_decisions=list(SharingDecision.objects.filter(referral__case=case).select_related("review_owner")),
        receiving_idva=_agency_of_kind(to_marac, AgencyKind.IDVA),
        receiving_childrens=_agency_of_kind(to_marac, AgencyKind.CHILDRENS_SOCIAL_CARE),
    )


def unheard_listings(case):
    """The case's agenda items at its Marac's meetings still to be held and not heard:
    a case that moves is heard by the receiving Marac, so these come off and their
    referrals go back to awaiting listing there (`_unlist_unheard`)."""
    from openmarac.meetings.models import AgendaItem, Meeting

    return list(
        AgendaItem.objects.filter(
            referral__case=case, referral__status=Referral.Status.LISTED, meeting__marac_id=case.marac_id,
            meeting__status=Meeting.Status.SCHEDULED, meeting__starts_at__gt=timezone.now(), hearing__isnull=True,
        )
        .select_related("meeting", "referral")
        .order_by("meeting__starts_at")
    )


def _agency_of_kind(marac, kind):
    from .services import agency_of_kind

    return agency_of_kind(marac, kind)


@transaction.atomic
def transfer_decide(*, by, transfer, accept, note="", owners=None, request=None):
    """Accept or decline. On acceptance every open action needs an owning agency of the
    receiving Marac: `owners` maps action ids to agencies; an action not named stays
    with its agency when that agency also takes part in the receiving Marac."""
    if not policy.has_role(by, transfer.to_marac, Role.COORDINATOR):
        raise PermissionDenied
    transfer = CaseTransfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.status != CaseTransfer.Status.PENDING:
        raise ValidationError("This transfer has already been decided.")
    if not accept and not note.strip():
        raise ValidationError({"note": "Say why the transfer is declined"})
    handover = handover_for(transfer) if accept else None
    chosen = _owners_chosen(transfer, handover, owners or {}) if accept else {}
    transfer.status = CaseTransfer.Status.ACCEPTED if accept else CaseTransfer.Status.DECLINED
    transfer.decided_by, transfer.decided_at, transfer.decision_note = by, timezone.now(), note
    transfer.save()
    if accept:
        _unlist_unheard(by=by, transfer=transfer, items=handover.unheard_listings, request=request)
        _move_case(transfer.case, transfer.to_marac)
        _hand_over(by=by, transfer=transfer, handover=handover, chosen=chosen, request=request)
        _carry_restriction(by=by, transfer=transfer, request=request)
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=transfer, marac=transfer.to_marac,
        summary="Accepted" if accept else "Declined",
    )
    notify(
        users=users_with_role(transfer.from_marac, Role.COORDINATOR),
        subject=f"Case transfer {'accepted' if accept else 'declined'} by {transfer.to_marac.name}",
        message=f"{transfer.to_marac.name} has {'accepted' if accept else 'declined'} the case transfer you requested.{_off_agenda_text(handover)}",
        path=reverse("referrals:transfer", args=[transfer.pk]),
    )
    return transfer


def restriction_in_force(transfer):
    """The case's restriction in force, for the acceptance page to warn of it; None if
    the case is not restricted."""
    return CaseRestriction.objects.filter(case_id=transfer.case_id, lifted_at__isnull=True).first()


def _carry_restriction(*, by, transfer, request):
    """A restricted case stays restricted when it moves. The coordinator who accepted it
    is named, or nobody in the receiving Marac could open it (nor change who may); nobody
    else there is, until they name them. The people already named stay named: the move
    changes no one's rule, and their roles in the sending Marac no longer reach the case."""
    restriction = CaseRestriction.objects.select_for_update().filter(case_id=transfer.case_id, lifted_at__isnull=True).first()
    if restriction is None or restriction.named_users.filter(pk=by.pk).exists():
        return
    restriction.named_users.add(by)
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=transfer.case, marac=transfer.to_marac,
        summary=f"Restriction kept with the transfer from {transfer.from_marac.name}: {by.email} named, as the coordinator who accepted the case",
    )


def _off_agenda_text(handover):
    """For the sending coordinators: which of their meetings' agendas the case left."""
    if handover is None or not handover.unheard_listings:
        return ""
    days = ", ".join(_meeting_day(item) for item in handover.unheard_listings)
    return f" The case has come off the agenda of your meeting of {days}: the receiving Marac will list it."


def _meeting_day(item):
    return f"{timezone.localtime(item.meeting.starts_at):%-d %B %Y}"


def _unlist_unheard(*, by, transfer, items, request):
    """A referral listed for a sending meeting still to come comes off that agenda and
    waits to be listed by the receiving Marac, or nobody would hear the case: the sending
    Marac cannot open it any more, and its agencies would be chased for research they
    cannot give. Research already returned for it is kept."""
    for item in items:
        item.delete()
        Referral.objects.filter(pk=item.referral_id, status=Referral.Status.LISTED).update(status=Referral.Status.AWAITING_LISTING)
        audit.record(
            action=audit.Action.CHANGED, actor=by, request=request, obj=item.meeting, marac=transfer.from_marac,
            summary=f"A case taken off the agenda: moved to {transfer.to_marac.name}",
        )
        audit.record(
            action=audit.Action.CHANGED, actor=by, request=request, obj=item.referral, marac=transfer.to_marac,
            summary=f"Awaiting listing in {transfer.to_marac.name}: moved before the {transfer.from_marac.name} meeting of {_meeting_day(item)} heard it",
        )


def _owners_chosen(transfer, handover, owners):
    linked = {agency.pk: agency for agency in receiving_agencies(transfer.to_marac)}
    chosen, problems = {}, {}
    for action in handover.actions:
        agency = owners.get(action.pk)
        agency_id = getattr(agency, "pk", agency)
        if agency_id is None and action.stays_with_owner:
            agency_id = action.owner_agency_id
        if agency_id not in linked:
            problems[f"action_{action.pk}"] = f"Choose which of {transfer.to_marac.name}’s agencies takes on this action"
        else:
            chosen[action.pk] = linked[agency_id]
    if problems:
        raise ValidationError(problems)
    return chosen


def _hand_over(*, by, transfer, handover, chosen, request):
    """Each open item gets an owner in the receiving Marac. An action another agency
    takes on is ended for its old owner with the reason, and a new one opens for the
    new owner with the same due date, so each agency's record says what it did."""
    from openmarac.actions.models import Action, ActionUpdate

    case, to_marac = transfer.case, transfer.to_marac
    ended = defaultdict(list)
    for action in handover.actions:
        owner = chosen[action.pk]
        if owner.pk == action.owner_agency_id:
            ActionUpdate.objects.create(action=action, status=Action.Status.OPEN, note=f"Carried to {to_marac.name} with the transfer", reported_by=by)
            carried = action
        else:
            carried = _reown(action, owner=owner, by=by, transfer=transfer)
            ended[action.owner_agency].append(action)
        CaseInvolvement.objects.get_or_create(case=case, agency=owner, reason=CaseInvolvement.Reason.ACTION)
        for agency in carried.joint_agencies.filter(marac_links__marac=to_marac, marac_links__is_active=True):
            CaseInvolvement.objects.get_or_create(case=case, agency=agency, reason=CaseInvolvement.Reason.ACTION)
    for idva_referral in handover.idva_referrals:
        _hand_over_idva(idva_referral, transfer=transfer, receiving=handover.receiving_idva, by=by, request=request)
    for prompt in handover.childrens_prompts:
        _hand_over_prompt(prompt, transfer=transfer, receiving=handover.receiving_childrens, by=by, request=request)
    for decision in handover.sharing_decisions:
        if not policy.roles_in(decision.review_owner, to_marac):
            # The review owner cannot open the record in the new Marac: the review
            # passes to the coordinator who accepted the case.
            decision.review_owner = by
            decision.save(update_fields=["review_owner"])
            audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=decision, marac=to_marac, summary="Review passed on with the transfer")
    for agency, actions in ended.items():
        count = len(actions)
        dates = ", ".join(sorted({f"{a.due_on:%-d %B %Y}" for a in actions}))
        notify(
            users=users_with_role(transfer.from_marac, Role.REPRESENTATIVE, Role.IDVA, agency=agency),
            subject=f"{transfer.from_marac.name}: actions ended with a case transfer",
            message=(
                f"A case has moved from {transfer.from_marac.name} to {to_marac.name}. {count} open "
                f"action{'s' if count != 1 else ''} of {agency.name} (due {dates}) ended with the transfer: "
                f"another agency in {to_marac.name} has taken {'them' if count != 1 else 'it'} on, so nothing more "
                f"is needed from you on {'them' if count != 1 else 'it'}. The link shows which."
            ),
            path=reverse("actions:mine", args=[transfer.from_marac.slug]) + "#ended-with-transfer",
        )


def _reown(action, *, owner, by, transfer):
    from openmarac.actions.models import Action, ActionUpdate

    reason = f"Transferred to {transfer.to_marac.name}"
    Action.objects.filter(pk=action.pk).update(status=Action.Status.TRANSFERRED, outcome_note=reason, version=F("version") + 1, updated_at=timezone.now())
    ActionUpdate.objects.create(action=action, status=Action.Status.TRANSFERRED, note=f"{reason}: taken on there by {owner.name}", reported_by=by)
    carried = Action.objects.create(
        # Still agreed by the meeting that agreed the original (its Marac and start).
        case=action.case, marac=transfer.to_marac, hearing=action.hearing, agreed_marac_id=action.agreed_marac_id,
        agreed_meeting_at=action.agreed_meeting_at, kind=action.kind, owner_agency=owner, description=action.description,
        for_whom=action.for_whom, risk=action.risk, due_on=action.due_on, flag_expires_on=action.flag_expires_on,
        flag_short_reason=action.flag_short_reason, taken_on_from=action, created_by=by,
    )
    carried.children.set(action.children.all())
    carried.joint_agencies.set(action.joint_agencies.filter(marac_links__marac=transfer.to_marac, marac_links__is_active=True))
    ActionUpdate.objects.create(
        action=carried, status=Action.Status.OPEN, note=f"Taken on from {action.owner_agency.name} with the transfer from {transfer.from_marac.name}", reported_by=by
    )
    audit.record(action=audit.Action.CHANGED, actor=by, obj=action, marac=transfer.to_marac, summary=reason)
    audit.record(action=audit.Action.CREATED, actor=by, obj=carried, marac=transfer.to_marac, summary=f"Taken on from {action.owner_agency.name}")
    return carried


def _hand_over_agency(obj, field, *, transfer, receiving, by, request, summary):
    """Point obj's agency `field` at the receiving agency unless its agency already takes
    part in the receiving Marac. Returns the agency's id afterwards (None if none)."""
    if not receiving_agencies(transfer.to_marac).filter(pk=getattr(obj, f"{field}_id")).exists():
        setattr(obj, field, receiving)
        obj.save(update_fields=[field])
        audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=obj, marac=transfer.to_marac, summary=summary)
    return getattr(obj, f"{field}_id")


def _hand_over_idva(idva_referral, *, transfer, receiving, by, request):
    """The Idva referral and its contact log move; the receiving Marac's Idva service
    carries on (the log stays attached, so nobody starts again from nothing)."""
    summary = "Idva referral handed over with the transfer"
    if _hand_over_agency(idva_referral, "idva_agency", transfer=transfer, receiving=receiving, by=by, request=request, summary=summary):
        CaseInvolvement.objects.get_or_create(case=transfer.case, agency=idva_referral.idva_agency, reason=CaseInvolvement.Reason.IDVA_REFERRAL)
        if idva_referral.status != IdvaReferral.Status.CLOSED:
            notify(
                users=users_with_role(transfer.to_marac, Role.IDVA, agency=idva_referral.idva_agency),
                subject=f"{transfer.to_marac.name}: an Idva referral has moved to you",
                message=f"A case has moved into {transfer.to_marac.name} from {transfer.from_marac.name}, with its Idva referral and contact log.",
                path=reverse("referrals:idva-referral", args=[idva_referral.pk]),
            )


def _hand_over_prompt(prompt, *, transfer, receiving, by, request):
    summary = "Children’s social care confirmation handed over with the transfer"
    if _hand_over_agency(prompt, "agency", transfer=transfer, receiving=receiving, by=by, request=request, summary=summary):
        CaseInvolvement.objects.get_or_create(case=transfer.case, agency=prompt.agency, reason=CaseInvolvement.Reason.CHILDREN_REFERRAL)
        if not prompt.confirmed_at:
            notify(
                users=users_with_role(transfer.to_marac, Role.REPRESENTATIVE, agency=prompt.agency),
                subject=f"{transfer.to_marac.name}: please confirm a children’s social care referral",
                message=f"A case with children has moved into {transfer.to_marac.name}. Please confirm the referral to children’s social care.",
                path=reverse("referrals:children-prompt", args=[prompt.pk]),
            )


def _move_case(case, to_marac):
    """The case, its referrals and its people move; so does matching. Its reference is
    kept: it is in earlier minutes, and references are unique across the deployment, so
    no case in the receiving Marac can hold it. The sending Marac's counter is not
    touched, so its next referral still gets a number never issued before."""
    from openmarac.actions.models import Action

    person_ids = set(Person.objects.filter(referral_roles__referral__case=case).values_list("pk", flat=True))
    # Links into the sending Marac stay there: its people as match candidates, and the
    # involvements that let its agencies open the case.
    MatchCandidate.objects.filter(referral__case=case).delete()
    OtherMaracMatch.objects.filter(referral__case=case, other_marac=to_marac).delete()
    case.involvements.all().delete()
    Person.objects.filter(pk__in=person_ids).update(marac=to_marac)
    PersonMatchKey.objects.filter(person_id__in=person_ids).update(marac=to_marac)
    Referral.objects.filter(case=case).update(marac=to_marac)
    # Every action of the case, done or open, goes with it (Action.marac is the case's).
    Action.objects.filter(case=case).update(marac=to_marac)
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
        "disclosed_on": referral.disclosed_on.isoformat() if referral.disclosed_on else None,
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




def actions_ended(transfer):
    """The actions that ended for their agencies when the case moved, for the transfer
    page (the sending agencies were emailed a link to it)."""
    from openmarac.actions.models import Action

    return list(Action.objects.filter(case=transfer.case, status=Action.Status.TRANSFERRED).select_related("owner_agency").order_by("due_on", "id"))
