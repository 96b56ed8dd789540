"""Reads for the administration pages; each takes the acting user and answers only
what the access policy allows (None or an empty queryset otherwise)."""

from django.db.models import Count, Q

from openmarac.access import policy

from .models import Marac, MaracAgency, Membership, Role


def marac_for_management(*, user, slug):
    """The Marac if the user may manage it, else None (the view answers 404)."""
    marac = Marac.objects.filter(slug=slug, is_active=True).first()
    if marac is None or not policy.can_manage_marac(user, marac):
        return None
    return marac


def members_of(*, user, marac):
    if not policy.can_manage_marac(user, marac):
        return Membership.objects.none()
    return (
        Membership.objects.filter(marac=marac)
        .select_related("user", "user__agency")
        .order_by("-is_active", "user__full_name", "role")
    )


def membership_for_management(*, user, marac, pk):
    return members_of(user=user, marac=marac).filter(pk=pk).first()


def agency_links_of(*, user, marac):
    if not policy.can_manage_marac(user, marac):
        return MaracAgency.objects.none()
    return (
        MaracAgency.objects.filter(marac=marac)
        .select_related("agency")
        .annotate(
            representatives=Count(
                "agency__users__memberships",
                filter=Q(
                    agency__users__memberships__marac=marac,
                    agency__users__memberships__role=Role.REPRESENTATIVE,
                    agency__users__memberships__is_active=True,
                    agency__users__is_active=True,
                ),
            )
        )
        .order_by("-is_active", "agency__name")
    )


def core_agencies_without_representative(*, user, marac):
    """A core agency nobody represents will miss every meeting: the coordinator's home
    page shows these first."""
    return [link for link in agency_links_of(user=user, marac=marac) if link.is_active and link.is_core and not link.representatives]


def users_with_role(marac, *roles, agency=None):
    """Active users holding any of the roles in the Marac (optionally of one agency): the
    recipients of notifications, which only ever go to users of the system."""
    memberships = Membership.objects.filter(marac=marac, role__in=roles, is_active=True, user__is_active=True)
    if agency is not None:
        memberships = memberships.filter(user__agency=agency)
    return list({m.user_id: m.user for m in memberships.select_related("user")}.values())
