"""Writes for referral intake. The web form and the import command both describe a
referral as `ReferralData` and record it with `referral_record`."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import AgencyKind, Marac, Role
from openmarac.accounts.selectors import users_with_role
from openmarac.audit import services as audit
from openmarac.notifications.services import notify
from openmarac.people import services as people_services
from openmarac.people.services import PersonData
from openmarac.risk import definitions
from openmarac.risk.models import RiskAssessment

from .criteria import UNBORN_EXPECTED_BEFORE, UNBORN_EXPECTED_WITHIN, age_on, criteria_met, within_repeat_window
from .models import (
    AgencyCheck,
    Case,
    CaseInvolvement,
    ChildrenReferralPrompt,
    ContactAttempt,
    IdvaReferral,
    MatchCandidate,
    OtherMaracMatch,
    QualityConcern,
    ReferenceCounter,
    Referral,
    ReferralPerson,
    SharingDecision,
    SharingLogEntry,
    SharingReview,
)


@dataclass
class LinkedPerson:
    data: PersonData
    relationship_to_victim: str = ""
    relationship_to_perpetrator: str = ""
    school: str = ""
    gp: str = ""
    details_unreliable: bool = False


@dataclass
class SharingDecisionData:
    legal_grounds: list
    review_on: date
    review_owner: object
    caseworker_name: str
    caseworker_signed_on: date
    manager_name: str
    manager_signed_on: date
    who_at_risk: str = ""
    at_risk_from: str = ""
    risk_concerns: str = ""
    immediate_risks: str = ""
    assessed_risk: str = ""
    incident_details: str = ""
    incident_source: str = ""
    protocol_applies: bool | None = None
    protocol_detail: str = ""
    legal_grounds_detail: str = ""
    balancing: list = field(default_factory=list)
    balancing_other: str = ""
    balancing_comments: str = ""
    internal_consultations: str = ""
    external_consultations: str = ""
    client_notified: bool | None = None
    client_notified_on: date | None = None
    client_not_notified_reason: str = ""
    # The first entry of the sharing log: the referral to the Marac itself.
    shared_with: str = ""
    shared_on: date | None = None
    shared_method: str = ""
    shared_information: str = ""
    shared_authority: str = ""


@dataclass
class ReferralData:
    victim: PersonData
    referred_on: date
    disclosed_on: date | None = None  # the disclosure or incident, when known
    referring_agency: object = None
    referring_agency_kind: str = ""
    referrer_name: str = ""
    referrer_phone: str = ""
    referrer_email: str = ""
    reasons: str = ""
    victim_under_16_reason: str = ""
    perpetrators: list = field(default_factory=list)  # [LinkedPerson]
    children: list = field(default_factory=list)  # [LinkedPerson]
    checklist_id: str = ""  # empty: the Marac's own checklist
    checklist_version: str | None = None
    checklist_answers: dict | None = None  # {question_key: {"answer": "yes", ...}}
    checklist_professional_judgement: dict = field(default_factory=dict)
    checklist_score: int | None = None  # when only the score is known (imports)
    professional_judgement: bool = False
    professional_judgement_rationale: str = ""
    police_incidents_last_12_months: int | None = None
    repeat_declared: bool = False
    previous_marac_reference: str = ""
    previous_other_marac: str = ""
    victim_aware: bool | None = None
    victim_not_aware_reason: str = ""
    consent_given: bool | None = None
    victim_afraid_of: str = ""
    safe_to_talk_to: str = ""
    unsafe_to_talk_to: str = ""
    sharing: SharingDecisionData | None = None
    heard_on: date | None = None
    source_key: str = ""


def checklist_definition(marac, data=None, *, agency_kind=""):
    """The checklist a referral is made on: the one it names (imports), else the one the
    Marac uses for the referring agency's kind (for example the police DASH for police
    referrals), else the Marac's own."""
    from django.conf import settings

    if data is not None and not agency_kind:
        agency_kind = data.referring_agency_kind or (data.referring_agency.kind if data.referring_agency else "")
    definition_id = data.checklist_id if data and data.checklist_id else marac.checklist_id_for(agency_kind)
    version = data.checklist_version if data else None
    return _definition(definition_id, version, tuple(settings.OPENMARAC_CHECKLIST_DIRS))


