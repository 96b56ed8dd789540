"""Notifications by email. A notification says that something needs attention and
links to it; it never carries a name, an address or any other case content, because
email leaves the system's protection. Nothing is ever sent to a victim or perpetrator:
recipients are always users of the system."""

from django.conf import settings
from django.db import transaction

from .tasks import send_email


def send_later(*, subject, body, to):
    """Queue one email once the current transaction commits (a rolled-back change
    sends nothing); the worker sends it, so the request does not wait."""
    transaction.on_commit(lambda: send_email.enqueue(subject=subject, body=body, to=list(to)))


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
    for email in recipients:
        send_later(subject=f"OpenMarac: {subject}", body=body, to=[email])
