"""Restricted cases and break-glass access (issue 14).

A coordinator restricts a case to named users when someone in it is close to the
Marac itself (a victim or perpetrator who works for a member agency). The rule is
enforced in the access policy (`policy.visible_cases_q` and every filter derived from
the case), so each list, page and write of the case refuses everyone else; here are
only the writes that set it up, the break-glass grant, its review and their reads.

Break-glass is for an emergency: someone whose role would let them open the case asks
with a written reason and proves again who they are (password and a current
authenticator code, because a session left open on a shared desk must not be enough).
Access lasts `OPENMARAC_BREAK_GLASS_MINUTES`, is audited with the reason, and every
coordinator of the Marac is told at once by email (no case details) and on their
home page until one of them reviews it.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts import mfa
from openmarac.accounts.models import Role, User
from openmarac.accounts.selectors import users_with_role
from openmarac.audit import services as audit
from openmarac.audit.models import AuditEvent
from openmarac.notifications.services import notify

from .models import BreakGlassGrant, Case, CaseRestriction

# A reason has to say something a reviewer can check; a word or two cannot.
MIN_REASON_LENGTH = 20


# --- Reads ------------------------------------------------------------------------------


def restriction_for(*, user, case):
    """The restriction in force on a case the user may open, or None."""
    restriction = CaseRestriction.objects.filter(case=case, lifted_at__isnull=True).prefetch_related("named_users").first()
    if restriction is None or not Case.objects.filter(policy.visible_cases_q(user), pk=case.pk).exists():
        return None
    return restriction


def people_of_hidden_cases(*, user, marac):
    """The ids of the people in the Marac's restricted cases the user may not open, so
    matching never shows them as candidates to anyone else."""
    from .models import ReferralPerson

    hidden = policy.restricted_case_ids_hidden_from(user)
    victims = Case.objects.filter(marac=marac, pk__in=hidden).values_list("victim_id", flat=True)
    others = ReferralPerson.objects.filter(referral__marac=marac, referral__case_id__in=hidden).values_list("person_id", flat=True)
    return set(victims) | set(others)


def nameable_users(*, marac):
    """Who may be named on a restriction: the Marac's active members whose role lets
    them see case content (governance sees figures only)."""
    return (
        User.objects.filter(
            is_active=True, memberships__marac=marac, memberships__is_active=True, memberships__role__in=set(Role.values) - {Role.GOVERNANCE}
        )
        .select_related("agency")
        .distinct()
        .order_by("full_name", "email")
    )


def restricted_case_for_break_glass(*, user, public_id):
    """The case, when the user may ask for break-glass access to it (a role that would
    let them open it, had it not been restricted, and no access now); else None."""
    case = Case.objects.filter(public_id=public_id).select_related("marac").first()
    if case is None or not policy.can_break_glass(user, case):
        return None
    return case


def live_grant(*, user, case):
    """The user's break-glass access to the case that has not yet run out, if any."""
    return BreakGlassGrant.objects.filter(user=user, case=case, expires_at__gt=timezone.now()).order_by("-expires_at").first()


def grants_awaiting_review_read(*, user, marac):
    """Break-glass uses in the Marac that no coordinator has reviewed yet, oldest first,
    as a read for `compiled.read_together` (build, values); None when the user may not
    review them."""
    if not policy.can_review_break_glass(user, marac):
        return None
    return _grants_awaiting_review, {"marac_id": marac.pk}


def _grants_awaiting_review(marac_id):
    return BreakGlassGrant.objects.filter(case__marac_id=marac_id, reviewed_at__isnull=True).select_related("user", "user__agency", "case").order_by("granted_at")


def grant_for_review(*, user, pk):
    grant = BreakGlassGrant.objects.filter(pk=pk).select_related("case", "case__marac", "user", "user__agency", "reviewed_by").first()
    if grant is None or not policy.can_review_break_glass(user, grant.case.marac):
        return None
    return grant


# --- Writes -----------------------------------------------------------------------------


def _named(*, case, by, named_users):
    """The named users, checked: members of the case's Marac who may see case content.
    The coordinator who restricts is always named, so they never lock themselves out."""
    allowed = {u.pk: u for u in nameable_users(marac=case.marac)}
    problems = [u for u in named_users if u.pk not in allowed]
    if problems:
        raise ValidationError({"named_users": "Choose people who work with this Marac’s cases"})
    chosen = {u.pk: u for u in named_users}
    chosen[by.pk] = by
    return list(chosen.values())


@transaction.atomic
def case_restrict(*, by: User, case: Case, reason: str, named_users, request=None) -> CaseRestriction:
    """Restrict the case to the named users, or change the named users of a restriction
    already in force. The reason stays on the restriction (it may say who works where),
    never in the audit summary."""
    if not policy.can_manage_restriction(by, case):
        raise PermissionDenied
    reason = (reason or "").strip()
    errors = {}
    if len(reason) < MIN_REASON_LENGTH:
        errors["reason"] = f"Enter why the case is restricted, in at least {MIN_REASON_LENGTH} characters"
    try:
        people = _named(case=case, by=by, named_users=list(named_users))
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    restriction = CaseRestriction.objects.select_for_update().filter(case=case).first()
    changing = restriction is not None and restriction.is_active
    if restriction is None:
        restriction = CaseRestriction(case=case)
    if not changing:
        restriction.restricted_by = by
        restriction.restricted_at = timezone.now()
    restriction.reason = reason
    restriction.lifted_by = None
    restriction.lifted_at = None
    restriction.save()
    restriction.named_users.set(people)
    summary = "Named users of the restriction changed" if changing else "Case restricted to named users"
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=case, marac=case.marac,
        summary=f"{summary}: {', '.join(sorted(u.email for u in people))}",
    )
    return restriction


