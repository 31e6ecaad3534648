"""Webhook endpoints and their deliveries (issue 13)."""
from django.db import models

from serviceengine.core.tenancy import TenantModel


class EndpointStatus(models.TextChoices):
    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


def subscribes(enabled_events: list, event_type: str) -> bool:
    """Whether an endpoint with these `enabled_events` receives events of `event_type`."""
    return "*" in enabled_events or event_type in enabled_events


class WebhookEndpoint(TenantModel):
    """A URL that receives the organization's events of the types in `enabled_events` (`["*"]`: all). The secret
    signs every delivery; the API shows it only when it is created or rotated."""

    url = models.CharField(max_length=2048)
    description = models.CharField(max_length=1000, null=True, blank=True)
    enabled_events = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=EndpointStatus.choices, default=EndpointStatus.ENABLED)
    secret = models.CharField(max_length=100, editable=False)
    # Deliveries that ended failed in a row (reset by a success); at WEBHOOK_DISABLE_AFTER_FAILURES: disabled.
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["organization", "-created_at", "id"], name="webhook_endpoint_org_created")]

    def __str__(self):
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        return subscribes(self.enabled_events, event_type)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(TenantModel):
    """One event sent to one endpoint: its id is the `webhook-id` header, the same on every attempt.

    At-least-once: a pending delivery is due at `next_attempt_at`; whoever sends it first claims it with a fresh
    `lock_token` and a lease (`locked_until`). A worker killed mid-attempt leaves the lease to expire, and the
    periodic sweep enqueues the delivery again."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, null=True, blank=True)
    last_response_body = models.TextField(null=True, blank=True)  # at most 2 KiB (RESPONSE_BODY_LIMIT)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lock_token = models.UUIDField(null=True, blank=True, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["organization", "endpoint", "-created_at", "id"], name="webhook_delivery_endpoint"),
            # the sweep: pending deliveries by due time (a small partial index, read whole across organizations)
            models.Index(fields=["organization", "next_attempt_at"], name="webhook_delivery_due",
                         condition=models.Q(status="pending")),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.endpoint_id}"
