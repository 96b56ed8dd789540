"""The access policy: the one place that decides who may see or change what.

Every selector and every view asks here. Rules (ARCHITECTURE.md, "Access"):
- membership of a Marac is the outer boundary: Maracs are separate;
- coordinators manage their Marac's users, agencies and settings;
- the system administrator manages users, agencies and settings everywhere but
  never sees case content;
- sealed values (a refuge address, a safe phone number) show only to the coordinator
  and the Idva of the Marac;
- a restricted case opens only to its named users and to live break-glass grants,
  through `visible_cases_q` and every filter derived from the case.
A user who may not see something gets a 404 from the caller, never a 403, so the
existence of a record is not revealed.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db.models import Q
from django.db.models.expressions import RawSQL

from openmarac.accounts.models import Marac, Membership, Role
from openmarac.core import compiled

# Roles that may see every case of their Marac.
ALL_CASES_ROLES = frozenset({Role.COORDINATOR, Role.CHAIR})
# Roles that see the cases their agency is involved in, while the case is active.
INVOLVED_AGENCY_ROLES = frozenset({Role.REPRESENTATIVE, Role.IDVA})
# Roles that may make a referral (governance sees figures only).
REFERRING_ROLES = frozenset({Role.REFERRER, Role.REPRESENTATIVE, Role.IDVA, Role.COORDINATOR, Role.CHAIR})
# An agency's access to a case lapses this long after its last hearing.
ACTIVE_CASE_MONTHS = 12
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


def remember_memberships(user, memberships):
    """Set the user's roles for this request without reading them from the database.
    Used only for an API credential's service account, which holds no Membership row
    and is given one unsaved role per request (api/services.py: act_for). Forgetting
    them (below) leaves the account with no role at all: it fails closed."""
    setattr(user, _CACHE_ATTR, list(memberships))


def forget_memberships(user):
    """Call after changing a user's memberships within the same request."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def member_marac(user, slug):
    """The Marac of this slug in which the user holds an active role, taken from the
    roles read once per request (no query of its own); None for any other Marac,
    existing or not, so a page of a Marac the user has no part in is not found."""
    return next((m.marac for m in active_memberships(user) if m.marac.slug == slug), None)


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


def can_manage_api_credentials(user, marac):
    """Create and revoke the API credentials of the Marac's agencies: the coordinator.
    Not the system administrator: a credential reads case content, which they never see."""
    return has_role(user, marac, Role.COORDINATOR)


def can_import_referrals(user, marac):
    """Import referrals from a file (`openmarac import-referrals`): an active
    coordinator of that Marac. Not the system administrator: the import reads and writes
    case content, and its rejects file repeats victims' details."""
    return has_role(user, marac, Role.COORDINATOR)


def can_manage_marac(user, marac):
    """Invite, deactivate and change the roles of users; edit agencies and settings."""
    return is_system_admin(user) or has_role(user, marac, Role.COORDINATOR)


def belongs_to_marac_alone(account, marac):
    """Whether the account serves this Marac and no other (past or pending roles
    elsewhere count): only then may this Marac's coordinator act on the account itself."""
    if account.is_system_admin:
        return False
    return not Membership.objects.filter(user=account).exclude(marac=marac).exists()


def can_act_on_account(user, account, marac):
    """Deactivate an account or reset its authenticator. A coordinator may for an
    account that belongs to their Marac alone; anything wider is the system
    administrator's, so one Marac never reaches into another."""
    if is_system_admin(user):
        return True
    return has_role(user, marac, Role.COORDINATOR) and belongs_to_marac_alone(account, marac)


def can_link_agency(user, marac, agency):
    """Link an existing agency to the Marac. An agency already taking part in another
    Marac is linked by the system administrator, so a coordinator cannot reach another
    Marac's agency (and, through it, its people)."""
    if is_system_admin(user):
        return True
    if not has_role(user, marac, Role.COORDINATOR):
        return False
    return not agency.marac_links.exclude(marac=marac).exists()


def can_set_meeting_pattern(user, marac):
    """The meeting pattern is set in one place, by the coordinator or the system
    administrator (who sets up a new Marac before it has a coordinator)."""
    return can_manage_marac(user, marac)


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



def can_refer(user, marac):
    return has_role(user, marac, *REFERRING_ROLES)


def referring_maracs(user):
    return [marac for marac in maracs_for(user) if can_refer(user, marac)]


