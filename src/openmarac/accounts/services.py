"""Writes for users, memberships, agencies and Maracs. Each checks the access policy
and leaves an audit event."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from openmarac.access import policy
from openmarac.audit import services as audit
from openmarac.notifications.services import send_later

from .models import AccountRequest, Agency, MaracAgency, Membership, Role, User


def _require(allowed):
    if not allowed:
        raise PermissionDenied


def _audit_everywhere(*, user, action, by, request, obj, summary, reason="", here):
    """Record an account change in this Marac and in every other Marac the account
    serves, so each Marac's own trail shows what happened to its people."""
    maracs = {here.pk: here} if here is not None else {}
    for membership in user.memberships.select_related("marac"):
        maracs.setdefault(membership.marac_id, membership.marac)
    if not maracs:
        audit.record(action=action, actor=by, request=request, obj=obj, summary=summary, reason=reason)
    for marac in maracs.values():
        audit.record(action=action, actor=by, request=request, obj=obj, marac=marac, summary=summary, reason=reason)


def _tell(*, user, subject, template, context):
    """Email the account holder after the change is committed. No case content."""
    body = render_to_string(template, {"user": user, "base_url": settings.OPENMARAC_BASE_URL, **context})
    send_later(subject=subject, body=body, to=[user.email])


def is_last_coordinator(membership):
    return (
        membership.role == Role.COORDINATOR
        and membership.is_active
        and not Membership.objects.filter(marac=membership.marac, role=Role.COORDINATOR, is_active=True, user__is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def user_invite(*, by, marac, email, full_name, agency, role, job_title="", request=None):
    """Create (or reuse) the account and give it a role in the Marac.

    A new account gets an emailed link to choose a password. An account that already
    serves another Marac (or the system administrator's) is asked, not added: the role
    waits for its holder's acceptance. Only the system administrator, or a coordinator
    of the one Marac the account belongs to, can bring a deactivated account back."""
    _require(policy.can_manage_marac(by, marac))
    if not marac.agency_links.filter(agency=agency, is_active=True).exists():
        raise ValidationError({"agency": "Choose an agency that takes part in this Marac."})
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    new_account = user is None
    if new_account:
        user = User.objects.create_user(email=email, full_name=full_name, agency=agency, job_title=job_title, invited_at=timezone.now())
        audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=user, marac=marac, summary="Invited")
    elif user.agency_id != agency.pk:
        raise ValidationError({"email": "This person already has an account with another agency."})
    elsewhere = not new_account and not policy.belongs_to_marac_alone(user, marac)
    if not user.is_active and elsewhere and not policy.is_system_admin(by):
        raise ValidationError(
            {"email": "This account was deactivated in another Marac. Ask the system administrator to reactivate it."}
        )
    membership, created = Membership.objects.get_or_create(
        user=user, marac=marac, role=role, defaults={"created_by": by, "is_active": False}
    )
    if membership.is_active or (membership.awaiting_acceptance and not created):
        raise ValidationError({"role": "This person already holds, or has been asked to take, that role in this Marac."})
    membership.awaiting_acceptance = elsewhere
    membership.is_active = not elsewhere
    membership.created_by = by
    membership.save()
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=user, marac=marac, summary="Account reactivated")
    if elsewhere:
        _audit_everywhere(
            user=user, action=audit.Action.CREATED, by=by, request=request, obj=membership, here=marac,
            summary=f"Asked to take the role {role} in {marac.name}; waits for the holder's acceptance",
        )
        _tell(
            user=user, subject=f"You have been asked to join {marac.name} on OpenMarac",
            template="accounts/email/membership_offer.txt", context={"marac": marac, "membership": membership},
        )
        return membership
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=membership, marac=marac, summary=f"Role {role}")
    if not user.has_usable_password() and user.last_login is None:
        if not new_account:
            # A fresh link for the new role; the earlier one stops working.
            _renew_invitation(user)
        transaction.on_commit(lambda: send_invitation(user=user, marac=marac))
    return membership


def _renew_invitation(user):
    """A new unusable password, so any earlier invitation link (bound to it) stops working."""
    user.set_unusable_password()
    user.invited_at = timezone.now()
    user.save(update_fields=["password", "invited_at"])


