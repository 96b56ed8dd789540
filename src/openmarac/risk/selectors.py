"""Reads of risk checklists, scoped through the access policy."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import F

from openmarac.access import policy
from openmarac.accounts.models import Agency, User
from openmarac.core import compiled
from openmarac.referrals.models import Case, Referral, ReferralPerson

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


def perpetrator_names(*, user, case):
    """The given names of the perpetrators named on the case's referrals (not drafts)
    that the user may read, in the order first named, as the referral form puts them
    in the checklist's questions ("the abuser" when none is named). A user who may not
    open the case (a referrer recording a checklist from their referral) reads only
    the referrals they made: another agency's referral may name someone else."""
    from openmarac.referrals.selectors import case_for

    referrals = Referral.objects.filter(case=case).exclude(status=Referral.Status.DRAFT)
    if case_for(user=user, public_id=case.public_id) is None:
        referrals = referrals.filter(referrer=user)
    rows = (
        ReferralPerson.objects.filter(referral__in=referrals, role=ReferralPerson.Role.PERPETRATOR)
        .order_by("referral__referred_on", "id")
        .values_list("person__given_name", flat=True)
    )
    names = []
    for name in rows:
        if name and name not in names:
            names.append(name)
    return " / ".join(names) or "the abuser"


@dataclass(frozen=True)
class ScoreRow:
    assessment: RiskAssessment
    name: str
    max_score: int
    at_or_above_threshold: bool

    @property
    def share(self):
        return self.assessment.score / self.max_score if self.max_score else 0


def _score_history_query(case_id):
    # Of a checklist's referral only its date is shown (`referral_referred_on`): one
    # column, not the whole referral. Its author and the author's agency as columns of
    # the same rows (`select_related`'s join).
    return (
        RiskAssessment.objects.filter(case_id=case_id)
        .order_by("completed_on", "created_at")
        .values(
            *compiled.columns(RiskAssessment),
            *(f"completed_by__{name}" for name in compiled.columns(User)),
            *(f"completed_by__agency__{name}" for name in compiled.columns(Agency)),
            referral_referred_on=F("referral__referred_on"),
        )
    )


def score_history_read(*, case):
    """`score_history`'s query as (build, values), for `compiled.rows_together`."""
    return _score_history_query, {"case_id": case.pk}


def score_history(*, case, rows=None):
    """Every checklist of the case, oldest first, with what its score means, its author
    and the author's agency, and the date of the referral it was made with
    (`referral_referred_on`). One query, compiled once (core/compiled.py: building it
    cost more than running it); definitions are files, read once per process. `rows`:
    those of `score_history_read`, when the caller ran it with its other reads."""
    if rows is None:
        rows = compiled.rows(_score_history_query, case_id=case.pk)
    history = []
    threshold = case.marac.visible_high_risk_threshold
    for row in rows:
        assessment = compiled.instance(RiskAssessment, row)
        author = compiled.instance(User, row, "completed_by__")
        if author is not None:
            author.agency = compiled.instance(Agency, row, "completed_by__agency__")
        assessment.completed_by = author
        assessment.referral_referred_on = row["referral_referred_on"]
        definition = _definition(assessment.definition_id, assessment.definition_version)
        history.append(
            ScoreRow(
                assessment=assessment,
                name=definition.name if definition else assessment.definition_id,
                max_score=definition.max_score if definition else 0,
                at_or_above_threshold=assessment.score >= threshold,
            )
        )
    return history


def _definition(definition_id, version):
    from openmarac.referrals.services import _definition as cached

    try:
        return cached(definition_id, version, tuple(settings.OPENMARAC_CHECKLIST_DIRS))
    except definitions.DefinitionError:
        return None