def _active_cutoff(today=None):
    """The last hearing before which a case's access for agencies has lapsed."""
    return (today or date.today()) - relativedelta(months=ACTIVE_CASE_MONTHS)


def _active_case_q(today=None, *, case="", cutoff=None):
    """Cases whose access for agencies has not lapsed (12 months after the last
    hearing). `case` is the lookup from the filtered model to its case ("" for Case).
    `cutoff`, when given, is `_active_cutoff`'s (a query compiled once takes it as a value)."""
    if cutoff is None:
        cutoff = _active_cutoff(today)
    field = f"{case}last_heard_on"
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": cutoff})


def case_is_active(case, today=None):
    """The same rule as `_active_case_q`, for one case already read."""
    cutoff = (today or date.today()) - relativedelta(months=ACTIVE_CASE_MONTHS)
    return case.last_heard_on is None or case.last_heard_on >= cutoff


def agenda_cases_q(user, *, case=""):
    """A filter on Case for the cases this user's role would let them open if no case
    were restricted. Used only to show a restricted case's place on an agenda ("Restricted
    case", no names) and to decide who may ask for break-glass access; never to open one.
    `case` is the lookup from the filtered model to its case ("" for Case,
    "referral__case__" for an agenda item), so a list of 40 items is filtered through
    its own cases rather than against the set of every case the user may open."""
    allowed = Q(pk__in=[])
    for kind, marac_id in _agenda_parts(user):
        allowed |= _agenda_part_q(kind, marac_id, agency_id=user.agency_id, case=case)
    return allowed


def _agenda_parts(user):
    """`agenda_cases_q`'s parts, one a role that opens cases: ("all", Marac id) for a
    role that opens every case of its Marac, ("involved", Marac id) for one that opens
    those its agency is involved in."""
    parts = []
    for membership in active_memberships(user):
        if membership.role in ALL_CASES_ROLES:
            parts.append(("all", membership.marac_id))
        elif membership.role in INVOLVED_AGENCY_ROLES and user.agency_id:
            parts.append(("involved", membership.marac_id))
    return parts


def _agenda_part_q(kind, marac_id, *, agency_id, case="", cutoff=None):
    """One of `_agenda_parts` as a filter. `cutoff`: `_active_case_q`'s, given by a
    query compiled once."""
    if kind == "all":
        return Q(**{f"{case}marac_id": marac_id})
    return Q(**{f"{case}marac_id": marac_id}) & _involved_q(agency_id, case=case) & _active_case_q(case=case, cutoff=cutoff)


def visible_case_shape(user):
    """`visible_cases_q` for this user as the kinds of its parts and the values they
    take, for a query compiled once for each shape (core/compiled.py) through
    `visible_cases_values_q`; None when no role of the user opens any case."""
    from django.utils import timezone

    parts = _agenda_parts(user) if user.is_authenticated else []
    if not parts:
        return None
    values = {"user_id": user.pk, "now": timezone.now()}
    for i, (_kind, marac_id) in enumerate(parts):
        values[f"marac_{i}"] = marac_id
    kinds = tuple(kind for kind, _marac_id in parts)
    if "involved" in kinds:
        values["agency_id"] = user.agency_id
        values["cutoff"] = _active_cutoff()
    return kinds, values


def visible_cases_values_q(kinds, *, user_id, now, agency_id=None, cutoff=None, case="", **marac_ids):
    """`visible_cases_q` from `visible_case_shape`'s kinds and values alone, for a query
    built to be compiled once: the same parts, the same restricted cases left out.
    `case` as for `visible_cases_q` (the lookup from the filtered model to its case)."""
    allowed = Q(pk__in=[])
    for i, kind in enumerate(kinds):
        allowed |= _agenda_part_q(kind, marac_ids[f"marac_{i}"], agency_id=agency_id, case=case, cutoff=cutoff)
    return allowed & ~hidden_case_values_q(f"{case}pk", user_id=user_id, now=now)


def _involved_q(agency_id, *, case=""):
    """The agency is involved in the case. EXISTS rather than a join, so each case is
    tested on its own (through the case's involvements index) and comes once: a join
    made one row per involvement (ten million at national scale) and needed DISTINCT."""
    from django.db.models import Exists, OuterRef

    from openmarac.referrals.models import CaseInvolvement

    return Q(Exists(CaseInvolvement.objects.filter(case=OuterRef(f"{case}pk"), agency_id=agency_id)))


