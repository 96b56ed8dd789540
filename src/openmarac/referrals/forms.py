"""The referral form, page by page (GOV.UK "one thing per page", grouped sensibly),
and the forms used after referral."""

import datetime
import re

from django import forms
from django.utils import timezone

from openmarac.core.forms import GovukForm, date_field, datetime_field
from openmarac.people.models import UNBORN_GIVEN_NAME, YesNoUnknown

from .criteria import UNBORN_EXPECTED_BEFORE, UNBORN_EXPECTED_WITHIN, age_on
from .models import BalancingConsideration, ChildrenReferralPrompt, ContactAttempt, IdvaReferral, LegalGround, QualityConcern

YES_NO = [("yes", "Yes"), ("no", "No")]
ABUSER_PLACEHOLDER = "[name of abuser(s)]"
GENDERS = [("", "Choose"), ("Female", "Female"), ("Male", "Male"), ("Non-binary", "Non-binary"), ("Other", "Other"), ("Not known", "Not known")]


_date = date_field


def _text(label, required=False, help_text="", rows=3):
    return forms.CharField(label=label, required=required, help_text=help_text, widget=forms.Textarea(attrs={"rows": rows}))


def _yes_no_unknown(label):
    return forms.ChoiceField(label=label, choices=YesNoUnknown.choices, widget=forms.RadioSelect, initial=YesNoUnknown.UNKNOWN)


def _yes_no(label, required=True, help_text=""):
    return forms.ChoiceField(label=label, choices=YES_NO, widget=forms.RadioSelect, required=required, help_text=help_text)


def _not_in_future(value, what):
    if value and value > timezone.localdate():
        raise forms.ValidationError(f"{what} cannot be in the future")
    return value


class ReferrerForm(GovukForm):
    title = "About you and your agency"
    referrer_name = forms.CharField(label="Your name", max_length=150)
    referrer_phone = forms.CharField(label="Your phone number", max_length=30)
    referrer_email = forms.EmailField(label="Your work email address")
    referred_on = _date("Date of referral", required=True)

    def clean_referred_on(self):
        return _not_in_future(self.cleaned_data["referred_on"], "The date of referral")


class PersonFieldsMixin:
    def clean_date_of_birth(self):
        return _not_in_future(self.cleaned_data.get("date_of_birth"), "The date of birth")


class VictimForm(PersonFieldsMixin, GovukForm):
    title = "The victim"
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100)
    aliases = _text("Other names they are known by", help_text="One name per line, for example a previous family name.", rows=2)
    date_of_birth = _date("Date of birth", help_text="Leave empty if not known.")
    gender = forms.ChoiceField(label="Gender", choices=GENDERS, required=False)
    under_16_reason = _text(
        "If the victim is under 16: why is this a Marac referral?",
        help_text="Marac is for victims aged 16 and over; a younger victim needs children’s safeguarding too.",
    )
    address_line_1 = forms.CharField(label="Address line 1", max_length=200, required=False)
    address_line_2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    town = forms.CharField(label="Town or city", max_length=100, required=False)
    postcode = forms.CharField(label="Postcode", max_length=10, required=False, widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}))
    address_sealed = forms.BooleanField(
        label="This address must be kept confidential (for example a refuge)",
        required=False,
        help_text="Only the coordinator and the Idva will see it.",
    )
    ethnicity = forms.CharField(label="Ethnicity", max_length=100, required=False)
    racially_minoritised = _yes_no_unknown("Is the victim from a racially minoritised community?")
    disabled = _yes_no_unknown("Does the victim have a disability?")
    lgbt = _yes_no_unknown("Does the victim identify as LGBT+?")
    language = forms.CharField(label="Main language", max_length=60, required=False)
    interpreter_needed = forms.BooleanField(label="An interpreter is needed", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Required for a victim under 16, so not marked "(optional)".
        self.fields["under_16_reason"].conditionally_required = True

    def clean(self):
        data = super().clean()
        dob = data.get("date_of_birth")
        age = age_on(dob, timezone.localdate())
        if age is not None and age < 16 and not (data.get("under_16_reason") or "").strip():
            self.add_error("under_16_reason", "The victim is under 16: explain why this is a Marac referral")
        return data


class VictimContactForm(GovukForm):
    title = "Contacting the victim safely"
    phone = forms.CharField(label="Phone number", max_length=30, required=False)
    phone_safe_to_call = forms.ChoiceField(
        label="Is it safe to call this number?", choices=YesNoUnknown.choices, widget=forms.RadioSelect, initial=YesNoUnknown.UNKNOWN
    )
    phone_safe_times = forms.CharField(label="Safe times to call", max_length=200, required=False, help_text="For example: weekdays 10am to 2pm.")
    phone_sealed = forms.BooleanField(
        label="Keep this number confidential", required=False, help_text="Only the coordinator and the Idva will see it."
    )


class PerpetratorForm(PersonFieldsMixin, GovukForm):
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100)
    aliases = _text("Other names they are known by", help_text="One name per line.", rows=2)
    date_of_birth = _date("Date of birth", help_text="Leave empty if not known.")
    gender = forms.ChoiceField(label="Gender", choices=GENDERS, required=False)
    relationship_to_victim = forms.CharField(label="Relationship to the victim", max_length=100, help_text="For example: ex-partner, son.")
    address_line_1 = forms.CharField(label="Address line 1", max_length=200, required=False)
    town = forms.CharField(label="Town or city", max_length=100, required=False)
    postcode = forms.CharField(label="Postcode", max_length=10, required=False, widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}))