@lru_cache(maxsize=32)
def _definition(definition_id, version, directories):
    # Definitions are files shipped with a release: read and checked once per process.
    return definitions.get_definition(definition_id, version, directories=directories)


def referral_problems(*, marac, data: ReferralData, today: date | None = None) -> dict:
    """What stops a referral being recorded, as {field: message}. A referral is never
    refused for its risk level: these are gaps in the form, not screening. `today`
    (the local date) may be given by a caller checking thousands of referrals at once:
    reading the current time zone costs more than the rest of the checks."""
    problems = {}
    today = today or timezone.localdate()
    if data.referred_on > today:
        problems["referred_on"] = "The referral date cannot be in the future"
    if data.disclosed_on and data.disclosed_on > data.referred_on:
        problems["disclosed_on"] = "The date of disclosure must be on or before the referral date"
    if data.victim.date_of_birth and data.victim.date_of_birth > today:
        problems["victim_date_of_birth"] = "The victim’s date of birth cannot be in the future"
    victim_age = age_on(data.victim.date_of_birth, data.referred_on)
    if victim_age is not None and victim_age < 16 and not data.victim_under_16_reason.strip():
        problems["victim_under_16_reason"] = "The victim is under 16: explain why this is a Marac referral (Marac is for victims aged 16 and over)"
    for number, linked in enumerate(data.perpetrators, start=1):
        if linked.data.date_of_birth and linked.data.date_of_birth > today:
            problems[f"perpetrator_{number}"] = f"Perpetrator {number}: the date of birth cannot be in the future"
    if data.heard_on and not (data.referred_on <= data.heard_on <= today):
        problems["heard_on"] = "The date heard must be on or after the referral date, and not in the future"
    for number, child in enumerate(data.children, start=1):
        dob, expected = child.data.date_of_birth, child.data.expected_birth_on
        if dob and expected:
            problems[f"child_{number}"] = f"Child {number}: give a date of birth or an expected date, not both"
        elif dob and dob > today:
            problems[f"child_{number}"] = f"Child {number}: the date of birth cannot be in the future"
        elif dob and age_on(dob, data.referred_on) > 17:
            problems[f"child_{number}"] = f"Child {number} is over 17: record adults as other household members, not children"
        elif expected and not (data.referred_on - UNBORN_EXPECTED_BEFORE <= expected <= data.referred_on + UNBORN_EXPECTED_WITHIN):
            problems[f"child_{number}"] = (
                f"Child {number}: an unborn child’s expected date must be within 10 months of the referral "
                "(for a child already born, give the date of birth or say it is not known)"
            )
    if data.professional_judgement and not data.professional_judgement_rationale.strip():
        problems["professional_judgement_rationale"] = "Explain why you believe the risk is high (required for professional judgement)"
    if data.checklist_answers is not None:
        definition = checklist_definition(marac, data)
        errors = definitions.validate_answers(definition, data.checklist_answers)
        if errors:
            problems["checklist"] = "; ".join(f"{key}: {message}" for key, message in errors.items())
    criteria = _criteria(marac, data, _score(marac, data))
    if not (criteria.any or data.repeat_declared):
        problems["criteria"] = (
            "Say which criterion this referral meets: the checklist score is below the threshold of "
            f"{marac.visible_high_risk_threshold}, so refer on professional judgement (with your reasons), "
            "potential escalation, or as a repeat"
        )
    if data.consent_given is False and data.sharing is None:
        problems["sharing"] = "The victim has not consented: complete the information sharing without consent record"
    elif data.consent_given is False and not (data.sharing.legal_grounds or (data.sharing.protocol_applies and data.sharing.protocol_detail.strip())):
        problems["sharing"] = "Give the legal authority to share without consent: a protocol that applies, or at least one legal ground"
    return problems


def _score(marac, data):
    if data.checklist_answers is not None:
        return definitions.score(checklist_definition(marac, data), data.checklist_answers)
    return data.checklist_score


def _criteria(marac, data, score):
    return criteria_met(
        score=score,
        threshold=marac.visible_high_risk_threshold,
        professional_judgement=data.professional_judgement,
        incidents=data.police_incidents_last_12_months,
        escalation_threshold=marac.escalation_incident_threshold,
        repeat=data.repeat_declared,
    )


