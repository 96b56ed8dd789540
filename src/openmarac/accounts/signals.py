"""Sign-in events go to the audit trail; the session remembers when it began."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from openmarac.audit import services as audit

SIGNED_IN_AT = "openmarac_signed_in_at"
LAST_ACTIVITY = "openmarac_last_activity"


@receiver(user_logged_in)
def on_signed_in(sender, request, user, **kwargs):
    now = timezone.now().timestamp()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now
    audit.record(action=audit.Action.SIGNED_IN, actor=user, request=request, obj=user, summary="Password accepted")


@receiver(user_logged_out)
def on_signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(action=audit.Action.SIGNED_OUT, actor=user, request=request, obj=user)


@receiver(user_login_failed)
def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    email = (credentials or {}).get("username", "")
    audit.record(action=audit.Action.SIGN_IN_FAILED, request=request, summary=f"Attempt for {email}"[:200])
