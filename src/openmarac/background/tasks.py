"""The worker's own housekeeping task."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from .models import ScheduledRun, TaskFailure

KEEP = timedelta(days=30)


@task()
def tidy_background_records():
    """Claims of past periodic runs and recovered failures are only needed for a while;
    finished results in the database queue likewise. Failures given up stay, for the
    system administrator."""
    cutoff = timezone.now() - KEEP
    removed = ScheduledRun.objects.filter(claimed_at__lt=cutoff).delete()[0]
    removed += TaskFailure.objects.filter(recovered_at__lt=cutoff).delete()[0]
    removed += DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()[0]
    return removed