@dataclass(frozen=True)
class Headline:
    """What the referrer sees first before sending: the score, the criteria met and consent."""

    score: int | None
    threshold: int
    max_score: int
    criteria: list
    consent_given: bool | None
    victim_aware: bool | None


def referral_headline(*, marac, data: ReferralData) -> Headline:
    score = _score(marac, data)
    return Headline(
        score=score,
        threshold=marac.visible_high_risk_threshold,
        max_score=checklist_definition(marac, data).max_score,
        criteria=_criteria(marac, data, score).labels,
        consent_given=data.consent_given,
        victim_aware=data.victim_aware,
    )


def reference_prefix(marac, year):
    return f"{marac.slug[:4].upper()}-{year}-"


def _highest_number_in_use(prefix):
    """The highest number any case carries under this prefix, wherever it is now
    (including cases of another Marac whose slug starts alike, and references with a
    suffix such as "-T" from transfers before references were unique)."""
    highest = 0
    for reference in Case.objects.filter(reference__startswith=prefix).values_list("reference", flat=True).iterator():
        digits = reference[len(prefix):].split("-", 1)[0]
        if digits.isdigit():
            highest = max(highest, int(digits))
    return highest


def next_reference(marac, year):
    """Issue the next reference for the Marac and year; never one issued before.

    The counter row is locked until the caller's transaction ends, so two referrals at
    once (in this Marac or another whose prefix is the same) wait for each other. The
    counter only goes up; a number is skipped if a case already holds it (a case that
    arrived with its own reference), so the unique constraint is never what stops a
    referral."""
    prefix = reference_prefix(marac, year)
    counter, created = ReferenceCounter.objects.select_for_update().get_or_create(prefix=prefix)
    if created:
        # First number under this prefix since counters began: start above every
        # number already in use.
        counter.last_number = _highest_number_in_use(prefix)
    number = counter.last_number + 1
    while Case.objects.filter(reference=f"{prefix}{number:04d}").exists():
        number += 1
    counter.last_number = number
    counter.save(update_fields=["last_number"])
    return f"{prefix}{number:04d}"


def agency_of_kind(marac, kind):
    link = marac.agency_links.filter(agency__kind=kind, is_active=True).select_related("agency").order_by("-is_core", "id").first()
    return link.agency if link else None


