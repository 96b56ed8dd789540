import logging
import socket
import threading
import time

import django_rq
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.management.commands.db_worker import Worker
from rq import SimpleWorker

from openmarac.background.schedule import enqueue_due

logger = logging.getLogger("openmarac.background")


class Command(BaseCommand):
    help = (
        "Run background work: the queued tasks (emails and the like) and the periodic jobs "
        "(case list publication, research, action and flag reminders, retention), each on time. "
        "Run one or more, on one machine or several: a periodic run is claimed once, so "
        "nothing is sent twice. The queue is OPENMARAC_TASK_BACKEND: database (default) or rq."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=15, help="Seconds between looks at the schedule (default 15).")
        parser.add_argument("--batch", action="store_true", help="Enqueue what is due, run every queued task, then stop.")
        parser.add_argument("--worker-id", default="", help="A name for this worker in the logs (default: host and a random suffix).")

    def handle(self, *args, interval, batch, worker_id, **options):
        worker_id = (worker_id or f"{socket.gethostname()}-{get_random_string(6)}")[:64]
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        kind = type(backend).__module__.split(".")[0]
        logger.info("worker starting", extra={"worker": worker_id, "backend": kind})
        if kind == "django_tasks_rq":
            self.check_redis(backend)  # before anything is claimed or enqueued
        if batch:
            enqueue_due(worker_id=worker_id)
        else:
            threading.Thread(target=self.schedule_forever, args=(interval, worker_id), daemon=True, name="schedule").start()
        if kind == "django_tasks_db":
            self.run_database_queue(backend, batch=batch, worker_id=worker_id)
        elif kind == "django_tasks_rq":
            self.run_rq_queue(backend, batch=batch, worker_id=worker_id)
        elif not batch:
            # The immediate backend runs each task as it is enqueued: only the schedule to keep.
            while True:
                time.sleep(3600)

    def schedule_forever(self, interval, worker_id):
        while True:
            close_old_connections()
            try:
                enqueue_due(worker_id=worker_id)
            except Exception:
                logger.exception("could not enqueue the periodic jobs", extra={"worker": worker_id})
            time.sleep(interval)

    def run_database_queue(self, backend, *, batch, worker_id):
        worker = Worker(
            queue_names=sorted(backend.queues) or ["default"], interval=1, batch=batch, backend_name=backend.alias,
            startup_delay=not batch, max_tasks=None, worker_id=worker_id, excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()

    def check_redis(self, backend):
        try:
            for queue in sorted(backend.queues) or ["default"]:
                django_rq.get_connection(queue).ping()
        except Exception as exc:  # noqa: BLE001  (a clear message instead of a Redis traceback)
            raise CommandError(f"Could not reach the task queue on Redis: {exc}") from exc

    def run_rq_queue(self, backend, *, batch, worker_id):
        queues = sorted(backend.queues) or ["default"]
        # In-process (no fork per task): the task shares this process's database connection handling.
        worker = django_rq.get_worker(*queues, job_class="django_tasks_rq.backend.Job", worker_class=SimpleWorker, name=worker_id)
        worker.work(burst=batch, with_scheduler=True, logging_level="WARNING")
