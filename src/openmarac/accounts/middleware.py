from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from openmarac.audit import services as audit

from .signals import LAST_ACTIVITY, SIGNED_IN_AT


class SessionLifetimeMiddleware:
    """Signs a user out after a period of inactivity and after an absolute lifetime,
    so an unattended screen does not stay open on case data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            idle_limit = settings.OPENMARAC_SESSION_IDLE_MINUTES * 60
            absolute_limit = settings.OPENMARAC_SESSION_ABSOLUTE_HOURS * 3600
            last = request.session.get(LAST_ACTIVITY, now)
            started = request.session.get(SIGNED_IN_AT, now)
            if now - last > idle_limit or now - started > absolute_limit:
                user = request.user
                logout(request)
                audit.record(action=audit.Action.SESSION_ENDED, actor=user, request=request, obj=user, summary="Timed out")
                messages.info(request, "You were signed out because your session timed out. Sign in again to continue.")
                return redirect(settings.LOGIN_URL)
            request.session[LAST_ACTIVITY] = now
        return self.get_response(request)


# Pages a signed-in user may reach before completing the second factor.
_MFA_EXEMPT_URL_NAMES = {"accounts:mfa-verify", "accounts:mfa-setup", "accounts:mfa-recovery", "accounts:sign-out"}


class RequireMfaMiddleware:
    """No page beyond the second-factor step until the TOTP code is verified."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt_paths = None

    def __call__(self, request):
        if request.user.is_authenticated and not request.user.is_verified():
            if self._exempt_paths is None:
                self._exempt_paths = {reverse(name) for name in _MFA_EXEMPT_URL_NAMES}
            if request.path not in self._exempt_paths and not request.path.startswith(settings.STATIC_URL):
                return redirect("accounts:mfa-verify")
        return self.get_response(request)