@transaction.atomic
def referral_record(*, marac, data: ReferralData, by=None, recorded_by=None, referral=None, request=None, notify_agencies=True):
    """Record a complete referral: people, checklist, case, criteria, matching, the Idva
    referral, the children's social care prompt and the sharing record. `by` is the
    referrer (if a user); `recorded_by` whoever entered it, when someone else did (an
    import). Raises ValidationError with every problem found; writes nothing then.

    A referral imported as already heard (history) sets nothing in motion: its Idva and
    children's referrals happened outside the system."""
    if by is not None and not policy.can_refer(by, marac):
        raise PermissionDenied
    problems = referral_problems(marac=marac, data=data)
    if problems:
        raise ValidationError(problems)
    # One referral of a Marac at a time (matching sees the ones before it). NO KEY:
    # a plain FOR UPDATE also blocks every insert that refers to the Marac, an audit
    # event of a page view included, which holds the audit chain's lock meanwhile and
    # deadlocks with this transaction's own audit event (found by bench/load_bench.py).
    marac = Marac.objects.select_for_update(no_key=True).get(pk=marac.pk)
    victim = people_services.person_create(marac=marac, data=data.victim)
    case = Case.objects.create(marac=marac, reference=next_reference(marac, data.referred_on.year), victim=victim)
    score = _score(marac, data)
    criteria = _criteria(marac, data, score)
    perpetrator_ages = [age_on(p.data.date_of_birth, data.referred_on) for p in data.perpetrators]
    referral = referral or Referral(marac=marac)
    fields = dict(
        case=case,
        marac=marac,
        status=Referral.Status.HEARD if data.heard_on else Referral.Status.AWAITING_LISTING,
        draft={},
        source_key=data.source_key,
        referrer=by if by is not None and getattr(by, "pk", None) else None,
        referring_agency=data.referring_agency,
        referring_agency_kind=data.referring_agency_kind or (data.referring_agency.kind if data.referring_agency else ""),
        referrer_name=data.referrer_name,
        referrer_phone=data.referrer_phone,
        referrer_email=data.referrer_email,
        referred_on=data.referred_on,
        disclosed_on=data.disclosed_on,
        submitted_at=timezone.now(),
        reasons=data.reasons,
        meets_visible_high_risk=criteria.visible_high_risk,
        meets_professional_judgement=criteria.professional_judgement,
        meets_escalation=criteria.escalation,
        meets_repeat=criteria.repeat,
        repeat_declared=data.repeat_declared,
        professional_judgement_rationale=data.professional_judgement_rationale,
        police_incidents_last_12_months=data.police_incidents_last_12_months,
        checklist_score=score,
        previous_marac_reference=data.previous_marac_reference,
        previous_other_marac=data.previous_other_marac,
        victim_aware=data.victim_aware,
        victim_not_aware_reason=data.victim_not_aware_reason,
        consent_given=data.consent_given,
        victim_afraid_of=data.victim_afraid_of,
        safe_to_talk_to=data.safe_to_talk_to,
        unsafe_to_talk_to=data.unsafe_to_talk_to,
        victim_age=age_on(data.victim.date_of_birth, data.referred_on),
        victim_gender=data.victim.gender,
        victim_racially_minoritised=data.victim.racially_minoritised,
        victim_disabled=data.victim.disabled,
        victim_lgbt=data.victim.lgbt,
        youngest_perpetrator_age=min((a for a in perpetrator_ages if a is not None), default=None),
        children_count=len(data.children),
        heard_on=data.heard_on,
    )
    for name, value in fields.items():
        setattr(referral, name, value)
    referral.save()
    if data.heard_on:
        case.last_heard_on = data.heard_on
        case.save(update_fields=["last_heard_on"])

    ReferralPerson.objects.create(referral=referral, person=victim, role=ReferralPerson.Role.VICTIM, note=data.victim_under_16_reason)
    perpetrators = []
    for linked in data.perpetrators:
        person = people_services.person_create(marac=marac, data=linked.data)
        perpetrators.append(person)
        ReferralPerson.objects.create(
            referral=referral, person=person, role=ReferralPerson.Role.PERPETRATOR, relationship_to_victim=linked.relationship_to_victim
        )
    for linked in data.children:
        ReferralPerson.objects.create(
            referral=referral,
            person=people_services.person_create(marac=marac, data=linked.data),
            role=ReferralPerson.Role.CHILD,
            relationship_to_victim=linked.relationship_to_victim,
            relationship_to_perpetrator=linked.relationship_to_perpetrator,
            school=linked.school,
            gp=linked.gp,
            details_unreliable=linked.details_unreliable,
        )

    definition = checklist_definition(marac, data)
    RiskAssessment.objects.create(
        person=victim,
        case=case,
        referral=referral,
        definition_id=definition.id,
        definition_version=definition.version,
        answers=data.checklist_answers or {},
        professional_judgement=data.checklist_professional_judgement,
        score=score or 0,
        completed_on=data.referred_on,
        completed_by=referral.referrer,
    )
    if data.referring_agency:
        _involve(case, data.referring_agency, CaseInvolvement.Reason.REFERRED)

    for person in [victim, *perpetrators]:
        _record_matches(referral, person)
    if data.sharing is not None and data.consent_given is False:
        _record_sharing_decision(referral, data.sharing, by=referral.referrer)

    audit.record(
        action=audit.Action.CREATED, actor=recorded_by or referral.referrer, request=request, obj=referral, marac=marac, summary="Referral recorded"
    )
    if data.heard_on:
        return referral

    idva_agency = agency_of_kind(marac, AgencyKind.IDVA)
    idva_referral = IdvaReferral.objects.create(
        referral=referral,
        idva_agency=idva_agency,
        first_contact_due=referral.submitted_at + timedelta(hours=IdvaReferral.FIRST_CONTACT_TARGET_HOURS),
    )
    if idva_agency:
        _involve(case, idva_agency, CaseInvolvement.Reason.IDVA_REFERRAL)
    prompt = None
    if data.children:
        csc = agency_of_kind(marac, AgencyKind.CHILDRENS_SOCIAL_CARE)
        prompt = ChildrenReferralPrompt.objects.create(referral=referral, agency=csc)
        if csc:
            _involve(case, csc, CaseInvolvement.Reason.CHILDREN_REFERRAL)

    # Only a referral made through the form is held for the agency's check: an import
    # comes from the coordinator, who already has it.
    check = _agency_check_start(referral, by) if by is not None and notify_agencies else None
    if notify_agencies:
        _notify_on_referral(referral, idva_referral, prompt, check)
    return referral


