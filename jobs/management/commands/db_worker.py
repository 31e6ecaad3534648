"""`manage.py db_worker`: django-tasks-db's worker, plus a scheduler thread that enqueues the periodic jobs that
are due (`jobs.periodic.tick`, about once a second), so no cron is needed. Same options as the original; any
number of workers may run, on any number of hosts (the periodic claim is one conditional UPDATE)."""
import logging
import os
import threading

from django.db import close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker as base

from jobs.actors import system_actor
from jobs.periodic import tick

logger = logging.getLogger("jobs")

TICK_SECONDS = 1.0


class Worker(base.Worker):
    """Runs every job as the `system` actor, and schedules periodic jobs from a thread beside the job loop."""

    def run_task(self, db_task_result):
        with system_actor():  # a change made by a job is the system's (issue 13: actor)
            return super().run_task(db_task_result)

    def run(self):
        if self.batch:  # one pass over what is due now, then the queue: no scheduler thread
            tick()
            return super().run()
        stop = threading.Event()
        scheduler = threading.Thread(target=self._schedule, args=(stop,), name="periodic-jobs", daemon=True)
        scheduler.start()
        try:
            return super().run()
        finally:
            stop.set()

    @staticmethod
    def _schedule(stop: threading.Event):
        while not stop.is_set():
            try:
                tick()
            except Exception:  # the database may be briefly unreachable: keep ticking
                logger.exception("periodic jobs: tick failed")
            finally:
                close_old_connections()
            stop.wait(TICK_SECONDS)
        connection.close()


class Command(base.Command):
    help = "Run a database background worker; it also schedules the periodic jobs (no cron needed)."

    def handle(self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay, reload, max_tasks,
               worker_id, exclude_queues, **options):
        self.configure_logging(verbosity)
        reload = reload and not batch
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise base.CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":  # only the reloaded child handles signals
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
