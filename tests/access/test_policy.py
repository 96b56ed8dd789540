import pytest

from openmarac.access import policy
from openmarac.accounts.models import Role

from ..conftest import ROLES


@pytest.mark.parametrize("role", ROLES)
def test_only_coordinators_manage_their_marac(marac, other_marac, make_member, role):
    user = make_member(role)
    assert policy.can_manage_marac(user, marac) == (role == Role.COORDINATOR)
    assert not policy.can_manage_marac(user, other_marac)


@pytest.mark.parametrize("role", ROLES)
def test_sealed_values_only_for_coordinator_and_idva(marac, make_member, role):
    user = make_member(role)
    assert policy.can_see_sealed_values(user, marac) == (role in {Role.COORDINATOR, Role.IDVA})


@pytest.mark.parametrize("role", ROLES)
def test_case_content_never_for_governance(marac, other_marac, make_member, role):
    user = make_member(role)
    assert policy.can_see_case_content(user, marac) == (role != Role.GOVERNANCE)
    assert not policy.can_see_case_content(user, other_marac)


def test_system_admin_manages_everything_but_sees_no_case_content(marac, system_admin):
    assert policy.can_manage_marac(system_admin, marac)
    assert not policy.can_see_case_content(system_admin, marac)
    assert not policy.can_see_sealed_values(system_admin, marac)


def test_deactivated_membership_grants_nothing(marac, make_member):
    user = make_member(Role.COORDINATOR)
    user.memberships.update(is_active=False)
    policy.forget_memberships(user)
    assert not policy.can_manage_marac(user, marac)
    assert policy.maracs_for(user) == []


def test_deactivated_account_grants_nothing(marac, make_member):
    user = make_member(Role.COORDINATOR)
    user.is_active = False
    assert not policy.can_manage_marac(user, marac)


def test_member_marac_is_only_a_marac_the_user_holds_an_active_role_in(marac, other_marac, make_member):
    user = make_member(Role.CHAIR)
    assert policy.member_marac(user, "northshire") == marac
    assert policy.member_marac(user, "southvale") is None  # exists, but no role there
    assert policy.member_marac(user, "nowhere") is None
    user.memberships.update(is_active=False)
    policy.forget_memberships(user)
    assert policy.member_marac(user, "northshire") is None