def _agency_check_start(referral, by):
    """When the Marac asks that referrals from this agency are checked by its Marac
    representative, open the check (with its time-out) and tell the representatives.
    Not when the referrer is one of them, nor when the agency has no representative to
    do it: a check nobody can make would only hold the referral back."""
    agency = referral.referring_agency
    if agency is None or not referral.marac.agency_links.filter(agency=agency, is_active=True, referrals_checked_by_representative=True).exists():
        return None
    representatives = users_with_role(referral.marac, Role.REPRESENTATIVE, agency=agency)
    if not representatives or any(user.pk == by.pk for user in representatives):
        return None
    check = AgencyCheck.objects.create(
        referral=referral, agency=agency, due_at=referral.submitted_at + timedelta(hours=referral.marac.agency_check_hours)
    )
    notify(
        users=representatives,
        subject="A referral from your agency to check",
        message=(
            f"A colleague at your agency has referred a case to {referral.marac.name}. As your agency's Marac representative, "
            f"check it and add anything missing by {timezone.localtime(check.due_at):%-d %B %Y at %H:%M}; it goes on to the coordinator then "
            "whatever happens. You cannot stop a referral."
        ),
        path=reverse("referrals:agency-check", args=[check.pk]),
    )
    return check


def _involve(case, agency, reason):
    CaseInvolvement.objects.get_or_create(case=case, agency=agency, reason=reason)


def _record_matches(referral, person):
    for candidate, match in people_services.candidates_for(person):
        MatchCandidate.objects.create(
            referral=referral, new_person=person, candidate=candidate, score=match.score, label=match.label, reasons=match.reasons
        )
    role = "victim" if referral.case.victim_id == person.pk else "perpetrator"
    for marac_id in people_services.likely_matches_elsewhere(person):
        OtherMaracMatch.objects.get_or_create(referral=referral, other_marac_id=marac_id, role=role)


def other_marac_matches_record(*, referral_ids) -> int:
    """Record the likely matches in other Maracs of these referrals' victims and
    perpetrators, as `_record_matches` does for one referral; the importer leaves this
    to the worker (`tasks.search_other_maracs`). A match already recorded is kept as it
    is, so running it again changes nothing. Returns the number of matches found."""
    named_in = defaultdict(lambda: defaultdict(list))  # Marac -> person -> [(referral, role)]
    named = ReferralPerson.objects.filter(
        referral_id__in=referral_ids, role__in=[ReferralPerson.Role.VICTIM, ReferralPerson.Role.PERPETRATOR]
    ).values_list("referral__marac_id", "person_id", "referral_id", "role")
    for marac_id, person_id, referral_id, role in named:
        named_in[marac_id][person_id].append((referral_id, role))
    matches = []
    for marac_id, people in named_in.items():
        found = people_services.likely_matches_elsewhere_of(marac_id=marac_id, person_ids=list(people))
        matches += [
            OtherMaracMatch(referral_id=referral_id, other_marac_id=other_marac_id, role=role)
            for person_id, maracs in found.items()
            for referral_id, role in people[person_id]
            for other_marac_id in sorted(maracs)
        ]
    return len(OtherMaracMatch.objects.bulk_create(matches, ignore_conflicts=True))


