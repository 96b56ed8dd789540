"""Reads of cases and referrals, each scoped through the access policy. A record the
user may not see is simply not found (the view answers 404)."""

from django.db.models import Prefetch
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Role

from .models import (
    Case,
    ChildrenReferralPrompt,
    IdvaReferral,
    MatchCandidate,
    Referral,
    ReferralPerson,
    SharingDecision,
)

_PERSON_DETAIL = ["person__aliases", "person__addresses", "person__phones"]


def case_for(*, user, public_id):
    """The case, if the user may open it; a merged case leads to the case it joined."""
    case = Case.objects.filter(policy.visible_cases_q(user), public_id=public_id).select_related("marac", "merged_into").distinct().first()
    if case is not None and case.merged_into_id:
        return case_for(user=user, public_id=case.merged_into.public_id)
    return case


def case_referrals(*, case):
    """The case's episodes, oldest first, with everything the case page shows."""
    return (
        case.referrals.exclude(status=Referral.Status.DRAFT)
        .select_related(
            "referring_agency", "referrer", "repeat_of", "idva_referral__idva_agency", "children_prompt", "sharing_decision"
        )
        .prefetch_related(
            Prefetch("people", queryset=ReferralPerson.objects.select_related("person").prefetch_related(*_PERSON_DETAIL)),
            "risk_assessments",
            "quality_concerns",
            "other_marac_matches__other_marac",
            "sharing_decision__log",
            "idva_referral__attempts",
            Prefetch(
                "match_candidates",
                queryset=MatchCandidate.objects.select_related("new_person", "candidate").prefetch_related(
                    "candidate__addresses", "candidate__aliases"
                ),
            ),
        )
        .order_by("referred_on", "submitted_at")
    )


def pending_match_decisions(*, user, marac):
    if not policy.can_decide_matches(user, marac):
        return MatchCandidate.objects.none()
    return MatchCandidate.objects.filter(referral__marac=marac, decision=MatchCandidate.Decision.PENDING).exclude(
        referral__case_id__in=policy.restricted_case_ids_hidden_from(user)
    )


def referrals_made_by(*, user):
    return Referral.objects.filter(referrer=user).select_related("marac", "case").order_by("-updated_at")


def referral_for_referrer(*, user, public_id):
    referral = Referral.objects.filter(public_id=public_id, referrer=user).select_related("marac", "case").first()
    if referral is None or not policy.can_view_own_referral(user, referral):
        return None
    return referral


def draft_for(*, user, public_id):
    referral = Referral.objects.filter(public_id=public_id, status=Referral.Status.DRAFT).select_related("marac").first()
    return referral if referral and policy.can_edit_draft(user, referral) else None


def idva_referrals_for(*, user, marac):
    if not policy.has_role(user, marac, Role.IDVA):
        return IdvaReferral.objects.none()
    return (
        IdvaReferral.objects.filter(policy.visible_idva_referrals_q(user), referral__marac=marac, idva_agency_id=user.agency_id)
        .select_related("referral", "referral__case")
        .order_by("first_contact_due")
    )


def idva_referral_for(*, user, pk):
    return IdvaReferral.objects.filter(policy.visible_idva_referrals_q(user), pk=pk).select_related("referral", "referral__marac", "referral__case").first()


def children_prompts_for(*, user, marac):
    if not policy.has_role(user, marac, Role.REPRESENTATIVE) or not user.agency_id:
        return ChildrenReferralPrompt.objects.none()
    return ChildrenReferralPrompt.objects.filter(
        policy.visible_childrens_prompts_q(user), referral__marac=marac, agency_id=user.agency_id, confirmed_at__isnull=True
    ).select_related(
        "referral__case"
    )


def children_prompt_for(*, user, pk):
    return ChildrenReferralPrompt.objects.filter(policy.visible_childrens_prompts_q(user), pk=pk).select_related(
        "referral", "referral__marac", "referral__case"
    ).first()


def sharing_reviews_due(*, user):
    return SharingDecision.objects.filter(
        policy.visible_sharing_decisions_q(user), review_owner=user, reviewed_at__isnull=True, review_on__lte=timezone.localdate()
    ).select_related("referral", "referral__marac")


def sharing_decision_for(*, user, pk):
    return SharingDecision.objects.filter(policy.visible_sharing_decisions_q(user), pk=pk).select_related(
        "referral", "referral__marac", "referral__case"
    ).first()


def people_of(referral, role):
    return [rp for rp in referral.people.all() if rp.role == role]


