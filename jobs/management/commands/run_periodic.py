"""`manage.py run_periodic`: the periodic-job scheduler alone, for the Redis (RQ) backend, whose worker
(`manage.py rqworker`) does not schedule them. `db_worker` does this itself; running both is harmless."""
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from jobs.periodic import tick


class Command(BaseCommand):
    help = "Enqueue periodic jobs when they are due (for workers that do not schedule them, such as rqworker)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Tick once and exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between ticks (default 1).")

    def handle(self, *, once, interval, **options):
        while True:
            for name in tick():
                self.stdout.write(f"enqueued {name}")
            close_old_connections()
            if once:
                return
            time.sleep(interval)