@transaction.atomic
def invitation_resend(*, by, membership, request=None):
    """A new invitation link for someone who has not yet signed in; the old link stops
    working because the token is bound to the (regenerated) unusable password."""
    marac = membership.marac
    _require(policy.can_manage_marac(by, marac))
    user = membership.user
    if not (membership.is_active and user.is_invited):
        raise ValidationError("Only an invitation that has not been used yet can be sent again.")
    if not policy.can_act_on_account(by, user, marac):
        # A new link resets the password of an account another Marac shares.
        raise ValidationError("This person's account also serves another Marac. Ask the system administrator to send the invitation again.")
    _renew_invitation(user)
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=user, marac=marac, summary="Invitation sent again")
    transaction.on_commit(lambda: send_invitation(user=user, marac=marac))
    return user


@transaction.atomic
def membership_respond(*, by, membership, accept, request=None):
    """The holder of an account accepts or declines a role another Marac offered."""
    if membership.user_id != by.pk or not membership.awaiting_acceptance:
        raise PermissionDenied
    membership.awaiting_acceptance = False
    membership.is_active = bool(accept)
    membership.save(update_fields=["awaiting_acceptance", "is_active"])
    policy.forget_memberships(by)
    _audit_everywhere(
        user=by, action=audit.Action.CHANGED, by=by, request=request, obj=membership, here=membership.marac,
        summary=f"{'Accepted' if accept else 'Declined'} the role {membership.role} in {membership.marac.name}",
    )
    return membership


def invitation_link(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.OPENMARAC_BASE_URL + reverse("accounts:accept-invitation", args=[uid, token])


def send_invitation(*, user, marac):
    body = render_to_string("accounts/email/invitation.txt", {"user": user, "marac": marac, "link": invitation_link(user)})
    send_later(subject=f"You have been invited to {marac.name} on OpenMarac", body=body, to=[user.email])


@transaction.atomic
def membership_deactivate(*, by, membership, reason="", request=None):
    """Remove a role. A user left with no active role is deactivated. Either way the
    user's open sessions end at once, so access follows the change immediately.
    Nobody removes their own role, and a Marac never loses its last coordinator."""
    _require(policy.can_manage_marac(by, membership.marac))
    if membership.user_id == by.pk:
        raise ValidationError("You cannot remove your own role. Ask another coordinator or the system administrator.")
    if is_last_coordinator(membership):
        raise ValidationError(
            f"{membership.user} is the only coordinator of {membership.marac}. Invite another coordinator before removing this role."
        )
    membership.is_active = False
    membership.awaiting_acceptance = False
    membership.save(update_fields=["is_active", "awaiting_acceptance"])
    user = membership.user
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=membership, marac=membership.marac, summary="Role removed", reason=reason
    )
    # The account itself ends only when this Marac may act on it alone: an account with
    # a role (past, pending or active) elsewhere stays open for that other Marac.
    no_role_left = not user.memberships.filter(is_active=True).exists()
    if no_role_left and user.is_active and not user.is_system_admin and policy.can_act_on_account(by, user, membership.marac):
        user.is_active = False
        user.save(update_fields=["is_active"])
        _audit_everywhere(
            user=user, action=audit.Action.CHANGED, by=by, request=request, obj=user, here=membership.marac,
            summary="Account deactivated: no role left",
        )
    _tell(
        user=user, subject=f"Your role in {membership.marac.name} has been removed",
        template="accounts/email/role_removed.txt", context={"membership": membership},
    )
    sessions_end_for(user=user)


@transaction.atomic
def membership_change_role(*, by, membership, role, request=None):
    _require(policy.can_manage_marac(by, membership.marac))
    if Membership.objects.filter(user=membership.user, marac=membership.marac, role=role, is_active=True).exclude(pk=membership.pk).exists():
        raise ValidationError({"role": "This person already holds that role in this Marac."})
    if role != Role.COORDINATOR and is_last_coordinator(membership):
        raise ValidationError(
            {"role": f"{membership.user} is the only coordinator of {membership.marac}. Invite another coordinator first."}
        )
    old = membership.role
    Membership.objects.filter(user=membership.user, marac=membership.marac, role=role, is_active=False).delete()
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=membership, marac=membership.marac, summary=f"Role {old} → {role}"
    )
    _tell(
        user=membership.user, subject=f"Your role in {membership.marac.name} has changed",
        template="accounts/email/role_changed.txt", context={"membership": membership},
    )
    sessions_end_for(user=membership.user)
    return membership


