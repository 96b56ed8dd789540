"""Two real `openmarac worker` processes on one queue (the database, then RQ on one
Redis) send a reminder that has fallen due once, with no manual step."""

import os
import sqlite3
import subprocess
import sys
import pytest
import redis
from django.core.management import call_command
from django.db import connection

from openmarac.actions.models import ActionReminder
from openmarac.background.models import ScheduledRun, TaskFailure
from openmarac.background.schedule import SCHEDULE
from tests.actions.conftest import generator, heard  # noqa: F401  (fixtures)

from .management.commands.test_worker import always_fails, overdue_action

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("OPENMARAC_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


class SharedDatabase:
    """The test database as the worker processes see it. PostgreSQL: the test database
    itself. SQLite (in memory for the tests): copied to a file for the workers, and
    copied back afterwards so the test reads what they did."""

    def __init__(self, tmp_path):
        self.settings = connection.settings_dict
        self.file = tmp_path / "workers.sqlite3"

    def __enter__(self):
        if connection.vendor == "postgresql":
            s = self.settings
            return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        connection.ensure_connection()
        with sqlite3.connect(self.file) as target:
            connection.connection.backup(target)
        return f"sqlite:///{self.file}"

    def __exit__(self, *exc):
        if connection.vendor == "sqlite":
            with sqlite3.connect(self.file) as source:
                source.backup(connection.connection)


def run_two_workers(tmp_path, database_url, backend):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "openmarac.config.settings.dev",
        "DATABASE_URL": database_url,
        "OPENMARAC_TASK_BACKEND": backend,
        "REDIS_URL": REDIS_URL if backend == "rq" else "",
        "OPENMARAC_VAR_DIR": str(tmp_path),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    }
    workers = [
        subprocess.Popen(  # noqa: S603  (our own command, fixed arguments)
            [sys.executable, "-m", "openmarac", "worker", "--batch", "--worker-id", f"worker-{n}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for n in (1, 2)
    ]
    for worker in workers:
        output, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0, output
    mail_dir = tmp_path / "mail"
    return [part for f in sorted(mail_dir.glob("*.log")) for part in f.read_text().split("-" * 79) if "Subject:" in part]


def assert_sent_once(staff, action, emails):
    overdue = [email for email in emails if "an action is overdue" in email]
    assert len(overdue) == 1
    assert f"To: {staff['housing_rep'].email}" in overdue[0]
    assert ActionReminder.objects.filter(action=action, kind=ActionReminder.Kind.OVERDUE).count() == 1
    # Every periodic job was claimed, each slot by one worker or the other (the table's
    # unique job and slot). A loaded machine may run the workers past the end of a short
    # job's slot (the dashboard's figures, every 4 minutes): it is then claimed for the
    # next slot too.
    claims = list(ScheduledRun.objects.values_list("job", "claimed_by"))
    assert {job for job, _ in claims} == {job.name for job in SCHEDULE}
    assert {worker for _, worker in claims} <= {"worker-1", "worker-2"}


def test_two_workers_on_the_database_queue_send_a_due_reminder_once(tmp_path, staff, heard):  # noqa: F811
    action = overdue_action(staff, heard())
    with SharedDatabase(tmp_path) as database_url:
        emails = run_two_workers(tmp_path, database_url, "database")
    assert_sent_once(staff, action, emails)


def test_two_workers_on_one_redis_send_a_due_reminder_once(tmp_path, staff, heard):  # noqa: F811
    redis.Redis.from_url(REDIS_URL).flushdb()  # a database of its own for this test: no jobs left by another run
    action = overdue_action(staff, heard())
    with SharedDatabase(tmp_path) as database_url:
        emails = run_two_workers(tmp_path, database_url, "rq")
    assert_sent_once(staff, action, emails)


def test_on_redis_a_failing_task_is_retried_then_given_up(settings):
    """The retry handler is the same for every queue: on RQ the retry is a scheduled job,
    moved to the queue when it falls due (at each start of `worker --batch` here)."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.OPENMARAC_TASK_BACKEND = "rq"
    settings.OPENMARAC_TASK_RETRY_BASE_SECONDS = 0
    always_fails.enqueue()
    for _ in range(settings.OPENMARAC_TASK_MAX_ATTEMPTS):
        call_command("worker", "--batch")
    failure = TaskFailure.objects.get(task_path=always_fails.module_path)
    assert failure.attempts == settings.OPENMARAC_TASK_MAX_ATTEMPTS and failure.given_up_at
    # django-tasks-rq signals the failure before it stores the error, so the class is not
    # known to the handler on RQ; the worker's log names it.
    assert failure.error == "unknown"
