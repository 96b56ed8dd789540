"""What the system administrator sees of background work: tasks that kept failing."""

from django.core.exceptions import PermissionDenied

from openmarac.access import policy

from .models import TaskFailure


def failures_given_up(*, user):
    """Tasks that failed every attempt, newest first. Only the task, the exception's
    class and the times: never a task's arguments (an email address, a body)."""
    if not policy.can_administer_system(user):
        raise PermissionDenied
    return TaskFailure.objects.filter(given_up_at__isnull=False).order_by("-given_up_at", "-pk")


def count_failures_given_up(*, user):
    return failures_given_up(user=user).count() if policy.can_administer_system(user) else 0
