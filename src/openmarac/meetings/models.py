"""Meetings, their case lists (agendas), agency research and the attendance register."""

import uuid
from datetime import time

from django.conf import settings
from django.db import models

from .dates import Operation

User = settings.AUTH_USER_MODEL

DEFAULT_CONFIDENTIALITY_STATEMENT = (
    "I agree that information shared at this Marac is confidential. It will be used only for the purpose "
    "of the Marac: keeping the victim, the children and agency staff safe and addressing the perpetrator's "
    "behaviour. I will not share it outside the Marac without the agreement of the agency that supplied it. "
    "I will record only what my agency needs, and store it securely."
)


class MeetingMode(models.TextChoices):
    MEETING = "meeting", "Meeting"
    ASYNC = "async", "Asynchronous coordination (closing date, no meeting)"


class MeetingSchedule(models.Model):
    """A Marac's meeting pattern and the rules of its preparation. The cadence, lead
    time and minutes per case are the Marac's own settings."""

    marac = models.OneToOneField("accounts.Marac", on_delete=models.CASCADE, related_name="schedule")
    weekday = models.PositiveSmallIntegerField(
        default=1, choices=[(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday")]
    )
    start_time = models.TimeField(default=time(9, 30))
    # The first meeting of the pattern; for a fortnightly Marac it also says which
    # fortnight meetings fall in.
    first_meeting_on = models.DateField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True)
    video_link = models.URLField(blank=True)
    capacity = models.PositiveSmallIntegerField(default=20, help_text="Most cases one meeting can hear.")
    mode = models.CharField(max_length=10, choices=MeetingMode.choices, default=MeetingMode.MEETING)
    research_deadline_working_days = models.PositiveSmallIntegerField(
        default=1, help_text="Research is due this many working days before the meeting."
    )
    research_visible_before_meeting = models.BooleanField(
        default=True, help_text="Attendees see each other's research as it is returned; otherwise only from the meeting's start."
    )
    confidentiality_statement = models.TextField(default=DEFAULT_CONFIDENTIALITY_STATEMENT)
    weeks_ahead = models.PositiveSmallIntegerField(default=12, help_text="How far ahead meetings are generated.")

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.first_meeting_on and self.first_meeting_on.weekday() != self.weekday:
            raise ValidationError(
                {"first_meeting_on": f"The first meeting date must be a {self.get_weekday_display()}, the day of the week chosen"}
            )

    def lead_time_warning(self):
        """A case list lead time as long as the gap between meetings means each list
        goes out before the previous meeting has happened: worth flagging, not refusing."""
        gap_days = {"daily": 1, "weekly": 7, "fortnightly": 14, "monthly": 28}.get(self.marac.meeting_cadence, 14)
        if self.marac.case_list_lead_days >= gap_days:
            return (
                f"Case lists go out {self.marac.case_list_lead_days} days before each meeting, which is as long as the "
                f"{self.marac.get_meeting_cadence_display().lower()} gap between meetings: each list would go out before the "
                "previous meeting. Check the case list lead time in the settings."
            )
        return ""


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    marac = models.ForeignKey("accounts.Marac", on_delete=models.PROTECT, related_name="meetings")
    mode = models.CharField(max_length=10, choices=MeetingMode.choices, default=MeetingMode.MEETING)
    # For asynchronous coordination this is the closing date and time.
    starts_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    video_link = models.URLField(blank=True)
    capacity = models.PositiveSmallIntegerField(default=20)
    minutes_per_case = models.PositiveSmallIntegerField(default=10)
    research_deadline = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    change_note = models.TextField(blank=True, help_text="Why the meeting was moved or cancelled, as told to agencies.")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The date the meeting pattern gave it; kept when the meeting is moved, so the
    # pattern does not make it again.
    pattern_date = models.DateField(null=True, blank=True)
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["marac", "status", "starts_at"]),
            # Every Marac's meetings since a moment (the actions still open after two
            # meetings leave out those agreed at any meeting since the one before last):
            # a few hundred of tens of thousands, found without reading them all.
            models.Index(fields=["starts_at"], name="meeting_starts_at"),
        ]

    def __str__(self):
        return f"{self.marac} {self.starts_at:%-d %B %Y}"

    @property
    def is_async(self):
        return self.mode == MeetingMode.ASYNC

    @property
    def kind_word(self):
        """What the page calls it: a round held in writing has no meeting."""
        return "round" if self.is_async else "meeting"

    @property
    def title(self):
        """"round closing Thursday 10 December 2026" or "meeting of Thursday 10 December
        2026", said the same way on every page and in every email."""
        from django.utils import timezone

        day = f"{timezone.localtime(self.starts_at):%A %-d %B %Y}"
        return f"round closing {day}" if self.is_async else f"meeting of {day}"


