from django_tasks import task

from . import services


@task()
def send_action_reminders():
    return services.action_reminders_send()


@task()
def send_flag_reminders():
    return services.flag_reminders_send()
