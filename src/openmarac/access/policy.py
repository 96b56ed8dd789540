"""The access policy: the one place that decides who may see or change what.

Every selector and every view asks here. Rules (ARCHITECTURE.md, "Access"):
- membership of a Marac is the outer boundary: Maracs are separate;
- coordinators manage their Marac's users, agencies and settings;
- the system administrator manages users, agencies and settings everywhere but
  never sees case content;
- sealed values (a refuge address, a safe phone number) show only to the coordinator
  and the Idva of the Marac.
A user who may not see something gets a 404 from the caller, never a 403, so the
existence of a record is not revealed.
"""

from openmarac.accounts.models import Marac, Membership, Role

# Roles that may see every case of their Marac.
ALL_CASES_ROLES = frozenset({Role.COORDINATOR, Role.CHAIR})
SEALED_VALUE_ROLES = frozenset({Role.COORDINATOR, Role.IDVA})

_CACHE_ATTR = "_openmarac_memberships"


def active_memberships(user):
    """The user's active roles, fetched once per request (cached on the user object)."""
    if not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, is_active=True, marac__is_active=True).select_related("marac")
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user):
    """Call after changing a user's memberships within the same request."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_in(user, marac):
    return {m.role for m in active_memberships(user) if m.marac_id == marac.pk}


def has_role(user, marac, *roles):
    return bool(roles_in(user, marac) & set(roles))


def maracs_for(user):
    """The Maracs the user belongs to, in name order."""
    seen = {}
    for membership in active_memberships(user):
        seen.setdefault(membership.marac_id, membership.marac)
    return sorted(seen.values(), key=lambda m: m.name)


def is_system_admin(user):
    return user.is_authenticated and user.is_active and user.is_system_admin


def can_administer_system(user):
    """Create Maracs and manage any Marac's users, agencies and settings."""
    return is_system_admin(user)


def can_manage_marac(user, marac):
    """Invite, deactivate and change the roles of users; edit agencies and settings."""
    return is_system_admin(user) or has_role(user, marac, Role.COORDINATOR)


def manageable_maracs(user):
    if is_system_admin(user):
        return Marac.objects.filter(is_active=True)
    ids = [m.marac_id for m in active_memberships(user) if m.role == Role.COORDINATOR]
    return Marac.objects.filter(pk__in=ids, is_active=True)


def can_see_case_content(user, marac):
    """The outer boundary for any person or case data: a role in the Marac.
    Governance sees figures only; the system administrator never sees case content."""
    return bool(roles_in(user, marac) - {Role.GOVERNANCE})


def can_see_sealed_values(user, marac):
    return has_role(user, marac, *SEALED_VALUE_ROLES)


def can_see_record_access_log(user, marac):
    """“Who has viewed this record” is for the Marac's coordinators."""
    return has_role(user, marac, Role.COORDINATOR)


def assignable_roles(user, marac):
    """Roles the acting user may give in this Marac."""
    if can_manage_marac(user, marac):
        return list(Role)
    return []
