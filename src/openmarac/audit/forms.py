from django import forms
from django.utils import timezone

from openmarac.core.forms import GovukForm, date_field

from .reports import Period

# A longer period is still one aggregate query, but a year is what a review needs.
LONGEST_PERIOD_DAYS = 366


def _date(label):
    return date_field(label)


class PeriodForm(GovukForm):
    start = _date("From")
    end = _date("To")

    def clean(self):
        data = super().clean()
        default = Period.default()
        start, end = data.get("start") or default.start, data.get("end") or default.end
        if "start" in self.errors or "end" in self.errors:
            return data
        if start > end:
            raise forms.ValidationError("The ‘from’ date must be on or before the ‘to’ date")
        if (end - start).days >= LONGEST_PERIOD_DAYS:
            raise forms.ValidationError("Choose a period of at most a year")
        if start > timezone.localdate():
            raise forms.ValidationError("The ‘from’ date must be today or in the past")
        data["period"] = Period(start, end)
        return data

    def period(self):
        """The chosen period, or the last 28 days when the form is empty or wrong (the
        error is shown above the report)."""
        if self.is_valid():
            return self.cleaned_data["period"]
        return Period.default()


class ReviewForm(GovukForm):
    note = forms.CharField(
        label="What you found",
        error_messages={"required": "Enter what you found"},
        help_text="For example: the user was covering for a colleague and the coordinator had agreed it.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
