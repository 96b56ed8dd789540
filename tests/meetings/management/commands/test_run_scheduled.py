"""`openmarac run_scheduled`: enqueue, by hand, the work that falls due with time (the
worker does it on its own schedule). What it prints with a queue that runs tasks at
once and with one that does not, and that running it twice does nothing twice. Each
job's own rules are tested with its app (agency checks, case lists, reminders, flags,
retention)."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from freezegun import freeze_time

from openmarac.meetings import services

NOTHING_DUE = (
    "Case lists published: 0. Research reminders sent: 0. Action reminders sent: 0. Cases anonymised: 0. "
    "Flag reminders sent: 0. Referrals sent on after the agency check time: 0.\n"
)


def test_with_nothing_due_it_says_so_for_every_job(db, capsys):
    call_command("run_scheduled")
    assert capsys.readouterr().out == NOTHING_DUE


def test_it_publishes_and_reminds_once(django_capture_on_commit_callbacks, marac, people, refer, meeting, capsys):
    services.referral_list(by=people["coordinator"], referral=refer(), meeting=meeting)
    deadline_day = timezone.localtime(meeting.research_deadline)
    with freeze_time(deadline_day - timedelta(hours=2)), django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduled")
        call_command("run_scheduled")
    first, second = capsys.readouterr().out.splitlines()
    # Police, probation, housing, children’s social care and the Idva service owe research.
    assert first.startswith("Case lists published: 1. Research reminders sent: 5. Action reminders sent: 0.")
    assert second + "\n" == NOTHING_DUE


def test_with_a_queue_it_enqueues_each_job_and_says_only_that(db, settings, capsys):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("run_scheduled")
    assert capsys.readouterr().out == "Scheduled work enqueued.\n"
    assert DBTaskResult.objects.count() == 6  # one of each job, for `openmarac worker` to run
