"""Maracs, agencies, the people who use OpenMarac and the roles they hold."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower


class Marac(models.Model):
    """One local area's conference, with the local settings its rules use."""

    class Nation(models.TextChoices):
        """Whose bank holidays the meeting pattern avoids (England and Wales share theirs)."""

        ENGLAND_AND_WALES = "england_wales", "England and Wales"
        SCOTLAND = "scotland", "Scotland"
        NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"

    class Cadence(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        FORTNIGHTLY = "fortnightly", "Fortnightly"
        MONTHLY = "monthly", "Monthly"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    visible_high_risk_threshold = models.PositiveSmallIntegerField(
        default=14, help_text="Number of “yes” answers on the risk checklist that makes a case visible high risk."
    )
    escalation_incident_threshold = models.PositiveSmallIntegerField(
        default=3, help_text="Police-reported incidents within the escalation window that meet the escalation criterion."
    )
    escalation_window_months = models.PositiveSmallIntegerField(default=12)
    repeat_window_months = models.PositiveSmallIntegerField(
        default=12, help_text="A further incident within this many months of the last referral makes a repeat."
    )
    case_list_lead_days = models.PositiveSmallIntegerField(
        default=8, help_text="Days before the meeting that the case list goes to agencies."
    )
    minutes_per_case = models.PositiveSmallIntegerField(default=10)
    repeat_alert_count = models.PositiveSmallIntegerField(
        default=3, help_text="Repeats within the alert period that mark a case for a different approach."
    )
    repeat_alert_months = models.PositiveSmallIntegerField(default=12)
    risk_checklist = models.CharField(
        max_length=60, default="safelives-dash", help_text="The risk checklist referrers complete (a definition id)."
    )
    risk_checklists_by_agency_kind = models.JSONField(
        default=dict, blank=True,
        help_text="Another risk checklist for referrals from some kinds of agency, as {agency kind: definition id}; "
        "for example the police DASH for police referrals. Other kinds use the risk checklist above.",
    )
    agency_check_hours = models.PositiveSmallIntegerField(
        default=24,
        help_text="Hours an agency's Marac representative has to check a referral from their agency before it goes on by itself.",
    )
    meeting_cadence = models.CharField(max_length=12, choices=Cadence.choices, default=Cadence.FORTNIGHTLY)
    nation = models.CharField(
        max_length=20, choices=Nation.choices, default=Nation.ENGLAND_AND_WALES, help_text="Whose bank holidays the meeting pattern avoids."
    )
    adult_female_population = models.PositiveIntegerField(
        null=True, blank=True, help_text="Women aged 16 and over in the area, for cases per 10,000."
    )
    retention_years = models.PositiveSmallIntegerField(
        default=6,
        # Zero would anonymise a case the day it is heard.
        validators=[MinValueValidator(1)],
        help_text="Years after a case's last hearing before its personal data is anonymised. The figures are kept.",
    )
    is_active = models.BooleanField(default=True)
    agencies = models.ManyToManyField("Agency", through="MaracAgency", related_name="maracs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "Marac"

    def __str__(self):
        return self.name

    # Bounds for the numeric settings, in the user's words: a value outside them would
    # break referral criteria or meeting preparation, so the server refuses it whatever
    # the browser sent.
    SETTING_BOUNDS = {
        "escalation_incident_threshold": (1, 50),
        "escalation_window_months": (1, 36),
        "repeat_window_months": (1, 36),
        "case_list_lead_days": (1, 31),
        "minutes_per_case": (1, 60),
        "repeat_alert_count": (1, 20),
        "repeat_alert_months": (1, 60),
        "agency_check_hours": (1, 72),
    }

    def checklist_id_for(self, agency_kind=""):
        """The risk checklist (a definition id) a referral or re-assessment from this
        kind of agency is made on."""
        return (self.risk_checklists_by_agency_kind or {}).get(agency_kind) or self.risk_checklist

    def clean(self):
        from django.conf import settings
        from django.core.exceptions import ValidationError

        from openmarac.risk.definitions import DefinitionError, get_definition

        problems = {}
        try:
            definition = get_definition(self.risk_checklist, directories=settings.OPENMARAC_CHECKLIST_DIRS)
        except DefinitionError:
            definition = None
        if definition is None:
            problems["risk_checklist"] = "Choose one of the installed risk checklists"
        elif not 1 <= (self.visible_high_risk_threshold or 0) <= definition.max_score:
            problems["visible_high_risk_threshold"] = (
                f"The visible high risk threshold must be between 1 and {definition.max_score}, the number of questions on {definition.name}"
            )
        by_kind = self.risk_checklists_by_agency_kind or {}
        for kind, definition_id in by_kind.items() if isinstance(by_kind, dict) else [("", None)]:
            try:
                other = get_definition(definition_id, directories=settings.OPENMARAC_CHECKLIST_DIRS)
            except (DefinitionError, TypeError):
                problems["risk_checklists_by_agency_kind"] = "Choose one of the installed risk checklists for each kind of agency"
                break
            if kind not in AgencyKind.values:
                problems["risk_checklists_by_agency_kind"] = f"“{kind}” is not a kind of agency"
                break
            if "visible_high_risk_threshold" not in problems and not 1 <= (self.visible_high_risk_threshold or 0) <= other.max_score:
                problems["visible_high_risk_threshold"] = (
                    f"The visible high risk threshold must be between 1 and {other.max_score}, the number of questions on {other.name}"
                )
        for name, (low, high) in self.SETTING_BOUNDS.items():
            value = getattr(self, name)
            if value is not None and not low <= value <= high and name not in problems:
                label = self._meta.get_field(name).verbose_name
                problems[name] = f"The {label} must be between {low} and {high}"
        if problems:
            raise ValidationError(problems)


class AgencyKind(models.TextChoices):
    POLICE = "police", "Police"
    IDVA = "idva", "Idva service"
    HOUSING = "housing", "Housing"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children’s social care"
    PROBATION = "probation", "Probation"
    HEALTH = "health", "Health"
    MENTAL_HEALTH = "mental_health", "Mental health"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"
    ADULT_SOCIAL_CARE = "adult_social_care", "Adult social care"
    EDUCATION = "education", "Education"
    CAMHS = "camhs", "CAMHS"
    YOUTH_OFFENDING = "youth_offending", "Youth offending"
    REFUGE = "refuge", "Refuge"
    SPECIALIST_BY_AND_FOR = "specialist_by_and_for", "Specialist by-and-for service"
    SEXUAL_VIOLENCE = "sexual_violence", "Sexual violence service"
    PERPETRATOR_PROGRAMME = "perpetrator_programme", "Perpetrator programme"
    FIRE = "fire", "Fire service"
    OTHER = "other", "Other"


# The agencies that should attend every meeting (DOMAIN.md, "Core agencies").
CORE_AGENCY_KINDS = frozenset(
    {
        AgencyKind.POLICE,
        AgencyKind.IDVA,
        AgencyKind.HOUSING,
        AgencyKind.CHILDRENS_SOCIAL_CARE,
        AgencyKind.PROBATION,
        AgencyKind.HEALTH,
        AgencyKind.MENTAL_HEALTH,
        AgencyKind.SUBSTANCE_MISUSE,
        AgencyKind.ADULT_SOCIAL_CARE,
    }
)


class Agency(models.Model):
    """An organisation (a police force, a housing provider…). One agency can take part
    in several Maracs of the same deployment; users belong to exactly one agency."""

    name = models.CharField(max_length=160, unique=True)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self):
        return self.name


class MaracAgency(models.Model):
    """An agency's place in one Marac: whether it is a core agency there."""

    marac = models.ForeignKey(Marac, on_delete=models.CASCADE, related_name="agency_links")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="marac_links")
    is_core = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    referrals_checked_by_representative = models.BooleanField(
        default=False,
        help_text="Referrals from this agency go to its Marac representative first, who can add information and send them on "
        "(never stop them). The coordinator sees them meanwhile, and they go on by themselves when the check time runs out.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["marac", "agency"], name="unique_agency_per_marac")]
        ordering = ["agency__name"]

    def __str__(self):
        return f"{self.agency} in {self.marac}"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_queryset(self):
        # With the agency: the audit names the user's agency on every page of case
        # data, and the signed-in user is read through this manager on every request,
        # so the agency comes in the same query rather than one of its own.
        return super().get_queryset().select_related("agency")

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("is_system_admin", True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser):
    """A person who signs in. Roles are held per Marac through Membership; the system
    administrator flag grants user and settings management, never case content."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    is_system_admin = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)
    # When the latest invitation (or set-up link) was sent; the account shows as
    # "Invited" until its holder first signs in.
    invited_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="unique_email_ignoring_case")]

    def __str__(self):
        return self.full_name or self.email

    @property
    def is_invited(self):
        """Invited but never signed in: no password chosen yet, or never used."""
        return self.is_active and self.last_login is None


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    CHAIR = "chair", "Chair"
    REPRESENTATIVE = "representative", "Agency representative"
    IDVA = "idva", "Idva"
    REFERRER = "referrer", "Referrer"
    GOVERNANCE = "governance", "Governance"


class Membership(models.Model):
    """A role a user holds in one Marac. A user may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    marac = models.ForeignKey(Marac, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    # An account that already serves another Marac joins this one only when its holder
    # accepts: one Marac must not add roles to another Marac's people unasked.
    awaiting_acceptance = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "marac", "role"], name="unique_role_per_user_marac")]
        indexes = [models.Index(fields=["user", "is_active"])]
        ordering = ["marac__name", "role"]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} in {self.marac}"


class AccountRequest(models.Model):
    """A coordinator's request to the system administrator about an account that also
    serves another Marac, so no single Marac can act on it alone."""

    class Kind(models.TextChoices):
        DEACTIVATE = "deactivate", "Deactivate the account"
        RESET_AUTHENTICATOR = "reset_authenticator", "Reset the authenticator"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_requests")
    marac = models.ForeignKey(Marac, on_delete=models.CASCADE, related_name="account_requests")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    reason = models.TextField()
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["requested_at"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.user} (asked by {self.marac})"
