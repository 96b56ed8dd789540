"""What the worker keeps about background work: which periodic runs have been claimed
(so several workers never run the same one twice) and which tasks keep failing (so
the system administrator sees them). Neither holds case content or task arguments."""

from django.db import models


class ScheduledRun(models.Model):
    """One periodic job's run for one time slot. The unique pair is the claim: the
    worker that inserts the row enqueues the run; any other worker finds it taken."""

    job = models.CharField(max_length=64)
    slot = models.DateTimeField(help_text="Start of the time slot this run is for.")
    claimed_at = models.DateTimeField(auto_now_add=True)
    claimed_by = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="background_one_run_per_job_and_slot")]
        indexes = [models.Index(fields=["claimed_at"], name="background_run_claimed_idx")]

    def __str__(self):
        return f"{self.job} at {self.slot:%Y-%m-%d %H:%M}"


class TaskFailure(models.Model):
    """A task that failed, with its retries. `pending_result_id` is the retry now
    queued; once the attempts run out the failure is given up and shows on the system
    administrator's page."""

    task_path = models.CharField(max_length=255)
    error = models.CharField(max_length=255, help_text="The exception's class: never its message, which may hold data.")
    attempts = models.PositiveSmallIntegerField(default=1)
    first_failed_at = models.DateTimeField(auto_now_add=True)
    last_failed_at = models.DateTimeField()
    pending_result_id = models.CharField(max_length=64, blank=True, db_index=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    recovered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["given_up_at"], name="background_failure_open_idx")]

    def __str__(self):
        return f"{self.task_path} ({self.attempts} attempts)"
