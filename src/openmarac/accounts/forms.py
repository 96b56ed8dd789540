from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm

from openmarac.core.forms import GovukForm, GovukFormMixin, GovukModelForm

from .models import Agency, AgencyKind, Marac, Role


class SignInForm(GovukFormMixin, AuthenticationForm):
    username = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    error_messages = {
        "invalid_login": "Enter a correct email address and password.",
        "inactive": "This account is not active. Ask your Marac coordinator.",
    }


class MfaCodeForm(GovukForm):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code shown in the app.",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "class": "govuk-input--width-5", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the 6-digit code", "min_length": "The code has 6 digits"},
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError("The code has 6 digits, with no letters or spaces")
        return code


class GovukPasswordResetForm(GovukFormMixin, PasswordResetForm):
    pass


class GovukSetPasswordForm(GovukFormMixin, SetPasswordForm):
    pass


class InviteForm(GovukForm):
    full_name = forms.CharField(label="Full name", max_length=150)
    email = forms.EmailField(label="Work email address")
    job_title = forms.CharField(label="Job title", max_length=150, required=False)
    agency = forms.ModelChoiceField(label="Agency", queryset=Agency.objects.none(), empty_label="Choose an agency")
    role = forms.ChoiceField(label="Role in this Marac", choices=Role.choices, widget=forms.RadioSelect)

    def __init__(self, *args, marac, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(marac_links__marac=marac, marac_links__is_active=True)


class ChangeRoleForm(GovukForm):
    role = forms.ChoiceField(label="New role", choices=Role.choices, widget=forms.RadioSelect)


class MaracSettingsForm(GovukModelForm):
    class Meta:
        model = Marac
        fields = [
            "name",
            "slug",
            "visible_high_risk_threshold",
            "escalation_incident_threshold",
            "escalation_window_months",
            "repeat_window_months",
            "case_list_lead_days",
            "minutes_per_case",
            "meeting_cadence",
            "adult_female_population",
            "repeat_alert_count",
            "repeat_alert_months",
            "risk_checklist",
            "retention_years",
        ]
        widgets = {"meeting_cadence": forms.RadioSelect}
        labels = {"slug": "Short name (used in web addresses)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.conf import settings

        from openmarac.risk.definitions import available_definitions

        names = {d.id: d.name for d in available_definitions(settings.OPENMARAC_CHECKLIST_DIRS).values()}
        self.fields["risk_checklist"] = forms.ChoiceField(
            label="Risk checklist", choices=sorted(names.items()), help_text=Marac._meta.get_field("risk_checklist").help_text
        )
        self.style_fields()


class AddAgencyForm(GovukForm):
    existing = forms.ModelChoiceField(
        label="An agency already on OpenMarac", queryset=Agency.objects.none(), required=False, empty_label="None: add a new agency"
    )
    name = forms.CharField(label="Or a new agency: name", max_length=160, required=False)
    kind = forms.ChoiceField(label="Kind of agency", choices=[("", "Choose a kind")] + AgencyKind.choices, required=False)
    is_core = forms.BooleanField(label="Core agency: expected at every meeting", required=False)

    def __init__(self, *args, marac, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["existing"].queryset = Agency.objects.exclude(marac_links__marac=marac)

    def clean(self):
        data = super().clean()
        if not data.get("existing"):
            if not data.get("name"):
                self.add_error("name", "Choose an existing agency or enter the name of a new one")
            elif Agency.objects.filter(name__iexact=data["name"].strip()).exists():
                self.add_error("name", "An agency with this name already exists: choose it from the list")
            if not data.get("kind"):
                self.add_error("kind", "Choose the kind of agency")
        return data


class AgencyLinkForm(GovukForm):
    is_core = forms.BooleanField(label="Core agency: expected at every meeting", required=False)
    is_active = forms.BooleanField(label="Takes part in this Marac", required=False)
