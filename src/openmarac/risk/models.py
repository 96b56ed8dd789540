from django.conf import settings
from django.db import models


class RiskAssessment(models.Model):
    """A completed risk checklist. Risk is dynamic: every completion is a new row, and
    each stores the definition (id and version) it was answered against."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="risk_assessments")
    referral = models.ForeignKey("referrals.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="risk_assessments")
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

    def __str__(self):
        return f"{self.definition_id} {self.definition_version}: {self.score}"

    @property
    def definition(self):
        from .definitions import get_definition

        return get_definition(self.definition_id, self.definition_version, directories=settings.OPENMARAC_CHECKLIST_DIRS)
