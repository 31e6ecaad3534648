"""Ticket workflows (contract tickets.md): create, update, soft delete, and messages.

Ids sent in bodies arrive as raw strings and are resolved here, within the ticket's organization, in the
contract's order of checks: another organization's id behaves exactly like an unknown one (422).
"""
from django.db import transaction
from django.utils import timezone

from events.services import record_event, snapshot
from orders.models import Order, Tag
from orders.services import tags_find_or_create
from serviceengine.core.errors import DomainError
from serviceengine.models import User
from serviceengine.core.services import resolve_ref, resolve_team_members

from .models import Ticket, TicketEmployee, TicketMessage, TicketStatus, TicketTag

CLIENT_MISSING = "The specified client does not exist."
ORDER_MISSING = "The specified order does not exist."
EMPLOYEE_MISSING = "The specified employee does not exist."
USER_MISSING = "The specified user does not exist."


class _Unset:
    def __repr__(self):
        return "UNSET"


UNSET = _Unset()  # "not sent" in partial updates, distinct from None


def _resolve_user(organization, raw_id) -> User:
    """Any user of the organization (client or team member, as the reference); a non-UUID is simply not found."""
    return resolve_ref(User.objects.for_org(organization), raw_id, field="user_id", message=CLIENT_MISSING)


def _resolve_order(organization, raw_id) -> Order:
    """A non-deleted order of the organization (`Order.objects` hides soft-deleted ones)."""
    return resolve_ref(Order.objects.for_org(organization), raw_id, field="order_id", message=ORDER_MISSING)


def _resolve_employees(organization, raw_ids: list) -> list[User]:
    """Team members by the dashboard_access rule, in one query; the message names no id (unlike orders)."""
    return resolve_team_members(organization, raw_ids, field="employees", message=EMPLOYEE_MISSING)


def set_ticket_employees(ticket: Ticket, employees: list[User]) -> None:
    """Replace the ticket's employees with exactly these, in this order (junction ids keep the order)."""
    org_id = ticket.organization_id
    TicketEmployee.objects.for_org(org_id).filter(ticket=ticket).delete()
    TicketEmployee.objects.bulk_create(
        [TicketEmployee(organization_id=org_id, ticket=ticket, user=user) for user in employees]
    )


def set_ticket_tags(ticket: Ticket, tags: list[Tag]) -> None:
    """Replace the ticket's tags with exactly these, in this order."""
    org_id = ticket.organization_id
    TicketTag.objects.for_org(org_id).filter(ticket=ticket).delete()
    TicketTag.objects.bulk_create([TicketTag(organization_id=org_id, ticket=ticket, tag=tag) for tag in tags])


@transaction.atomic
def ticket_create(
    *,
    organization,
    user_id: str,
    subject: str,
    status: int = TicketStatus.OPEN,
    order_id: str | None = None,
    employee_ids: list[str] | None = None,
    tag_names: list[str] | None = None,
    note: str | None = None,
    metadata: dict | None = None,
    source: str = "API",
) -> Ticket:
    """Create a ticket with its employees and tags. Checks, in order: `user_id` (422), `order_id` (422),
    `employees` (422). `date_closed` stays null even when created Closed (contract defect 34). `source` says
    where it came from ("API"; the admin passes "Admin")."""
    user = _resolve_user(organization, user_id)
    order = _resolve_order(organization, order_id) if order_id else None
    employees = _resolve_employees(organization, employee_ids) if employee_ids else []
    ticket = Ticket.all_objects.create(
        organization=organization,
        user=user,
        order=order,
        subject=subject,
        status=status,
        note=note,
        metadata={} if metadata is None else metadata,
        form_data={},
        source=source,
    )
    if employees:
        set_ticket_employees(ticket, employees)
    if tag_names:
        set_ticket_tags(ticket, tags_find_or_create(organization=organization, names=tag_names))
    record_event("ticket.created", ticket)
    return ticket


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    subject=UNSET,
    status=UNSET,
    order_id=UNSET,
    employee_ids=UNSET,
    tag_names=UNSET,
    note=UNSET,
    metadata=UNSET,
) -> Ticket:
    """Partial update: only the arguments given change, and `updated_at` is now even when nothing is given.
    `order_id=""` unlinks the order; employees and tags given replace the sets. Checks, in order: `order_id`
    (422), `employees` (422). Entering Closed stamps `date_closed` with the same instant as `updated_at`,
    leaving Closed clears it. A ticket deleted meanwhile raises DomainError(404)."""
    ticket = Ticket.objects.for_org(ticket.organization_id).select_for_update().filter(pk=ticket.pk).first()
    if ticket is None:  # soft-deleted by a concurrent request since the caller looked it up
        raise DomainError(404, detail="Not Found")
    organization = ticket.organization
    before = snapshot(ticket)
    fields = {}
    if order_id is not UNSET:
        fields["order"] = _resolve_order(organization, order_id) if order_id else None
    employees = _resolve_employees(organization, employee_ids) if employee_ids is not UNSET else None
    now = timezone.now()
    if subject is not UNSET:
        fields["subject"] = subject
    if status is not UNSET:
        fields["status"] = status
        fields["date_closed"] = ticket.date_closed_after(status, at=now)
    if note is not UNSET:
        fields["note"] = note
    if metadata is not UNSET:
        fields["metadata"] = metadata
    # A queryset update, so that `updated_at` and `date_closed` are one and the same instant (auto_now
    # would take a second clock reading on save()).
    Ticket.all_objects.for_org(ticket.organization_id).filter(pk=ticket.pk).update(updated_at=now, **fields)
    if employees is not None:
        set_ticket_employees(ticket, employees)
    if tag_names is not UNSET:
        set_ticket_tags(ticket, tags_find_or_create(organization=organization, names=tag_names))
    ticket.refresh_from_db()
    event = record_event("ticket.updated", ticket, previous=before)
    if ticket.status == TicketStatus.CLOSED and "status" in event.previous_attributes:
        record_event("ticket.closed", ticket, data=event.data, previous=before)
    return ticket