@transaction.atomic
def case_restriction_lift(*, by: User, case: Case, request=None) -> CaseRestriction:
    if not policy.can_manage_restriction(by, case):
        raise PermissionDenied
    restriction = CaseRestriction.objects.select_for_update().filter(case=case, lifted_at__isnull=True).first()
    if restriction is None:
        raise ValidationError("This case is not restricted")
    restriction.lifted_by = by
    restriction.lifted_at = timezone.now()
    restriction.save(update_fields=["lifted_by", "lifted_at"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=case, marac=case.marac, summary="Restriction lifted")
    return restriction


def _identity_checked(*, by, password, code):
    """Step-up: the password and a current authenticator code, again. Returns the
    problems, keyed by field."""
    if not password or not by.check_password(password):
        # The code is not tried (nor used up) until the password is right.
        return {"password": "The password is not right"}
    errors = {}
    device = mfa.confirmed_device(by)
    if device is None:
        errors["code"] = "Set up your authenticator app first"
        return errors
    # django-otp's throttle applies here as at sign-in, so codes cannot be guessed.
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        errors["code"] = "Too many wrong codes. Wait a minute, then try again."
    elif not code or not device.verify_token(code.strip()):
        errors["code"] = "That code was not accepted. Wait for a new code and try again."
    return errors


BREAK_GLASS_REFUSED = "Break-glass refused: password or authenticator code not accepted"
BREAK_GLASS_PAUSE_MINUTES = 30


def _recent_refusals(user) -> int:
    since = timezone.now() - timedelta(minutes=BREAK_GLASS_PAUSE_MINUTES)
    return AuditEvent.objects.filter(actor=user, action=audit.Action.DENIED, summary=BREAK_GLASS_REFUSED, occurred_at__gte=since).count()


def break_glass(*, by: User, case: Case, reason: str, password: str, code: str, request=None) -> BreakGlassGrant:
    """Open a restricted case for a short time on a written reason, after the password
    and an authenticator code. A refused attempt is audited (outside the transaction
    that would have made the grant, so the record stays)."""
    if not policy.can_break_glass(by, case):
        raise PermissionDenied
    reason = (reason or "").strip()
    errors = {}
    if len(reason) < MIN_REASON_LENGTH:
        errors["reason"] = f"Enter why you need to open this case now, in at least {MIN_REASON_LENGTH} characters"
    if _recent_refusals(by) >= settings.AXES_FAILURE_LIMIT:
        # Someone holding a signed-in session must not guess the password here without
        # limit: the same number of tries as at sign-in, then a pause.
        raise ValidationError({"password": f"Too many attempts. Try again in {BREAK_GLASS_PAUSE_MINUTES} minutes."})
    identity = _identity_checked(by=by, password=password, code=code)
    if identity:
        audit.record(
            action=audit.Action.DENIED, actor=by, request=request, obj=case, marac=case.marac,
            summary=BREAK_GLASS_REFUSED, reason=reason,
        )
        errors.update(identity)
    if errors:
        raise ValidationError(errors)
    return _grant(by=by, case=case, reason=reason, request=request)


@transaction.atomic
def _grant(*, by, case, reason, request):
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(
        case=case, user=by, reason=reason, granted_at=now, expires_at=now + timedelta(minutes=settings.OPENMARAC_BREAK_GLASS_MINUTES)
    )
    audit.record(
        action=audit.Action.VIEWED, actor=by, request=request, obj=case, marac=case.marac,
        summary=f"Break-glass access to a restricted case for {settings.OPENMARAC_BREAK_GLASS_MINUTES} minutes", reason=reason,
    )
    coordinators = [u for u in users_with_role(case.marac, Role.COORDINATOR) if u.pk != by.pk]
    # No case details in the email: it leaves the system's protection.
    notify(
        users=coordinators,
        subject=f"{case.marac.name}: break-glass access to a restricted case",
        message=f"{by.full_name} used break-glass access to a restricted case of {case.marac.name}. Review it in OpenMarac.",
        path=reverse("referrals:break-glass-review", args=[grant.pk]),
    )
    return grant


@transaction.atomic
def break_glass_review(*, by: User, grant: BreakGlassGrant, note: str, request=None) -> BreakGlassGrant:
    """A coordinator records that the use was looked into, with a note. A coordinator
    does not review their own use."""
    if not policy.can_review_break_glass(by, grant.case.marac) or grant.user_id == by.pk:
        raise PermissionDenied
    grant = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.reviewed_at is not None:
        raise ValidationError("This break-glass use has already been reviewed")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Enter what you found"})
    grant.reviewed_by = by
    grant.reviewed_at = timezone.now()
    grant.review_note = note
    grant.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=grant, marac=grant.case.marac, summary="Break-glass use reviewed")
    return grant
