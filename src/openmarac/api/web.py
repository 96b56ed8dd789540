"""The coordinator's pages for the Marac's API credentials: list, create (the token is
shown once, on the page that answers the form), revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

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
            # Shown on this answer only: it is not stored, so it cannot be shown again.
            return render(request, "api/credential_created.html", {"marac": marac, "issued": issued})
    return render(request, "api/credential_create.html", {"marac": marac, "form": form})


@login_required
@require_POST
def credential_revoke(request, pk):
    credential = selectors.credential_for(user=request.user, pk=pk)
    if credential is None:
        not_found(request, "api.apicredential", pk)
    services.credential_revoke(by=request.user, credential=credential, request=request)
    messages.success(request, f"“{credential.name}” is revoked: the agency's system can no longer use it.")
    return redirect("api:credentials", slug=credential.marac.slug)


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
