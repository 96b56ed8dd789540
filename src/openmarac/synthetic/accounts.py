"""Synthetic Maracs, agencies and users (Faker en_GB, seeded so runs repeat).
Used by `openmarac demo`, the tests and the benchmarks; later steps add cases."""

import random
from dataclasses import dataclass

from django_otp.plugins.otp_totp.models import TOTPDevice
from faker import Faker

from openmarac.accounts.models import CORE_AGENCY_KINDS, Agency, AgencyKind, Marac, MaracAgency, Membership, Role, User

DEMO_PASSWORD = "demo-marac-password"
DEMO_EMAIL_DOMAIN = "demo.openmarac.invalid"

# One agency per core kind, plus three that areas commonly add.
_AGENCY_NAMES = {
    AgencyKind.POLICE: "{area} Police",
    AgencyKind.IDVA: "{area} Idva Service",
    AgencyKind.HOUSING: "{area} Council Housing",
    AgencyKind.CHILDRENS_SOCIAL_CARE: "{area} Children’s Social Care",
    AgencyKind.PROBATION: "Probation Service ({area})",
    AgencyKind.HEALTH: "{area} NHS Foundation Trust",
    AgencyKind.MENTAL_HEALTH: "{area} Mental Health Trust",
    AgencyKind.SUBSTANCE_MISUSE: "{area} Recovery Service",
    AgencyKind.ADULT_SOCIAL_CARE: "{area} Adult Social Care",
    AgencyKind.EDUCATION: "{area} Education Safeguarding",
    AgencyKind.REFUGE: "{area} Women’s Refuge",
    AgencyKind.SPECIALIST_BY_AND_FOR: "{area} Black and Minoritised Women’s Service",
}

# What each role's people are called at work: a newcomer reads these beside the names.
_JOB_TITLES = {
    Role.COORDINATOR: "Marac coordinator",
    Role.CHAIR: "Detective Inspector, Public Protection",
    Role.REPRESENTATIVE: "Marac representative",
    Role.IDVA: "Idva",
    Role.REFERRER: "Frontline practitioner",
    Role.GOVERNANCE: "Head of safeguarding",
}

# The demo's accounts: (role, agency kind, email local part).
DEMO_ACCOUNTS = [
    (Role.COORDINATOR, AgencyKind.IDVA, "coordinator"),
    (Role.CHAIR, AgencyKind.POLICE, "chair"),
    (Role.REPRESENTATIVE, AgencyKind.HOUSING, "housing"),
    (Role.REPRESENTATIVE, AgencyKind.CHILDRENS_SOCIAL_CARE, "childrens"),
    (Role.REPRESENTATIVE, AgencyKind.POLICE, "police"),
    (Role.IDVA, AgencyKind.IDVA, "idva"),
    (Role.REFERRER, AgencyKind.HOUSING, "referrer"),
    (Role.GOVERNANCE, AgencyKind.ADULT_SOCIAL_CARE, "governance"),
]


@dataclass
class DemoAccount:
    email: str
    role: str
    name: str
    agency: str


def marac_with_agencies(*, name, slug, seed=1, population=180_000):
    """A Marac with every core agency (and a few others), created if missing."""
    rng = random.Random(seed)
    area = name.replace(" Marac", "")
    marac, _ = Marac.objects.get_or_create(
        slug=slug,
        defaults={"name": name, "adult_female_population": population + rng.randint(0, 20_000)},
    )
    for kind, pattern in _AGENCY_NAMES.items():
        agency, _ = Agency.objects.get_or_create(name=pattern.format(area=area), defaults={"kind": kind})
        MaracAgency.objects.get_or_create(marac=marac, agency=agency, defaults={"is_core": kind in CORE_AGENCY_KINDS})
    return marac


def user_with_role(*, marac, role, agency_kind, email, full_name=None, password=DEMO_PASSWORD, faker=None, totp_key=None):
    """A user of the given agency kind holding `role`, with a confirmed TOTP device."""
    faker = faker or Faker("en_GB")
    agency = Agency.objects.filter(kind=agency_kind, marac_links__marac=marac).first()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name or faker.name(), agency=agency, job_title=_JOB_TITLES.get(role, "")
        )
    Membership.objects.get_or_create(user=user, marac=marac, role=role)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        device = TOTPDevice(user=user, name="Authenticator app", confirmed=True)
        if totp_key:
            device.key = totp_key
        device.save()
    return user


def demo_deployment(*, seed=2026):
    """The demo: one Marac with all core agencies and one account per role, plus a
    system administrator. Idempotent: running it twice changes nothing."""
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    marac = marac_with_agencies(name="Northshire Marac", slug="northshire", seed=seed)
    accounts = []
    for role, kind, local in DEMO_ACCOUNTS:
        email = f"{local}@{DEMO_EMAIL_DOMAIN}"
        user = user_with_role(marac=marac, role=role, agency_kind=kind, email=email, faker=faker)
        accounts.append(DemoAccount(email, Role(role).label, user.full_name, str(user.agency)))
    admin_email = f"sysadmin@{DEMO_EMAIL_DOMAIN}"
    admin = User.objects.filter(email=admin_email).first()
    if admin is None:
        admin = User.objects.create_user(email=admin_email, password=DEMO_PASSWORD, full_name=faker.name(), is_system_admin=True)
        TOTPDevice.objects.create(user=admin, name="Authenticator app", confirmed=True)
    accounts.append(DemoAccount(admin_email, "System administrator", admin.full_name, ""))
    return marac, accounts