def _refer_to_system_administrator(*, by, membership, kind, reason, request):
    """The account also serves another Marac: one Marac must not act on it alone, so
    the request goes to the system administrator, who is told by email."""
    account_request = AccountRequest.objects.create(
        user=membership.user, marac=membership.marac, kind=kind, reason=reason, requested_by=by
    )
    _audit_everywhere(
        user=membership.user, action=audit.Action.CREATED, by=by, request=request, obj=account_request, here=membership.marac,
        summary=f"Asked the system administrator: {account_request.get_kind_display().lower()}", reason=reason,
    )
    admins = list(User.objects.filter(is_system_admin=True, is_active=True).values_list("email", flat=True))
    if admins:
        body = render_to_string(
            "accounts/email/account_request.txt",
            {"account_request": account_request, "link": settings.OPENMARAC_BASE_URL + reverse("accounts:maracs")},
        )
        send_later(subject="A Marac asks you to act on an account", body=body, to=admins)
    return account_request


def _resolve_requests(*, by, user, kind):
    AccountRequest.objects.filter(user=user, kind=kind, resolved_at__isnull=True).update(resolved_at=timezone.now(), resolved_by=by)


def _check_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason"})
    return reason


@transaction.atomic
def mfa_reset(*, by, membership, reason, request=None):
    """For a lost phone: remove the user's authenticator and recovery codes so they set
    up new ones at their next sign-in, and end their sessions. A coordinator acts only
    on an account that belongs to their Marac alone; otherwise the system administrator
    is asked. Returns the AccountRequest when the reset was referred, else None."""
    _require(policy.can_manage_marac(by, membership.marac))
    reason = _check_reason(reason)
    if membership.user_id == by.pk:
        raise ValidationError("You cannot reset your own authenticator here. Use a recovery code, or ask the system administrator.")
    if not policy.can_act_on_account(by, membership.user, membership.marac):
        return _refer_to_system_administrator(
            by=by, membership=membership, kind=AccountRequest.Kind.RESET_AUTHENTICATOR, reason=reason, request=request
        )
    authenticator_reset(user=membership.user, by=by, reason=reason, request=request, here=membership.marac)
    return None


