"""Time-driven work, as tasks (django-tasks): enqueued on time by `openmarac worker`
(background/schedule.py), or at once by `openmarac run-scheduled`."""

from django_tasks import task

from openmarac.accounts.models import Marac

from . import retention


@task()
def apply_retention():
    """Anonymise every Marac's cases that have passed their retention period. Cases
    already anonymised are skipped, so running it every 15 minutes does nothing twice."""
    return sum(len(retention.retention_run(marac=marac)) for marac in Marac.objects.filter(is_active=True))
