"""Subscriptions that bill themselves (issue 16): a client, the lines billed every period, and the schedule.

A subscription issues one invoice per period, at the period's start (`subscriptions.services`), and is never
deleted (cancel ends it). The older `billing.Subscription` rows that `mark_paid` creates for recurring invoices
(contract invoices.md) are a separate record: they bill nothing and the API does not show them.
"""
from django.db import models
from django.db.models import Q

from serviceengine.core.tenancy import TenantModel

from . import periods


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    CANCELED = "canceled", "Canceled"


class Interval(models.TextChoices):
    WEEK = periods.WEEK, "Week"
    MONTH = periods.MONTH, "Month"
    YEAR = periods.YEAR, "Year"


class Subscription(TenantModel):
    """Period `n` runs from `period_start(n)` to `period_start(n + 1)` (subscriptions/periods.py). `next_period`
    is the index of the next period to bill; `next_invoice_at` is midnight UTC of its first day while the
    subscription is active, null while paused or canceled. `current_period_*` is the last period billed (or,
    after a resume, the period in progress that the pause skipped)."""

    client = models.ForeignKey("serviceengine.User", on_delete=models.PROTECT, related_name="client_subscriptions")
    status = models.CharField(max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    currency = models.CharField(max_length=3, default="USD")
    interval = models.CharField(max_length=5, choices=Interval.choices)
    interval_count = models.PositiveSmallIntegerField(default=1)
    start_date = models.DateField()
    current_period_start = models.DateField(null=True, blank=True)
    current_period_end = models.DateField(null=True, blank=True)
    next_period = models.PositiveIntegerField(default=0, editable=False)
    next_invoice_at = models.DateTimeField(null=True, blank=True)
    coupon_code = models.CharField(max_length=50, null=True, blank=True)
    invoices_count = models.PositiveIntegerField(default=0)
    latest_invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "id"], name="subscription_org_created"),
            models.Index(fields=["organization", "client", "-created_at", "id"], name="subscription_org_client"),
            models.Index(fields=["organization", "status", "-created_at", "id"], name="subscription_org_status"),
            models.Index(fields=["organization", "-next_invoice_at", "id"], name="subscription_org_next"),
            # The billing job's scan across organizations: active subscriptions by due time.
            models.Index(
                fields=["next_invoice_at", "id"], name="subscription_due", condition=Q(status="active")
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(interval_count__gte=1), name="subscription_interval_count_positive"),
        ]

    def __str__(self):
        return f"{self.interval_count} {self.interval} · {self.get_status_display()}"

    def period_start(self, n: int):
        return periods.period_start(self.start_date, self.interval, self.interval_count, n)


class SubscriptionItem(TenantModel):
    """A line billed every period: `quantity × price`, optionally naming a service of the catalog."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey("catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=255)
    quantity = models.IntegerField(default=1)
    price = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta(TenantModel.Meta):
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.name
