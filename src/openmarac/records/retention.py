"""Retention: a case's personal data is anonymised a set number of years (the Marac's
`retention_years`, 6 by default) after its last hearing.

What stays is everything the figures (the SafeLives data return and the governance
dashboard) count: the case and its reference, referrals with their dates, referring
agency kind, criteria and repeat flags, the age and diversity snapshots, the number of
children, the people rows with their roles and diversity fields, meetings, agenda items,
attendance, research returned and when, actions with their kind, agency, status and
dates, Idva referrals and contact dates, quality concerns' categories.

What goes: names, aliases, dates of birth, addresses, phones and all free text
(reasons, research, minutes, risks, action descriptions, notes, contact logs, the
information-sharing record). The audit trail is append-only and never holds personal
data in the first place (see docs/governance.md), so it needs no anonymising.

A person who is also in a case that is not yet due keeps their details until that case
is due too: anonymising them would erase a live case's record.
"""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from openmarac.actions.models import Action, ActionUpdate
from openmarac.audit import services as audit
from openmarac.meetings.models import Hearing, RepeatDecision, ResearchReturn, Risk
from openmarac.people.models import Address, Alias, Person, PersonMatchKey, Phone
from openmarac.referrals.models import (
    Case,
    CaseTransfer,
    ChildrenReferralPrompt,
    ContactAttempt,
    MatchCandidate,
    QualityConcern,
    Referral,
    ReferralPerson,
    SharingDecision,
    SharingLogEntry,
    SharingReview,
)
from openmarac.risk.models import RiskAssessment

from .models import AnonymisedCase, Correction, SubjectAccessRequest

ANONYMISED_NAME = "Anonymised"


@dataclass(frozen=True)
class DueCase:
    case_id: int
    reference: str
    last_heard_on: date


def cutoff_for(marac, *, today=None) -> date:
    """Cases last heard on or before this date are due."""
    return (today or timezone.localdate()) - relativedelta(years=marac.retention_years)


def cases_due(*, marac, today=None) -> list[DueCase]:
    """Cases of the Marac whose last hearing is at least `retention_years` ago and which
    are not yet anonymised. The last hearing is the later of a hearing in the product
    and an imported `heard_on`; a case never heard is never due."""
    imported = Max("referrals__heard_on")
    rows = (
        Case.objects.filter(marac=marac, anonymised__isnull=True)
        .annotate(imported_heard_on=imported)
        # Greatest is NULL on SQLite when either side is, so each side falls back to the other.
        .annotate(last=Greatest(Coalesce("last_heard_on", "imported_heard_on"), Coalesce("imported_heard_on", "last_heard_on")))
        .filter(last__isnull=False, last__lte=cutoff_for(marac, today=today))
        .order_by("last", "reference")
        .values_list("pk", "reference", "last")
    )
    return [DueCase(pk, reference, last) for pk, reference, last in rows]


@transaction.atomic
def case_anonymise(*, case_id: int, last_heard_on: date, by=None) -> AnonymisedCase | None:
    """Anonymise one case's personal data, in its own transaction, audited. Returns
    None if the case was anonymised meanwhile (another run got there first)."""
    case = Case.objects.select_for_update().select_related("marac").get(pk=case_id)
    if AnonymisedCase.objects.filter(case=case).exists():
        return None
    referrals = Referral.objects.filter(case=case)
    person_ids = set(ReferralPerson.objects.filter(referral__in=referrals).values_list("person_id", flat=True)) | {case.victim_id}
    kept = _people_in_live_cases(person_ids, case)
    anonymised_people = person_ids - kept

    _erase_case_text(case, referrals)
    _erase_people(anonymised_people)

    record = AnonymisedCase.objects.create(
        case=case, last_heard_on=last_heard_on, people_anonymised=len(anonymised_people), people_kept=len(kept)
    )
    audit.record(
        action=audit.Action.CHANGED,
        actor=by,
        obj=case,
        marac=case.marac,
        summary=f"Anonymised after the retention period ({len(anonymised_people)} people anonymised, {len(kept)} kept for a live case)",
    )
    return record


def retention_run(*, marac, today=None, by=None) -> list[DueCase]:
    """Anonymise every due case of the Marac, one transaction per case, so an
    interruption loses nothing and a re-run continues where it stopped."""
    due = cases_due(marac=marac, today=today)
    done = []
    for item in due:
        if case_anonymise(case_id=item.case_id, last_heard_on=item.last_heard_on, by=by) is not None:
            done.append(item)
    return done


