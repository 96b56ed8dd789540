"""Reads of cases and referrals, each scoped through the access policy. A record the
user may not see is simply not found (the view answers 404)."""

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
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
    SharingReview,
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
            "referring_agency", "referrer", "repeat_of", "idva_referral__idva_agency", "children_prompt", "sharing_decision", "agency_check__agency",
            "agency_check__checked_by",
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
        policy.hidden_case_q(user, "referral__case_id")
    )


def _with_meeting_date(referrals):
    """Each referral with the start of the meeting it was listed for (`meeting_at`), so
    the referrer sees the date, and "heard on" only once it has been heard."""
    from openmarac.meetings.models import AgendaItem

    listed_for = AgendaItem.objects.filter(referral=OuterRef("pk"), section=AgendaItem.Section.NEW_AND_REPEAT).order_by("-listed_at")
    return referrals.annotate(meeting_at=Subquery(listed_for.values("meeting__starts_at")[:1]))


def referrals_made_by(*, user):
    return _with_meeting_date(Referral.objects.filter(referrer=user).select_related("marac", "case")).order_by("-updated_at", "-id")


def marac_by_slug(slug):
    from openmarac.accounts.models import Marac

    return Marac.objects.filter(slug=slug).first()


def match_queue(*, user, marac):
    """The cases with possible matches awaiting the coordinator's decision, one row per
    referral with how many candidates and how many of them are likely, newest first."""
    return (
        pending_match_decisions(user=user, marac=marac)
        .values("referral_id", "referral__case__public_id", "referral__case__reference", "referral__referred_on")
        .annotate(candidates=Count("id"), likely=Count("id", filter=Q(label="likely")))
        .order_by("-referral__referred_on", "-referral_id")
    )


def referral_for_referrer(*, user, public_id):
    referral = _with_meeting_date(Referral.objects.filter(public_id=public_id, referrer=user).select_related("marac", "case")).first()
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
    return (
        SharingDecision.objects.filter(policy.visible_sharing_decisions_q(user), pk=pk)
        .select_related("referral", "referral__marac", "referral__case", "review_owner")
        .prefetch_related(Prefetch("reviews", queryset=SharingReview.objects.select_related("reviewed_by")), "log")
        .first()
    )


def people_of(referral, role):
    return [rp for rp in referral.people.all() if rp.role == role]




def agency_check_for(*, user, pk):
    from .models import AgencyCheck

    return (
        AgencyCheck.objects.filter(policy.visible_agency_checks_q(user), pk=pk)
        .select_related("referral__marac", "referral__case", "referral__referring_agency", "agency", "checked_by")
        .first()
    )


def agency_checks_open(*, user, marac):
    """The checks waiting on the user's agency (representatives), or every open one of
    the Marac (the coordinator), soonest due first."""
    from .models import AgencyCheck

    checks = AgencyCheck.objects.filter(policy.visible_agency_checks_q(user), referral__marac=marac, checked_at__isnull=True, timed_out_at__isnull=True)
    if not policy.has_role(user, marac, Role.COORDINATOR):
        checks = checks.filter(agency_id=user.agency_id)
    return checks.select_related("referral__case", "agency").order_by("due_at")
