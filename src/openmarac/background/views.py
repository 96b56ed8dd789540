from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from openmarac.access import policy
from openmarac.core.pagination import paginate
from openmarac.core.views import not_found

from . import selectors


@login_required
@require_safe
def failures(request):
    if not policy.can_administer_system(request.user):
        not_found(request, "background.taskfailure", "list")
    page = paginate(request, selectors.failures_given_up(user=request.user))
    return render(request, "background/failures.html", {"page": page, "max_attempts": settings.OPENMARAC_TASK_MAX_ATTEMPTS})
