"""Background jobs of webhooks: one attempt of one delivery. Enqueued after the event's commit, by the sweep
(retries, lost jobs) and by a manual retry; idempotent through the delivery's claim token."""
from django_tasks import task

from . import services


@task()
def deliver_webhook(delivery_id: str, token: str) -> str:
    """Send one attempt; "skipped" when another job already holds or finished this delivery."""
    return services.deliver(delivery_id, token)
