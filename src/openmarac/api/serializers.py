"""The API's shapes. Input serializers check types and lengths only; the rules (criteria,
checklist answers, dates) are the services', the same for the web form and the importer."""

import json

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField, empty

from openmarac.actions import flags

from openmarac.actions.models import Action
from openmarac.meetings.models import ResearchReturn
from openmarac.people.models import YesNoUnknown
from openmarac.people.services import PersonData
from openmarac.referrals.models import BalancingConsideration, LegalGround
from openmarac.referrals.services import LinkedPerson, ReferralData, SharingDecisionData, checklist_definition
from openmarac.risk import definitions



def _text(max_length=None, **kwargs):
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    kwargs.setdefault("default", "")
    if kwargs["required"]:
        kwargs.pop("default")
    return serializers.CharField(max_length=max_length, trim_whitespace=True, **kwargs)


def _no_bad_characters(value):
    """JSON that PostgreSQL can store: no NUL characters and no unpaired surrogates."""
    text = json.dumps(value, ensure_ascii=False)
    if "\\u0000" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise serializers.ValidationError("Contains characters that cannot be stored")
    return value


# --- Referral input ---------------------------------------------------------------


class AliasIn(serializers.Serializer):
    given_name = _text(100)
    family_name = _text(100)


class PersonIn(serializers.Serializer):
    given_name = _text(100, required=True, allow_blank=False)
    family_name = _text(100, required=True, allow_blank=False)
    aliases = AliasIn(many=True, required=False, default=list)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    gender = _text(40)
    ethnicity = _text(100)
    racially_minoritised = serializers.ChoiceField(choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN)
    disabled = serializers.ChoiceField(choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN)
    lgbt = serializers.ChoiceField(choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN)
    language = _text(60)
    interpreter_needed = serializers.BooleanField(default=False)
    address_line_1 = _text(200)
    address_line_2 = _text(200)
    town = _text(100)
    postcode = _text(10)
    address_sealed = serializers.BooleanField(default=False, help_text="A refuge or other address known only to the coordinator and the Idva.")
    phone = _text(30)
    phone_safe_to_call = serializers.ChoiceField(choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN)
    phone_safe_times = _text(200)
    phone_sealed = serializers.BooleanField(default=False)

    def to_data(self, values) -> PersonData:
        values = dict(values)
        values["aliases"] = [(a["given_name"], a["family_name"]) for a in values["aliases"]]
        return PersonData(**values)


class PerpetratorIn(PersonIn):
    relationship_to_victim = _text(100)


class ChildIn(PersonIn):
    relationship_to_victim = _text(100)
    relationship_to_perpetrator = _text(100)
    school = _text(150)


class SharingIn(serializers.Serializer):
    """The information sharing without consent record (the SafeLives form), needed when
    consent_given is false: a protocol that applies, or at least one legal ground."""

    who_at_risk = _text()
    at_risk_from = _text()
    risk_concerns = _text()
    immediate_risks = _text()
    assessed_risk = _text()
    incident_details = _text()
    incident_source = _text(200)
    protocol_applies = serializers.BooleanField(required=False, allow_null=True, default=None)
    protocol_detail = _text()
    legal_grounds = serializers.ListField(child=serializers.ChoiceField(choices=LegalGround.values), required=False, default=list)
    legal_grounds_detail = _text()
    balancing = serializers.ListField(child=serializers.ChoiceField(choices=BalancingConsideration.values), required=False, default=list)
    balancing_other = _text(200)
    balancing_comments = _text()
    internal_consultations = _text()
    external_consultations = _text()
    review_on = serializers.DateField()
    caseworker_name = _text(150, required=True, allow_blank=False)
    caseworker_signed_on = serializers.DateField()
    manager_name = _text(150, required=True, allow_blank=False)
    manager_signed_on = serializers.DateField()
    client_notified = serializers.BooleanField(required=False, allow_null=True, default=None)
    client_notified_on = serializers.DateField(required=False, allow_null=True, default=None)
    client_not_notified_reason = _text()
    shared_with = _text(200)
    shared_on = serializers.DateField(required=False, allow_null=True, default=None)
    shared_method = _text(100)
    shared_information = _text()
    shared_authority = _text(200)