@transaction.atomic
def ticket_close(*, ticket: Ticket) -> Ticket:
    """Close a ticket (the admin's action): `ticket_update` to Closed, which stamps `date_closed` and records
    `ticket.updated` and `ticket.closed`. A ticket already Closed raises DomainError(400, "Ticket is already
    closed") and changes nothing; a ticket deleted meanwhile, DomainError(404)."""
    locked = Ticket.objects.for_org(ticket.organization_id).select_for_update().filter(pk=ticket.pk).first()
    if locked is None:
        raise DomainError(404, detail="Not Found")
    if locked.status == TicketStatus.CLOSED:
        raise DomainError(400, detail="Ticket is already closed")
    return ticket_update(ticket=locked, status=TicketStatus.CLOSED)


@transaction.atomic
def ticket_delete(*, ticket: Ticket) -> None:
    """Soft delete: `deleted_at` and `updated_at` = now (one instant). Messages, employees and tags stay."""
    record_event("ticket.deleted", ticket)  # before the delete: the ticket as it was
    Ticket.objects.for_org(ticket.organization_id).filter(pk=ticket.pk).soft_delete()


@transaction.atomic
def ticket_message_create(
    *, ticket: Ticket, user: User | None, message: str, staff_only: bool = False, files: list | None = None
) -> TicketMessage:
    """Add a message to a ticket and set the ticket's `last_message_at` to exactly the message's `created_at`
    (without touching `updated_at`). The ticket row is locked first, so concurrent messages stamp in order.
    Records `ticket_message.created`. Raises DomainError(422) when the author belongs to another organization."""
    locked = Ticket.all_objects.for_org(ticket.organization_id).select_for_update().get(pk=ticket.pk)
    if user is not None and user.organization_id != locked.organization_id:
        raise DomainError(422, field="user_id", message=USER_MISSING)
    created = TicketMessage.all_objects.create(
        organization_id=locked.organization_id,
        ticket=locked,
        user=user,
        message=message,
        staff_only=staff_only,
        files=[] if files is None else files,
        created_at=timezone.now(),
    )
    Ticket.all_objects.for_org(locked.organization_id).filter(pk=locked.pk).update(last_message_at=created.created_at)
    ticket.last_message_at = created.created_at
    record_event("ticket_message.created", created)
    return created


@transaction.atomic
def ticket_message_delete(*, message: TicketMessage) -> None:
    """Hard delete a ticket message. The ticket's `last_message_at` follows: it becomes the `created_at` of the
    newest remaining message (null when none is left); the ticket row is locked so concurrent writes agree.
    Records `ticket_message.deleted` with the message as it was."""
    ticket = Ticket.with_deleted.for_org(message.organization_id).select_for_update().get(pk=message.ticket_id)
    record_event("ticket_message.deleted", message)  # before the delete: the message as it was
    TicketMessage.objects.for_org(ticket.organization_id).filter(pk=message.pk).delete()
    newest = (
        TicketMessage.objects.for_org(ticket.organization_id)
        .filter(ticket=ticket)
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    Ticket.all_objects.for_org(ticket.organization_id).filter(pk=ticket.pk).update(last_message_at=newest)
