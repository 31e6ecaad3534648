"""Fast row builders for the performance tests: `bulk_create` only, no services, no per-row validation.

Every builder takes the organization explicitly and returns the rows it made. Unique values (emails, numbers,
tag names) come from the shared `factories.n()` counter, so builders can be called repeatedly in one test.
"""
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from billing.models import Invoice, InvoiceItem, InvoiceStatus, Proposal, ProposalItem
from catalog.models import Service, ServiceEmployee
from orders.models import Order, OrderEmployee, OrderMessage, OrderTag, OrderTask, Tag, TaskEmployee
from serviceengine.models import Address, User
from support.models import Ticket, TicketEmployee, TicketMessage, TicketTag
from tests import factories


def _stamps(count: int) -> list:
    """`count` distinct, decreasing creation instants: rows keep a stable, known order."""
    now = timezone.now()
    return [now - timedelta(seconds=i) for i in range(count)]


def team_members(org, count: int) -> list[User]:
    role = factories.admin_role()
    return User.objects.bulk_create(
        User(organization=org, role=role, email=f"staff{factories.n()}@agency.example.com", name_f="Staff", name_l="Bulk")
        for _ in range(count)
    )


def clients(org, count: int) -> list[User]:
    """Clients, each with its own address."""
    role = factories.client_role()
    addresses = Address.objects.bulk_create(
        Address(organization=org, line_1=f"{i} Bulk Street", city="London", country="GB") for i in range(count)
    )
    return User.objects.bulk_create(
        User(
            organization=org, role=role, address=address, email=f"client{factories.n()}@example.com",
            name_f="Client", name_l="Bulk", aff_id=100000 + i, aff_link="https://example.com/r/BULK00", created_at=at,
        )
        for i, (address, at) in enumerate(zip(addresses, _stamps(count)))
    )


def tags(org, count: int) -> list[Tag]:
    return Tag.objects.bulk_create(Tag(organization=org, name=f"tag-{factories.n()}") for _ in range(count))


def services(org, count: int, *, employees=()) -> list[Service]:
    rows = Service.objects.bulk_create(
        Service(organization=org, name=f"Service {factories.n()}", price=Decimal("100.00"), created_at=at)
        for at in _stamps(count)
    )
    ServiceEmployee.objects.bulk_create(ServiceEmployee(service=s, user=u) for s in rows for u in employees)
    return rows


def add_service_employees(service, employees) -> None:
    ServiceEmployee.objects.bulk_create(ServiceEmployee(service=service, user=u) for u in employees)


def orders(org, count: int, *, client=None, employees=(), tag_rows=()) -> list[Order]:
    """Orders of one client (its address and role are joined by the order serializer), each with the same
    employees and tags."""
    client = client or clients(org, 1)[0]
    rows = Order.objects.bulk_create(
        Order(
            organization=org, user=client, number=f"B{factories.n():07d}", service_name="Bulk work",
            price=Decimal("10.00"), created_at=at,
        )
        for at in _stamps(count)
    )
    add_order_children(rows, employees=employees, tag_rows=tag_rows)
    return rows


def add_order_children(order_rows, *, employees=(), tag_rows=()) -> None:
    OrderEmployee.objects.bulk_create(OrderEmployee(order=o, user=u) for o in order_rows for u in employees)
    OrderTag.objects.bulk_create(OrderTag(order=o, tag=t) for o in order_rows for t in tag_rows)


def tasks(order, count: int, *, employees=()) -> list[OrderTask]:
    rows = OrderTask.objects.bulk_create(
        OrderTask(organization_id=order.organization_id, order=order, name=f"Task {factories.n()}", sort_order=i)
        for i in range(count)
    )
    TaskEmployee.objects.bulk_create(TaskEmployee(task=t, user=u) for t in rows for u in employees)
    return rows


def order_messages(order, authors) -> list[OrderMessage]:
    """One message per author: every message joins a different user."""
    return OrderMessage.objects.bulk_create(
        OrderMessage(organization_id=order.organization_id, order=order, user=u, message=f"Message {factories.n()}")
        for u in authors
    )


def proposals(org, count: int, *, items: int = 0, service=None) -> list[Proposal]:
    rows = Proposal.objects.bulk_create(
        Proposal(
            organization=org, client_email=f"prospect{factories.n()}@example.com", client_name_f="Pat",
            client_name_l="Prospect", total=Decimal("100.00") * items, created_at=at,
        )
        for at in _stamps(count)
    )
    if items:
        add_proposal_items(rows, items, service=service or services(org, 1)[0])
    return rows


def add_proposal_items(proposal_rows, count: int, *, service) -> None:
    ProposalItem.objects.bulk_create(
        ProposalItem(organization_id=p.organization_id, proposal=p, service=service, quantity=1, price=Decimal("100.00"))
        for p in proposal_rows
        for _ in range(count)
    )


def invoices(org, count: int, *, user=None, items: int = 0, paid: bool = False) -> list[Invoice]:
    user = user or clients(org, 1)[0]
    rows = []
    for at in _stamps(count):
        seq = factories.n()
        rows.append(
            Invoice(
                organization=org, user=user, number=f"INV-{seq:05d}", number_seq=seq, created_at=at,
                status=InvoiceStatus.PAID if paid else InvoiceStatus.UNPAID, date_paid=at if paid else None,
                subtotal=Decimal("50.00") * items, total=Decimal("50.00") * items,
            )
        )
    rows = Invoice.objects.bulk_create(rows)
    if items:
        add_invoice_items(rows, items)
    return rows


def add_invoice_items(invoice_rows, count: int) -> None:
    InvoiceItem.objects.bulk_create(
        InvoiceItem(
            organization_id=inv.organization_id, invoice=inv, name="Consulting", quantity=1, amount=Decimal("50.00"),
            total=Decimal("50.00"),
        )
        for inv in invoice_rows
        for _ in range(count)
    )


def tickets(org, count: int, *, client=None, order=None, employees=(), tag_rows=(), messages: int = 0) -> list[Ticket]:
    """Tickets of one client about one order, each with the same employees and tags and `messages` messages."""
    client = client or clients(org, 1)[0]
    if order is None:
        order = orders(org, 1, client=client)[0]
    rows = Ticket.objects.bulk_create(
        Ticket(organization=org, user=client, order=order, subject=f"Ticket {factories.n()}", created_at=at)
        for at in _stamps(count)
    )
    add_ticket_children(rows, employees=employees, tag_rows=tag_rows, messages=messages)
    return rows


def add_ticket_children(ticket_rows, *, employees=(), tag_rows=(), messages: int = 0) -> None:
    TicketEmployee.objects.bulk_create(TicketEmployee(ticket=t, user=u) for t in ticket_rows for u in employees)
    TicketTag.objects.bulk_create(TicketTag(ticket=t, tag=tag) for t in ticket_rows for tag in tag_rows)
    TicketMessage.objects.bulk_create(
        TicketMessage(organization_id=t.organization_id, ticket=t, user=t.user, message=f"Message {factories.n()}")
        for t in ticket_rows
        for _ in range(messages)
    )
