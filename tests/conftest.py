import os
from contextlib import contextmanager

import pytest
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Imported before any test freezes time (freezegun): its throttles keep `time.time` as a
# class attribute when the module is first imported, and imported inside a frozen test
# they would keep freezegun's function, which then fails every API request afterwards
# ("fake_time() takes 0 positional arguments") in whatever test comes next.
import rest_framework.throttling  # noqa: F401, E402

from openmarac.accounts.models import AgencyKind, Role

from .factories import MaracFactory, TOTPDeviceFactory, UserFactory, marac_with_core_agencies, member

# Timing belongs in bench/, not in the tests: a property test must not fail because a
# loaded machine (CI runs the suite twice side by side) took long over one example.
hypothesis_settings.register_profile("openmarac", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("openmarac")

# Every role a test may act as, for permission tests parametrised over roles.
ROLES = [role.value for role in Role]


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` exercise PostgreSQL-only features (the audit trigger).
    They are deselected, not skipped, on SQLite: CI runs the suite on both databases
    and treats any skip as a failure."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgresql") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_sessionfinish(session, exitstatus):
    # A skipped test proves nothing; CI (and OPENMARAC_FAIL_ON_SKIP=1) fails on one.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter and reporter.stats.get("skipped") and (os.environ.get("CI") or os.environ.get("OPENMARAC_FAIL_ON_SKIP")):
        reporter.write_line("FAILED: tests were skipped; a skip counts as a failure here.", red=True)
        session.exitstatus = 1


@pytest.fixture
def marac(db):
    return MaracFactory(name="Northshire Marac", slug="northshire")


@pytest.fixture
def other_marac(db):
    return MaracFactory(name="Southvale Marac", slug="southvale")


@pytest.fixture
def make_member(marac):
    def make(role, target_marac=None, **kwargs):
        return member(target_marac or marac, role, **kwargs)

    return make


@pytest.fixture
def system_admin(db):
    user = UserFactory(is_system_admin=True, agency=None)
    TOTPDeviceFactory(user=user)
    return user


def sign_in(client, user):
    """Sign in past both factors, as the browser would after entering a code."""
    client.force_login(user)
    device = user.totpdevice_set.filter(confirmed=True).first()
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def staff(marac):
    """A Marac with its core agencies and one user for each part they play."""
    marac_with_core_agencies(marac)
    return {
        "coordinator": member(marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA),
        "chair": member(marac, Role.CHAIR, agency_kind=AgencyKind.POLICE),
        "idva": member(marac, Role.IDVA, agency_kind=AgencyKind.IDVA),
        "housing_rep": member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.HOUSING),
        "childrens_rep": member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.CHILDRENS_SOCIAL_CARE),
        "probation_rep": member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.PROBATION),
        "police_rep": member(marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.POLICE),
        "referrer": member(marac, Role.REFERRER, agency_kind=AgencyKind.HOUSING),
        "governance": member(marac, Role.GOVERNANCE, agency_kind=AgencyKind.POLICE),
    }


@contextmanager
def world_for_module(django_db_blocker, build):
    """A world built once for a test module, inside a transaction rolled back at the
    module's end; each test's own transaction (the `db` fixture) nests inside it, so the
    large permission tables stay fast as they grow."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