def authenticator_reset(*, user, by, reason, request=None, here=None):
    """The reset itself, shared with `openmarac reset-authenticator`."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _audit_everywhere(user=user, action=audit.Action.CHANGED, by=by, request=request, obj=user, here=here, summary="Authenticator reset", reason=reason)
    _resolve_requests(by=by, user=user, kind=AccountRequest.Kind.RESET_AUTHENTICATOR)
    _tell(user=user, subject="Your OpenMarac authenticator has been reset", template="accounts/email/authenticator_reset.txt", context={})
    sessions_end_for(user=user)


@transaction.atomic
def account_deactivate(*, by, membership, reason, request=None):
    """Someone has left: end every role and the account itself. A coordinator acts only
    on an account that belongs to their Marac alone; otherwise the system administrator
    is asked (and the roles in this Marac end now). Returns the AccountRequest when
    referred, else None."""
    marac = membership.marac
    _require(policy.can_manage_marac(by, marac))
    reason = _check_reason(reason)
    user = membership.user
    if user.pk == by.pk:
        raise ValidationError("You cannot deactivate your own account. Ask another coordinator or the system administrator.")
    here = Membership.objects.filter(user=user, marac=marac, is_active=True)
    if any(is_last_coordinator(m) for m in here):
        raise ValidationError(f"{user} is the only coordinator of {marac}. Invite another coordinator before deactivating them.")
    acts_alone = policy.can_act_on_account(by, user, marac)
    ending = Membership.objects.filter(user=user, is_active=True) if acts_alone and policy.is_system_admin(by) else here
    ending.update(is_active=False, awaiting_acceptance=False)
    Membership.objects.filter(user=user, marac=marac, awaiting_acceptance=True).update(awaiting_acceptance=False)
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=user, marac=marac, summary="Roles in this Marac removed", reason=reason)
    if not acts_alone:
        sessions_end_for(user=user)
        return _refer_to_system_administrator(by=by, membership=membership, kind=AccountRequest.Kind.DEACTIVATE, reason=reason, request=request)
    user.is_active = False
    user.save(update_fields=["is_active"])
    _audit_everywhere(user=user, action=audit.Action.CHANGED, by=by, request=request, obj=user, here=marac, summary="Account deactivated", reason=reason)
    _resolve_requests(by=by, user=user, kind=AccountRequest.Kind.DEACTIVATE)
    _tell(user=user, subject="Your OpenMarac account has been deactivated", template="accounts/email/account_deactivated.txt", context={})
    sessions_end_for(user=user)
    return None


def is_locked_out(user):
    """Whether sign-in is refused for the account after too many wrong passwords."""
    from axes.models import AccessAttempt

    cutoff = timezone.now() - timezone.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return AccessAttempt.objects.filter(
        username__iexact=user.email, failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=cutoff
    ).exists()


@transaction.atomic
def account_unlock(*, by, membership, reason, request=None):
    """Clear the sign-in lockout. Harmless to other Maracs (it only lets the holder try
    their password again), so any Marac the account serves may do it."""
    _require(policy.can_manage_marac(by, membership.marac))
    reason = _check_reason(reason)
    unlock(user=membership.user, by=by, reason=reason, request=request, here=membership.marac)


def unlock(*, user, by, reason, request=None, here=None):
    """The unlock itself, shared with `openmarac unlock`."""
    from axes.models import AccessAttempt

    AccessAttempt.objects.filter(username__iexact=user.email).delete()
    _audit_everywhere(user=user, action=audit.Action.CHANGED, by=by, request=request, obj=user, here=here, summary="Sign-in lockout cleared", reason=reason)
    _tell(user=user, subject="You can sign in to OpenMarac again", template="accounts/email/unlocked.txt", context={})


@transaction.atomic
def system_admin_create(*, email, full_name):
    """The first system administrator (the `openmarac create-admin` command). Returns
    the account and a one-time set-up link, valid for PASSWORD_RESET_TIMEOUT."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(f"An account for {email} already exists.")
    user = User(email=email, full_name=full_name.strip() or email.split("@")[0], is_system_admin=True, invited_at=timezone.now())
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(action=audit.Action.CREATED, obj=user, summary="System administrator created from the command line")
    return user, invitation_link(user)


def sessions_end_for(*, user):
    """Delete every open session of the user. Sessions are few (one or two per person
    signed in), so reading them all is cheap."""
    user_id = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == user_id:
            session.delete()


@transaction.atomic
def marac_save(*, by, marac, request=None):
    creating = marac.pk is None
    _require(policy.can_administer_system(by) if creating else policy.can_manage_marac(by, marac))
    marac.full_clean()
    marac.save()
    audit.record(action=audit.Action.CREATED if creating else audit.Action.CHANGED, actor=by, request=request, obj=marac, marac=marac)
    return marac


@transaction.atomic
def agency_add_to_marac(*, by, marac, agency=None, name="", kind="", is_core=False, request=None):
    """Link an existing agency to the Marac, or create a new one."""
    _require(policy.can_manage_marac(by, marac))
    if agency is not None:
        _require(policy.can_link_agency(by, marac, agency))
    if agency is None:
        agency = Agency(name=name.strip(), kind=kind)
        agency.full_clean()
        agency.save()
        audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=agency, marac=marac)
    link, _ = MaracAgency.objects.update_or_create(marac=marac, agency=agency, defaults={"is_core": is_core, "is_active": True})
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=link, marac=marac, summary="Agency added")
    return link


@transaction.atomic
def agency_link_update(*, by, link, is_core, is_active, referrals_checked_by_representative=None, request=None):
    _require(policy.can_manage_marac(by, link.marac))
    link.is_core = is_core
    link.is_active = is_active
    if referrals_checked_by_representative is not None:
        link.referrals_checked_by_representative = referrals_checked_by_representative
    link.save(update_fields=["is_core", "is_active", "referrals_checked_by_representative"])
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=link, marac=link.marac,
        summary=f"core={is_core} active={is_active} checks referrals={link.referrals_checked_by_representative}",
    )
    return link
