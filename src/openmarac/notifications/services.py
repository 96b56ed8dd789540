"""Notifications by email. A notification says that something needs attention and
links to it; it never carries a name, an address or any other case content, because
email leaves the system's protection. Nothing is ever sent to a victim or perpetrator:
recipients are always users of the system."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction


def notify(*, users, subject, message, path):
    """Email each active user a short message and a link, once the current
    transaction commits (so a rolled-back change sends nothing). An agency system's
    API account is no one to email: what it made is followed through the API."""
    from openmarac.api.models import is_service_account

    recipients = sorted({u.email for u in users if u.is_active and not is_service_account(u)})
    if not recipients:
        return
    link = settings.OPENMARAC_BASE_URL + path
    body = f"{message}\n\nSign in to OpenMarac to see it:\n{link}\n\nThis email contains no case details by design."
    messages = [(f"OpenMarac: {subject}", body, None, [email]) for email in recipients]
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=False))
