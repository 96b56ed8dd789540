"""factory_boy factories for the tests."""

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from openmarac.accounts.models import Agency, AgencyKind, Marac, MaracAgency, Membership, Role, User

TEST_PASSWORD = "correct horse battery staple"

# Staff are named from pools that share no part with the names the referral generator
# draws for victims, perpetrators and children (Faker en_GB), so a test can check that a
# victim's name is not on a page or in an email without failing when a randomly named
# chair happens to share it (tests/test_factories.py keeps the pools apart).
STAFF_GIVEN_NAMES = (
    "Zebedee", "Ottoline", "Peregrine", "Isolde", "Barnabas", "Clementine", "Ambrosius", "Eglantine",
    "Leofric", "Wilhelmina", "Thaddeus", "Perpetua", "Ignatius", "Hyacinth", "Cuthbert", "Araminta",
)
STAFF_FAMILY_NAMES = (
    "Quarrington", "Vexley", "Pendragon", "Zouche", "Mountjoy", "Culpeper", "Twistleton", "Ffoulkes",
    "Brabazon", "Verinder", "Kynaston", "Wrottesley", "Scudamore",
)
STAFF_JOB_TITLES = ("Marac representative", "Team manager", "Senior practitioner", "Safeguarding lead")


class MaracFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Marac

    name = factory.Sequence(lambda n: f"Area {n} Marac")
    slug = factory.Sequence(lambda n: f"area-{n}")
    adult_female_population = 150_000


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = AgencyKind.HOUSING


class MaracAgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaracAgency

    marac = factory.SubFactory(MaracFactory)
    agency = factory.SubFactory(AgencyFactory)
    is_core = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@agency.example")
    full_name = factory.Sequence(
        lambda n: f"{STAFF_GIVEN_NAMES[n % len(STAFF_GIVEN_NAMES)]} {STAFF_FAMILY_NAMES[n % len(STAFF_FAMILY_NAMES)]}"
    )
    job_title = factory.Iterator(STAFF_JOB_TITLES)
    agency = factory.SubFactory(AgencyFactory)
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    marac = factory.SubFactory(MaracFactory)
    role = Role.REPRESENTATIVE


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "Authenticator app"
    confirmed = True


def member(marac, role, *, agency_kind=AgencyKind.HOUSING, **user_fields):
    """A user of an agency taking part in `marac`, holding `role` there, with MFA set up."""
    link = MaracAgency.objects.filter(marac=marac, agency__kind=agency_kind).select_related("agency").first()
    agency = link.agency if link else MaracAgencyFactory(marac=marac, agency__kind=agency_kind).agency
    user = UserFactory(agency=agency, **user_fields)
    MembershipFactory(user=user, marac=marac, role=role)
    TOTPDeviceFactory(user=user)
    return user


def marac_with_core_agencies(marac):
    """Give a Marac one agency of every core kind (as the demo has)."""
    from openmarac.accounts.models import CORE_AGENCY_KINDS

    for kind in CORE_AGENCY_KINDS:
        if not MaracAgency.objects.filter(marac=marac, agency__kind=kind).exists():
            MaracAgencyFactory(marac=marac, agency__kind=kind, agency__name=f"{marac.name} {kind}")
    return marac
