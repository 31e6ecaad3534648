"""`python manage.py recount [--triggers]` → recounts the live rows behind unfiltered list totals and
the tags' usage counts (serviceengine/perf/counts.py)."""
from django.core.management.base import BaseCommand
from django.db import connection

from serviceengine.perf import counts


class Command(BaseCommand):
    help = (
        "Recount every counted table from its rows (the totals of unfiltered lists, the tags' usage counts). Needed only after loading data "
        "with triggers disabled (a data-only restore, replication); safe at any time: writers of those tables wait "
        "while it runs. --triggers also reinstalls the triggers (after a migration rebuilt a counted table on SQLite)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--triggers", action="store_true", help="reinstall the counting triggers first")

    def handle(self, *args, triggers=False, **options):
        if triggers:
            counts.install(connection)  # installs, then recounts
            counts.install_usage(connection)
        else:
            counts.backfill(connection)
            counts.backfill_usage(connection)
        self.stdout.write(f"Recounted {', '.join(counts.COUNTED_TABLES + counts.USAGE_TABLES)}.")
