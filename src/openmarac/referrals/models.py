"""Cases, referrals (episodes of a case), lawful sharing, and what a referral sets in
motion: the Idva referral, the children's social care prompt and match candidates."""

import uuid

from django.conf import settings
from django.db import models

from .criteria import Criteria

User = settings.AUTH_USER_MODEL


class Case(models.Model):
    """A victim's Marac record. Each referral is an episode in it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Merged into another case"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    marac = models.ForeignKey("accounts.Marac", on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(max_length=30)
    victim = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="victim_cases")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Set by meetings when the case is heard; access for agencies lapses 12 months on.
    last_heard_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # A reference names one case for ever, across the deployment: it is quoted in
        # minutes, agency files and other Maracs' records, and it travels with a transfer.
        constraints = [models.UniqueConstraint(fields=["reference"], name="unique_case_reference_everywhere")]
        # last_heard_on last: the 12-month reviews read a window of hearing dates.
        indexes = [models.Index(fields=["marac", "status", "last_heard_on"], name="case_marac_status_heard")]

    def __str__(self):
        return self.reference


class ReferenceCounter(models.Model):
    """The last number issued for one reference prefix and year ("NORT-2026-").

    Numbers come from here, never from counting cases: cases leave by transfer, arrive
    with references of their own, are merged or deleted, and a count would hand out a
    number already in use. The row is locked while a number is taken and only goes up."""

    prefix = models.CharField(max_length=24, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.prefix}{self.last_number:04d}"


class CaseInvolvement(models.Model):
    """Why an agency may see a case: it referred it, holds the Idva or children's
    referral, has an action, or the case is on an agenda it was sent."""

    class Reason(models.TextChoices):
        REFERRED = "referred", "Referred the case"
        IDVA_REFERRAL = "idva_referral", "Idva referral"
        CHILDREN_REFERRAL = "children_referral", "Children’s social care referral"
        AGENDA = "agenda", "On a meeting agenda"
        ACTION = "action", "Has an action"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="involvements")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "agency", "reason"], name="unique_involvement")]
        indexes = [models.Index(fields=["agency", "case"])]


class Referral(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING_LISTING = "awaiting_listing", "Awaiting listing"
        LISTED = "listed", "Listed for a meeting"
        HEARD = "heard", "Heard"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of its own: the Marac leads `referral_heard_covering` (Marac, status, date
    # heard, ...), which serves a look-up by the Marac alone as well. With a separate
    # index PostgreSQL read a period's heard referrals through it, every referral the
    # Marac ever had (35,000 at national scale) filtered down to the period's 1,800.
    marac = models.ForeignKey("accounts.Marac", on_delete=models.PROTECT, related_name="referrals", db_index=False)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The answers of an unfinished referral, page by page; people and the checklist are
    # created from them only on submission, so drafts never enter matching.
    draft = models.JSONField(default=dict, blank=True)
    source_key = models.CharField(
        max_length=200, blank=True, help_text="For imported referrals: the file's own identifier, so a re-run adds nothing."
    )

    referrer = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals_made")
    referring_agency = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    referring_agency_kind = models.CharField(max_length=32, blank=True)  # kept as it was when referred
    referrer_name = models.CharField(max_length=150, blank=True)
    referrer_phone = models.CharField(max_length=30, blank=True)
    referrer_email = models.EmailField(blank=True)
    referred_on = models.DateField(null=True, blank=True)
    disclosed_on = models.DateField(
        null=True, blank=True,
        help_text="When the victim disclosed the abuse (or the incident), if known: the six-week target counts from it.",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    reasons = models.TextField(blank=True)
    meets_visible_high_risk = models.BooleanField(default=False)
    meets_professional_judgement = models.BooleanField(default=False)
    meets_escalation = models.BooleanField(default=False)
    meets_repeat = models.BooleanField(default=False)
    repeat_declared = models.BooleanField(default=False, help_text="The referrer said this is a repeat referral.")
    professional_judgement_rationale = models.TextField(blank=True)
    police_incidents_last_12_months = models.PositiveSmallIntegerField(null=True, blank=True)
    checklist_score = models.PositiveSmallIntegerField(null=True, blank=True)
    repeat_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="repeats")
    previous_marac_reference = models.CharField(max_length=60, blank=True)
    previous_other_marac = models.CharField(max_length=120, blank=True)

    victim_aware = models.BooleanField(null=True)
    victim_not_aware_reason = models.TextField(blank=True)
    consent_given = models.BooleanField(null=True)
    victim_afraid_of = models.TextField(blank=True)
    safe_to_talk_to = models.TextField(blank=True)
    unsafe_to_talk_to = models.TextField(blank=True)

    # Facts the data return counts, recorded as they were at referral.
    victim_age = models.PositiveSmallIntegerField(null=True, blank=True)
    victim_gender = models.CharField(max_length=40, blank=True)
    victim_racially_minoritised = models.CharField(max_length=8, blank=True)
    victim_disabled = models.CharField(max_length=8, blank=True)
    victim_lgbt = models.CharField(max_length=8, blank=True)
    youngest_perpetrator_age = models.PositiveSmallIntegerField(null=True, blank=True)
    children_count = models.PositiveSmallIntegerField(default=0)
    heard_on = models.DateField(null=True, blank=True, help_text="Imported history: when the case was heard.")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # heard_on third: the figures read a period's heard referrals by range. The
            # case and the dates after it are the columns the hearing days and the outcome
            # indicators read, so those queries read the index alone, not the referrals.
            models.Index(fields=["marac", "status", "heard_on", "case", "referred_on", "disclosed_on"], name="referral_heard_covering"),
            # The repeat referrals of given cases (the outcome indicators, the repeat
            # alert), from the repeats alone: without it, PostgreSQL read every referral
            # of every Marac to find them when it expected few.
            models.Index(fields=["case", "referred_on"], condition=models.Q(meets_repeat=True), name="referral_repeat_dates"),
            models.Index(fields=["referrer", "status"]),
            # The dashboard's Idva figures: referrals made in a period (by `referred_on`),
            # whether imported (`source_key`), and the id their Idva referral is found by,
            # from the index alone. Through `referral_heard_covering` the referral date is
            # its fifth column, so every one of the Marac's referrals was read to keep a
            # period's (at 1.2 million cases, 35,000 for 1,770; the query 6.4 -> 4.1 ms).
            models.Index(fields=["marac", "referred_on"], include=["id", "source_key"], name="referral_referred_covering"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["marac", "source_key"], condition=~models.Q(source_key=""), name="unique_imported_referral"
            )
        ]

    def __str__(self):
        return f"Referral {self.public_id}"

    @property
    def criteria_labels(self):
        return Criteria(
            visible_high_risk=self.meets_visible_high_risk,
            professional_judgement=self.meets_professional_judgement,
            escalation=self.meets_escalation,
            repeat=self.meets_repeat,
        ).labels


class ReferralPerson(models.Model):
    class Role(models.TextChoices):
        VICTIM = "victim", "Victim"
        PERPETRATOR = "perpetrator", "Perpetrator"
        CHILD = "child", "Child"
        HOUSEHOLD_MEMBER = "household_member", "Other household member"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="referral_roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    relationship_to_victim = models.CharField(max_length=100, blank=True)
    relationship_to_perpetrator = models.CharField(max_length=100, blank=True)
    school = models.CharField(max_length=150, blank=True)
    gp = models.CharField("GP", max_length=150, blank=True, help_text="A child's GP surgery.")
    details_unreliable = models.BooleanField(
        default=False, help_text="The referrer flagged that this child's details may be missing or unreliable."
    )
    note = models.TextField(blank=True, help_text="For a victim under 16: why this is a Marac referral.")

    class Meta:
        ordering = ["role", "id"]


class MatchCandidate(models.Model):
    """A person already known to the Marac who may be the same as one on a new
    referral. A coordinator confirms or rejects; nothing is merged automatically."""

    class Decision(models.TextChoices):
        PENDING = "pending", "Awaiting a decision"
        CONFIRMED = "confirmed", "Same person"
        REJECTED = "rejected", "Not the same person"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="match_candidates")
    new_person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    label = models.CharField(max_length=10)
    reasons = models.JSONField(default=list)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score"]
        constraints = [models.UniqueConstraint(fields=["new_person", "candidate"], name="unique_candidate_pair")]


class OtherMaracMatch(models.Model):
    """A likely match in another Marac of the deployment: only the Marac is named."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="other_marac_matches")
    other_marac = models.ForeignKey("accounts.Marac", on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["referral", "other_marac", "role"], name="unique_other_marac_match")]


