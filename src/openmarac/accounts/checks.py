"""Deployment checks (`openmarac check --deploy`): settings that would let production
start but quietly break every emailed link, lose every email or sign nothing."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

# Backends that never deliver: they write to a file or the console, or keep mail in
# memory. Fine for a laptop; in production nobody would receive an invitation.
_UNDELIVERED_EMAIL_BACKENDS = {
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


def _is_local(host):
    if host in {"localhost", ""} or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_private or address.is_link_local


def base_url_problems(base_url):
    """What is wrong with OPENMARAC_BASE_URL for production, in words for the log."""
    if not base_url:
        return ["OPENMARAC_BASE_URL is not set: every emailed link (invitations, password resets) would be broken."]
    parts = urlsplit(base_url)
    problems = []
    if parts.scheme != "https":
        problems.append(f"OPENMARAC_BASE_URL ({base_url}) must start with https://.")
    if _is_local((parts.hostname or "").lower()):
        problems.append(f"OPENMARAC_BASE_URL ({base_url}) points at this machine or a private address, not the address people use.")
    return problems


@register("openmarac", deploy=True)
def check_production_settings(app_configs, **kwargs):
    errors = [Error(problem, hint="Set it to the public https address of OpenMarac.", id="openmarac.E001") for problem in base_url_problems(getattr(settings, "OPENMARAC_BASE_URL", ""))]
    if settings.EMAIL_BACKEND in _UNDELIVERED_EMAIL_BACKENDS:
        errors.append(
            Error(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}, which never delivers email.",
                hint="Use django.core.mail.backends.smtp.EmailBackend (DJANGO_EMAIL_BACKEND) with EMAIL_HOST set.",
                id="openmarac.E002",
            )
        )
    try:
        secret = settings.SECRET_KEY or ""
    except ImproperlyConfigured:  # Django refuses to read an empty key
        secret = ""
    if len(secret) < 50 or secret.startswith(("dev-only", "test-only")):
        errors.append(
            Error(
                "DJANGO_SECRET_KEY is missing, too short or a development value.",
                hint="Set DJANGO_SECRET_KEY to a random value of at least 50 characters.",
                id="openmarac.E003",
            )
        )
    if getattr(settings, "OPENMARAC_DEMO_SHOW_MFA_CODE", False):
        errors.append(Error("OPENMARAC_DEMO_SHOW_MFA_CODE is a demo-only setting.", id="openmarac.E004"))
    return errors
