"""The subject access bundle: everything held about one person across referrals,
research, hearings, actions and the audit of who viewed it, as JSON-ready data and as
a PDF.

Anything that is, or may be, about someone else is marked for review before release:
other people named on the same referrals (perpetrators, children, other victims),
free text written by professionals (which often names others), and the professionals
themselves. The coordinator decides what to release or redact; the bundle decides
nothing for them. A perpetrator's request is flagged loudly: the victim's details and
the fact of the referral itself may be exempt (crime prevention), and the perpetrator
must never learn of the referral from the product.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from openmarac.access import policy
from openmarac.actions.models import Action
from openmarac.audit import services as audit
from openmarac.audit.models import AuditEvent
from openmarac.meetings.models import Hearing, ResearchReturn
from openmarac.people.models import Person
from openmarac.referrals.models import Referral, ReferralPerson

BUNDLE_FORMAT = "openmarac-subject-access/1"
OTHER_PERSON = "Another person's data: review before release"
FREE_TEXT = "Written by a professional; may name other people: review before release"
PROFESSIONAL = "A professional's details: review before release"


def _review(value, why):
    return {"value": value, "review": why}


def _iso(value):
    return value.isoformat() if value else None


def same_person_ids(person) -> set[int]:
    """The person's record and every record a coordinator linked to it as the same person."""
    canonical = person.canonical_id
    return set(Person.objects.filter(Q(pk=canonical) | Q(same_as_id=canonical)).values_list("pk", flat=True))


def held_person_ids(*, by, sar) -> set[int]:
    """The records of the person this Marac holds now and the coordinator may open: a
    record that moved to another Marac with a transfer is that Marac's to disclose, and
    a restricted case the coordinator is not named on stays closed to them here too."""
    from openmarac.referrals.restriction import people_of_hidden_cases

    hidden = people_of_hidden_cases(user=by, marac=sar.marac)
    return set(
        Person.objects.filter(pk__in=same_person_ids(sar.person), marac=sar.marac).exclude(pk__in=hidden).values_list("pk", flat=True)
    )


def records_moved_away(*, by, sar) -> list[dict]:
    """Where the person's records that this Marac held went with a transfer, so the
    coordinator can tell the requester which Marac discloses them: the receiving Marac
    and the day, each once. No case reference: that Marac's record now. A restricted case
    the coordinator may not open is left out, as it is of the bundle."""
    from openmarac.referrals.models import CaseTransfer

    if sar.person_id is None:
        return []
    moved = Person.objects.filter(pk__in=same_person_ids(sar.person)).exclude(marac=sar.marac)
    transfers = (
        CaseTransfer.objects.filter(status=CaseTransfer.Status.ACCEPTED, from_marac=sar.marac, case__referrals__people__person__in=moved)
        .exclude(case_id__in=policy.restricted_case_ids_hidden_from(by))
        .values_list("to_marac__name", "decided_at")
        .distinct()
    )
    days = {(name, timezone.localdate(decided_at)) for name, decided_at in transfers}
    return [{"to_marac": name, "moved_on": day} for name, day in sorted(days, key=lambda pair: (pair[1], pair[0]))]


def subject_access_bundle(*, by, sar, request=None) -> dict:
    """The bundle for a request linked to a person record. Audited as an export."""
    if not policy.can_handle_subject_access(by, sar.marac) or sar.person_id is None:
        raise PermissionDenied
    ids = held_person_ids(by=by, sar=sar)
    people = Person.objects.filter(pk__in=ids).prefetch_related("aliases", "addresses", "phones", "corrections__corrected_by").order_by("pk")
    roles = (
        ReferralPerson.objects.filter(person_id__in=ids, referral__marac=sar.marac)
        .exclude(referral__status=Referral.Status.DRAFT)
        .exclude(referral__case_id__in=policy.restricted_case_ids_hidden_from(by))
    )
    role_of = {rp.referral_id: rp.get_role_display() for rp in roles}
    referral_ids = set(role_of)
    referrals = (
        Referral.objects.filter(pk__in=referral_ids)
        .select_related("case", "referring_agency", "idva_referral")
        .prefetch_related("people__person", "risk_assessments", "quality_concerns", "idva_referral__attempts")
        .order_by("referred_on", "pk")
    )
    case_ids = {r.case_id for r in referrals if r.case_id}
    bundle = {
        "format": BUNDLE_FORMAT,
        "produced_at": timezone.now().isoformat(),
        "marac": sar.marac.name,
        "request": {"received_on": _iso(sar.received_on), "due_on": _iso(sar.due_on)},
        "perpetrator_warning": any(rp.role == ReferralPerson.Role.PERPETRATOR for rp in roles),
        "records": [_person(p) for p in people],
        "referrals": [_referral(r, ids, role_of.get(r.pk, "")) for r in referrals],
        "research": _research(referral_ids),
        "hearings": _hearings(referral_ids),
        "actions": _actions(case_ids, ids, _roles_by_case(roles)),
        "viewed_by": _viewers(ids, case_ids, referral_ids),
        "moved_away": [{**move, "moved_on": _iso(move["moved_on"])} for move in records_moved_away(by=by, sar=sar)],
    }
    audit.record(action=audit.Action.EXPORTED, actor=by, request=request, obj=sar, marac=sar.marac, summary="Subject access bundle")
    return bundle