class ReferralIn(serializers.Serializer):
    """A whole referral with its risk checklist. The referring agency is the credential's."""

    referred_on = serializers.DateField()
    referrer_name = _text(150)
    referrer_phone = _text(30)
    referrer_email = serializers.EmailField(required=False, allow_blank=True, default="", max_length=254)
    reasons = _text()
    victim = PersonIn()
    victim_under_16_reason = _text()
    perpetrators = PerpetratorIn(many=True, required=False, default=list, max_length=20)
    children = ChildIn(many=True, required=False, default=list, max_length=30)
    checklist_answers = serializers.DictField(
        child=serializers.DictField(), required=False, allow_null=True, default=None, validators=[_no_bad_characters],
        help_text='The risk checklist: {"question_key": {"answer": "yes"|"no"|"dont_know", ...}} (see GET /api/v1/checklist/).',
    )
    checklist_professional_judgement = serializers.DictField(required=False, default=dict, validators=[_no_bad_characters])
    professional_judgement = serializers.BooleanField(default=False)
    professional_judgement_rationale = _text()
    police_incidents_last_12_months = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0, max_value=999)
    repeat_declared = serializers.BooleanField(default=False)
    previous_marac_reference = _text(60)
    previous_other_marac = _text(120)
    victim_aware = serializers.BooleanField(required=False, allow_null=True, default=None)
    victim_not_aware_reason = _text()
    consent_given = serializers.BooleanField(required=False, allow_null=True, default=None)
    victim_afraid_of = _text()
    safe_to_talk_to = _text()
    unsafe_to_talk_to = _text()
    sharing = SharingIn(required=False, allow_null=True, default=None)

    def to_data(self, *, agency, review_owner, values=None) -> ReferralData:
        """The referral for the service: from `validated_data`, or from `values` (what
        `readable` could read of a body that is not valid)."""
        values = dict(self.validated_data if values is None else values)
        victim = PersonIn().to_data(values.pop("victim"))
        perpetrators = []
        for entry in values.pop("perpetrators"):
            relationship = entry.pop("relationship_to_victim")
            perpetrators.append(LinkedPerson(PersonIn().to_data(entry), relationship_to_victim=relationship))
        children = []
        for entry in values.pop("children"):
            extra = {name: entry.pop(name) for name in ("relationship_to_victim", "relationship_to_perpetrator", "school")}
            children.append(LinkedPerson(PersonIn().to_data(entry), **extra))
        sharing = values.pop("sharing")
        return ReferralData(
            **values,
            victim=victim,
            perpetrators=perpetrators,
            children=children,
            referring_agency=agency,
            sharing=SharingDecisionData(**sharing, review_owner=review_owner) if sharing else None,
        )


def readable(serializer, data):
    """What `serializer`'s fields can read of `data`, a body that is not valid as a
    whole: each field's checked value, or its default (None if it has none) where it is
    missing or at fault; nested serializers field by field, list items by position. So
    the service's own checks can run on the rest, and every problem is told at once."""
    data = data if isinstance(data, dict) else {}
    values = {}
    for name, field in serializer.fields.items():
        primitive = data.get(name, empty)
        if isinstance(field, serializers.ListSerializer) and isinstance(primitive, list):
            values[name] = [readable(field.child, item) for item in primitive]
        elif isinstance(field, serializers.Serializer) and isinstance(primitive, dict):
            values[name] = readable(field, primitive)
        else:
            try:
                values[name] = field.run_validation(primitive)
            except (serializers.ValidationError, SkipField):
                default = field.get_default() if field.default is not empty else None
                # A nested record that could not be read at all is read as empty.
                values[name] = readable(field, {}) if isinstance(field, serializers.Serializer) and default is None else default
    return values


# The request fields each of `referral_problems`' checks reads, by the check's key
# ("perpetrator_2" reads the second perpetrator's date of birth). A check is left out
# when a field it reads is at fault: that field's own error says what is wrong.
_CHECK_READS = {
    "referred_on": ["referred_on"],
    "victim_date_of_birth": ["victim.date_of_birth"],
    "victim_under_16_reason": ["victim.date_of_birth", "victim_under_16_reason"],
    "professional_judgement_rationale": ["professional_judgement", "professional_judgement_rationale"],
    "checklist": ["checklist_answers"],
    "criteria": ["checklist_answers", "professional_judgement", "police_incidents_last_12_months", "repeat_declared"],
    "sharing": ["consent_given", "sharing"],
}