def _hidden_restrictions(user_id, now):
    """The restrictions in force that neither name the user nor are open to them by
    live break-glass access, as a query of their case ids (`user_id` None: every
    restriction in force)."""
    from openmarac.referrals.models import BreakGlassGrant, CaseRestriction

    hidden = CaseRestriction.objects.filter(lifted_at__isnull=True)
    if user_id is not None:
        live = BreakGlassGrant.objects.filter(user_id=user_id, expires_at__gt=now).values("case_id")
        hidden = hidden.exclude(named_users=user_id).exclude(case_id__in=live)
    return hidden.values("case_id")


def restricted_case_ids_hidden_from(user):
    """The ids of restricted cases this user may not open: every case with a restriction
    in force, less those naming the user and those the user holds live break-glass
    access to. A subquery, so each filter below stays one query."""
    from django.utils import timezone

    return _hidden_restrictions(user.pk if user.is_authenticated else None, timezone.now())


def hidden_case_q(user, case_field):
    """A filter for the rows whose case is restricted and hidden from the user (shown
    as "Restricted case", or left out with `~`); `case_field` is the lookup of the case
    id on the filtered model ("pk" for Case). The same rule as
    `restricted_case_ids_hidden_from`, without compiling it each time."""
    from django.utils import timezone

    if not user.is_authenticated:
        return Q(**{f"{case_field}__in": restricted_case_ids_hidden_from(user)})
    return hidden_case_values_q(case_field, user_id=user.pk, now=timezone.now())


def hidden_case_values_q(case_field, *, user_id, now):
    """`hidden_case_q` for a signed-in user, from values alone (the user's id and the
    time), so that a query carrying it can itself be compiled once (core/compiled.py)."""
    # Every list and every record filter carries this subquery, and compiling its nested
    # subqueries cost the ORM more than the database takes to run them: compiled once
    # (core/compiled.py), every value a bound parameter. `any_of` (core/lookups.py): a
    # few restrictions, read once per query, so the filter does not stop PostgreSQL
    # looking up a Marac's rows case by case through an index.
    return Q(**{f"{case_field}__any_of": RawSQL(*compiled.sql(_hidden_restrictions, user_id=user_id, now=now))})  # nosec B611


def _not_restricted_q(case_field, user):
    """Excludes the restricted cases hidden from the user."""
    return ~hidden_case_q(user, case_field)


def visible_cases_q(user, *, case=""):
    """A filter on Case for the cases this user may open: what the role allows, less the
    restricted cases that do not name the user (unless break-glass access is live).
    `case` as for `agenda_cases_q`."""
    return agenda_cases_q(user, case=case) & _not_restricted_q(f"{case}pk", user)


def case_search_maracs(user):
    """The Maracs in which the user may search for cases: those where a role opens
    cases (coordinator, chair, agency representative, Idva). A referrer finds their own
    referrals under "Your referrals"; governance and the system administrator never
    see a case. The search's results are still filtered by `visible_cases_q`."""
    ids = {m.marac_id for m in active_memberships(user) if m.role in ALL_CASES_ROLES | INVOLVED_AGENCY_ROLES}
    return [marac for marac in maracs_for(user) if marac.pk in ids]


def can_search_cases(user):
    return bool(case_search_maracs(user))


def is_restricted_for(user, case):
    """Whether the case is restricted and the user may not open it (shown as
    "Restricted case" where the role would otherwise list it)."""
    return restricted_case_ids_hidden_from(user).filter(case_id=case.pk).exists()


_UNREAD = object()


def can_manage_restriction(user, case, *, restriction=_UNREAD):
    """Restrict a case, change its named users or lift the restriction: a coordinator of
    the Marac; once restricted, only a coordinator named on it. Break-glass access does
    not count, so a coordinator cannot use it to name themselves for good. A caller that
    has already read the case's restriction in force (None when there is none), with its
    named users, may pass it (`restriction`) rather than have it read again."""
    from openmarac.referrals.models import CaseRestriction

    if not has_role(user, case.marac, Role.COORDINATOR):
        return False
    if restriction is _UNREAD:
        restriction = CaseRestriction.objects.filter(case=case, lifted_at__isnull=True).first()
        return restriction is None or restriction.named_users.filter(pk=user.pk).exists()
    return restriction is None or any(named.pk == user.pk for named in restriction.named_users.all())


