"""The form for a new risk checklist after a new incident."""

from django import forms
from django.utils import timezone

from openmarac.core.forms import GovukForm, date_field
from openmarac.referrals.forms import ChecklistForm


class IncidentForm(GovukForm):
    incident_on = date_field("Date of the new incident", required=True)
    incident_summary = forms.CharField(
        label="What happened, and where the information came from",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Facts, not opinion. Say if the source is not the victim (for example a police officer).",
        error_messages={"required": "Say what happened, and where the information came from"},
    )

    def clean_incident_on(self):
        value = self.cleaned_data["incident_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The date of the incident cannot be in the future")
        return value


def checklist_form(data, *, definition, abuser_name="the abuser"):
    """Every question of the checklist on one page, the perpetrator named in them."""
    return ChecklistForm(data, definition=definition, questions=definition.questions, abuser_name=abuser_name, prefix="checklist")
