"""Background jobs of the event log."""
from datetime import timedelta

from django_tasks import task

from jobs.periodic import every

from . import services


@every(timedelta(hours=1))
@task()
def events_purge_expired() -> int:
    """Delete events past `EVENT_RETENTION_DAYS` (idempotent: a second run finds nothing to delete)."""
    return services.events_purge_expired()
