"""The periodic work and when it falls due. `openmarac worker` looks at this table every
few seconds; for each job whose time slot has started it inserts a `ScheduledRun` for
(job, slot) and, if the insert succeeded, enqueues the job's task. The unique row is
the claim, so however many workers run, each slot's run is enqueued once; the tasks
themselves are safe to run again (a reminder keeps a row per reminder sent)."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from openmarac.actions.tasks import send_action_reminders, send_flag_reminders
from openmarac.governance.tasks import keep_default_dashboards
from openmarac.meetings.tasks import publish_due_case_lists, release_agency_checks, send_research_reminders
from openmarac.records.tasks import apply_retention

from .models import ScheduledRun
from .tasks import tidy_background_records

logger = logging.getLogger("openmarac.background")


@dataclass(frozen=True)
class Periodic:
    name: str
    task: object
    every: timedelta

    def slot(self, now):
        """Start of the slot `now` falls in: slots are counted from the Unix epoch, so
        every worker, wherever it runs, agrees on them."""
        seconds = int(self.every.total_seconds())
        epoch = int(now.timestamp())
        return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


SCHEDULE = [
    Periodic("publish-case-lists", publish_due_case_lists, timedelta(minutes=5)),
    # A referral waiting for its agency's check goes on by itself when the time runs out.
    Periodic("release-agency-checks", release_agency_checks, timedelta(minutes=5)),
    Periodic("research-reminders", send_research_reminders, timedelta(minutes=15)),
    Periodic("action-reminders", send_action_reminders, timedelta(minutes=15)),
    Periodic("flag-reminders", send_flag_reminders, timedelta(minutes=15)),
    Periodic("retention", apply_retention, timedelta(hours=1)),
    # More often than the figures are kept (OPENMARAC_FIGURES_KEEP_SECONDS, 5 minutes by
    # default), so the dashboard's default period is always found worked out.
    Periodic("governance-figures", keep_default_dashboards, timedelta(minutes=4)),
    Periodic("tidy-background-records", tidy_background_records, timedelta(days=1)),
]


def enqueue_due(*, now=None, worker_id="", schedule=None):
    """Claim and enqueue every job whose current slot has not been claimed yet.
    Returns the names of the jobs this call enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in SCHEDULE if schedule is None else schedule:
        slot = job.slot(now)
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(job=job.name, slot=slot, claimed_by=worker_id[:64])
                # In the claim's transaction: if the queue refuses, the claim goes too
                # and the next look tries again.
                job.task.enqueue()
        except IntegrityError:
            continue  # another worker has this slot
        logger.info("periodic job enqueued", extra={"job": job.name, "slot": slot.isoformat()})
        enqueued.append(job.name)
    return enqueued

