"""Reads of risk checklists, scoped through the access policy."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import F

from openmarac.access import policy
from openmarac.referrals.models import Case

from . import definitions
from .models import RiskAssessment


def case_for_reassessment(*, user, public_id):
    """The open case, if the user may record a new checklist on it (a merged case leads
    to the case it joined)."""
    case = Case.objects.filter(public_id=public_id).select_related("merged_into").first()
    if case is not None and case.merged_into_id:
        case = case.merged_into
    if case is None:
        return None
    return Case.objects.filter(policy.reassessable_cases_q(user), pk=case.pk).select_related("marac", "victim").distinct().first()


@dataclass(frozen=True)
class ScoreRow:
    assessment: RiskAssessment
    name: str
    max_score: int
    at_or_above_threshold: bool

    @property
    def share(self):
        return self.assessment.score / self.max_score if self.max_score else 0


def score_history(*, case):
    """Every checklist of the case, oldest first, with what its score means, and the
    date of the referral it was made with (`referral_referred_on`). One query:
    definitions are files, read once per process."""
    rows = []
    threshold = case.marac.visible_high_risk_threshold
    # Of a checklist's referral only its date is shown (`referral_referred_on`): one
    # column, not the whole referral.
    assessments = (
        RiskAssessment.objects.filter(case=case)
        .select_related("completed_by__agency")
        .annotate(referral_referred_on=F("referral__referred_on"))
        .order_by("completed_on", "created_at")
    )
    for assessment in assessments:
        definition = _definition(assessment.definition_id, assessment.definition_version)
        rows.append(
            ScoreRow(
                assessment=assessment,
                name=definition.name if definition else assessment.definition_id,
                max_score=definition.max_score if definition else 0,
                at_or_above_threshold=assessment.score >= threshold,
            )
        )
    return rows


def _definition(definition_id, version):
    from openmarac.referrals.services import _definition as cached

    try:
        return cached(definition_id, version, tuple(settings.OPENMARAC_CHECKLIST_DIRS))
    except definitions.DefinitionError:
        return None
