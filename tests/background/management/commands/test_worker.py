"""`openmarac worker`, in this process: on the database queue a reminder goes on time
with nobody pressing a button, emails wait for the worker, and a task that keeps
failing is retried and then shown to the system administrator; then the command's own
surface (its options, its name in the log, a clear error when Redis cannot be reached).
Two worker processes at once: tests/background/test_two_workers.py."""

import logging
import re
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as MemoryBackend
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from openmarac.actions import services as action_services
from openmarac.actions.models import ActionReminder
from openmarac.background.models import ScheduledRun, TaskFailure
from openmarac.notifications.services import notify
from tests.actions.conftest import generator, heard  # noqa: F401  (fixtures)
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@task()
def always_fails():
    raise ConnectionRefusedError("the mail relay at 10.0.0.9 refused jane@example.org")


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE
    settings.OPENMARAC_TASK_BACKEND = "database"


def overdue_action(staff, hearing):
    return action_services.action_add(
        by=staff["coordinator"], hearing=hearing, owner_agency=staff["housing_rep"].agency,
        description="Offer the victim a move to a safe property", for_whom="victim",
        due_on=timezone.localdate() - timedelta(days=1),
    )


def test_a_reminder_goes_on_schedule_with_no_manual_step_and_only_once(database_queue, staff, heard):  # noqa: F811
    action = overdue_action(staff, heard())
    mail.outbox.clear()
    call_command("worker", "--batch")
    assert ActionReminder.objects.filter(action=action, kind=ActionReminder.Kind.OVERDUE).count() == 1
    reminders = [m for m in mail.outbox if "overdue" in m.subject]
    assert [m.to for m in reminders] == [[staff["housing_rep"].email]]
    assert ScheduledRun.objects.filter(job="action-reminders").count() == 1
    call_command("worker", "--batch")  # the same slot: claimed already
    call_command("worker", "--batch")
    assert len([m for m in mail.outbox if "overdue" in m.subject]) == 1
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()


def test_a_change_only_queues_its_email_the_worker_sends_it(database_queue, staff):
    notify(users=[staff["housing_rep"]], subject="a case needs research", message="Please research.", path="/")
    assert mail.outbox == []
    queued = DBTaskResult.objects.get(task_path="openmarac.notifications.tasks.send_email")
    assert queued.status == "READY"
    call_command("worker", "--batch")
    assert [m.subject for m in mail.outbox] == ["OpenMarac: a case needs research"]


def test_a_task_that_keeps_failing_is_retried_then_shown_to_the_system_administrator(database_queue, settings, system_admin, client):
    settings.OPENMARAC_TASK_RETRY_BASE_SECONDS = 0  # no waiting between attempts in a test
    always_fails.enqueue()
    call_command("worker", "--batch")
    failure = TaskFailure.objects.get()
    assert failure.task_path == always_fails.module_path
    assert failure.attempts == settings.OPENMARAC_TASK_MAX_ATTEMPTS and failure.given_up_at
    assert failure.error == "builtins.ConnectionRefusedError"
    assert DBTaskResult.objects.filter(task_path=failure.task_path, status="FAILED").count() == settings.OPENMARAC_TASK_MAX_ATTEMPTS

    sign_in(client, system_admin)
    home = client.get(reverse("core:home")).content.decode()
    assert "1 failed" in home
    page = client.get(reverse("background:failures")).content.decode()
    assert always_fails.module_path in page and "ConnectionRefusedError" in page
    assert "jane@example.org" not in page and "10.0.0.9" not in page  # never the message: it may hold data
    assert "Showing 1 to 1 of 1 failed tasks" in page


def test_a_retry_that_succeeds_is_not_shown(database_queue, settings, system_admin):
    settings.OPENMARAC_TASK_RETRY_BASE_SECONDS = 0
    settings.EMAIL_BACKEND = f"{__name__}.FailsOnceBackend"
    FailsOnceBackend.failed = False
    notify(users=[system_admin], subject="test", message="A test.", path="/")
    call_command("worker", "--batch")
    failure = TaskFailure.objects.get()
    assert failure.attempts == 1 and failure.recovered_at and failure.given_up_at is None
    assert len(mail.outbox) == 1


class FailsOnceBackend(MemoryBackend):
    failed = False

    def send_messages(self, messages):
        if not FailsOnceBackend.failed:
            FailsOnceBackend.failed = True
            raise ConnectionRefusedError
        return super().send_messages(messages)


# --- The command's own surface -----------------------------------------------------------


def test_batch_on_the_immediate_queue_claims_the_due_jobs_and_stops(db, caplog):
    with caplog.at_level(logging.INFO, logger="openmarac.background"):
        call_command("worker", "--batch", "--worker-id", "web-1")
    assert ScheduledRun.objects.filter(job="action-reminders", claimed_by="web-1").exists()
    (started,) = [r for r in caplog.records if r.getMessage() == "worker starting"]
    assert (started.worker, started.backend) == ("web-1", "django_tasks")


def test_a_worker_without_a_name_is_named_after_its_host(db, caplog):
    with caplog.at_level(logging.INFO, logger="openmarac.background"):
        call_command("worker", "--batch")
    (started,) = [r for r in caplog.records if r.getMessage() == "worker starting"]
    assert re.fullmatch(re.escape(socket.gethostname()[:57]) + r".*-[A-Za-z0-9]{6}", started.worker)


def test_a_long_worker_name_is_cut_to_what_the_records_hold(db):
    call_command("worker", "--batch", "--worker-id", "w" * 100)
    assert set(ScheduledRun.objects.values_list("claimed_by", flat=True)) == {"w" * 64}


def test_an_interval_that_is_not_a_number_is_refused(db):
    with pytest.raises(CommandError, match="argument --interval: invalid float value: 'soon'") as refused:
        call_command("worker", "--interval", "soon")
    assert refused.value.returncode == 1


def test_an_unreachable_redis_is_one_clear_error(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:9/0"}}  # the discard port: nothing listens
    settings.OPENMARAC_TASK_BACKEND = "rq"
    with pytest.raises(CommandError, match="^Could not reach the task queue on Redis: "):
        call_command("worker", "--batch")
    assert not ScheduledRun.objects.exists()  # nothing claimed that could not be enqueued