def can_break_glass(user, case):
    """Ask for break-glass access: someone whose role would let them open the case, had
    it not been restricted, and who may not open it now."""
    from openmarac.referrals.models import Case

    return Case.objects.filter(agenda_cases_q(user), pk=case.pk).exists() and is_restricted_for(user, case)


def can_review_break_glass(user, marac):
    return has_role(user, marac, Role.COORDINATOR)


# --- One filter per guarded record ---------------------------------------------------
# Each filter below is the only rule for its record: list selectors and detail
# selectors (`Model.objects.filter(q, pk=pk).first()`) both use it, so a record hidden
# from a list can never be opened, or written to, by its URL. The `can_*` predicates
# further down decide writes, and each starts from the same filter, so a write is never
# allowed on a record its writer could not open (a lapsed case, another Marac).


def _roles_by_marac(user):
    by_marac = {}
    for membership in active_memberships(user):
        by_marac.setdefault(membership.marac_id, set()).add(membership.role)
    return by_marac


def owned_or_shared_actions_q(agency_id):
    """A filter on Action: the actions the agency owns or shares. Shared through a
    subquery rather than a join, so no action is counted twice and no DISTINCT is
    needed; `any_of` (core/lookups.py), so that the owner's index and the primary key
    answer the two arms (a plain IN subquery in an OR scans every action of every Marac)."""
    from openmarac.actions.models import Action

    shared = Action.joint_agencies.through.objects.filter(agency_id=agency_id).values("action_id")
    return Q(owner_agency_id=agency_id) | Q(pk__any_of=shared)


def all_cases_actions_q(*, marac_id, user_id, now):
    """`visible_actions_q` within one Marac for a user with a role there that sees every
    case (coordinator, chair: the caller checks the role): every action of the Marac
    less those of the restricted cases hidden from the user. From values alone, so that
    a query built on it can be compiled once (core/compiled.py). The action's own Marac
    (always its case's, see Action.marac), so that the Marac's open actions are read
    from their index without a join to its cases."""
    return Q(marac_id=marac_id) & ~hidden_case_values_q("case_id", user_id=user_id, now=now)


def open_agency_actions_values_q(*, marac_id, agency_id, user_id, now):
    """`visible_actions_q` with `owned_or_shared_actions_q` for the open actions of one
    Marac, for a user whose role there opens the agency's actions (representative or
    Idva with that agency, coordinator or chair: the caller checks the role). From
    values alone, so that a query built on it can be compiled once (core/compiled.py).
    For an open action of the agency the two arms of `visible_actions_q` agree (every
    action of the Marac; the agency's own while the case is active or the action still
    open), so the active-case rule is not asked: asking it joined every open action of
    the agency to its case. The action's own Marac is its case's (Action.marac)."""
    return (
        Q(marac_id=marac_id, status="open")
        & owned_or_shared_actions_q(agency_id)
        & ~hidden_case_values_q("case_id", user_id=user_id, now=now)
    )


def visible_actions_q(user):
    """A filter on Action. Coordinator and chair: every action of their Marac. An
    agency (representative or Idva): the actions it owns or shares while the case is
    active, and after the lapse its own still-open actions, because responsibility for
    an action stays with the agency until it is reported done or not possible (see
    docs/security.md). An action's Marac is its case's (Action.marac, kept so by the
    services that add actions and move cases)."""
    allowed = Q(pk__in=[])
    for marac_id, roles in _roles_by_marac(user).items():
        if roles & ALL_CASES_ROLES:
            allowed |= Q(marac_id=marac_id)
        elif roles & INVOLVED_AGENCY_ROLES and user.agency_id:
            agency = owned_or_shared_actions_q(user.agency_id)
            allowed |= Q(marac_id=marac_id) & agency & (_active_case_q(case="case__") | Q(status="open"))
    return allowed & _not_restricted_q("case_id", user)


def visible_idva_referrals_q(user):
    """A filter on IdvaReferral: the Marac's coordinator; the Idva service it went to
    while the case is active."""
    allowed = Q(pk__in=[])
    for marac_id, roles in _roles_by_marac(user).items():
        if Role.COORDINATOR in roles:
            allowed |= Q(referral__marac_id=marac_id)
        elif Role.IDVA in roles and user.agency_id:
            allowed |= Q(referral__marac_id=marac_id, idva_agency_id=user.agency_id) & _active_case_q(case="referral__case__")
    return allowed & _not_restricted_q("referral__case_id", user)


