"""The action plan: SMART actions volunteered by agencies, their updates (the action
tracking record), flags on agency files, and reminders."""

from django.conf import settings
from django.db import models
from django.utils import timezone

User = settings.AUTH_USER_MODEL


class ActionKind(models.TextChoices):
    """Standard Marac actions (DOMAIN.md step 7); prompts look for the missing ones."""

    FLAG = "flag", "Flag and tag agency records"
    SPOC = "spoc", "Single point of contact"
    CHILDRENS_REFERRAL = "childrens_referral", "Referral to children’s social care"
    DVDS = "dvds", "Domestic Violence Disclosure Scheme"
    PROTECTION_ORDER = "protection_order", "Protection order (DVPO/DVPN)"
    TARGET_HARDENING = "target_hardening", "Target hardening"
    HOUSING_VICTIM = "housing_victim", "Housing options for the victim"
    HOUSING_PERPETRATOR = "housing_perpetrator", "Housing options for the perpetrator"
    PERPETRATOR_PROGRAMME = "perpetrator_programme", "Perpetrator programme"
    PROFESSIONALS_MEETING = "professionals_meeting", "Professionals’ meeting"
    MAPPA = "mappa", "Link with MAPPA"
    MASH = "mash", "Link with MASH"
    MATAC = "matac", "Link with MATAC"
    REPEAT_REFERRAL = "repeat_referral", "Repeat-incident referral back to Marac"
    # Not volunteered: made for each agency that knows the case when it is closed at the
    # hearing, so the agency brings its own systems (flags, alerts, case notes) up to date.
    UPDATE_RECORDS = "update_records", "Update the agency’s own records"
    OTHER = "other", "Other"


class ForWhom(models.TextChoices):
    VICTIM = "victim", "The victim"
    CHILD = "child", "A child"
    PERPETRATOR = "perpetrator", "The perpetrator"
    HOUSEHOLD = "household", "The household"
    STAFF = "staff", "Agency staff"


def agreed_at():
    """When an action was agreed: the start of the meeting of its hearing, as a subquery
    for `annotate` or `alias`. Looked up for each action (three primary keys), never a
    join: the Marac's open actions are a few thousand, and joined to the hearings the
    planner may read every hearing of every Marac to match them."""
    from openmarac.meetings.models import Hearing

    return models.Subquery(Hearing.objects.filter(pk=models.OuterRef("hearing_id")).values("item__meeting__starts_at")[:1])


def take_agreeing_meeting(actions):
    """Give new actions the Marac and start of the meeting whose hearing agreed them
    (`agreed_marac`, `agreed_meeting_at`), unless already given (a transfer copies the
    original's): one query for all of them."""
    from openmarac.meetings.models import Hearing

    missing = [action for action in actions if action.agreed_marac_id is None]
    if not missing:
        return
    meetings = {
        pk: (marac_id, starts_at)
        for pk, marac_id, starts_at in Hearing.objects.filter(pk__in={action.hearing_id for action in missing}).values_list(
            "pk", "item__meeting__marac_id", "item__meeting__starts_at"
        )
    }
    for action in missing:
        # No hearing found: left empty, for the database to refuse the action as before.
        action.agreed_marac_id, action.agreed_meeting_at = meetings.get(action.hearing_id, (None, None))


class ActionQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for action in objs:
            action.take_case_marac()
        take_agreeing_meeting(objs)
        return super().bulk_create(objs, *args, **kwargs)


