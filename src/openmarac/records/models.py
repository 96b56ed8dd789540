"""The data subject's rights and the end of a record's life: subject access requests,
corrections to a person's details (rectification) and anonymisation after the
retention period."""

from django.conf import settings
from django.db import models

User = settings.AUTH_USER_MODEL


class SubjectAccessRequest(models.Model):
    """A request by a person for everything held about them. UK GDPR gives one calendar
    month from receipt; the coordinator sees it on their home page until it is done."""

    marac = models.ForeignKey("accounts.Marac", on_delete=models.PROTECT, related_name="subject_access_requests")
    # The person record, once the coordinator has found it; until then the name typed.
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="subject_access_requests")
    requester_name = models.CharField("name of the person asking", max_length=200, blank=True)
    received_on = models.DateField()
    due_on = models.DateField()
    note = models.TextField(blank=True)
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["marac", "completed_on", "due_on"])]

    def __str__(self):
        return f"Subject access request {self.pk}"


class Correction(models.Model):
    """One field of a person's details corrected: who, when, why, the old and new value."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="corrections")
    field = models.CharField(max_length=40)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    reason = models.TextField()
    corrected_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    corrected_at = models.DateTimeField(auto_now_add=True)

    FIELD_LABELS = {
        "given_name": "First name",
        "family_name": "Last name",
        "date_of_birth": "Date of birth",
        "gender": "Gender",
        "ethnicity": "Ethnicity",
        "language": "Language",
    }

    class Meta:
        ordering = ["-corrected_at", "-id"]

    @property
    def field_label(self):
        return self.FIELD_LABELS.get(self.field, self.field)


class AnonymisedCase(models.Model):
    """A case whose personal data has been anonymised after the retention period. The
    case, its referrals, meetings and actions stay for the figures; this row says when
    its personal fields went, so retention does not run twice."""

    case = models.OneToOneField("referrals.Case", on_delete=models.PROTECT, related_name="anonymised")
    last_heard_on = models.DateField()
    anonymised_at = models.DateTimeField(auto_now_add=True)
    people_anonymised = models.PositiveIntegerField(default=0)
    # People also in a case not yet due keep their details until that case is due too.
    people_kept = models.PositiveIntegerField(default=0)
