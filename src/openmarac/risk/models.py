from django.conf import settings
from django.db import models


class RiskAssessment(models.Model):
    """A completed risk checklist. Risk is dynamic: every completion is a new row, and
    each stores the definition (id and version) it was answered against."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="risk_assessments")
    # Every checklist belongs to the case; the one made with a referral also names it,
    # a re-assessment after a new incident names none.
    case = models.ForeignKey("referrals.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="risk_assessments")
    referral = models.ForeignKey("referrals.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="risk_assessments")
    incident_on = models.DateField(null=True, blank=True, help_text="A re-assessment: the date of the new incident.")
    incident_summary = models.TextField(blank=True, help_text="A re-assessment: what happened, and the source of the information.")
    definition_id = models.CharField(max_length=60)
    definition_version = models.CharField(max_length=20)
    answers = models.JSONField(default=dict)
    professional_judgement = models.JSONField(default=dict)
    score = models.PositiveSmallIntegerField()
    completed_on = models.DateField()
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-created_at"]

    @property
    def is_reassessment(self):
        return self.referral_id is None

    def __str__(self):
        return f"{self.definition_id} {self.definition_version}: {self.score}"

    @property
    def definition(self):
        from .definitions import get_definition

        return get_definition(self.definition_id, self.definition_version, directories=settings.OPENMARAC_CHECKLIST_DIRS)
