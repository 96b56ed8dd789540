"""Retries with backoff for every task, whatever the backend: a failed task is enqueued
again after 30 seconds, 2 minutes, 8 minutes… and, when it keeps failing, given up and
shown on the system administrator's page. Tasks are written to be safe to run again
(reminders keep a row per reminder sent; each email is its own task)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_finished

from .models import TaskFailure

logger = logging.getLogger("openmarac.background")


def backoff(attempts):
    """Seconds to wait before the next attempt, after `attempts` failures."""
    return settings.OPENMARAC_TASK_RETRY_BASE_SECONDS * 4 ** (attempts - 1)


@receiver(task_finished)
def retry_or_give_up(sender, task_result, **kwargs):
    if task_result.status == TaskResultStatus.SUCCESSFUL:
        TaskFailure.objects.filter(pending_result_id=task_result.id).update(pending_result_id="", recovered_at=timezone.now())
    elif task_result.status == TaskResultStatus.FAILED:
        _failed(task_result)


@transaction.atomic
def _failed(task_result):
    now = timezone.now()
    error = task_result.errors[-1].exception_class_path if task_result.errors else "unknown"
    failure = TaskFailure.objects.select_for_update().filter(pending_result_id=task_result.id).first()
    if failure is None:
        failure = TaskFailure(task_path=task_result.task.module_path, attempts=0)
    failure.attempts += 1
    failure.error = error[:255]
    failure.last_failed_at = now
    failure.pending_result_id = ""
    task = task_result.task
    if failure.attempts < settings.OPENMARAC_TASK_MAX_ATTEMPTS and task.get_backend().supports_defer:
        delay = backoff(failure.attempts)
        retry = task.using(run_after=now + timedelta(seconds=delay)).enqueue(*task_result.args, **task_result.kwargs)
        failure.pending_result_id = retry.id
        logger.warning("task failed, retrying", extra={"task": failure.task_path, "error": error, "attempt": failure.attempts, "retry_in_seconds": delay})
    else:
        failure.given_up_at = now
        logger.error("task failed, given up", extra={"task": failure.task_path, "error": error, "attempts": failure.attempts})
    failure.save()