class AgendaItem(models.Model):
    """A referral listed for a meeting."""

    class Section(models.TextChoices):
        # Outstanding actions come first on every agenda; they are not items here.
        NEW_AND_REPEAT = "new_and_repeat", "New and repeat cases"
        ANNIVERSARY = "anniversary", "Cases 12 months after their last hearing"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="items")
    # A referral is heard once as new or repeat, and its case may come back for the
    # review 12 months after its last hearing.
    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="agenda_items")
    section = models.CharField(max_length=20, choices=Section.choices, default=Section.NEW_AND_REPEAT)
    listed_at = models.DateTimeField(auto_now_add=True)
    listed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Listed after the case list went out (a late high-risk referral the coordinator
    # chose to add): agencies were told, and the case list and research grid say so.
    added_late = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["meeting", "section"])]
        constraints = [models.UniqueConstraint(fields=["meeting", "referral"], name="one_listing_per_meeting")]


class ResearchReturn(models.Model):
    """One agency's research on one case for one meeting."""

    class DetailsCorrect(models.TextChoices):
        YES = "yes", "Yes, the details are correct"
        CORRECTED = "corrected", "No: corrections below"
        NOT_KNOWN = "not_known", "We cannot confirm them"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="research")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="research")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    no_trace = models.BooleanField(default=False, help_text="The agency holds no information on anyone in the case.")
    details_correct = models.CharField(max_length=10, choices=DetailsCorrect.choices, blank=True)
    corrections = models.TextField(blank=True)
    last_contact = models.TextField(blank=True)
    recent_behaviour = models.TextField(blank=True)
    risk_information = models.TextField(blank=True)
    actions_taken = models.TextField(blank=True)
    victim_priorities = models.TextField(blank=True)
    victim_fears = models.TextField(blank=True)
    safe_and_unsafe_people = models.TextField(blank=True)
    about_children = models.TextField(blank=True)
    facts = models.TextField(blank=True)
    professional_opinion = models.TextField(blank=True)
    returned_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Several people of one agency may research the same case: each save names the
    # version it started from, so one cannot overwrite another unseen (0: none existed).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "referral", "agency"], name="unique_research_per_agency")]
        indexes = [
            # The dashboard's research figures: the returned research of a period's
            # meetings, counted by agency, from the index alone. Through the meeting's index
            # each of the 7,000 returns of two quarters was read from its row (one Marac at
            # 1.2 million cases: the query 8.9 -> 3.5 ms under EXPLAIN ANALYZE).
            models.Index(
                fields=["meeting"], include=["agency", "returned_at", "id"], condition=models.Q(returned_at__isnull=False),
                name="research_returned_covering",
            ),
        ]


class ResearchReminder(models.Model):
    """A reminder sent to an agency about missing research, so none is sent twice a day."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "agency", "sent_on"], name="one_reminder_a_day")]


class Attendance(models.Model):
    """The register: one row per agency (or observer) for a meeting."""

    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        APOLOGIES = "apologies", "Apologies"
        ABSENT = "absent", "Absent"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    agency = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=150, blank=True)
    is_observer = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    information_sent_in_advance = models.BooleanField(null=True)
    arrived_at = models.TimeField(null=True, blank=True)
    left_at = models.TimeField(null=True, blank=True)
    observer_signed = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["is_observer", "agency__name", "name"]


class DeclarationSignature(models.Model):
    """An attendee's electronic signature of the confidentiality declaration, required
    before they see any of the meeting's case material."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="signatures")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    statement = models.TextField()
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_signature_per_meeting")]