class QualityConcern(models.Model):
    """A coordinator's concern about a referral's quality. It goes to governance and back
    to the referring agency as feedback; the case still goes forward."""

    class Category(models.TextChoices):
        INCOMPLETE = "incomplete", "Information missing or incomplete"
        CHECKLIST = "checklist", "Risk checklist not completed or unclear"
        RATIONALE = "rationale", "Rationale for professional judgement unclear"
        CONSENT = "consent", "Consent or information sharing not recorded"
        LATE = "late", "Referral made late after disclosure"
        OTHER = "other", "Other"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="quality_concerns")
    category = models.CharField(max_length=20, choices=Category.choices)
    note = models.TextField()
    raised_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The governance figures read the concerns raised in a period by this range.
        indexes = [models.Index(fields=["raised_at"], name="quality_concern_raised_idx")]


class LegalGround(models.TextChoices):
    """The nine legal grounds for sharing without consent, as the SafeLives form lists
    them, with the statute references it gives (the Data Protection Act references are
    the 1998 Act's, as on the form; docs/referrals.md says how they read today)."""

    PREVENTION_DETECTION_OF_CRIME = (
        "prevention_detection_of_crime",
        "Prevention or detection of crime and/or apprehension or prosecution of offenders (DPA, s. 29)",
    )
    VITAL_INTERESTS = "vital_interests", "To protect the vital interests of the data subject; serious harm or a matter of life or death (DPA, sch. 2 & 3)"
    ADMINISTRATION_OF_JUSTICE = "administration_of_justice", "For the administration of justice, usually bringing perpetrators to justice (DPA, sch. 2 & 3)"
    STATUTORY_FUNCTIONS = (
        "statutory_functions",
        "For the exercise of functions conferred on any person by or under any enactment, such as police or social services (DPA, sch. 2 & 3)",
    )
    COURT_ORDER = "court_order", "In accordance with a court order"
    OVERRIDING_PUBLIC_INTEREST = "overriding_public_interest", "Overriding public interest (common law)"
    CHILD_PROTECTION = (
        "child_protection",
        "Child protection: disclosure to social services or the police for the exercise of functions under the Children Act, "
        "where the public interest in safeguarding the child’s welfare overrides the need to keep the information confidential (DPA, sch. 2 & 3)",
    )
    RIGHT_TO_LIFE = "right_to_life", "Right to life (Human Rights Act, art. 2 & 3)"
    FREEDOM_FROM_TORTURE = "freedom_from_torture", "Right to be free from torture, or inhuman or degrading treatment (Human Rights Act, art. 2 & 3)"


