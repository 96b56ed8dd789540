from django_tasks import task

from . import services


@task()
def send_action_reminders():
    return services.action_reminders_send()
