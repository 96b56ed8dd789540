from django.core.mail import send_mail
from django_tasks import task


@task()
def send_email(*, subject, body, to):
    """One email, as a task of its own: a web request never waits for the mail relay,
    and a failure is retried (background/retry.py) without sending the others twice."""
    return send_mail(subject, body, None, to, fail_silently=False)