class Action(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        NOT_POSSIBLE = "not_possible", "Not possible"
        # The case moved to another Marac and another agency took the action on there
        # (outcome_note says where): neither done nor failed, so counted as neither.
        TRANSFERRED = "transferred", "Ended with the transfer"

    class NotPossibleReason(models.TextChoices):
        # Every reason but the last is outside the agency's hands: the figures count
        # them together as "circumstances changed".
        VICTIM_DECLINED = "victim_declined", "The victim declined"
        NOT_CONTACTABLE = "not_contactable", "The victim could not be contacted"
        NOT_SAFE = "not_safe", "Not safe to proceed"
        MOVED_AWAY = "moved_away", "Moved away"
        CIRCUMSTANCES_CHANGED = "circumstances_changed", "Circumstances changed in another way"
        AGENCY_NOT_DONE = "agency_not_done", "Agency has not done it"

    case = models.ForeignKey("referrals.Case", on_delete=models.PROTECT, related_name="actions")
    # The case's Marac, copied onto the action so that a Marac's open actions have an
    # index of their own (action_open_by_marac): found through the case they are a few
    # thousand probes of a Marac's tens of thousands of cases. Always the case's Marac:
    # taken from the case when the action is made (`take_case_marac`) and moved with the
    # case by a transfer (referrals/transfer.py), so the access policy reads it in place
    # of the case's. Nullable only so that adding the column does not rewrite the table;
    # the migration fills it. Only open actions have an index by it: a Marac's whole
    # history is read through its cases (actions.selectors._history_of).
    marac = models.ForeignKey("accounts.Marac", null=True, editable=False, db_index=False, on_delete=models.PROTECT, related_name="+")
    hearing = models.ForeignKey("meetings.Hearing", on_delete=models.PROTECT, related_name="actions")
    # The Marac and start of the meeting whose hearing agreed the action (the hearing's
    # agenda item's meeting), copied onto it so that the governance figures find a
    # Marac's actions agreed in a period in one range of one index (action_agreed)
    # instead of hearing by hearing through meetings, agenda items and hearings. Not
    # the case's Marac (`marac`): a transfer moves the case, while an action stays
    # agreed by the Marac whose meeting agreed it (the copy the receiving agency takes
    # on keeps them too). Set when the action is made (`take_agreeing_meeting`) and kept
    # in step by the services that move a meeting or an agenda item
    # (meetings.services.keep_agreed_in_step). Named `agreed_meeting_at`, not
    # `agreed_at`, which the action lists already annotate. Nullable only so that adding
    # the columns does not rewrite the table; the migration fills them.
    agreed_marac = models.ForeignKey("accounts.Marac", null=True, editable=False, db_index=False, on_delete=models.PROTECT, related_name="+")
    agreed_meeting_at = models.DateTimeField(null=True, editable=False)
    kind = models.CharField(max_length=30, choices=ActionKind.choices, default=ActionKind.OTHER)
    owner_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    owner_name = models.CharField("named person", max_length=150, blank=True)
    description = models.TextField("what will be done")
    for_whom = models.CharField(max_length=12, choices=ForWhom.choices)
    # For an action for children: which of them (one or several, an unborn child too).
    children = models.ManyToManyField("people.Person", blank=True, related_name="child_actions")
    risk = models.ForeignKey("meetings.Risk", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions")
    due_on = models.DateField()
    joint_agencies = models.ManyToManyField("accounts.Agency", blank=True, related_name="+")
    flag_expires_on = models.DateField(null=True, blank=True, help_text="For flags: when the flag comes off the agency's files.")
    # A flag shorter than 12 months from the meeting needs a reason on the record.
    flag_short_reason = models.TextField(blank=True)
    # The owning agency confirms it has taken the flag off its files: who and when.
    flag_removed_at = models.DateTimeField(null=True, blank=True)
    flag_removed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(null=True, blank=True)
    outcome_note = models.TextField(blank=True)
    not_possible_reason = models.CharField(max_length=24, choices=NotPossibleReason.choices, blank=True)
    # Optimistic locking: an edit names the version it started from.
    version = models.PositiveIntegerField(default=1)
    # The action this one carries on: when a transferred case's action passes to another
    # agency of the receiving Marac, the original ends (TRANSFERRED) and this copy opens
    # on the same hearing. The sending Marac's minutes show what its meeting agreed, the
    # original, and not the receiving agency's copy.
    taken_on_from = models.OneToOneField("self", null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="taken_on_as")
    created_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["owner_agency", "status", "due_on"]),
            models.Index(fields=["case", "status"]),
            # The open actions of a Marac's cases (overdue counts, the chase buttons) are
            # a few thousand of its hundreds of thousands: found through this small
            # index case by case, not by reading the Marac's whole history.
            models.Index(fields=["case", "due_on"], condition=models.Q(status="open"), name="action_open_by_case"),
            # A Marac's open actions (the overdue count, the chase list, actions still open
            # after two meetings) in one range of one small index. It also holds every
            # other column those counts and the chase list's order read (the case, for the
            # access rule on restricted cases; the hearing; the owning agency; the id they
            # count and order by; the status the tabs' counts test; the start of the
            # meeting that agreed it, for "open after two meetings"), so on PostgreSQL
            # they read the index alone instead of fetching each open action from the table.
            models.Index(
                fields=["marac", "due_on"], include=["case", "hearing", "owner_agency", "id", "status", "agreed_meeting_at"],
                condition=models.Q(status="open"),
                name="action_open_by_marac",
            ),
            # The actions a Marac agreed in a period, the governance figures' (the actions
            # by agency, the completed actions per case): one range of this index, which
            # holds every column those counts read, so on PostgreSQL they read it alone.
            # Without the records updates and the actions ended by a transfer, which the
            # figures never count. The included columns eight-byte ones first, so that
            # none is padded to its alignment.
            models.Index(
                fields=["agreed_marac", "agreed_meeting_at"],
                include=["owner_agency", "case", "id", "due_on", "completed_on", "status", "not_possible_reason"],
                condition=~models.Q(kind=ActionKind.UPDATE_RECORDS) & ~models.Q(status="transferred"),
                name="action_agreed",
            ),
        ]

    objects = ActionQuerySet.as_manager()

    def __str__(self):
        return f"{self.get_kind_display()}: {self.description[:60]}"

    def take_case_marac(self):
        """A new action belongs to its case's Marac unless told otherwise (a transfer
        names the receiving Marac while the case it holds may be a stale copy)."""
        if self.marac_id is None:
            self.marac_id = self.case.marac_id

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.take_case_marac()
            take_agreeing_meeting([self])
        super().save(*args, **kwargs)

    @property
    def is_overdue(self):
        """Open past its due date: the same test as the chase list's count."""
        return self.status == self.Status.OPEN and self.due_on < timezone.localdate()

    @property
    def for_whom_text(self):
        """Whom the action is for, naming the children when it is for children:
        "Children: Lily Hartley (born 3 Apr 2019), Unborn Hartley (unborn, expected
        03/2027)". Prefetch `children` when showing many actions."""
        # In the order they were recorded (the database gives a many-to-many's rows in
        # no set order), sorted here so that prefetched children need no query (children
        # not yet saved, which some displays are written from, keep their order).
        children = sorted(self.children.all(), key=lambda child: child.pk or 0) if self.for_whom == ForWhom.CHILD else []
        if not children:
            return self.get_for_whom_display()
        label = "Child" if len(children) == 1 else "Children"
        return f"{label}: " + ", ".join(f"{child} ({child.birth_text})" for child in children)