class Hearing(models.Model):
    """What the meeting recorded for one case on its agenda. Edited live by the
    coordinator while others watch; `version` stops two people overwriting each other."""

    item = models.OneToOneField(AgendaItem, on_delete=models.PROTECT, related_name="hearing")
    minutes = models.TextField(blank=True)
    victim_views = models.TextField("the Idva’s account of the victim’s views, fears and priorities", blank=True)
    single_point_of_contact = models.CharField(max_length=200, blank=True)
    children_confirmed = models.BooleanField(null=True, help_text="The chair confirmed the number of children and their dates of birth.")
    children_corrections = models.TextField(blank=True)
    children_confirmed_at = models.DateTimeField(null=True, blank=True)
    children_confirmed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Closing a case with children without the chair's confirmation needs a reason.
    children_unconfirmed_reason = models.TextField(blank=True)
    idva_confirmed_at = models.DateTimeField(null=True, blank=True)
    idva_confirmed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_without_idva_reason = models.TextField(blank=True)
    referrer_summary = models.TextField(
        "the outcome for the referrer", blank=True,
        help_text="What the Marac decided, in words the referrer can act on and pass to colleagues. No addresses.",
    )
    # After the meeting the Idva tells the victim of the plan, when it is safe to.
    victim_told_of_plan = models.BooleanField(null=True)
    victim_told_on = models.DateField(null=True, blank=True)
    victim_not_told_reason = models.TextField(blank=True, help_text="Why it was not safe, or not possible, to tell the victim.")
    victim_told_recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    victim_told_recorded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)


class Risk(models.Model):
    """A risk named at the meeting: who is at risk, from whom, what harm, how likely."""

    class Likelihood(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="risks")
    who_at_risk = models.CharField(max_length=200)
    from_whom = models.CharField(max_length=200)
    harm = models.TextField("what harm")
    likelihood = models.CharField(max_length=8, choices=Likelihood.choices)
    to_staff = models.BooleanField("a risk to agency staff (weapons, violence to professionals)", default=False)
    # Beside the named risk: what makes it worse (drink, debt, a court date) and what
    # keeps people safer (a supportive relative, a school that knows).
    contributory_factors = models.TextField(blank=True)
    protective_factors = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.who_at_risk} from {self.from_whom}: {self.harm[:50]}"


class ResearchDelegation(models.Model):
    """An agency representative asks a colleague of the same agency who knows the family
    (the key worker) to complete the agency's research on one case, by the same deadline.

    The delegation opens that case's research form to the colleague and nothing else, and
    ends by itself when the research is returned or the meeting is held; the
    representative may withdraw it before then."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="delegations")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    delegate = models.ForeignKey(User, on_delete=models.PROTECT, related_name="research_delegations")
    invited_to_slot = models.BooleanField(
        "invited to the meeting for this case's slot", default=False,
        help_text="Shown on the agency's case slots so the key worker can join for this case.",
    )
    delegated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    delegated_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-delegated_at", "-id"]
        constraints = [
            # One live delegation per case and agency: two key workers could overwrite
            # each other's research.
            models.UniqueConstraint(
                fields=["meeting", "referral", "agency"], condition=models.Q(withdrawn_at__isnull=True), name="one_live_delegation_per_case"
            )
        ]


class DateOverride(models.Model):
    """The coordinator's recorded reason for doing one meeting operation before its
    day allows (meetings/dates.py): for example a meeting brought forward by a day."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="date_overrides")
    operation = models.CharField(max_length=10, choices=Operation.choices)
    reason = models.TextField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "operation"], name="one_override_per_operation")]


class RepeatDecision(models.Model):
    """What the chair decided when a case reached the repeat-alert threshold: a case that
    keeps coming back gets a different approach, not just a flag. Shown on the case's
    screens until it is done."""

    class Kind(models.TextChoices):
        MARM = "marm", "A multi-agency risk management meeting"
        PROFESSIONALS = "professionals", "A professionals’ meeting"
        ESCALATION = "escalation", "Escalation to the Marac steering group"
        OTHER = "other", "Another approach"

    hearing = models.OneToOneField(Hearing, on_delete=models.PROTECT, related_name="repeat_decision")
    case = models.ForeignKey("referrals.Case", on_delete=models.PROTECT, related_name="repeat_decisions")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    details = models.TextField(blank=True)
    due_on = models.DateField()
    owner_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    owner_name = models.CharField("named person", max_length=150, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    done_on = models.DateField(null=True, blank=True)
    done_note = models.TextField(blank=True)
    done_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["case", "done_on"])]