class ChildBirth:
    KNOWN = "known"
    UNKNOWN = "unknown"
    UNBORN = "unborn"
    CHOICES = [(KNOWN, "Yes"), (UNKNOWN, "No, it is not known"), (UNBORN, "The child is not born yet")]


class ChildForm(PersonFieldsMixin, GovukForm):
    given_name = forms.CharField(
        label="Given name", max_length=100, required=False, help_text="Leave empty for an unborn child who has no name yet."
    )
    family_name = forms.CharField(label="Family name", max_length=100)
    birth = forms.ChoiceField(
        label="Do you know the child’s date of birth?", choices=ChildBirth.CHOICES, widget=forms.RadioSelect,
        initial=ChildBirth.KNOWN, required=False,
    )
    date_of_birth = _date("Date of birth", help_text="For example, 27 3 2019.")
    expected_birth_on = _date("Expected date of birth", help_text="If only the month is known, enter 1 as the day.")
    gender = forms.ChoiceField(label="Gender", choices=GENDERS, required=False)
    relationship_to_victim = forms.CharField(label="Relationship to the victim", max_length=100, help_text="For example: son, stepdaughter.")
    relationship_to_perpetrator = forms.CharField(label="Relationship to the perpetrator", max_length=100)
    address_line_1 = forms.CharField(label="Address, if different from the victim’s", max_length=200, required=False)
    postcode = forms.CharField(label="Postcode", max_length=10, required=False, widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}))
    school = forms.CharField(label="School, nursery or college", max_length=150, required=False)
    gp = forms.CharField(label="GP surgery", max_length=150, required=False)
    details_unreliable = forms.BooleanField(
        label="These details may be missing or unreliable", required=False,
        help_text="Tick if you could not check the child’s name, date of birth or address, so agencies know to check them.",
    )
    reveals = {"birth": {ChildBirth.KNOWN: ["date_of_birth"], ChildBirth.UNBORN: ["expected_birth_on"]}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("date_of_birth", "expected_birth_on"):
            self.fields[name].conditionally_required = True

    def clean_date_of_birth(self):
        dob = super().clean_date_of_birth()
        if dob and age_on(dob, timezone.localdate()) > 17:
            raise forms.ValidationError("This person is over 17: add adults as perpetrators or leave them out, not as children")
        return dob

    def clean_expected_birth_on(self):
        expected, today = self.cleaned_data.get("expected_birth_on"), timezone.localdate()
        if expected and not (today - UNBORN_EXPECTED_BEFORE <= expected <= today + UNBORN_EXPECTED_WITHIN):
            raise forms.ValidationError("The expected date must be within the next 10 months (if the child is born, give the date of birth)")
        return expected

    def clean(self):
        data = super().clean()
        birth = data.get("birth") or (
            ChildBirth.KNOWN if data.get("date_of_birth") else ChildBirth.UNBORN if data.get("expected_birth_on") else ChildBirth.UNKNOWN
        )
        data["birth"] = birth
        if birth == ChildBirth.KNOWN and not data.get("date_of_birth") and "date_of_birth" not in self.errors:
            self.add_error("date_of_birth", "Enter the child’s date of birth, or choose “No, it is not known”")
        if birth == ChildBirth.UNBORN and not data.get("expected_birth_on") and "expected_birth_on" not in self.errors:
            self.add_error("expected_birth_on", "Enter the date the child is expected")
        # Only the date that goes with the answer counts: a date typed and then
        # hidden by a change of answer is not kept.
        if birth != ChildBirth.KNOWN:
            data["date_of_birth"] = None
            self.errors.pop("date_of_birth", None)
        if birth != ChildBirth.UNBORN:
            data["expected_birth_on"] = None
            self.errors.pop("expected_birth_on", None)
        if not (data.get("given_name") or "").strip():
            if birth == ChildBirth.UNBORN:
                data["given_name"] = UNBORN_GIVEN_NAME
            else:
                self.add_error("given_name", "Enter the child’s given name")
        return data


class RequiredOneFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if self.min_num and not any(f.has_changed() for f in self.forms if f.is_valid() or f.has_changed()):
            raise forms.ValidationError("Add at least one perpetrator")


PerpetratorFormSet = forms.formset_factory(PerpetratorForm, formset=RequiredOneFormSet, extra=0, min_num=1, max_num=10, validate_min=True)
ChildFormSet = forms.formset_factory(ChildForm, extra=0, max_num=15)


class ChecklistForm(GovukForm):
    """One page of the risk checklist, built from the checklist definition (data)."""

    def __init__(self, *args, definition, questions, abuser_name="the abuser", **kwargs):
        self.definition = definition
        self.questions = questions
        super().__init__(*args, **kwargs)
        answer_choices = [(c.value, c.label) for c in definition.answer_choices]
        self.groups = []

        def named(text):
            # The perpetrator's name in place of every placeholder: question, hint, prompts.
            return (text or "").replace(ABUSER_PLACEHOLDER, abuser_name)

        for question in questions:
            names = {"answer": f"{question.key}__answer"}
            self.fields[names["answer"]] = forms.ChoiceField(
                label=f"{question.number}. {named(question.text)}",
                choices=answer_choices,
                widget=forms.RadioSelect,
                help_text=named(question.hint),
                error_messages={"required": f"Answer question {question.number}"},
            )
            if question.sub_choices:
                names["sub"] = f"{question.key}__sub"
                options = [(o.value, named(o.label)) for o in question.sub_choices.options]
                widget = forms.CheckboxSelectMultiple if question.sub_choices.multiple else forms.RadioSelect
                field_class = forms.MultipleChoiceField if question.sub_choices.multiple else forms.ChoiceField
                self.fields[names["sub"]] = field_class(
                    label=named(question.sub_choices.label) or "If yes, which:", choices=options, widget=widget(), required=False
                )
            names["details"] = f"{question.key}__details"
            self.fields[names["details"]] = forms.CharField(
                label=named(question.details_prompt) or "Details", required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
            names["source"] = f"{question.key}__source"
            self.fields[names["source"]] = forms.CharField(label="Source of information, if not the victim", required=False, max_length=200)
            self.groups.append((question, names))
        self.style_fields()

    def bound_groups(self):
        return [(question, {part: self[name] for part, name in names.items()}) for question, names in self.groups]

    def clean(self):
        data = super().clean()
        for question, names in self.groups:
            if "sub" in names and data.get(names["answer"]) != "yes" and data.get(names["sub"]):
                self.add_error(names["sub"], f"Question {question.number}: only choose these when the answer is yes")
        return data

    def answers(self):
        """The answers in the shape openmarac.risk.definitions expects."""
        result = {}
        for question, names in self.groups:
            entry = {"answer": self.cleaned_data[names["answer"]]}
            if "sub" in names and self.cleaned_data.get(names["sub"]):
                value = self.cleaned_data[names["sub"]]
                entry["sub_choices"] = value if isinstance(value, list) else [value]
            for part in ("details", "source"):
                if self.cleaned_data.get(names[part]):
                    entry[part] = self.cleaned_data[names[part]]
            result[question.key] = entry
        return result


class JudgementForm(GovukForm):
    title = "Professional judgement"

    def __init__(self, *args, definition, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition_fields = []
        for item in definition.professional_judgement:
            name = f"pj__{item.key}"
            if item.kind == "yes_no":
                field = forms.ChoiceField(label=item.text, choices=YES_NO, widget=forms.RadioSelect, required=False)
            elif item.kind == "date":
                field = _date(item.text)
            else:
                field = _text(item.text, rows=2)
            field.help_text = getattr(item, "hint", "") or ""
            self.fields[name] = field
            self.definition_fields.append(name)
        self.fields["professional_judgement"] = _yes_no(
            "Are you referring on professional judgement?",
            help_text="Say yes if you believe the risk is high whatever the checklist score.",
        )
        self.fields["professional_judgement_rationale"] = _text("Why do you believe the risk is high?", help_text="Required when referring on professional judgement.")
        self.fields["professional_judgement_rationale"].conditionally_required = True
        self.style_fields()

    def clean(self):
        data = super().clean()
        if data.get("professional_judgement") == "yes" and not (data.get("professional_judgement_rationale") or "").strip():
            self.add_error("professional_judgement_rationale", "Explain why you believe the risk is high")
        return data

    def answers(self):
        result = {}
        for name in self.definition_fields:
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                result[name.removeprefix("pj__")] = value.isoformat() if hasattr(value, "isoformat") else value
        return result


class ReferralReasonsForm(GovukForm):
    title = "Reasons for referral"
    reasons = _text("Why are you referring this case?", required=True, help_text="What has happened, and what you are worried will happen.", rows=5)
    disclosed_on = _date(
        "When did the victim disclose the abuse, or when was the incident?",
        help_text="Leave empty if not known. The Marac aims to hear the case within 6 weeks of this date.",
    )
    police_incidents_last_12_months = forms.IntegerField(
        label="Police-reported incidents in the last 12 months", required=False, min_value=0, max_value=500,
        help_text="Leave empty if not known.", widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
    )
    repeat_declared = forms.ChoiceField(
        label="Has this victim been referred to this Marac before, with a further incident since?",
        choices=[("yes", "Yes"), ("no", "No"), ("unknown", "Not known")], widget=forms.RadioSelect,
    )
    previous_marac_reference = forms.CharField(label="Previous Marac reference, if known", max_length=60, required=False)
    previous_other_marac = forms.CharField(label="Any previous referral to another Marac (which area, when)", max_length=120, required=False)

    def clean_disclosed_on(self):
        return _not_in_future(self.cleaned_data.get("disclosed_on"), "The date of disclosure")


class ConsentForm(GovukForm):
    title = "The victim’s knowledge and consent"
    victim_aware = _yes_no("Does the victim know about this referral?")
    victim_not_aware_reason = _text("Why not?", help_text="Required if the victim does not know.")
    consent_given = _yes_no(
        "Has the victim consented to their information being shared at Marac?",
        help_text="If not, you will record the information sharing without consent decision next.",
    )
    victim_afraid_of = _text("Whom is the victim afraid of?")
    safe_to_talk_to = _text("Whom is it safe to talk to?")
    unsafe_to_talk_to = _text("Whom is it not safe to talk to?")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Required when the victim does not know: not marked "(optional)".
        self.fields["victim_not_aware_reason"].conditionally_required = True

    def clean(self):
        data = super().clean()
        if data.get("victim_aware") == "no" and not (data.get("victim_not_aware_reason") or "").strip():
            self.add_error("victim_not_aware_reason", "Explain why the victim does not know about the referral")
        return data


class SharingForm(GovukForm):
    """The SafeLives information sharing without consent form: the risk, the incident
    and its source, the legal authority, the balancing, consultations, the victim's
    notification, the review and sign-off, and the first entry of the sharing log."""

    title = "Information sharing without consent"
    who_at_risk = _text("Who is at risk?", required=True, help_text="For example: children, the client, family, others.", rows=2)
    at_risk_from = _text("Who are they at risk from?", required=True, help_text="For example: partner, ex-partner, family, self.", rows=2)
    risk_concerns = _text("What are the concerns around this risk?", required=True)
    immediate_risks = _text("What are the immediate risks to this victim?", required=True)
    assessed_risk = _text("The risk identified through the risk assessment", help_text="The checklist score is attached from the referral.", rows=2)
    incident_details = _text("Details of the incident or information causing concern", required=True)
    incident_source = forms.CharField(
        label="Source of that information", max_length=200, help_text="For example: the victim, a police officer, a neighbour."
    )
    protocol_applies = _yes_no("Does an information sharing protocol apply?")
    protocol_detail = _text("If yes, which protocol, and how it applies", rows=2)
    legal_grounds = forms.MultipleChoiceField(
        label="Legal grounds for sharing", choices=LegalGround.choices, widget=forms.CheckboxSelectMultiple, required=False,
        help_text="Tick every ground that applies. Required unless a protocol applies.",
    )
    legal_grounds_detail = _text("Details of the legal grounds", rows=2)
    balancing = forms.MultipleChoiceField(
        label="Balancing considerations weighed", choices=BalancingConsideration.choices, widget=forms.CheckboxSelectMultiple,
        help_text="Tick each one you considered.",
    )
    balancing_other = forms.CharField(label="If other, what", max_length=200, required=False)
    balancing_comments = _text("Comments on the balance", required=True, help_text="Why sharing without consent is necessary and proportionate.")
    internal_consultations = _text("Internal consultations", required=True, help_text="Names, dates, advice and decisions.")
    external_consultations = _text("External consultations", help_text="For example the Home Office or the Information Sharing Helpline. Leave empty if none.")
    client_notified = _yes_no("Has the victim been told that their information is being shared?")
    client_notified_on = _date("Date they were told")
    client_not_notified_reason = _text("Why have they not been told?")
    review_on = _date("Date to review this decision", required=True, help_text="The review records the feedback from the agencies informed.")
    review_owner = forms.ModelChoiceField(label="Who will review it?", queryset=None, empty_label="Choose a person")
    caseworker_name = forms.CharField(label="Caseworker’s name", max_length=150)
    caseworker_signed_on = _date("Date the caseworker signed off", required=True)
    manager_name = forms.CharField(label="Manager’s name", max_length=150)
    manager_signed_on = _date("Date the manager signed off", required=True)
    shared_with = forms.CharField(label="Shared with", max_length=200, initial="The Marac coordinator")
    shared_on = _date("Date shared", required=True)
    shared_method = forms.CharField(label="How it was shared", max_length=100, initial="OpenMarac referral")
    shared_information = _text("What was shared", required=True)
    shared_authority = forms.CharField(label="On what authority", max_length=200)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review_owner"].queryset = owners
        # Each is required by one answer (see clean), so none is marked "(optional)".
        for name in ("protocol_detail", "legal_grounds", "balancing_other", "client_notified_on", "client_not_notified_reason"):
            self.fields[name].conditionally_required = True

    def clean(self):
        data = super().clean()
        if data.get("protocol_applies") == "yes" and not (data.get("protocol_detail") or "").strip():
            self.add_error("protocol_detail", "Say which protocol applies, and how")
        if data.get("protocol_applies") == "no" and "legal_grounds" in data and not data["legal_grounds"]:
            self.add_error("legal_grounds", "Tick at least one legal ground, as no protocol applies")
        if BalancingConsideration.OTHER in (data.get("balancing") or []) and not (data.get("balancing_other") or "").strip():
            self.add_error("balancing_other", "Say what the other consideration was")
        if data.get("client_notified") == "yes" and not data.get("client_notified_on"):
            self.add_error("client_notified_on", "Enter the date the victim was told")
        if data.get("client_notified") == "no" and not (data.get("client_not_notified_reason") or "").strip():
            self.add_error("client_not_notified_reason", "Explain why the victim has not been told")
        review_on = data.get("review_on")
        if review_on and review_on <= timezone.localdate():
            self.add_error("review_on", "The review date must be in the future")
        for name in ("caseworker_signed_on", "manager_signed_on", "shared_on", "client_notified_on"):
            if data.get(name) and data[name] > timezone.localdate():
                self.add_error(name, "This date cannot be in the future")
        return data


class MatchDecisionForm(GovukForm):
    same_person = forms.ChoiceField(
        label="Is this the same person?",
        choices=[("yes", "Yes, the same person"), ("no", "No, a different person")],
        widget=forms.RadioSelect,
    )


class QualityConcernForm(GovukForm):
    category = forms.ChoiceField(label="What is the concern?", choices=QualityConcern.Category.choices, widget=forms.RadioSelect)
    note = _text("Feedback for the referring agency", required=True, help_text="The case still goes forward to the meeting.")


class ContactAttemptForm(GovukForm):
    attempted_at = datetime_field("When", help_text="The time is 24-hour, for example 14:30.")
    method = forms.ChoiceField(label="How", choices=ContactAttempt.Method.choices, widget=forms.RadioSelect)
    outcome = forms.ChoiceField(label="Outcome", choices=ContactAttempt.Outcome.choices, widget=forms.RadioSelect)
    note = _text("Notes")
    status = forms.ChoiceField(
        label="Idva referral status", choices=[("", "Keep as it is")] + IdvaReferral.Status.choices, required=False
    )


class ChildrenPromptForm(GovukForm):
    outcome = forms.ChoiceField(label="Children’s social care referral", choices=ChildrenReferralPrompt.Outcome.choices, widget=forms.RadioSelect)
    note = _text("Notes", help_text="Required if no referral is needed.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].conditionally_required = True


class SharingLogForm(GovukForm):
    shared_with = forms.CharField(label="Shared with", max_length=200)
    shared_on = _date("Date shared", required=True)
    method = forms.CharField(label="How it was shared", max_length=100)
    information = _text("What was shared", required=True)
    authority = forms.CharField(label="On what authority", max_length=200)

    def clean_shared_on(self):
        return _not_in_future(self.cleaned_data["shared_on"], "The date shared")


class SharingReviewForm(GovukForm):
    feedback = _text(
        "Feedback from the agencies informed, as to their response", required=True,
        help_text="What each agency did with the information, and whether sharing should continue.",
    )
    feedback.error_messages["required"] = "Record the feedback from the agencies informed, as to their response"
    next_review_on = _date("Next review date, if sharing continues", help_text="Leave empty if the decision needs no further review.")


class TransferForm(GovukForm):
    to_marac = forms.ModelChoiceField(label="Transfer to", queryset=None, empty_label="Choose a Marac")
    reason = _text("Why is the case moving?", required=True, help_text="For example: the victim has moved into the area.")

    def __init__(self, *args, exclude, **kwargs):
        from openmarac.accounts.models import Marac

        super().__init__(*args, **kwargs)
        self.fields["to_marac"].queryset = Marac.objects.filter(is_active=True).exclude(pk=exclude.pk)


class TransferDecisionForm(GovukForm):
    decision = forms.ChoiceField(label="Your decision", choices=[("accept", "Accept the case"), ("decline", "Decline")], widget=forms.RadioSelect)
    note = _text("Note for the sending coordinator", help_text="Required if you decline.")

    def __init__(self, *args, actions=(), agencies=None, **kwargs):
        """One choice per open action: which of the receiving Marac's agencies takes it
        on. The agency that owns it now is chosen already when it takes part in both."""
        super().__init__(*args, **kwargs)
        # One list of agencies for every choice, read once, so the page reads the same
        # number of rows however many actions the case has.
        choices = [("", "Choose the agency")] + [(agency.pk, agency.name) for agency in (agencies if agencies is not None else [])]
        for action in actions:
            field = forms.TypedChoiceField(
                # Named by its owner too: two agencies often hold actions worded alike
                # (each flags its own files), and each choice needs a name of its own.
                label=f"Who takes on {action.owner_agency.name}’s action: {action.description}",
                choices=choices,
                coerce=int,
                required=False,
                empty_value=None,
                initial=action.owner_agency_id if action.stays_with_owner else None,
                help_text=f"Now owned by {action.owner_agency.name}; due {action.due_on:%-d %B %Y}.",
            )
            # Needed only to accept (a decline leaves every action where it is).
            field.conditionally_required = True
            self.fields[f"action_{action.pk}"] = field
        self.action_ids = [action.pk for action in actions]
        # The owners first, so the decision is the last thing chosen.
        self.order_fields([f"action_{pk}" for pk in self.action_ids] + ["decision", "note"])
        self.fields["note"].conditionally_required = True  # needed to decline
        self.style_fields()

    def owners(self):
        return {pk: self.cleaned_data.get(f"action_{pk}") for pk in self.action_ids if self.cleaned_data.get(f"action_{pk}")}

class _UserChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return f"{user.full_name}, {user.agency}" if user.agency_id else user.full_name


class RestrictionForm(GovukForm):
    reason = _text(
        "Why is the case restricted?", required=True,
        help_text="For example: the perpetrator works for a member agency. Only the named people and coordinators who use break-glass see this.",
    )
    reason.error_messages["required"] = "Enter why the case is restricted"
    named_users = _UserChoices(
        label="Who may open the case", queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="You are always named. Anyone else, other coordinators included, needs break-glass access, which is reported.",
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["named_users"].queryset = users


class BreakGlassForm(GovukForm):
    reason = _text(
        "Why do you need to open this case now?", required=True,
        help_text="Your reason is recorded and sent to the coordinators for review. Be specific.",
    )
    reason.error_messages["required"] = "Enter why you need to open this case now"
    password = forms.CharField(label="Your password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), strip=False,
        error_messages={"required": "Enter your password"},
    )
    code = forms.CharField(
        label="Code from your authenticator app", max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
        error_messages={"required": "Enter the code from your authenticator app"},
    )


class BreakGlassReviewForm(GovukForm):
    note = _text("What did you find?", required=True, help_text="For example: spoke to the officer; the reason was genuine.")
    note.error_messages["required"] = "Enter what you found"


class AgencyCheckForm(GovukForm):
    added_information = _text(
        "Information to add (optional)",
        help_text="Anything the referral is missing that your agency knows: for example risk history or safe contact details. "
        "The referral goes on to the coordinator when you send it, as it is if you add nothing.",
        rows=5,
    )


# A date of birth typed into the search box: 3/4/1990, 03-04-1990 or 03.04.1990.
_TYPED_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
SEARCH_MIN_LENGTH = 2
SEARCH_MAX_WORDS = 5


class CaseSearchForm(GovukForm):
    """One box for a name, a case reference or a date of birth (dd/mm/yyyy), and the
    GOV.UK date input for a date of birth. `terms()` says what to look for."""

    q = forms.CharField(
        label="Name or case reference",
        required=False,
        max_length=100,
        help_text="A victim’s or perpetrator’s name, or part of it (one or two letters find the names that begin with them), a case reference, or a date of birth such as 03/04/1990.",
        widget=forms.TextInput(attrs={"class": "govuk-!-width-two-thirds", "spellcheck": "false", "autocomplete": "off"}),
    )
    date_of_birth = date_field("Date of birth")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Either will do, so neither is labelled "(optional)".
        for name in ("q", "date_of_birth"):
            self.fields[name].conditionally_required = True

    def clean(self):
        data = super().clean()
        if self.errors:  # a box's own message (an impossible date of birth) comes first
            return data
        words, dates = [], set()
        for word in data.get("q", "").split():
            match = _TYPED_DATE.fullmatch(word)
            if not match:
                words.append(word)
                continue
            day, month, year = (int(part) for part in match.groups())
            try:
                dates.add(datetime.date(year, month, day))
            except ValueError:
                self.add_error("q", "Enter a real date of birth, for example 03/04/1990")
                return data
        if data.get("date_of_birth"):
            dates.add(data["date_of_birth"])
        if len(dates) > 1:
            self.add_error("q", "Enter one date of birth")
            return data
        if not words and not dates:
            self.add_error("q", "Enter a name, a case reference or a date of birth")
            return data
        if words and len("".join(words)) < SEARCH_MIN_LENGTH:
            self.add_error("q", f"Enter at least {SEARCH_MIN_LENGTH} characters of a name or case reference")
            return data
        # A single word may be a case reference as well as a name; a word with a digit
        # in it is no name, so a reference is not looked for among names.
        data["reference"] = words[0] if len(words) == 1 and not dates else ""
        names = [word for word in words if not any(c.isdigit() for c in word)]
        if len(names) < len(words) and not data["reference"]:
            self.add_error("q", "Enter a name, a case reference or a date of birth such as 03/04/1990")
            return data
        data["names"] = names[:SEARCH_MAX_WORDS]
        data["dob"] = dates.pop() if dates else None
        return data

    def terms(self):
        """What to search for, once the form is valid."""
        return {"names": self.cleaned_data["names"], "reference": self.cleaned_data["reference"], "date_of_birth": self.cleaned_data["dob"]}
