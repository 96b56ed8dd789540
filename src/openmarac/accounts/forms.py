from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.template import loader

from openmarac.core.forms import GovukForm, GovukFormMixin, GovukModelForm
from openmarac.notifications.tasks import send_email

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
    def get_users(self, email):
        """Active accounts with this email, including an invited one that has no
        password yet (Django's form skips those, so the promised email never came)."""
        from .models import User

        return (user for user in User.objects.filter(email__iexact=email, is_active=True) if user.has_usable_password() or user.last_login is None)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None):
        """Queued, like every email: the request does not wait for the mail relay."""
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        send_email.enqueue(subject=subject, body=loader.render_to_string(email_template_name, context), to=[to_email])


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


def checklist_choices():
    """The installed risk checklist definitions, by id (the latest version is used)."""
    from django.conf import settings

    from openmarac.risk.definitions import available_definitions

    names = {}
    for definition in available_definitions(settings.OPENMARAC_CHECKLIST_DIRS).values():
        names.setdefault(definition.id, definition.name)
    return sorted(names.items(), key=lambda item: item[1])


class MaracSettingsForm(GovukModelForm):
    # Declared, not swapped in after construction, so it is styled and rendered as the
    # list of installed definitions like any other field; the model's clean() refuses
    # anything else whatever the browser sends.
    risk_checklist = forms.ChoiceField(
        label="Risk checklist", choices=checklist_choices, help_text="The risk checklist referrers complete."
    )

    def __init__(self, *args, **kwargs):
        """One choice per kind of referring agency (police always; the kinds of this
        Marac's agencies; any kind already set), kept in risk_checklists_by_agency_kind."""
        super().__init__(*args, **kwargs)
        current = self.instance.risk_checklists_by_agency_kind or {}
        kinds = {AgencyKind.POLICE, *current}
        if self.instance.pk:
            kinds |= set(self.instance.agency_links.values_list("agency__kind", flat=True))
        same = [("", "The risk checklist above")]
        for kind, label in AgencyKind.choices:
            if kind in kinds:
                self.fields[self.checklist_field(kind)] = forms.ChoiceField(
                    # "police referrals", but "Idva service" and "CAMHS" keep their capitals.
                    label=f"Risk checklist for {label if kind in (AgencyKind.IDVA, AgencyKind.CAMHS) else label.lower()} referrals",
                    choices=lambda: same + checklist_choices(), required=False, initial=current.get(kind, ""),
                )
        cut = self.Meta.fields.index("risk_checklist") + 1
        self.order_fields([*self.Meta.fields[:cut], *(n for n in self.fields if n.startswith("risk_checklist_for_")), *self.Meta.fields[cut:]])
        self.style_fields()

    @staticmethod
    def checklist_field(kind):
        return f"risk_checklist_for_{kind}"

    def clean(self):
        data = super().clean()
        self.instance.risk_checklists_by_agency_kind = {
            name.removeprefix("risk_checklist_for_"): value
            for name, value in data.items()
            if name.startswith("risk_checklist_for_") and value and value != data.get("risk_checklist")
        }
        return data

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
            "nation",
            "minutes_per_case",
            "adult_female_population",
            "repeat_alert_count",
            "repeat_alert_months",
            "agency_check_hours",
            "risk_checklist",
            "retention_years",
        ]
        labels = {
            "name": "Name",
            "slug": "Short name (used in web addresses)",
            "visible_high_risk_threshold": "Visible high risk threshold",
            "escalation_incident_threshold": "Escalation threshold (incidents)",
            "escalation_window_months": "Escalation window (months)",
            "repeat_window_months": "Repeat window (months)",
            "case_list_lead_days": "Case list lead time (days)",
            "nation": "Bank holidays of",
            "minutes_per_case": "Minutes per case",
            "adult_female_population": "Women aged 16 and over in the area",
            "repeat_alert_count": "Repeats that raise an alert",
            "repeat_alert_months": "Repeat alert period (months)",
            "agency_check_hours": "Time an agency has to check its own referrals (hours)",
        }
        help_texts = {"slug": "Lowercase letters, numbers and hyphens, for example north-shire."}
        error_messages = {
            "name": {"unique": "Another Marac already has this name"},
            "slug": {
                "unique": "Another Marac already has this short name",
                "invalid": "The short name can only contain lowercase letters, numbers and hyphens",
            },
        }


class AddAgencyForm(GovukForm):
    existing = forms.ModelChoiceField(
        label="An agency already on OpenMarac", queryset=Agency.objects.none(), required=False, empty_label="None: add a new agency"
    )
    name = forms.CharField(label="Or a new agency: name", max_length=160, required=False)
    kind = forms.ChoiceField(
        label="Kind of agency (required for a new agency)", choices=[("", "Choose a kind")] + AgencyKind.choices, required=False
    )
    is_core = forms.BooleanField(label="Core agency: expected at every meeting", required=False)

    def __init__(self, *args, marac, user, **kwargs):
        super().__init__(*args, **kwargs)
        from openmarac.access import policy

        agencies = Agency.objects.exclude(marac_links__marac=marac)
        if not policy.is_system_admin(user):
            # Another Marac's agency is linked by the system administrator only.
            agencies = agencies.filter(marac_links__isnull=True)
        self.fields["existing"].queryset = agencies
        # Needed unless an existing agency is chosen: the label says so rather than
        # the usual "(optional)", and clean() enforces it.
        self.fields["name"].conditionally_required = True
        self.fields["kind"].conditionally_required = True

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
    referrals_checked_by_representative = forms.BooleanField(
        label="Referrals from this agency are checked by its Marac representative first",
        required=False,
        help_text="The representative can add information and send a referral on, never stop it. Everything else a referral sets "
        "in motion goes at once, you see the referral meanwhile, and it goes on by itself when the Marac's check time runs out.",
    )


class ReasonForm(GovukForm):
    """Confirmation of an account action, with the reason written down for the audit."""

    reason = forms.CharField(
        label="Reason",
        help_text="This is kept in the audit trail. Do not include case details.",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason"},
    )


class RecoveryCodeForm(GovukForm):
    code = forms.CharField(
        label="Recovery code",
        help_text="One of the ten codes you printed or downloaded when you set up your authenticator. Each works once.",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-10"}),
        error_messages={"required": "Enter a recovery code"},
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip().replace(" ", "").lower()
