from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from openmarac.audit import services as audit

from .signals import LAST_ACTIVITY, SIGNED_IN_AT

# Who was signed out by the idle or absolute limit in this browser: only that person
# gets back what they had typed (see accounts/drafts.py).
SIGNED_OUT_USER = "openmarac_signed_out_user"


def background(view):
    """Marks a view that a page calls on its own (htmx polling), not the person.

    Decided by the URL the request resolves to, never by anything the client sends, so
    a client cannot keep a session alive by claiming to be, or not to be, a poll."""
    view.openmarac_background = True
    return view


def is_background(request):
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return getattr(match.func, "openmarac_background", False)


def _page_path(request):
    """The page a person is on: for htmx, the page that made the request, not the
    fragment's URL; only a path on this site, so the sign-in link cannot point away."""
    if request.headers.get("HX-Request"):
        current = request.headers.get("HX-Current-URL", "")
        parts = urlsplit(current)
        if parts.netloc and parts.netloc != request.get_host():
            return None
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return path if url_has_allowed_host_and_scheme(path, allowed_hosts={request.get_host()}) and path.startswith("/") else None
    return request.get_full_path() if request.method == "GET" else None


def sign_in_url(request):
    url = resolve_url(settings.LOGIN_URL)
    path = _page_path(request)
    return f"{url}?{urlencode({'next': path})}" if path else url


def htmx_sign_in(request):
    """htmx would swap a redirect's target (the sign-in page) into the fragment and the
    case screen would stay up; instead the whole page goes to sign-in. The event lets
    the page keep what was typed first (static/openmarac/keep-draft.js)."""
    response = HttpResponse(status=200)
    response["HX-Trigger"] = "openmarac:signed-out"
    response["HX-Redirect"] = sign_in_url(request)
    return response


class SessionLifetimeMiddleware:
    """Signs a user out after a period of inactivity and after an absolute lifetime,
    so an unattended screen does not stay open on case data. A page's own polling is
    not activity: a case screen left open signs out like any other page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            idle_minutes = settings.OPENMARAC_SESSION_IDLE_MINUTES
            absolute_hours = settings.OPENMARAC_SESSION_ABSOLUTE_HOURS
            # A session without the marks (made before they existed) gets them now,
            # so that it too ends: a missing mark must not mean "never".
            last = request.session.setdefault(LAST_ACTIVITY, now)
            started = request.session.setdefault(SIGNED_IN_AT, now)
            if now - last > idle_minutes * 60:
                return self._sign_out(request, f"You were signed out after {idle_minutes} minutes without activity.", "Timed out")
            if now - started > absolute_hours * 3600:
                return self._sign_out(request, f"You were signed out because you had been signed in for {absolute_hours} hours.", "Absolute lifetime reached")
            if not is_background(request):
                request.session[LAST_ACTIVITY] = now
        elif request.headers.get("HX-Request"):
            # The session ended elsewhere (signed out, deactivated, role changed): a
            # live screen still open must close at its next poll, not show sign-in
            # inside the page.
            messages.info(request, "You have been signed out. Sign in again to continue.")
            return htmx_sign_in(request)
        return self.get_response(request)

    def _sign_out(self, request, message, summary):
        user = request.user
        logout(request)
        audit.record(action=audit.Action.SESSION_ENDED, actor=user, request=request, obj=user, summary=summary)
        request.session[SIGNED_OUT_USER] = user.pk
        messages.info(request, f"{message} Sign in again to continue.")
        if request.headers.get("HX-Request"):
            return htmx_sign_in(request)
        return redirect(sign_in_url(request))


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
                # Keep where the person was going, so signing in again returns them there.
                target = reverse("accounts:mfa-verify")
                if request.method == "GET" and request.path != resolve_url(settings.LOGIN_REDIRECT_URL):
                    target += "?" + urlencode({"next": request.get_full_path()})
                return redirect(target)
        return self.get_response(request)