def _check_field(key):
    """The request field a check of `referral_problems` (keyed for the web form) is about."""
    kind, _, number = key.rpartition("_")
    if kind in ("perpetrator", "child") and number.isdigit():
        return f"{'perpetrators' if kind == 'perpetrator' else 'children'}.{int(number) - 1}.date_of_birth"
    return {"victim_date_of_birth": "victim.date_of_birth"}.get(key, key)


def _overlaps(path, other):
    return path == other or path.startswith(other + ".") or other.startswith(path + ".")


def referral_problem_fields(problems, *, marac, data, at_fault=()):
    """`referral_problems`' {key: message(s)} as (request field, message) pairs, nested
    fields dotted as DRF's own errors are: "children.0.date_of_birth", and one pair per
    checklist question at fault, "checklist_answers.<question_key>". Checks reading a
    field in `at_fault` are left out."""
    pairs = []
    for key, messages in problems.items():
        field = _check_field(key)
        if any(_overlaps(read, fault) for read in _CHECK_READS.get(key, [field]) for fault in at_fault):
            continue
        messages = [messages] if isinstance(messages, str) else messages
        if key == "checklist":
            definition = checklist_definition(marac, data)
            per_question = definitions.validate_answers(definition, data.checklist_answers).items()
            pairs += [(f"checklist_answers.{question}", message) for question, message in per_question] or [("checklist_answers", m) for m in messages]
        else:
            pairs += [(field, message) for message in messages]
    return pairs


# A referral and the criteria it meets: what a new referral's answer and each of a
# case's episodes show alike. (A comment: a docstring would show in the public schema.)
class ReferralCriteriaOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField()
    referred_on = serializers.DateField()
    checklist_score = serializers.IntegerField(allow_null=True)
    meets_visible_high_risk = serializers.BooleanField()
    meets_professional_judgement = serializers.BooleanField()
    meets_escalation = serializers.BooleanField()
    meets_repeat = serializers.BooleanField()


class ReferralOut(ReferralCriteriaOut):
    case_id = serializers.UUIDField(source="case.public_id")
    case_reference = serializers.CharField(source="case.reference")
    possible_matches = serializers.IntegerField(help_text="Earlier records that may be the same people; the coordinator decides.")


# --- Cases -------------------------------------------------------------------------


class CaseSummaryOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    status = serializers.CharField()
    victim_name = serializers.CharField(source="victim.__str__")
    created_at = serializers.DateTimeField()
    last_heard_on = serializers.DateField(allow_null=True)


class ShownAddressOut(serializers.Serializer):
    text = serializers.CharField()
    sealed = serializers.BooleanField(help_text="True when the address is sealed; its text then reads as withheld unless you may see it.")
    current = serializers.BooleanField()


class ShownPhoneOut(serializers.Serializer):
    text = serializers.CharField()
    sealed = serializers.BooleanField()
    safe_to_call = serializers.CharField()
    safe_times = serializers.CharField()


class ShownPersonOut(serializers.Serializer):
    name = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    date_of_birth = serializers.DateField(allow_null=True)
    age = serializers.IntegerField(allow_null=True)
    gender = serializers.CharField()
    addresses = ShownAddressOut(many=True)
    phones = ShownPhoneOut(many=True)


class EpisodeOut(ReferralCriteriaOut):
    referred_on = serializers.DateField(allow_null=True)  # the model allows none; a new referral always has one
    referring_agency = serializers.CharField(source="referring_agency.name", allow_null=True, default=None)
    heard_on = serializers.DateField(allow_null=True)


class CaseOut(CaseSummaryOut):
    victim = ShownPersonOut(source="shown_victim")
    episodes = EpisodeOut(many=True)


# --- Meetings ------------------------------------------------------------------------


class MeetingSummaryOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    starts_at = serializers.DateTimeField()
    mode = serializers.CharField()
    status = serializers.CharField()
    location = serializers.CharField()
    research_deadline = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)


class AgendaItemOut(serializers.Serializer):
    referral_id = serializers.UUIDField(source="referral.public_id")
    case_id = serializers.UUIDField(source="referral.case.public_id")
    case_reference = serializers.CharField(source="referral.case.reference")
    section = serializers.CharField()


