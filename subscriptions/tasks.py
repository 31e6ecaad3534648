"""Background jobs of subscriptions: the periodic issuing of due period invoices (no cron: the worker schedules
it, `jobs.periodic`)."""
from datetime import timedelta

from django_tasks import task

from jobs.periodic import every

from . import services


@every(timedelta(minutes=1))
@task()
def subscriptions_issue_due() -> int:
    """Issue, send and advance every due subscription period (idempotent: a re-run finds nothing due)."""
    return services.subscriptions_issue_due()
