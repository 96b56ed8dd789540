"""The coordinator's pages for the Marac's API credentials: list, create (the token is
shown once, on the page the form redirects to), revoke (after a confirmation page)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from openmarac.accounts.models import Marac, Role
from openmarac.core.forms import apply_validation_error
from openmarac.core.pagination import paginate
from openmarac.core.views import not_found

from . import selectors, services
from .forms import CredentialForm


def _credentials(request, slug):
    marac = Marac.objects.filter(slug=slug, is_active=True).first()
    credentials = selectors.credentials_for(user=request.user, marac=marac) if marac else None
    if credentials is None:
        not_found(request, "api.apicredential", f"list {slug}")
    return marac, credentials


@login_required
@require_safe
def credentials(request, slug):
    marac, credentials = _credentials(request, slug)
    return render(request, "api/credentials.html", {"marac": marac, "page": paginate(request, credentials)})


# A new key waits in the session, for the credential it opens, only until the page
# after the form shows it: POST/redirect/GET, so reloading that page neither creates a
# second credential nor shows the key again.
_FRESH_KEY = "openmarac_fresh_api_key"


@login_required
def credential_create(request, slug):
    marac, _ = _credentials(request, slug)
    form = CredentialForm(request.POST or None, marac=marac, initial={"expires_on": services.default_expiry()})
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.credential_create(by=request.user, marac=marac, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            request.session[_FRESH_KEY] = {"pk": issued.credential.pk, "token": issued.token}
            return redirect("api:credential-created", pk=issued.credential.pk)
    return render(request, "api/credential_create.html", {"marac": marac, "form": form})


@login_required
@require_safe
def credential_created(request, pk):
    credential = selectors.credential_for(user=request.user, pk=pk)
    if credential is None:
        not_found(request, "api.apicredential", pk)
    fresh = request.session.get(_FRESH_KEY)
    token = None
    if fresh and fresh["pk"] == credential.pk:
        # Shown on this answer only: the key is not stored, so it cannot be shown again.
        token = request.session.pop(_FRESH_KEY)["token"]
    return render(request, "api/credential_created.html", {"marac": credential.marac, "credential": credential, "token": token})


@login_required
def credential_revoke(request, pk):
    """GET: what revoking ends, and a button; POST: revoke."""
    credential = selectors.credential_for(user=request.user, pk=pk)
    if credential is None:
        not_found(request, "api.apicredential", pk)
    if credential.is_revoked:
        messages.info(request, f"“{credential.name}” was already revoked.")
        return redirect("api:credentials", slug=credential.marac.slug)
    if request.method == "POST":
        services.credential_revoke(by=request.user, credential=credential, request=request)
        messages.success(request, f"“{credential.name}” is revoked: the agency's system can no longer use it.")
        return redirect("api:credentials", slug=credential.marac.slug)
    return render(request, "api/credential_revoke.html", {"marac": credential.marac, "credential": credential})


@login_required
@require_safe
def api_docs(request):
    """The endpoints, read from the OpenAPI schema, for signed-in staff (no data in it)."""
    from drf_spectacular.generators import SchemaGenerator

    from openmarac.access import policy

    works_with_cases = any(m.role != Role.GOVERNANCE for m in policy.active_memberships(request.user))
    if not (works_with_cases or policy.is_system_admin(request.user)):
        not_found(request, "api.docs")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    endpoints = [
        {"method": method.upper(), "path": path, "summary": operation.get("summary", "")}
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]
    return render(request, "api/docs.html", {"schema": schema, "endpoints": endpoints})