def marac_idva_referrals_read_values(user, marac):
    """The values of `marac_idva_referrals_values_q` for this user's roles in the Marac:
    the coordinator's (every Idva referral of the Marac), else an Idva's (its service's
    while the case is active); None when neither role opens one."""
    return _coordinator_or_agency_read_values(user, marac, Role.IDVA, "idva_agency_id")


def marac_idva_referrals_values_q(*, marac_id, user_id, now, idva_agency_id=None, cutoff=None):
    """`visible_idva_referrals_q` within one Marac, from values alone (those of
    `marac_idva_referrals_read_values`), so that a query built on it can be compiled
    once: without an Idva service, the coordinator's arm; with one, the Idva's."""
    return _coordinator_or_agency_q("idva_agency_id", marac_id=marac_id, user_id=user_id, now=now, agency_id=idva_agency_id, cutoff=cutoff)


def _coordinator_or_agency_read_values(user, marac, agency_role, agency_key):
    """The values of a rule on rows of one Marac's referrals with two arms: the
    coordinator's (every row of the Marac) and an agency's, for a user holding
    `agency_role` (its own rows, `agency_key` naming its agency, while the case is
    active); None when the user holds neither role there."""
    from django.utils import timezone

    values = {"marac_id": marac.pk, "user_id": user.pk, "now": timezone.now()}
    roles = roles_in(user, marac)
    if Role.COORDINATOR in roles:
        return values
    if agency_role in roles and user.agency_id:
        return {**values, agency_key: user.agency_id, "cutoff": _active_cutoff()}
    return None


def _coordinator_or_agency_q(agency_field, *, marac_id, user_id, now, agency_id, cutoff):
    """The filter of `_coordinator_or_agency_read_values`' rule, on a model whose
    `agency_field` names the agency: without an agency, the coordinator's arm; with
    one, the agency's. Restricted cases hidden from the user are left out."""
    allowed = Q(referral__marac_id=marac_id)
    if agency_id is not None:
        allowed &= Q(**{agency_field: agency_id}) & _active_case_q(case="referral__case__", cutoff=cutoff)
    return allowed & ~hidden_case_values_q("referral__case_id", user_id=user_id, now=now)


def marac_childrens_prompts_read_values(user, marac):
    """The values of `marac_childrens_prompts_values_q` for this user in the Marac; None
    when no role there opens a prompt (only a representative with an agency does)."""
    from django.utils import timezone

    if Role.REPRESENTATIVE not in roles_in(user, marac) or not user.agency_id:
        return None
    return {"marac_id": marac.pk, "agency_id": user.agency_id, "cutoff": _active_cutoff(), "user_id": user.pk, "now": timezone.now()}


def marac_childrens_prompts_values_q(*, marac_id, agency_id, cutoff, user_id, now):
    """`visible_childrens_prompts_q` within one Marac, from values alone, so that a
    query built on it can be compiled once."""
    return (
        Q(referral__marac_id=marac_id, agency_id=agency_id)
        & _active_case_q(case="referral__case__", cutoff=cutoff)
        & ~hidden_case_values_q("referral__case_id", user_id=user_id, now=now)
    )


def visible_childrens_prompts_q(user):
    """A filter on ChildrenReferralPrompt: the children's social care representative of
    the agency it went to, while the case is active."""
    allowed = Q(pk__in=[])
    if not user.agency_id:
        return allowed
    for marac_id, roles in _roles_by_marac(user).items():
        if Role.REPRESENTATIVE in roles:
            allowed |= Q(referral__marac_id=marac_id, agency_id=user.agency_id) & _active_case_q(case="referral__case__")
    return allowed & _not_restricted_q("referral__case_id", user)


def visible_sharing_decisions_q(user):
    """A filter on SharingDecision: the Marac's coordinator; the review owner and the
    referrer (holding any role in the Marac) while the case is active."""
    allowed = Q(pk__in=[])
    for marac_id, roles in _roles_by_marac(user).items():
        if Role.COORDINATOR in roles:
            allowed |= Q(referral__marac_id=marac_id)
        elif roles:
            allowed |= (
                Q(referral__marac_id=marac_id)
                & (Q(review_owner_id=user.pk) | Q(referral__referrer_id=user.pk))
                & _active_case_q(case="referral__case__")
            )
    return allowed & _not_restricted_q("referral__case_id", user)


