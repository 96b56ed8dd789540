from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from openmarac.access import policy
from openmarac.audit import services as audit
from openmarac.background.selectors import count_failures_given_up

from .selectors import home_panels, personal_attention


@login_required
@require_safe
def home(request):
    return render(
        request,
        "core/home.html",
        {
            "panels": home_panels(user=request.user),
            "personal": personal_attention(user=request.user),
            "is_system_admin": policy.is_system_admin(request.user),
            "failed_tasks": count_failures_given_up(user=request.user),
        },
    )


def page_not_found(request, exception):
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception):
    # Treated as not found: a refusal must not confirm that the record exists. A
    # service refused the write (its own check), so the refusal is audited here like
    # every refusal that passes through not_found().
    audit.record(action=audit.Action.DENIED, request=request, record_type="request", record_id=request.path[:64], summary=request.method)
    return render(request, "errors/404.html", status=404)


def bad_request(request, exception):
    return render(request, "errors/400.html", status=400)


def not_found(request, record_type, record_id=""):
    """Refuse as if the record did not exist, and record the refusal."""
    audit.record(action=audit.Action.DENIED, request=request, record_type=record_type, record_id=str(record_id))
    raise Http404


def marac_or_404(request, slug, allowed, *, record_type="accounts.marac", record_id=None):
    """The active Marac named by `slug` if `allowed(user, marac)` (a policy predicate);
    otherwise not found, the refusal recorded as `record_type` and `record_id` (the
    slug unless given)."""
    from openmarac.accounts.selectors import marac_for

    marac = marac_for(user=request.user, slug=slug, allowed=allowed)
    if marac is None:
        not_found(request, record_type, slug if record_id is None else record_id)
    return marac
