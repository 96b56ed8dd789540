"""Who a document was produced for, and when, written into every export.

A printed case list or a downloaded file outlives the screen: if it turns up where it
should not be, the line on it says whose copy it was. Each export is also recorded in
the audit trail as `exported` by the view that produces it."""

from django.utils import timezone


def produced_for(user, at=None):
    """'Produced for Jane Smith (Northshire Police) on 30 November 2026 at 14:05'."""
    at = timezone.localtime(at or timezone.now())
    reader = user.full_name or user.email
    if user.agency_id:
        reader += f" ({user.agency})"
    return f"Produced for {reader} on {at:%-d %B %Y} at {at:%H:%M}"