def reassessable_cases_q(user):
    """A filter on Case for the cases whose risk this user may assess again after a new
    incident: the Marac's coordinator; the Idva service the case was referred to and
    anyone who referred it (holding any role in the Marac), while the case is active.
    Recording a checklist shows the referrer nothing of the case."""
    allowed = Q(pk__in=[])
    for marac_id, roles in _roles_by_marac(user).items():
        if roles:
            allowed |= _reassessable_in_q(marac_id, roles, user_id=user.pk, agency_id=user.agency_id)
    return allowed & Q(status="open") & _not_restricted_q("pk", user)


def _reassessable_in_q(marac_id, roles, *, user_id, agency_id, cutoff=None):
    """`reassessable_cases_q`'s part for one Marac in which the user holds `roles`.
    `cutoff`: `_active_case_q`'s, given by a query compiled once."""
    if Role.COORDINATOR in roles:
        return Q(marac_id=marac_id)
    mine = Q(referrals__referrer_id=user_id)
    if Role.IDVA in roles and agency_id:
        mine |= Q(referrals__idva_referral__idva_agency_id=agency_id)
    return Q(marac_id=marac_id) & mine & _active_case_q(cutoff=cutoff)


# `can_reassess_risk`'s query in each of its shapes (the user's roles in the case's
# Marac), each a module-level function for core/compiled.py.
def _reassessable_as_coordinator(case_id, marac_id, user_id, now):
    return _reassessable_case(_reassessable_in_q(marac_id, {Role.COORDINATOR}, user_id=user_id, agency_id=None), case_id, user_id, now)


def _reassessable_as_referrer(case_id, marac_id, user_id, now, cutoff):
    return _reassessable_case(_reassessable_in_q(marac_id, set(), user_id=user_id, agency_id=None, cutoff=cutoff), case_id, user_id, now)


def _reassessable_as_idva(case_id, marac_id, user_id, now, cutoff, agency_id):
    return _reassessable_case(_reassessable_in_q(marac_id, {Role.IDVA}, user_id=user_id, agency_id=agency_id, cutoff=cutoff), case_id, user_id, now)


def _reassessable_case(allowed, case_id, user_id, now):
    from openmarac.referrals.models import Case

    return Case.objects.filter(allowed & Q(status="open") & ~hidden_case_values_q("pk", user_id=user_id, now=now), pk=case_id).values("pk")[:1]


def can_reassess_risk(user, case, *, rows=_UNREAD):
    """`reassessable_cases_q` for one case. Only the user's roles in the case's Marac can
    let them (every other Marac's part asks for another Marac), so its query takes one
    of three shapes, each compiled once (core/compiled.py): building the whole filter
    and its query cost the case page more than running it. `rows`: those of
    `reassess_read`, when the caller ran it with its other reads."""
    read = reassess_read(user, case)
    if read is None:
        return False
    if rows is _UNREAD:
        rows = compiled.rows(read[0], **read[1])
    return bool(rows)


def reassess_read(user, case):
    """`can_reassess_risk`'s query as (build, values), for `compiled.rows_together`;
    None when the user holds no role in the case's Marac (signed in or not), which lets
    them reassess no case of it."""
    from django.utils import timezone

    roles = _roles_by_marac(user).get(case.marac_id)
    if not roles:
        return None
    values = {"case_id": case.pk, "marac_id": case.marac_id, "user_id": user.pk, "now": timezone.now()}
    if Role.COORDINATOR in roles:
        build = _reassessable_as_coordinator
    else:
        values["cutoff"] = _active_cutoff()
        build = _reassessable_as_referrer
        if Role.IDVA in roles and user.agency_id:
            values["agency_id"] = user.agency_id
            build = _reassessable_as_idva
    return build, values


def visible_agency_checks_q(user):
    """A filter on AgencyCheck: the Marac representatives of the referring agency, while
    the case is active (open or done: they see what they added), and the coordinator."""
    allowed = Q(pk__in=[])
    for marac_id, roles in _roles_by_marac(user).items():
        if Role.COORDINATOR in roles:
            allowed |= Q(referral__marac_id=marac_id)
        elif Role.REPRESENTATIVE in roles and user.agency_id:
            allowed |= Q(referral__marac_id=marac_id, agency_id=user.agency_id) & _active_case_q(case="referral__case__")
    return allowed & _not_restricted_q("referral__case_id", user)