def _people_in_live_cases(person_ids, case):
    """Those of `person_ids` who also appear in a case not yet anonymised."""
    live = Q(referral__case__isnull=False) & ~Q(referral__case=case) & Q(referral__case__anonymised__isnull=True)
    in_live_referrals = set(ReferralPerson.objects.filter(live, person_id__in=person_ids).values_list("person_id", flat=True))
    victims_elsewhere = set(
        Case.objects.filter(victim_id__in=person_ids, anonymised__isnull=True).exclude(pk=case.pk).values_list("victim_id", flat=True)
    )
    return in_live_referrals | victims_elsewhere


def _erase_case_text(case, referrals):
    referrals.update(
        referrer_name="",
        referrer_phone="",
        referrer_email="",
        reasons="",
        professional_judgement_rationale="",
        victim_not_aware_reason="",
        victim_afraid_of="",
        safe_to_talk_to="",
        unsafe_to_talk_to="",
        draft={},
    )
    ReferralPerson.objects.filter(referral__in=referrals).update(school="", gp="", note="")
    QualityConcern.objects.filter(referral__in=referrals).update(note="")
    SharingDecision.objects.filter(referral__in=referrals).update(
        who_at_risk="",
        at_risk_from="",
        risk_concerns="",
        immediate_risks="",
        assessed_risk="",
        incident_details="",
        incident_source="",
        protocol_detail="",
        legal_grounds_detail="",
        balancing_other="",
        balancing_comments="",
        internal_consultations="",
        external_consultations="",
        client_not_notified_reason="",
        caseworker_name="",
        manager_name="",
    )
    SharingLogEntry.objects.filter(decision__referral__in=referrals).update(shared_with="", method="", information="", authority="")
    SharingReview.objects.filter(decision__referral__in=referrals).update(feedback="")
    ContactAttempt.objects.filter(idva_referral__referral__in=referrals).update(note="")
    ChildrenReferralPrompt.objects.filter(referral__in=referrals).update(note="")
    MatchCandidate.objects.filter(referral__in=referrals).update(reasons=[])
    CaseTransfer.objects.filter(case=case).update(reason="", decision_note="")
    ResearchReturn.objects.filter(referral__in=referrals).update(
        corrections="",
        last_contact="",
        recent_behaviour="",
        risk_information="",
        actions_taken="",
        victim_priorities="",
        victim_fears="",
        safe_and_unsafe_people="",
        facts="",
        professional_opinion="",
    )
    hearings = Hearing.objects.filter(item__referral__in=referrals)
    hearings.update(
        minutes="", victim_views="", single_point_of_contact="", children_corrections="", closed_without_idva_reason="",
        children_unconfirmed_reason="", referrer_summary="", victim_not_told_reason="",
    )
    Risk.objects.filter(hearing__in=hearings).update(who_at_risk="", from_whom="", harm="", contributory_factors="", protective_factors="")
    RepeatDecision.objects.filter(case=case).update(details="", owner_name="", done_note="")
    actions = Action.objects.filter(case=case)
    actions.update(owner_name="", description="", outcome_note="")
    ActionUpdate.objects.filter(action__in=actions).update(note="")
    RiskAssessment.objects.filter(case=case).update(incident_summary="")
    for assessment in RiskAssessment.objects.filter(Q(referral__in=referrals) | Q(case=case)):
        _strip_assessment(assessment)


def _erase_people(person_ids):
    if not person_ids:
        return
    Person.objects.filter(pk__in=person_ids).update(given_name=ANONYMISED_NAME, family_name="", date_of_birth=None, expected_birth_on=None)
    Alias.objects.filter(person_id__in=person_ids).delete()
    Address.objects.filter(person_id__in=person_ids).delete()
    Phone.objects.filter(person_id__in=person_ids).delete()
    PersonMatchKey.objects.filter(person_id__in=person_ids).delete()
    MatchCandidate.objects.filter(Q(new_person_id__in=person_ids) | Q(candidate_id__in=person_ids)).update(reasons=[])
    Correction.objects.filter(person_id__in=person_ids).update(old_value="", new_value="", reason="")
    SubjectAccessRequest.objects.filter(person_id__in=person_ids).update(requester_name="", note="")
    for assessment in RiskAssessment.objects.filter(person_id__in=person_ids):
        _strip_assessment(assessment)


def _strip_assessment(assessment):
    """Keep each answer and its sub-choices (codes from the checklist definition); drop
    details, sources and comments, and the text of professional-judgement answers."""
    answers = {
        key: {k: v for k, v in answer.items() if k in ("answer", "sub_choices")} if isinstance(answer, dict) else answer
        for key, answer in (assessment.answers or {}).items()
    }
    judgement = {key: value for key, value in (assessment.professional_judgement or {}).items() if not isinstance(value, str)}
    RiskAssessment.objects.filter(pk=assessment.pk).update(answers=answers, professional_judgement=judgement)
