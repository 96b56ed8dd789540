from django import forms

from openmarac.accounts.models import Agency
from openmarac.core.forms import GovukForm, date_field


class CredentialForm(GovukForm):
    name = forms.CharField(
        label="Name", max_length=120, help_text="Which system uses it, so you know it again: for example “Police records system”."
    )
    agency = forms.ModelChoiceField(label="Agency", queryset=Agency.objects.none(), empty_label="Choose an agency")
    expires_on = date_field("Expires on", required=True, help_text="At most a year from today. For example, 31 3 2027.")

    def __init__(self, *args, marac, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(marac_links__marac=marac, marac_links__is_active=True).order_by("name")