def marac_agency_checks_read_values(user, marac):
    """The values of `marac_agency_checks_values_q` for this user's roles in the Marac:
    the coordinator's (every check of the Marac), else a representative's (its agency's
    checks while the case is active); None when neither role opens a check."""
    return _coordinator_or_agency_read_values(user, marac, Role.REPRESENTATIVE, "agency_id")


def marac_agency_checks_values_q(*, marac_id, user_id, now, agency_id=None, cutoff=None):
    """`visible_agency_checks_q` within one Marac, from values alone (those of
    `marac_agency_checks_read_values`), so that a query built on it can be compiled
    once: without an agency, the coordinator's arm; with one, the representative's."""
    return _coordinator_or_agency_q("agency_id", marac_id=marac_id, user_id=user_id, now=now, agency_id=agency_id, cutoff=cutoff)


def can_complete_agency_check(user, check):
    """Only the referring agency's Marac representative checks and sends on."""
    from openmarac.referrals.models import AgencyCheck

    return (
        user.agency_id == check.agency_id
        and has_role(user, check.referral.marac, Role.REPRESENTATIVE)
        and _visible(AgencyCheck, visible_agency_checks_q(user), check)
    )


def _visible(model, q, record):
    return model.objects.filter(q, pk=record.pk).exists()


def can_decide_matches(user, marac):
    """Confirming that two records are the same person, and quality concerns."""
    return has_role(user, marac, Role.COORDINATOR)


def can_work_idva_referral(user, idva_referral):
    """Record contact attempts and the first contact: only on an Idva referral the
    user can open (so never after the case has lapsed for the Idva)."""
    from openmarac.referrals.models import IdvaReferral

    return _visible(IdvaReferral, visible_idva_referrals_q(user), idva_referral)


def can_list_idva_referrals(user, marac):
    """The Idva service's list of its open Idva referrals: an Idva of the Marac with a
    service (each referral in it still filtered by `visible_idva_referrals_q`)."""
    return has_role(user, marac, Role.IDVA) and user.agency_id is not None


def can_confirm_children_prompt(user, prompt):
    from openmarac.referrals.models import ChildrenReferralPrompt

    return _visible(ChildrenReferralPrompt, visible_childrens_prompts_q(user), prompt)


def can_view_own_referral(user, referral):
    """A referrer follows the referrals they made, and learns the outcome."""
    return referral.referrer_id == user.pk and user.is_active and bool(roles_in(user, referral.marac))


def can_edit_draft(user, referral):
    """Only someone who may still refer to the Marac finishes a draft."""
    return referral.referrer_id == user.pk and can_refer(user, referral.marac)


def can_work_sharing_decision(user, decision):
    """The review owner and the referrer keep the information-sharing record up to date;
    the coordinator may too."""
    from openmarac.referrals.models import SharingDecision

    return _visible(SharingDecision, visible_sharing_decisions_q(user), decision)


# --- Meetings ---------------------------------------------------------------------

MEETING_ROLES = frozenset({Role.COORDINATOR, Role.CHAIR, Role.REPRESENTATIVE, Role.IDVA})


def can_chase_actions(user, marac):
    """Remind an agency of its actions or its research: the coordinator."""
    return has_role(user, marac, Role.COORDINATOR)


def can_prepare_meetings(user, marac):
    """The meeting pattern, listing, publication and the register."""
    return has_role(user, marac, Role.COORDINATOR)


def can_see_meeting(user, meeting):
    """Coordinator and chair see every meeting of their Marac; representatives and
    Idvas see a meeting once its case list is published."""
    if has_role(user, meeting.marac, *ALL_CASES_ROLES):
        return True
    return meeting.published_at is not None and has_role(user, meeting.marac, Role.REPRESENTATIVE, Role.IDVA)


def can_attend(user, meeting):
    return can_see_meeting(user, meeting)


def can_do_research(user, meeting):
    return (
        meeting.published_at is not None
        and user.agency_id is not None
        and has_role(user, meeting.marac, Role.REPRESENTATIVE, Role.IDVA)
    )


