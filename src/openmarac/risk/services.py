"""Writes for risk: a new risk checklist after a new incident. Risk is dynamic, so every
checklist is a new row and none is ever changed or replaced."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Role
from openmarac.accounts.selectors import users_with_role
from openmarac.audit import services as audit
from openmarac.notifications.services import notify

from . import definitions
from .models import RiskAssessment


def definition_for(*, marac, user):
    """The checklist this user completes for this Marac: the one the Marac uses for
    their agency's kind (the police DASH for an officer, if so set), else its own."""
    from openmarac.referrals.services import checklist_definition

    return checklist_definition(marac, agency_kind=user.agency.kind if user.agency_id else "")


@transaction.atomic
def risk_reassess(
    *, by, case, answers: dict, incident_on: date, incident_summary: str, professional_judgement: dict | None = None, request=None
) -> RiskAssessment:
    """Record a new risk checklist for the case after a new incident, keeping every
    earlier one. The coordinators are told (a link, no content)."""
    if not policy.can_reassess_risk(by, case):
        raise PermissionDenied
    definition = definition_for(marac=case.marac, user=by)
    problems = {}
    errors = definitions.validate_answers(definition, answers, require_all=True)
    if errors:
        problems["checklist"] = "; ".join(f"{key}: {message}" for key, message in errors.items())
    if incident_on is None:
        problems["incident_on"] = "Enter the date of the new incident"
    elif incident_on > timezone.localdate():
        problems["incident_on"] = "The date of the incident cannot be in the future"
    if not (incident_summary or "").strip():
        problems["incident_summary"] = "Say what happened, and where the information came from"
    if problems:
        raise ValidationError(problems)
    assessment = RiskAssessment.objects.create(
        person=case.victim,
        case=case,
        referral=None,
        definition_id=definition.id,
        definition_version=definition.version,
        answers=answers,
        professional_judgement=professional_judgement or {},
        score=definitions.score(definition, answers),
        completed_on=timezone.localdate(),
        completed_by=by,
        incident_on=incident_on,
        incident_summary=incident_summary.strip(),
    )
    audit.record(
        action=audit.Action.CREATED, actor=by, request=request, obj=assessment, marac=case.marac, summary="Risk checklist after a new incident"
    )
    notify(
        users=[user for user in users_with_role(case.marac, Role.COORDINATOR) if user.pk != by.pk],
        subject="A new risk checklist after an incident",
        message=f"A new risk checklist has been recorded on a case of {case.marac.name} after a new incident. Look at the case's risk over time.",
        path=reverse("referrals:case", args=[case.public_id]) + "#risk-over-time",
    )
    return assessment
