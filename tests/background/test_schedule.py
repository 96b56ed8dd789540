"""The periodic jobs: each time slot is claimed once, whoever asks and however often."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from openmarac.background.models import ScheduledRun, TaskFailure
from openmarac.background.retry import backoff
from openmarac.background.schedule import SCHEDULE, Periodic, enqueue_due
from openmarac.background.tasks import tidy_background_records

NOW = datetime(2026, 3, 2, 9, 7, tzinfo=UTC)


def test_each_job_is_enqueued_once_per_slot_however_many_workers_ask(db):
    assert enqueue_due(now=NOW, worker_id="first") == [job.name for job in SCHEDULE]
    assert enqueue_due(now=NOW, worker_id="second") == []
    assert enqueue_due(now=NOW + timedelta(seconds=50), worker_id="second") == []  # the same slot of every job
    assert ScheduledRun.objects.count() == len(SCHEDULE)
    assert set(ScheduledRun.objects.values_list("claimed_by", flat=True)) == {"first"}
    # 09:10 starts a 5-minute slot, and 09:08 a 4-minute one; 09:15 a 15-minute one too.
    assert enqueue_due(now=NOW + timedelta(minutes=3), worker_id="second") == ["publish-case-lists", "release-agency-checks", "governance-figures"]
    assert enqueue_due(now=NOW + timedelta(minutes=8)) == [
        "publish-case-lists", "release-agency-checks", "research-reminders", "action-reminders", "flag-reminders", "governance-figures",
    ]


@given(
    now=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)),
    minutes=st.sampled_from([1, 5, 15, 60, 24 * 60]),
)
def test_a_slot_starts_at_or_before_now_and_every_worker_agrees_on_it(now, minutes):
    job = Periodic("job", task=None, every=timedelta(minutes=minutes))
    slot = job.slot(now)
    assert slot <= now < slot + job.every
    assert job.slot(slot) == slot
    assert job.slot(now.astimezone(datetime.now().astimezone().tzinfo)) == slot  # the worker's own time zone does not matter


def test_retries_wait_longer_each_time(settings):
    settings.OPENMARAC_TASK_RETRY_BASE_SECONDS = 30
    assert [backoff(n) for n in (1, 2, 3, 4)] == [30, 120, 480, 1920]


def test_old_claims_and_recovered_failures_are_forgotten_failures_given_up_stay(db):
    long_ago = timezone.now() - timedelta(days=31)
    enqueue_due(now=NOW)
    ScheduledRun.objects.filter(job="retention").update(claimed_at=long_ago)
    TaskFailure.objects.create(task_path="a.recovered", error="E", last_failed_at=long_ago, recovered_at=long_ago)
    TaskFailure.objects.create(task_path="a.given_up", error="E", last_failed_at=long_ago, given_up_at=long_ago)
    assert tidy_background_records.enqueue().return_value == 2
    assert not ScheduledRun.objects.filter(job="retention").exists()
    assert list(TaskFailure.objects.values_list("task_path", flat=True)) == ["a.given_up"]
