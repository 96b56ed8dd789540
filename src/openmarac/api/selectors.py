"""Reads of API credentials: the Marac's coordinators see them (never the secret)."""

from openmarac.access import policy

from .models import ApiCredential


def credentials_for(*, user, marac):
    if not policy.can_manage_api_credentials(user, marac):
        return None
    return ApiCredential.objects.filter(marac=marac).select_related("agency", "created_by", "revoked_by")


def credential_for(*, user, pk):
    credential = ApiCredential.objects.filter(pk=pk).select_related("marac", "agency").first()
    if credential is None or not policy.can_manage_api_credentials(user, credential.marac):
        return None
    return credential


def agency_flags(*, user, marac):
    """The caller's agency's flags still on its files (not confirmed removed)."""
    from openmarac.actions.models import Action, ActionKind
    from openmarac.actions.selectors import actions_of_agency

    return (
        actions_of_agency(user=user, marac=marac)
        .filter(kind=ActionKind.FLAG, flag_expires_on__isnull=False, flag_removed_at__isnull=True)
        .exclude(status=Action.Status.TRANSFERRED)
        .order_by()
    )


def visible_cases(*, user, marac):
    """The cases of the credential's Marac the caller may open (the same filter as the
    web's case page)."""
    from openmarac.access import policy
    from openmarac.referrals.models import Case

    ids = Case.objects.filter(policy.visible_cases_q(user), marac=marac).values("pk")
    return Case.objects.filter(pk__in=ids).select_related("victim")