def bundle_pdf(*, bundle, viewer) -> bytes:
    html = render_to_string("records/bundle_pdf.html", {"bundle": bundle, "viewer": viewer, "printed_at": timezone.localtime()})
    return HTML(string=html, base_url=str(settings.PROJECT_DIR)).write_pdf()


def _person(person):
    return {
        "record": person.pk,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "aliases": [str(a) for a in person.aliases.all()],
        "date_of_birth": _iso(person.date_of_birth),
        "gender": person.gender,
        "ethnicity": person.ethnicity,
        "racially_minoritised": person.get_racially_minoritised_display(),
        "disabled": person.get_disabled_display(),
        "lgbt": person.get_lgbt_display(),
        "language": person.language,
        "interpreter_needed": person.interpreter_needed,
        # Sealed values are the person's own (a refuge address they gave): included, and
        # marked so the coordinator can check it is safe to send them where requested.
        "addresses": [{"address": str(a), "sealed": a.is_sealed, "current": a.is_current} for a in person.addresses.all()],
        "phones": [{"number": p.number, "sealed": p.is_sealed, "safe_to_call": p.get_safe_to_call_display(), "safe_times": p.safe_times} for p in person.phones.all()],
        "corrections": [
            {
                "field": c.field,
                "old_value": c.old_value,
                "new_value": c.new_value,
                "reason": c.reason,
                "corrected_at": c.corrected_at.isoformat(),
                "corrected_by": _review(str(c.corrected_by or ""), PROFESSIONAL),
            }
            for c in person.corrections.all()
        ],
    }


def _referral(referral, ids, role):
    return {
        "case_reference": referral.case.reference if referral.case_id else None,
        "their_role": role,
        "referred_on": _iso(referral.referred_on),
        "referring_agency": referral.referring_agency.name if referral.referring_agency_id else "",
        "referrer": _review(referral.referrer_name, PROFESSIONAL),
        "criteria": referral.criteria_labels,
        "checklist_score": referral.checklist_score,
        "heard_on": _iso(referral.heard_on),
        "victim_aware": referral.victim_aware,
        "consent_given": referral.consent_given,
        "reasons": _review(referral.reasons, FREE_TEXT),
        "professional_judgement_rationale": _review(referral.professional_judgement_rationale, FREE_TEXT),
        "victim_afraid_of": _review(referral.victim_afraid_of, FREE_TEXT),
        "safe_to_talk_to": _review(referral.safe_to_talk_to, FREE_TEXT),
        "unsafe_to_talk_to": _review(referral.unsafe_to_talk_to, FREE_TEXT),
        "risk_assessments": [
            {"completed_on": _iso(a.completed_on), "checklist": f"{a.definition_id}/{a.definition_version}", "score": a.score, "answers": _review(a.answers, FREE_TEXT)}
            for a in referral.risk_assessments.all()
        ],
        "quality_concerns": [{"category": q.get_category_display(), "note": _review(q.note, FREE_TEXT)} for q in referral.quality_concerns.all()],
        "idva_contact": _idva(referral),
        "other_people": [
            _review({"role": rp.get_role_display(), "name": str(rp.person), "relationship_to_victim": rp.relationship_to_victim}, OTHER_PERSON)
            for rp in referral.people.all()
            if rp.person_id not in ids
        ],
    }


def _idva(referral):
    idva = getattr(referral, "idva_referral", None)
    if idva is None:
        return None
    return {
        "status": idva.get_status_display(),
        "first_contact_at": _iso(idva.first_contact_at),
        "attempts": [
            {"at": a.attempted_at.isoformat(), "method": a.get_method_display(), "outcome": a.get_outcome_display(), "note": _review(a.note, FREE_TEXT)}
            for a in idva.attempts.all()
        ],
    }


_RESEARCH_TEXT = (
    "corrections",
    "last_contact",
    "recent_behaviour",
    "risk_information",
    "actions_taken",
    "victim_priorities",
    "victim_fears",
    "safe_and_unsafe_people",
    "facts",
    "professional_opinion",
)


