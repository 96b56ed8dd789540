"""Time-driven work, as tasks (django-tasks): enqueued on time by `openmarac worker`
(background/schedule.py)."""

from django_tasks import task

from . import figures


@task()
def keep_default_dashboards():
    return figures.keep_default_dashboards()
