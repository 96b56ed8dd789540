"""Time-driven work, as tasks (django-tasks): enqueued on time by `openmarac worker`
(background/schedule.py), or at once by `openmarac run-scheduled`."""

from django_tasks import task

from . import services


@task()
def publish_due_case_lists():
    return len(services.publish_due())


@task()
def send_research_reminders():
    return services.research_reminders_send()


@task()
def release_agency_checks():
    from openmarac.referrals.services import agency_checks_release

    return agency_checks_release()