def _record_sharing_decision(referral, sharing, *, by):
    fields = {name: value for name, value in sharing.__dict__.items() if not name.startswith("shared_")}
    decision = SharingDecision.objects.create(referral=referral, **fields)
    if sharing.shared_with:
        SharingLogEntry.objects.create(
            decision=decision,
            shared_with=sharing.shared_with,
            shared_on=sharing.shared_on or referral.referred_on,
            method=sharing.shared_method,
            information=sharing.shared_information,
            authority=sharing.shared_authority,
            recorded_by=by or sharing.review_owner,
        )
    return decision


def idva_users_for(idva_referral):
    """The Idvas who will see this Idva referral in OpenMarac (none when the Marac has
    no Idva service or no Idva user): what the referrer is promised depends on it."""
    if idva_referral is None or not idva_referral.idva_agency_id:
        return []
    return users_with_role(idva_referral.referral.marac, Role.IDVA, agency=idva_referral.idva_agency)


def _notify_on_referral(referral, idva_referral, prompt, check=None):
    marac = referral.marac
    case_path = reverse("referrals:case", args=[referral.case.public_id])
    message = f"A new referral has been made to {marac.name}."
    if check is not None:
        # The coordinator sees it at once, so nothing waits unseen on the agency's check.
        message += (
            " The referring agency's Marac representative is checking it first, and may add information, "
            f"until {timezone.localtime(check.due_at):%-d %B %Y at %H:%M}. It is on your list meanwhile."
        )
    notify(users=users_with_role(marac, Role.COORDINATOR), subject=f"New referral to {marac.name}", message=message, path=case_path)
    idva_users = idva_users_for(idva_referral)
    if idva_users:
        notify(
            users=idva_users,
            subject="New Idva referral",
            message=f"A new Idva referral from {marac.name} needs first contact within {IdvaReferral.FIRST_CONTACT_TARGET_HOURS} hours.",
            path=reverse("referrals:idva-referral", args=[idva_referral.pk]),
        )
    else:
        # Nobody at the Idva service uses OpenMarac: unless the coordinator passes the
        # referral on, no Idva will ever hear of it.
        notify(
            users=users_with_role(marac, Role.COORDINATOR),
            subject="Pass on an Idva referral",
            message=(
                f"A new referral to {marac.name} needs an Idva, and no Idva of the Idva service uses OpenMarac. "
                "Pass the Idva referral on to the Idva service yourself, safely, today."
            ),
            path=reverse("referrals:idva-referral", args=[idva_referral.pk]),
        )
    if prompt and prompt.agency:
        notify(
            users=users_with_role(marac, Role.REPRESENTATIVE, agency=prompt.agency),
            subject="Children’s social care referral to confirm",
            message=f"A referral to {marac.name} lists children. Please confirm the children’s social care referral.",
            path=reverse("referrals:children-prompt", args=[prompt.pk]),
        )


def tell_referrer(referral, *, subject, message):
    """Tell the person who made the referral how it is going: a link to their referral's
    page, never its content. Nobody is told who no longer follows it (left the Marac)."""
    referrer = referral.referrer
    if referrer is None or not policy.can_view_own_referral(referrer, referral):
        return
    notify(users=[referrer], subject=subject, message=message, path=reverse("referrals:referral", args=[referral.public_id]))


# --- Decisions after referral ------------------------------------------------------


@transaction.atomic
def match_decide(*, by, candidate, same_person, request=None):
    """The coordinator says whether two records are the same person. A confirmed
    victim moves the referral into the existing case; repeat status is worked out
    again either way."""
    referral = candidate.referral
    if not policy.can_decide_matches(by, referral.marac):
        raise PermissionDenied
    if candidate.decision != MatchCandidate.Decision.PENDING:
        raise ValidationError("This match has already been decided.")
    if same_person and MatchCandidate.objects.filter(new_person=candidate.new_person, decision=MatchCandidate.Decision.CONFIRMED).exists():
        raise ValidationError("Another record has already been confirmed as this person.")
    candidate.decision = MatchCandidate.Decision.CONFIRMED if same_person else MatchCandidate.Decision.REJECTED
    candidate.decided_by = by
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["decision", "decided_by", "decided_at"])
    if same_person:
        new_person = candidate.new_person
        new_person.same_as_id = candidate.candidate.canonical_id
        new_person.save(update_fields=["same_as"])
        if referral.case.victim_id == new_person.pk:
            _move_into_existing_case(referral, candidate.candidate)
        referral.refresh_from_db()
    referral_repeat_refresh(referral)
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=candidate, marac=referral.marac,
        summary="Same person confirmed" if same_person else "Not the same person",
    )
    return candidate


