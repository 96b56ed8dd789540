"""Reads for the administration pages; each takes the acting user and answers only
what the access policy allows (None or an empty queryset otherwise)."""

from django.db.models import Count, Exists, OuterRef, Q

from openmarac.access import policy
from openmarac.core import compiled

from .models import AccountRequest, AgencyKind, Marac, MaracAgency, Membership, Role


def marac_for(*, user, slug, allowed):
    """The active Marac named by `slug` if `allowed(user, marac)` (a policy predicate),
    else None (the view answers 404). Taken from the user's own roles when they hold one
    there, which every Marac page has already read: no query."""
    marac = policy.member_marac(user, slug) or Marac.objects.filter(slug=slug, is_active=True).first()
    if marac is None or not allowed(user, marac):
        return None
    return marac


def marac_for_management(*, user, slug):
    """The Marac if the user may manage it, else None (the view answers 404)."""
    return marac_for(user=user, slug=slug, allowed=policy.can_manage_marac)


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
    page shows these first. An Idva speaks for the Idva service (it researches and counts
    on the register like a representative), and the chair and the coordinator speak for
    their own agencies, as the register counts them: the demo's police chair left the
    police listed here while the register showed the police represented."""
    read = core_agencies_without_representative_read(user=user, marac=marac)
    return compiled.objects(read[0], **read[1]) if read else []


def core_agencies_without_representative_read(*, user, marac):
    """`core_agencies_without_representative` as a read for `compiled.read_together`
    (build, values), None when the user may not manage the Marac."""
    if not policy.can_manage_marac(user, marac):
        return None
    return _core_agencies_without_representative, {"marac_id": marac.pk}


def _core_agencies_without_representative(marac_id):
    speaks_for = Membership.objects.filter(
        marac_id=marac_id, role__in=(Role.REPRESENTATIVE, Role.IDVA, Role.CHAIR, Role.COORDINATOR), is_active=True, user__is_active=True,
        user__agency=OuterRef("agency"),
    )
    return (
        MaracAgency.objects.filter(marac_id=marac_id, is_active=True, is_core=True).exclude(Exists(speaks_for)).select_related("agency").order_by("agency__name")
    )


def users_with_role(marac, *roles, agency=None):
    """Active users holding any of the roles in the Marac (optionally of one agency): the
    recipients of notifications, which only ever go to users of the system."""
    memberships = Membership.objects.filter(marac=marac, role__in=roles, is_active=True, user__is_active=True)
    if agency is not None:
        memberships = memberships.filter(user__agency=agency)
    return list({m.user_id: m.user for m in memberships.select_related("user")}.values())


def roles_elsewhere(*, user, marac, account):
    """The Maracs (by name only) where the account also holds or is offered a role, so a
    coordinator knows why some actions go to the system administrator."""
    if not policy.can_manage_marac(user, marac):
        return []
    return sorted(set(Membership.objects.filter(user=account).exclude(marac=marac).values_list("marac__name", flat=True)))


def settings_in_force(marac):
    """The Marac's saved settings as (label, value) rows, read fresh from the database."""
    from .forms import MaracSettingsForm, checklist_choices

    saved = Marac.objects.get(pk=marac.pk)
    form = MaracSettingsForm(instance=saved)
    checklists = dict(checklist_choices())
    rows = []
    for name in MaracSettingsForm.Meta.fields:
        value = getattr(saved, name)
        if name == "risk_checklist":
            value = checklists.get(value, f"{value} (not installed)")
        elif saved._meta.get_field(name).choices:
            # The choice's words ("England and Wales"), never its stored code ("england_wales").
            value = getattr(saved, f"get_{name}_display")()
        rows.append((form.fields[name].label, "Not given" if value in (None, "") else value))
        if name == "risk_checklist":
            kinds = dict(AgencyKind.choices)
            by_kind = sorted(saved.risk_checklists_by_agency_kind.items())
            rows.append((
                "Risk checklist by referring agency",
                "; ".join(f"{kinds.get(kind, kind)}: {checklists.get(d, f'{d} (not installed)')}" for kind, d in by_kind) or "The same for every agency",
            ))
    rows.append(("How often meetings are held", saved.get_meeting_cadence_display()))
    return rows


def _active_role(role, **more):
    return Exists(
        Membership.objects.filter(marac=OuterRef("pk"), role=role, is_active=True, user__is_active=True, **more)
    )


def maracs_with_leadership(*, user):
    """Every Marac for the system administrator, each flagged when it has no active
    coordinator or chair, or when no coordinator has signed in yet: a new Marac whose
    first coordinator has not taken up the invitation has nobody to run it (one query,
    whatever the number of Maracs)."""
    if not policy.can_administer_system(user):
        return Marac.objects.none()
    return Marac.objects.annotate(
        has_coordinator=_active_role(Role.COORDINATOR), has_chair=_active_role(Role.CHAIR),
        coordinator_signed_in=_active_role(Role.COORDINATOR, user__last_login__isnull=False),
    ).order_by("name")


def open_account_requests(*, user):
    """Requests from coordinators about accounts that serve several Maracs."""
    if not policy.can_administer_system(user):
        return AccountRequest.objects.none()
    return (
        AccountRequest.objects.filter(resolved_at__isnull=True)
        .select_related("user", "marac", "requested_by")
        .annotate(membership_pk=Membership.objects.filter(user=OuterRef("user"), marac=OuterRef("marac")).values("pk")[:1])
    )


def membership_offers_for(*, user):
    """Roles another Marac has asked this account to take, awaiting its answer."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user, awaiting_acceptance=True, marac__is_active=True).select_related("marac", "created_by")