#: A value the record used before the two human rights grounds were separated: it reads
#: as both (imports may still carry it).
OLD_HUMAN_RIGHTS_GROUND = "human_rights_articles_2_3"


class BalancingConsideration(models.TextChoices):
    """The balancing considerations of the SafeLives form, ticked when weighed."""

    PRESSING_NEED = "pressing_need", "Pressing need"
    RISK_OF_NOT_DISCLOSING = "risk_of_not_disclosing", "Risk of not disclosing"
    RESPECTIVE_RISKS = "respective_risks", "Respective risks to those affected"
    INTEREST_OF_RECIPIENT = "interest_of_recipient", "Interest of the other agency or person in receiving it"
    PUBLIC_INTEREST = "public_interest", "Public interest of disclosure"
    HUMAN_RIGHTS = "human_rights", "Human rights"
    DUTY_OF_CONFIDENTIALITY = "duty_of_confidentiality", "Duty of confidentiality"
    OTHER = "other", "Other"


class SharingDecision(models.Model):
    """Information sharing without consent: the referring agency's recorded decision
    (SafeLives form): the risk, the incident and its source, the legal authority (a
    protocol, or legal grounds), the balancing considerations, the consultations, whether
    the victim was told, sign-off, and its reviews."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="sharing_decision")
    # The risk
    who_at_risk = models.TextField(blank=True, help_text="For example: children, the client, family, others.")
    at_risk_from = models.TextField(blank=True, help_text="For example: partner, ex-partner, family, self.")
    risk_concerns = models.TextField(blank=True)
    immediate_risks = models.TextField(blank=True)
    assessed_risk = models.TextField(blank=True, help_text="The risk identified through the risk assessment.")
    # The incident or information causing concern
    incident_details = models.TextField(blank=True)
    incident_source = models.CharField(max_length=200, blank=True)
    # Legal authority: a protocol, or legal grounds
    protocol_applies = models.BooleanField(null=True)
    protocol_detail = models.TextField(blank=True)
    legal_grounds = models.JSONField(default=list)
    legal_grounds_detail = models.TextField(blank=True)
    # Balancing
    balancing = models.JSONField(default=list)
    balancing_other = models.CharField(max_length=200, blank=True)
    balancing_comments = models.TextField(blank=True)
    internal_consultations = models.TextField(blank=True, help_text="Names, dates, advice, decisions.")
    external_consultations = models.TextField(blank=True, help_text="For example the Home Office, the Information Sharing Helpline.")
    client_notified = models.BooleanField(null=True)
    client_notified_on = models.DateField(null=True, blank=True)
    client_not_notified_reason = models.TextField(blank=True)
    review_on = models.DateField()
    review_owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="sharing_reviews")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    caseworker_name = models.CharField(max_length=150)
    caseworker_signed_on = models.DateField()
    manager_name = models.CharField(max_length=150)
    manager_signed_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The home page's "reviews due" starts from the owner's open reviews, not from
        # every referral of the Marac.
        indexes = [models.Index(fields=["review_owner", "reviewed_at", "review_on"], name="sharing_review_due_idx")]

    @property
    def legal_ground_labels(self):
        labels = dict(LegalGround.choices)
        return [labels.get(value, value) for value in self.legal_grounds]

    @property
    def balancing_labels(self):
        labels = dict(BalancingConsideration.choices)
        return [
            f"Other: {self.balancing_other}" if value == BalancingConsideration.OTHER and self.balancing_other else labels.get(value, value)
            for value in self.balancing
        ]


class SharingReview(models.Model):
    """A review of the decision, with the feedback of the agencies informed as to their
    response (the form's review)."""

    decision = models.ForeignKey(SharingDecision, on_delete=models.CASCADE, related_name="reviews")
    feedback = models.TextField(help_text="The feedback from the agencies informed, as to their response.")
    next_review_on = models.DateField(null=True, blank=True)
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reviewed_at", "id"]


class SharingLogEntry(models.Model):
    """What was shared, with whom, when, how and on what authority."""

    decision = models.ForeignKey(SharingDecision, on_delete=models.CASCADE, related_name="log")
    shared_with = models.CharField(max_length=200)
    shared_on = models.DateField()
    method = models.CharField(max_length=100)
    information = models.TextField()
    authority = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shared_on", "id"]


class AgencyCheck(models.Model):
    """A referral from an agency whose Marac asks that its Marac representative checks
    referrals first. Never a screening step: the representative can add information and
    send it on, not stop it; everything else the referral sets in motion (the Idva and
    children's referrals) goes at once; the coordinator sees the referral meanwhile; and
    when `due_at` passes unchecked it goes on by itself."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="agency_check")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    added_information = models.TextField(blank=True)
    checked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)
    timed_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["checked_at", "timed_out_at", "due_at"])]

    @property
    def is_open(self):
        return self.checked_at is None and self.timed_out_at is None


class IdvaReferral(models.Model):
    """Every case goes to the Idva service, with or without consent."""

    FIRST_CONTACT_TARGET_HOURS = 48

    class Status(models.TextChoices):
        AWAITING_CONTACT = "awaiting_contact", "Awaiting first contact"
        IN_CONTACT = "in_contact", "In contact"
        NOT_ABLE_TO_ENGAGE = "not_able_to_engage", "We were not able to engage the victim"
        CLOSED = "closed", "Closed"

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="idva_referral")
    # Empty only when the Marac has no Idva service agency; the coordinator is told.
    idva_agency = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_CONTACT)
    first_contact_due = models.DateTimeField()
    first_contact_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["idva_agency", "status"])]


class ContactAttempt(models.Model):
    class Method(models.TextChoices):
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"
        EMAIL = "email", "Email"
        IN_PERSON = "in_person", "In person"
        VIA_PROFESSIONAL = "via_professional", "Through another professional"

    class Outcome(models.TextChoices):
        SPOKE = "spoke", "Spoke to the victim"
        NO_ANSWER = "no_answer", "No answer"
        NOT_SAFE = "not_safe", "Not safe to talk"
        MESSAGE_LEFT = "message_left", "Safe message left"
        OTHER = "other", "Other"

    idva_referral = models.ForeignKey(IdvaReferral, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=Method.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["attempted_at"]


class ChildrenReferralPrompt(models.Model):
    """Where there are children, a referral to children's social care must be made:
    the agency's representative confirms it."""

    class Outcome(models.TextChoices):
        REFERRAL_RECEIVED = "referral_received", "Referral received"
        ALREADY_OPEN = "already_open", "Children already known: case open"
        NOT_NEEDED = "not_needed", "No referral needed (reason given)"

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="children_prompt")
    agency = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True)
    confirmed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class CaseTransfer(models.Model):
    """A case moving to another Marac of the deployment, when the victim moves area. The
    receiving coordinator accepts; the history moves with the case."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting the receiving coordinator"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers")
    from_marac = models.ForeignKey("accounts.Marac", on_delete=models.PROTECT, related_name="+")
    to_marac = models.ForeignKey("accounts.Marac", on_delete=models.PROTECT, related_name="incoming_transfers")
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)


class CaseRestriction(models.Model):
    """A case shown only to named users, for example when the victim or the
    perpetrator works for a member agency. Everyone else sees only that a restricted
    case is on the agenda and needs break-glass access to open it. Lifting keeps the
    row (with who lifted it and when); restricting again reuses it."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="restriction")
    reason = models.TextField()
    named_users = models.ManyToManyField(User, related_name="restricted_cases_named_on", blank=True)
    restricted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    restricted_at = models.DateTimeField()
    lifted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_active(self):
        return self.lifted_at is None

    def __str__(self):
        return f"Restriction on {self.case}"


class BreakGlassGrant(models.Model):
    """Time-limited access to a restricted case by someone not named on it, given on a
    written reason after the password and authenticator code were entered again. The
    coordinator reviews every use."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="break_glass_grants")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="break_glass_grants")
    reason = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["user", "expires_at"]), models.Index(fields=["reviewed_at"])]

    def __str__(self):
        return f"Break-glass on {self.case} by {self.user}"