def _research(referral_ids):
    returns = (
        ResearchReturn.objects.filter(referral_id__in=referral_ids, returned_at__isnull=False)
        .select_related("agency", "meeting", "referral__case")
        .order_by("meeting__starts_at", "agency__name")
    )
    return [
        {
            "case_reference": r.referral.case.reference if r.referral.case_id else None,
            "meeting_date": _iso(timezone.localtime(r.meeting.starts_at).date()),
            "agency": r.agency.name,
            "no_trace": r.no_trace,
            "text": [
                {"field": name, "label": ResearchReturn._meta.get_field(name).verbose_name.capitalize(), **_review(getattr(r, name), FREE_TEXT)}
                for name in _RESEARCH_TEXT
                if getattr(r, name)
            ],
        }
        for r in returns
    ]


def _hearings(referral_ids):
    hearings = (
        Hearing.objects.filter(item__referral_id__in=referral_ids)
        .select_related("item__meeting", "item__referral__case")
        .prefetch_related("risks")
        .order_by("item__meeting__starts_at")
    )
    return [
        {
            "case_reference": h.item.referral.case.reference if h.item.referral.case_id else None,
            "meeting_date": _iso(timezone.localtime(h.item.meeting.starts_at).date()),
            "minutes": _review(h.minutes, FREE_TEXT),
            "victim_views": _review(h.victim_views, FREE_TEXT),
            "risks": [
                _review(
                    {
                        "who_at_risk": r.who_at_risk, "from_whom": r.from_whom, "harm": r.harm, "likelihood": r.get_likelihood_display(),
                        "contributory_factors": r.contributory_factors, "protective_factors": r.protective_factors,
                    },
                    FREE_TEXT,
                )
                for r in h.risks.all()
            ],
        }
        for h in hearings
    ]


def _roles_by_case(roles):
    by_case = {}
    for case_id, role in roles.values_list("referral__case_id", "role"):
        by_case.setdefault(case_id, set()).add(role)
    return by_case


def _about_someone_else(action, ids, roles):
    """An action is the person's own data when it is for them in the role they hold on
    the case (for the victim when they are the victim, for a child who is them); for the
    household, staff or anyone else it is someone else's too."""
    if action.for_whom == "child":
        children = {child.pk for child in action.children.all()}
        return not children or not children <= set(ids)
    return action.for_whom not in roles


def _actions(case_ids, ids, roles_by_case):
    actions = (
        Action.objects.filter(case_id__in=case_ids).select_related("owner_agency", "case").prefetch_related("children").order_by("due_on", "pk")
    )
    return [
        {
            "case_reference": a.case.reference,
            "agency": a.owner_agency.name,
            "kind": a.get_kind_display(),
            "for_whom": a.get_for_whom_display(),
            "about_someone_else": _about_someone_else(a, ids, roles_by_case.get(a.case_id, set())),
            "description": _review(a.description, FREE_TEXT),
            "due_on": _iso(a.due_on),
            "status": a.get_status_display(),
            "completed_on": _iso(a.completed_on),
            "outcome_note": _review(a.outcome_note, FREE_TEXT),
        }
        for a in actions
    ]


def _viewers(ids, case_ids, referral_ids):
    records = (
        Q(record_type="people.person", record_id__in=[str(i) for i in ids])
        | Q(record_type="referrals.case", record_id__in=[str(i) for i in case_ids])
        | Q(record_type="referrals.referral", record_id__in=[str(i) for i in referral_ids])
    )
    events = (
        AuditEvent.objects.filter(records, action__in=[AuditEvent.Action.VIEWED, AuditEvent.Action.EXPORTED])
        .order_by("occurred_at", "id")
        .values("occurred_at", "agency_label", "role_label", "action", "record_type")
    )
    # Which organisation looked, in which role, and when: what the person is entitled to.
    # The names of individual staff are professionals' data, left out.
    return [
        {
            "at": timezone.localtime(e["occurred_at"]).isoformat(), "agency": e["agency_label"], "role": e["role_label"],
            "action": e["action"], "record": e["record_type"],
            "what": f"{_VIEW_WORDS.get(e['action'], e['action'])} {_RECORD_WORDS.get(e['record_type'], e['record_type'])}",
        }
        for e in events
    ]


# For the reader of the bundle: "Viewed the case", not "viewed referrals.case".
_VIEW_WORDS = {AuditEvent.Action.VIEWED: "Viewed", AuditEvent.Action.EXPORTED: "Exported"}
_RECORD_WORDS = {"people.person": "their details", "referrals.case": "the case", "referrals.referral": "a referral"}
