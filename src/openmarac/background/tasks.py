"""The worker's own housekeeping task."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from .models import ScheduledRun, TaskFailure

KEEP = timedelta(days=30)
# A finished email task's arguments hold its body: an invitation or password link lasts
# a day (PASSWORD_RESET_TIMEOUT), so the database queue forgets finished tasks after one.
KEEP_RESULTS = timedelta(days=1)


@task()
def tidy_background_records():
    """Claims of past periodic runs and recovered failures are only needed for a while,
    finished results in the database queue for a day. Failures given up stay, for the
    system administrator."""
    now = timezone.now()
    cutoff = now - KEEP
    removed = ScheduledRun.objects.filter(claimed_at__lt=cutoff).delete()[0]
    removed += TaskFailure.objects.filter(recovered_at__lt=cutoff).delete()[0]
    removed += DBTaskResult.objects.finished().filter(finished_at__lt=now - KEEP_RESULTS).delete()[0]
    return removed