class MeetingOut(MeetingSummaryOut):
    agenda = AgendaItemOut(many=True, source="visible_agenda")


class ResearchIn(serializers.Serializer):
    referral_id = serializers.UUIDField(help_text="The listed referral the research is about (agenda[].referral_id).")
    submit = serializers.BooleanField(default=True, help_text="True returns the research to the Marac; false saves a draft.")
    version = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=2**31 - 1,
        help_text="The version you last read (0 when there was none): a later save by someone else gives 409.",
    )
    no_trace = serializers.BooleanField(default=False)
    details_correct = serializers.ChoiceField(choices=[""] + ResearchReturn.DetailsCorrect.values, default="")
    corrections = _text()
    last_contact = _text()
    recent_behaviour = _text()
    risk_information = _text()
    actions_taken = _text()
    victim_priorities = _text()
    victim_fears = _text()
    safe_and_unsafe_people = _text()
    facts = _text()
    professional_opinion = _text()


class ResearchOut(serializers.Serializer):
    meeting_id = serializers.UUIDField(source="meeting.public_id")
    referral_id = serializers.UUIDField(source="referral.public_id")
    agency = serializers.CharField(source="agency.name")
    version = serializers.IntegerField()
    returned_at = serializers.DateTimeField(allow_null=True)
    no_trace = serializers.BooleanField()


# --- Actions and flags ---------------------------------------------------------------------


class ActionOut(serializers.Serializer):
    id = serializers.IntegerField()
    case_id = serializers.UUIDField(source="case.public_id")
    case_reference = serializers.CharField(source="case.reference")
    kind = serializers.CharField()
    owner_agency = serializers.CharField(source="owner_agency.name")
    owner_name = serializers.CharField()
    description = serializers.CharField()
    for_whom = serializers.CharField()
    due_on = serializers.DateField()
    status = serializers.CharField()
    completed_on = serializers.DateField(allow_null=True)
    outcome_note = serializers.CharField()
    not_possible_reason = serializers.CharField()
    version = serializers.IntegerField(help_text="Send it back with an update: a later change by someone else gives 409.")
    updated_at = serializers.DateTimeField()


class ActionUpdateIn(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    status = serializers.ChoiceField(choices=[Action.Status.OPEN, Action.Status.COMPLETED, Action.Status.NOT_POSSIBLE])
    note = _text()
    completed_on = serializers.DateField(required=False, allow_null=True, default=None)
    not_possible_reason = serializers.ChoiceField(choices=[""] + Action.NotPossibleReason.values, default="")


class FlagOut(serializers.Serializer):
    action_id = serializers.IntegerField(source="id")
    case_id = serializers.UUIDField(source="case.public_id")
    case_reference = serializers.CharField(source="case.reference")
    description = serializers.CharField()
    expires_on = serializers.DateField(source="flag_expires_on")
    state = serializers.SerializerMethodField(help_text="running; due (within the month before its date); overdue (date passed)")

    @extend_schema_field(serializers.ChoiceField(choices=["running", "due", "overdue"]))
    def get_state(self, action):
        return flags.state(expires_on=action.flag_expires_on, removed=False, today=timezone.localdate())


# --- Query filters ---------------------------------------------------------------------


class CaseFilters(serializers.Serializer):
    LOOKUPS = {"created_after": "created_at__gt", "created_before": "created_at__lt"}
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


class MeetingFilters(serializers.Serializer):
    LOOKUPS = {"starts_after": "starts_at__gt", "starts_before": "starts_at__lt"}
    starts_after = serializers.DateTimeField(required=False)
    starts_before = serializers.DateTimeField(required=False)


class ActionFilters(serializers.Serializer):
    LOOKUPS = {"updated_after": "updated_at__gt", "status": "status"}
    updated_after = serializers.DateTimeField(required=False)
    status = serializers.ChoiceField(choices=Action.Status.values, required=False)


def errors_schema():
    """The one error shape, for the schema."""
    from drf_spectacular.utils import inline_serializer

    return inline_serializer(
        "Errors",
        {"errors": serializers.ListField(child=inline_serializer("Error", {"field": serializers.CharField(allow_null=True), "message": serializers.CharField()}))},
    )
