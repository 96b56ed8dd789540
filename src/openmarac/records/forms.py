from django import forms
from django.utils import timezone

from openmarac.core.forms import GovukForm, date_field


def _date(label, help_text=""):
    return date_field(label, required=True, help_text=help_text)


class SubjectAccessForm(GovukForm):
    requester_name = forms.CharField(
        label="Name of the person asking",
        max_length=200,
        required=False,
        help_text="Leave empty if you came here from the person's record. You can link the record later.",
    )
    received_on = _date("Date the request was received", "The response is due one calendar month later.")
    note = forms.CharField(label="Notes (how the request arrived, proof of identity seen)", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        if person is None:
            self.fields["requester_name"].help_text = "As the person gave it. You can link their record afterwards."
        else:
            del self.fields["requester_name"]
        self.initial.setdefault("received_on", timezone.localdate())


class CompleteForm(GovukForm):
    completed_on = _date("Date the response was sent")


class CorrectionForm(GovukForm):
    given_name = forms.CharField(label="First name", max_length=100)
    family_name = forms.CharField(label="Last name", max_length=100, required=False)
    date_of_birth = date_field("Date of birth")
    gender = forms.CharField(label="Gender", max_length=40, required=False)
    ethnicity = forms.CharField(label="Ethnicity", max_length=100, required=False)
    language = forms.CharField(label="Language", max_length=60, required=False)
    reason = forms.CharField(
        label="Why the details are being corrected",
        help_text="For example: the victim told the Idva her date of birth was recorded wrongly. This is kept in the case history.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value and value > timezone.localdate():
            raise forms.ValidationError("The date of birth must be in the past")
        return value
