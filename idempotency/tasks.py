"""Background jobs of idempotency keys."""
from datetime import timedelta

from django_tasks import task

from jobs.periodic import every

from . import services


@every(timedelta(hours=1))
@task()
def idempotency_purge_expired() -> int:
    """Delete keys past `IDEMPOTENCY_KEY_TTL_HOURS` (idempotent: a second run finds nothing to delete)."""
    return services.purge_expired()
