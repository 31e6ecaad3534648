"""Support tickets and their messages (contract tickets.md)."""
from django.db import models

from orders.models import status_label
from serviceengine.core.reads import reads
from serviceengine.core.tenancy import OrgOwned, SoftDeleteMixin, TenantModel, live_index


class TicketStatus(models.IntegerChoices):
    OPEN = 1, "Open"
    PENDING = 2, "Pending"
    CLOSED = 3, "Closed"


class Ticket(SoftDeleteMixin, TenantModel):
    """A support ticket of a user (normally a client), optionally about one of its orders."""

    subject = models.CharField(max_length=255)
    user = models.ForeignKey("serviceengine.User", on_delete=models.PROTECT, related_name="tickets")
    # No index of its own on order_id: `ticket_org_order` (organization, order, …) serves every read by order. A
    # standalone (order_id) index let the planner walk every tenant's tickets for `sort=order_id` (the sort ties
    # with the organization index's, both need an incremental sort on id), so the list could leave the
    # organization's index depending on ANALYZE's sample. Only a hard delete of orders (SET NULL) reads by order
    # alone, and that happens when an organization is removed.
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets", db_index=False
    )
    status = models.SmallIntegerField(choices=TicketStatus.choices, default=TicketStatus.OPEN)
    source = models.CharField(max_length=50, default="API")
    note = models.TextField(null=True, blank=True)
    form_data = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    date_closed = models.DateTimeField(null=True, blank=True)
    employees = models.ManyToManyField(
        "serviceengine.User", through="TicketEmployee", related_name="assigned_tickets", blank=True
    )
    tags = models.ManyToManyField("orders.Tag", through="TicketTag", related_name="tickets", blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        # The list (contract §8.1): default order, filters and sorts, over live rows only (see `live_index`).
        indexes = [
            live_index("organization", "-created_at", "id", name="ticket_org_created"),
            live_index("organization", "id", name="ticket_org_id"),
            live_index("organization", "-subject", "id", name="ticket_org_subject"),
            live_index("organization", "status", "-created_at", "id", name="ticket_org_status"),
            live_index("organization", "user", "-created_at", "id", name="ticket_org_user"),
            live_index("organization", "order", "-created_at", "id", name="ticket_org_order"),
            live_index("organization", "-last_message_at", "id", name="ticket_org_last_message"),
        ]

    def __str__(self):
        return self.subject

    @property
    @reads("status")
    def status_label(self) -> str:
        return status_label(TicketStatus, self.status)

    def date_closed_after(self, new_status: int, *, at):
        """The `date_closed` that goes with moving from the current status to `new_status` at `at`: entering
        Closed stamps it, leaving Closed clears it, anything else keeps it (tickets.md, PUT status rules)."""
        was_closed = self.status == TicketStatus.CLOSED
        is_closed = new_status == TicketStatus.CLOSED
        if is_closed and not was_closed:
            return at
        if was_closed and not is_closed:
            return None
        return self.date_closed


class TicketEmployee(OrgOwned):
    """Junction ticket ↔ team member (the ticket's organization); its id keeps assignment order."""

    org_from = "ticket"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="employee_links")
    user = models.ForeignKey("serviceengine.User", on_delete=models.CASCADE, related_name="+")

    class Meta(OrgOwned.Meta):
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "ticket", "user"], name="ticket_employee_unique_per_org")
        ]


class TicketTag(OrgOwned):
    """Junction ticket ↔ tag (the ticket's organization); its id keeps assignment order."""

    org_from = "ticket"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey("orders.Tag", on_delete=models.CASCADE, related_name="ticket_links")

    class Meta(OrgOwned.Meta):
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "ticket", "tag"], name="ticket_tag_unique_per_org")
        ]


class TicketMessage(TenantModel):
    """A message on a ticket; `last_message_at` of the ticket follows the newest one."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    user = models.ForeignKey(
        "serviceengine.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_messages"
    )
    message = models.TextField()
    staff_only = models.BooleanField(default=False)
    files = models.JSONField(default=list, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["organization", "ticket", "created_at", "id"], name="ticket_message_org_created")
        ]

    def __str__(self):
        return self.message[:50]
