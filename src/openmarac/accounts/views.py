"""Signing in (password, then TOTP), signing out, invitations and password reset."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from openmarac.audit import services as audit
from openmarac.core.views import not_found

from . import drafts, mfa, selectors, services
from .forms import GovukPasswordResetForm, GovukSetPasswordForm, MfaCodeForm, RecoveryCodeForm, SignInForm


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True


@login_required
def mfa_verify(request):
    """Second step of sign-in. A user without a confirmed device is sent to set one up."""
    if request.user.is_verified():
        return redirect(settings.LOGIN_REDIRECT_URL)
    device = mfa.confirmed_device(request.user)
    if device is None:
        return redirect("accounts:mfa-setup")
    form = MfaCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["code"]):
            otp_login(request, device)
            audit.record(action=audit.Action.SIGNED_IN, request=request, obj=request.user, summary="Second factor accepted")
            return redirect(_next_url(request))
        audit.record(action=audit.Action.MFA_FAILED, request=request, obj=request.user)
        form.add_error(
            "code",
            "That code was not accepted. Wait for a new code and try again."
            if allowed
            else "Too many wrong codes. Wait a minute, then try again.",
        )
    return render(request, "accounts/mfa_verify.html", {"form": form, "demo_code": _demo_code(device)})


@login_required
def mfa_setup(request):
    if mfa.confirmed_device(request.user):
        return redirect("accounts:mfa-verify")
    device = mfa.pending_device(request.user)
    form = MfaCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)
                audit.record(action=audit.Action.MFA_ENROLLED, request=request, obj=request.user)
                request.session[_FRESH_CODES] = mfa.recovery_codes_issue(request.user)
            messages.success(request, "Your authenticator app is set up. You will need a code from it each time you sign in.")
            return redirect("accounts:recovery-codes")
        audit.record(action=audit.Action.MFA_FAILED, request=request, obj=request.user, summary="During set-up")
        form.add_error("code", "That code was not accepted. Check the app shows OpenMarac and try the newest code.")
    context = {
        "form": form,
        "qr_code": mfa.qr_code_data_uri(device),
        "secret": mfa.secret_for_typing(device),
        "demo_code": _demo_code(device),
    }
    return render(request, "accounts/mfa_setup.html", context)


# New recovery codes are kept in the session only until they have been shown (and
# offered for download) once.
_FRESH_CODES = "openmarac_fresh_recovery_codes"


@login_required
def recovery_codes(request):
    """The ten one-time codes, shown once after they are issued, to print or download;
    afterwards, how many are left and a way to issue new ones."""
    if request.method == "POST":
        with transaction.atomic():
            request.session[_FRESH_CODES] = mfa.recovery_codes_issue(request.user)
            audit.record(action=audit.Action.CHANGED, request=request, obj=request.user, summary="New recovery codes issued")
        return redirect("accounts:recovery-codes")
    codes = request.session.get(_FRESH_CODES)
    context = {"codes": codes, "left": mfa.recovery_codes_left(request.user)}
    return render(request, "accounts/recovery_codes.html", context)


@login_required
def recovery_codes_download(request):
    codes = request.session.pop(_FRESH_CODES, None)
    if not codes:
        # Codes are shown and downloadable once; afterwards the page offers new ones.
        return render(request, "accounts/recovery_codes.html", {"codes": None, "left": mfa.recovery_codes_left(request.user)})
    body = (
        f"OpenMarac recovery codes for {request.user.email}\n"
        "Each code works once, instead of a code from your authenticator app.\n"
        "Keep them somewhere safe, away from your phone.\n\n" + "\n".join(codes) + "\n"
    )
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="openmarac-recovery-codes.txt"'
    return response


@login_required
def mfa_recovery(request):
    """Second step of sign-in with a recovery code, when the phone is lost."""
    if request.user.is_verified():
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = mfa.recovery_device_accepting(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            left = mfa.recovery_codes_left(request.user)
            audit.record(action=audit.Action.SIGNED_IN, request=request, obj=request.user, summary=f"Recovery code used; {left} left")
            messages.warning(
                request,
                f"You signed in with a recovery code; {left} left. If your phone is lost, ask your coordinator to reset your authenticator, "
                "then set it up again.",
            )
            return redirect(settings.LOGIN_REDIRECT_URL)
        audit.record(action=audit.Action.MFA_FAILED, request=request, obj=request.user, summary="Recovery code")
        form.add_error("code", "That recovery code was not accepted. Check it, or use another one. Each code works once.")
    return render(request, "accounts/mfa_recovery.html", {"form": form})


@login_required
def offers(request):
    """Roles another Marac has asked this person to take; they accept or decline."""
    pending = selectors.membership_offers_for(user=request.user)
    if request.method == "POST":
        membership = pending.filter(pk=request.POST.get("membership")).first()
        if membership is None:
            not_found(request, "accounts.membership", request.POST.get("membership", ""))
        accept = request.POST.get("answer") == "accept"
        try:
            services.membership_respond(by=request.user, membership=membership, accept=accept, request=request)
        except PermissionDenied:
            not_found(request, "accounts.membership", membership.pk)
        messages.success(
            request,
            f"You are now {membership.get_role_display()} in {membership.marac}."
            if accept
            else f"You declined the role in {membership.marac}.",
        )
        return redirect("accounts:offers")
    return render(request, "accounts/offers.html", {"offers": pending})


def _demo_code(device):
    return mfa.current_code(device) if settings.OPENMARAC_DEMO_SHOW_MFA_CODE else None


def _next_url(request):
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


@require_POST
def sign_out(request):
    # Every session of the person ends, not only this browser's: a case screen left
    # open on another computer closes at its next poll.
    user = request.user if request.user.is_authenticated else None
    logout(request)
    if user is not None:
        services.sessions_end_for(user=user)
    messages.info(request, "You have signed out, here and on any other device.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_POST
def signed_out_draft(request):
    """Keeps a form the live case screen had open when the idle limit signed it out
    (see drafts.py). No session is needed: only a browser just signed out may keep one,
    and only its former user gets it back."""
    kept = drafts.keep(request, page=request.POST.get("page", ""), data=request.POST)
    return HttpResponse(status=204 if kept else 400)


def accept_invitation(request, uidb64, token):
    """An invited person chooses a password; MFA set-up follows their first sign-in."""
    User = get_user_model()
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)), is_active=True)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "accounts/invitation_invalid.html", status=400)
    form = GovukSetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.record(action=audit.Action.CHANGED, actor=user, request=request, obj=user, summary="Password set from invitation")
        messages.success(request, "Your password is set. Sign in to set up your authenticator app.")
        return redirect("accounts:sign-in")
    return render(request, "accounts/accept_invitation.html", {"form": form, "invited": user})


class PasswordResetView(auth_views.PasswordResetView):
    """Also sends a set-up link to an invited account that never chose a password
    (GovukPasswordResetForm.get_users), so an expired invitation is recoverable."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    form_class = GovukPasswordResetForm
    success_url = reverse_lazy("accounts:password-reset-sent")

    def get_extra_email_context(self):
        # Links are built from the configured address, never the request's Host header.
        return {"base_url": settings.OPENMARAC_BASE_URL}

    def form_valid(self, form):
        self.extra_email_context = self.get_extra_email_context()
        return super().form_valid(form)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    # A reset never signs the user in: they still need their second factor.
    post_reset_login = False
    template_name = "accounts/password_reset_confirm.html"
    form_class = GovukSetPasswordForm
    success_url = reverse_lazy("accounts:sign-in")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(action=audit.Action.CHANGED, actor=form.user, request=self.request, obj=form.user, summary="Password reset")
        messages.success(self.request, "Your password has been changed. Sign in with it and a code from your authenticator app.")
        return response