def _identity_q(person_field, canonical_id):
    return Q(**{f"{person_field}_id": canonical_id}) | Q(**{f"{person_field}__same_as_id": canonical_id})


def _move_into_existing_case(referral, existing_person):
    target = (
        Case.objects.filter(_identity_q("victim", existing_person.canonical_id), marac=referral.marac, status=Case.Status.OPEN)
        .exclude(pk=referral.case_id)
        .order_by("created_at")
        .first()
    )
    if target is None:
        return
    provisional = referral.case
    for involvement in provisional.involvements.all():
        _involve(target, involvement.agency, involvement.reason)
    Referral.objects.filter(case=provisional).update(case=target)
    RiskAssessment.objects.filter(case=provisional).update(case=target)
    provisional.status = Case.Status.MERGED
    provisional.merged_into = target
    provisional.save(update_fields=["status", "merged_into"])


def _perpetrator_identities(referral_people):
    return {rp.person.canonical_id for rp in referral_people if rp.role == ReferralPerson.Role.PERPETRATOR}


def referral_repeat_refresh(referral):
    """A repeat: the victim's most recent earlier referral that names one of the same
    perpetrators was within the Marac's repeat window."""
    this_victim = ReferralPerson.objects.get(referral=referral, role=ReferralPerson.Role.VICTIM).person
    perpetrator_ids = _perpetrator_identities(referral.people.select_related("person"))
    earlier = (
        Referral.objects.filter(
            _identity_q("people__person", this_victim.canonical_id),
            people__role=ReferralPerson.Role.VICTIM,
            marac=referral.marac,
            referred_on__lte=referral.referred_on,
        )
        .exclude(pk=referral.pk)
        .exclude(status=Referral.Status.DRAFT)
        .order_by("-referred_on", "-submitted_at")
        .distinct()
        .prefetch_related(Prefetch("people", queryset=ReferralPerson.objects.select_related("person")))
    )
    repeat_of = None
    for previous in earlier:
        if perpetrator_ids & _perpetrator_identities(previous.people.all()):
            if within_repeat_window(previous.referred_on, referral.referred_on, referral.marac.repeat_window_months):
                repeat_of = previous
            break
    referral.repeat_of = repeat_of
    referral.meets_repeat = repeat_of is not None or referral.repeat_declared
    referral.save(update_fields=["repeat_of", "meets_repeat"])
    return referral


@transaction.atomic
def quality_concern_raise(*, by, referral, category, note, request=None):
    """Recorded for governance and fed back to the referrer; the case goes forward."""
    if not policy.can_decide_matches(by, referral.marac):
        raise PermissionDenied
    concern = QualityConcern.objects.create(referral=referral, category=category, note=note, raised_by=by)
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=concern, marac=referral.marac)
    if referral.referrer:
        notify(
            users=[referral.referrer],
            subject="Feedback on a referral you made",
            message="The Marac coordinator has left feedback on a referral you made. The case is still going forward.",
            path=reverse("referrals:referral", args=[referral.public_id]),
        )
    return concern


@transaction.atomic
def idva_contact_record(*, by, idva_referral, attempted_at, method, outcome, note="", status=None, request=None):
    if not policy.can_work_idva_referral(by, idva_referral):
        raise PermissionDenied
    if attempted_at > timezone.now():
        raise ValidationError({"attempted_at": "The time of the attempt cannot be in the future"})
    attempt = ContactAttempt.objects.create(
        idva_referral=idva_referral, attempted_at=attempted_at, method=method, outcome=outcome, note=note, recorded_by=by
    )
    if outcome == ContactAttempt.Outcome.SPOKE and idva_referral.first_contact_at is None:
        idva_referral.first_contact_at = attempted_at
        idva_referral.status = IdvaReferral.Status.IN_CONTACT
    if status:
        idva_referral.status = status
    idva_referral.save(update_fields=["first_contact_at", "status"])
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=attempt, marac=idva_referral.referral.marac)
    return attempt