def live_research_delegations_q(user, *, now):
    """A filter on ResearchDelegation: the delegations that open one case's research form
    to this user (the key worker). Only while the user is an active member of the Marac
    and still of the agency, the delegation is not withdrawn, the meeting has not been
    held and the agency's research on the case is not yet returned. It grants the
    research form for that case and meeting and nothing else: not the case page, not the
    other cases, not the meeting."""
    from django.db.models import Exists, OuterRef

    from openmarac.meetings.models import ResearchReturn

    if user.agency_id is None:
        return Q(pk__in=[])
    returned = ResearchReturn.objects.filter(
        meeting=OuterRef("meeting"), referral=OuterRef("referral"), agency=OuterRef("agency"), returned_at__isnull=False
    )
    return (
        Q(delegate_id=user.pk, agency_id=user.agency_id, withdrawn_at__isnull=True)
        & Q(meeting__marac_id__in=_case_content_marac_ids(user), meeting__status="scheduled", meeting__starts_at__gt=now)
        & ~Q(Exists(returned))
        & _not_restricted_q("referral__case_id", user)
    )


def _case_content_marac_ids(user):
    """The Maracs where the user holds a role that may see case content (governance sees
    figures only, so a research hand-over never reaches a governance-only account)."""
    return [marac_id for marac_id, roles in _roles_by_marac(user).items() if roles - {Role.GOVERNANCE}]


def can_complete_delegated_research(user, meeting, referral, *, now):
    from openmarac.meetings.models import ResearchDelegation

    return ResearchDelegation.objects.filter(live_research_delegations_q(user, now=now), meeting=meeting, referral=referral).exists()


def can_see_all_research(user, meeting, *, visible_before_meeting, now):
    """Chair and coordinator always; other attendees as the Marac chooses: as research
    comes in, or only from the meeting's start."""
    if has_role(user, meeting.marac, *ALL_CASES_ROLES):
        return True
    return can_attend(user, meeting) and (visible_before_meeting or now >= meeting.starts_at)


# --- The meeting and the action plan ------------------------------------------------


def can_see_unpublished_minutes(user, marac):
    """Minutes before the coordinator publishes them: the coordinator and the chair, who
    write them. Everyone else at the meeting reads them once published."""
    return has_role(user, marac, *ALL_CASES_ROLES)


def can_record_hearing(user, meeting):
    """The coordinator records the meeting live; the chair may too."""
    return has_role(user, meeting.marac, *ALL_CASES_ROLES)


def can_take_register(user, meeting):
    """The register belongs to the meeting: whoever runs it (coordinator or chair)."""
    return can_record_hearing(user, meeting)


def can_confirm_plan_safe(user, meeting):
    return has_role(user, meeting.marac, Role.IDVA)


def can_propose_action(user, meeting, *, now):
    """In a round held in writing an agency proposes its own actions on a case's page,
    from publication until the closing date; the chair then agrees the plan."""
    return (
        meeting.is_async
        and meeting.status == "scheduled"
        and meeting.published_at is not None
        and now < meeting.starts_at
        and user.agency_id is not None
        and has_role(user, meeting.marac, Role.REPRESENTATIVE, Role.IDVA)
    )


def can_report_on_action(user, action):
    """The owning agency (and joint agencies) report progress; the coordinator may too.
    The chair reads every action but reports on none. Only on an action the user can
    open: after the lapse, an agency reports only on its own still-open actions."""
    from openmarac.actions.models import Action

    marac = action.case.marac
    if not _visible(Action, visible_actions_q(user), action):
        return False
    if has_role(user, marac, Role.COORDINATOR):
        return True
    if not has_role(user, marac, Role.REPRESENTATIVE, Role.IDVA) or user.agency_id is None:
        return False
    return user.agency_id == action.owner_agency_id or action.joint_agencies.filter(pk=user.agency_id).exists()


# --- Governance figures ---------------------------------------------------------------

FIGURES_ROLES = frozenset({Role.COORDINATOR, Role.CHAIR, Role.GOVERNANCE})


def can_see_figures(user, marac):
    """The governance dashboard: counts only, never a person. The system administrator
    is not given it: figures are the Marac's, not the deployment's."""
    return has_role(user, marac, *FIGURES_ROLES)


def can_download_data_return(user, marac):
    """The SafeLives data return is the coordinator's to send."""
    return has_role(user, marac, Role.COORDINATOR)


# --- Records: subject access, rectification, confidentiality audit ---------------------


def can_handle_subject_access(user, marac):
    """Subject access requests and their bundles hold everything about a person,
    sealed values included: the coordinator only."""
    return has_role(user, marac, Role.COORDINATOR)


def can_correct_person(user, marac):
    return has_role(user, marac, Role.COORDINATOR)


def can_audit_confidentiality(user, marac):
    """Who viewed what, and the exceptions: the coordinator only."""
    return has_role(user, marac, Role.COORDINATOR)
