"""Writes for users, memberships, agencies and Maracs. Each checks the access policy
and leaves an audit event."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from openmarac.access import policy
from openmarac.audit import services as audit

from .models import Agency, MaracAgency, Membership, User


def _require(allowed):
    if not allowed:
        raise PermissionDenied


@transaction.atomic
def user_invite(*, by, marac, email, full_name, agency, role, job_title="", request=None):
    """Create (or reuse) the account, give it a role in the Marac and email a link to set
    a password. The email carries no case data."""
    _require(policy.can_manage_marac(by, marac))
    if not marac.agency_links.filter(agency=agency, is_active=True).exists():
        raise ValidationError({"agency": "Choose an agency that takes part in this Marac."})
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, full_name=full_name, agency=agency, job_title=job_title)
        audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=user, marac=marac, summary="Invited")
    elif user.agency_id != agency.pk:
        raise ValidationError({"email": "This person already has an account with another agency."})
    membership, created = Membership.objects.get_or_create(
        user=user, marac=marac, role=role, defaults={"created_by": by}
    )
    if not created and membership.is_active:
        raise ValidationError({"role": "This person already holds that role in this Marac."})
    membership.is_active = True
    membership.save()
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=membership, marac=marac, summary=f"Role {role}")
    if not user.has_usable_password():
        transaction.on_commit(lambda: send_invitation(user=user, marac=marac))
    return membership


def invitation_link(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.OPENMARAC_BASE_URL + reverse("accounts:accept-invitation", args=[uid, token])


def send_invitation(*, user, marac):
    body = render_to_string("accounts/email/invitation.txt", {"user": user, "marac": marac, "link": invitation_link(user)})
    send_mail(f"You have been invited to {marac.name} on OpenMarac", body, None, [user.email])


@transaction.atomic
def membership_deactivate(*, by, membership, request=None):
    """Remove a role. A user left with no active role is deactivated. Either way the
    user's open sessions end at once, so access follows the change immediately."""
    _require(policy.can_manage_marac(by, membership.marac))
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    user = membership.user
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=membership, marac=membership.marac, summary="Role removed")
    if not user.memberships.filter(is_active=True).exists() and not user.is_system_admin:
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=user, marac=membership.marac, summary="Account deactivated")
    sessions_end_for(user=user)


@transaction.atomic
def membership_change_role(*, by, membership, role, request=None):
    _require(policy.can_manage_marac(by, membership.marac))
    if Membership.objects.filter(user=membership.user, marac=membership.marac, role=role, is_active=True).exclude(pk=membership.pk).exists():
        raise ValidationError({"role": "This person already holds that role in this Marac."})
    old = membership.role
    Membership.objects.filter(user=membership.user, marac=membership.marac, role=role, is_active=False).delete()
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=membership, marac=membership.marac, summary=f"Role {old} → {role}"
    )
    sessions_end_for(user=membership.user)
    return membership


@transaction.atomic
def mfa_reset(*, by, membership, request=None):
    """For a lost phone: remove the user's authenticator so they set up a new one at
    their next sign-in, and end their sessions."""
    _require(policy.can_manage_marac(by, membership.marac))
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=membership.user).delete()
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=membership.user, marac=membership.marac, summary="Authenticator reset")
    sessions_end_for(user=membership.user)


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
    if agency is None:
        agency = Agency(name=name.strip(), kind=kind)
        agency.full_clean()
        agency.save()
        audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=agency, marac=marac)
    link, _ = MaracAgency.objects.update_or_create(marac=marac, agency=agency, defaults={"is_core": is_core, "is_active": True})
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=link, marac=marac, summary="Agency added")
    return link


@transaction.atomic
def agency_link_update(*, by, link, is_core, is_active, request=None):
    _require(policy.can_manage_marac(by, link.marac))
    link.is_core = is_core
    link.is_active = is_active
    link.save(update_fields=["is_core", "is_active"])
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=link, marac=link.marac,
        summary=f"core={is_core} active={is_active}",
    )
    return link