class ActionUpdate(models.Model):
    """The action tracking record: every change of status, who reported it and when."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=14, choices=Action.Status.choices)
    note = models.TextField(blank=True)
    reported_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reported_at", "id"]


class ActionReminder(models.Model):
    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"
        FLAG_MONTH_BEFORE = "flag_month", "Flag ends in a month"
        FLAG_DUE = "flag_due", "Flag ends today"

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "kind"], name="one_reminder_of_each_kind")]


class ActionProposal(models.Model):
    """An action an agency proposes itself on a case's page in a round held in writing
    (no meeting to volunteer it at). The chair accepts it, edited or as it stands, which
    makes the agreed Action, or declines it with a reason the agency sees."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    hearing = models.ForeignKey("meetings.Hearing", on_delete=models.PROTECT, related_name="proposals")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=ActionKind.choices, default=ActionKind.OTHER)
    description = models.TextField("what will be done")
    for_whom = models.CharField(max_length=12, choices=ForWhom.choices)
    due_on = models.DateField()
    owner_name = models.CharField("named person", max_length=150, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    decline_reason = models.TextField(blank=True)
    action = models.OneToOneField(Action, null=True, blank=True, on_delete=models.PROTECT, related_name="proposal")
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposed_at", "id"]
        indexes = [models.Index(fields=["hearing", "status"])]


class ChaseReminder(models.Model):
    """A reminder the coordinator sent by hand: about one action (`action` set) or about
    everything an agency has open. At most one of each a day, so a double click or an
    impatient morning does not flood an agency's inbox."""

    marac = models.ForeignKey("accounts.Marac", on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey(Action, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    sent_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "sent_on"], condition=models.Q(action__isnull=False), name="one_action_chase_a_day"),
            models.UniqueConstraint(
                fields=["marac", "agency", "sent_on"], condition=models.Q(action__isnull=True), name="one_agency_chase_a_day"
            ),
        ]