@transaction.atomic
def children_prompt_confirm(*, by, prompt, outcome, note="", request=None):
    if not policy.can_confirm_children_prompt(by, prompt):
        raise PermissionDenied
    if outcome == ChildrenReferralPrompt.Outcome.NOT_NEEDED and not note.strip():
        raise ValidationError({"note": "Explain why no children’s social care referral is needed"})
    prompt.outcome = outcome
    prompt.note = note
    prompt.confirmed_by = by
    prompt.confirmed_at = timezone.now()
    prompt.save()
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=prompt, marac=prompt.referral.marac, summary=outcome)
    return prompt


@transaction.atomic
def sharing_log_add(*, by, decision, shared_with, shared_on, method, information, authority, request=None):
    if not policy.can_work_sharing_decision(by, decision):
        raise PermissionDenied
    entry = SharingLogEntry.objects.create(
        decision=decision, shared_with=shared_with, shared_on=shared_on, method=method,
        information=information, authority=authority, recorded_by=by,
    )
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=entry, marac=decision.referral.marac)
    return entry


@transaction.atomic
def sharing_review_complete(*, by, decision, feedback, next_review_on=None, request=None):
    """Record a review of the decision with the feedback of the agencies informed as to
    their response; set the next review date if sharing goes on."""
    if not policy.can_work_sharing_decision(by, decision):
        raise PermissionDenied
    problems = {}
    if not (feedback or "").strip():
        problems["feedback"] = "Record the feedback from the agencies informed, as to their response"
    if next_review_on and next_review_on <= timezone.localdate():
        problems["next_review_on"] = "The next review date must be in the future"
    if problems:
        raise ValidationError(problems)
    SharingReview.objects.create(decision=decision, feedback=feedback.strip(), next_review_on=next_review_on, reviewed_by=by)
    decision.reviewed_at = timezone.now()
    if next_review_on:
        decision.review_on = next_review_on
        decision.reviewed_at = None
    decision.save(update_fields=["reviewed_at", "review_on"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=decision, marac=decision.referral.marac, summary="Reviewed")
    return decision



# --- The referring agency's own check ---------------------------------------------------


@transaction.atomic
def agency_check_complete(*, by, check, added_information="", request=None):
    """The agency's Marac representative has checked the referral, adding information if
    anything was missing, and sends it on. There is no way to stop it."""
    if not policy.can_complete_agency_check(by, check):
        raise PermissionDenied
    check = AgencyCheck.objects.select_for_update().get(pk=check.pk)
    if not check.is_open:
        raise ValidationError("This referral has already gone on to the coordinator.")
    check.added_information = added_information.strip()
    check.checked_by = by
    check.checked_at = timezone.now()
    check.save(update_fields=["added_information", "checked_by", "checked_at"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=check, marac=check.referral.marac, summary="Checked by the agency")
    _tell_coordinators_checked(check, "A referral has been checked by the referring agency's Marac representative" + (
        ", who added information." if check.added_information else "."
    ))
    return check


def agency_checks_release(*, now=None):
    """Send on every referral whose agency check ran out of time (run every 15 minutes
    by `openmarac run-scheduled`): it goes on as it is, and the coordinator is told."""
    now = now or timezone.now()
    released = 0
    for check in AgencyCheck.objects.filter(checked_at__isnull=True, timed_out_at__isnull=True, due_at__lte=now).select_related(
        "referral__marac", "referral__case"
    ):
        with transaction.atomic():
            if AgencyCheck.objects.filter(pk=check.pk, checked_at__isnull=True, timed_out_at__isnull=True).update(timed_out_at=now):
                audit.record(action=audit.Action.CHANGED, actor=None, obj=check, marac=check.referral.marac, summary="Agency check timed out")
                _tell_coordinators_checked(check, "A referral was not checked by the referring agency in time; it has gone on to you as it was.")
                released += 1
    return released


def _tell_coordinators_checked(check, message):
    referral = check.referral
    notify(
        users=users_with_role(referral.marac, Role.COORDINATOR),
        subject=f"Referral to {referral.marac.name} sent on by the referring agency",
        message=message,
        path=reverse("referrals:case", args=[referral.case.public_id]),
    )
