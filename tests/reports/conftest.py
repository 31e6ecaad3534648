"""A seeded organization with hand-computed figures for every report (range 2026-01-01 … 2026-03-31), and another
organization with the same kind of data that must never count."""
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal

import pytest

from billing.models import Invoice, InvoiceStatus, Proposal, ProposalStatus
from orders.models import OrderStatus, OrderTask
from serviceengine.models import User
from support.models import Ticket, TicketStatus
from tests import factories
from tests.billing.factories import make_invoice, make_proposal
from tests.orders.factories import make_order, make_task
from tests.support.factories import add_employee, make_ticket

RANGE = {"from": "2026-01-01", "to": "2026-03-31"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=dt_timezone.utc)


def invoice(org, user, *, total, created, status=InvoiceStatus.UNPAID, currency="USD", paid=None, due=None):
    row = make_invoice(org, user=user)
    Invoice.unscoped.filter(organization_id=row.organization_id, pk=row.pk).update(
        currency=currency,
        total=Decimal(total), created_at=at(created), status=status, date_paid=paid and at(paid),
        date_due=due and at(due),
    )
    return row


def stamp(model, row, **fields):
    model.unscoped.filter(organization_id=row.organization_id, pk=row.pk).update(**{k: at(v) if isinstance(v, str) else v for k, v in fields.items()})


@pytest.fixture
def seeded(org, other_org, owner):
    ada = factories.make_client(org, name_f="Ada", name_l="Lovelace", email="ada@example.com")
    stamp(User, ada, created_at="2026-01-03T09:00:00")
    bob = factories.make_client(org, name_f="Bob", name_l="Builder", email="bob@example.com")
    member = factories.make_team_member(org, name_f="Mia", name_l="Maker", email="mia@agency.example.com")

    # Invoices: A paid, B/F/G/C unpaid, D draft, E created before the range but paid in it.
    invoice(org, ada, total="100.00", created="2026-01-10T10:00:00", status=InvoiceStatus.PAID, paid="2026-02-05T12:00:00")
    invoice(org, ada, total="50.50", created="2026-02-20T10:00:00", due="2026-03-01T00:00:00")  # 30 days: 0-30
    invoice(org, ada, total="70.00", created="2026-01-20T10:00:00", due="2025-12-01T00:00:00")  # 120 days: 90+
    invoice(org, bob, total="30.00", created="2026-02-01T10:00:00", due="2026-01-15T00:00:00")  # 75 days: 61-90
    invoice(org, bob, total="200.00", created="2026-03-15T10:00:00", currency="EUR", due="2026-01-01T00:00:00")  # 89
    invoice(org, ada, total="999.00", created="2026-01-05T10:00:00", status=InvoiceStatus.DRAFT)
    invoice(org, bob, total="10.00", created="2025-12-31T10:00:00", status=InvoiceStatus.PAID, paid="2026-01-02T08:00:00")

    # Orders: o1 in progress (assigned to Mia), o2 completed (assigned), o3 unpaid, o4 on hold before the range.
    o1 = make_order(org, ada, employees=[member], status=OrderStatus.IN_PROGRESS)
    o2 = make_order(org, ada, employees=[member], status=OrderStatus.COMPLETED)
    o3 = make_order(org, bob, status=OrderStatus.UNPAID)
    o4 = make_order(org, bob, employees=[member], status=OrderStatus.ON_HOLD)
    for row, when in ((o1, "2026-01-15T00:00:00"), (o2, "2026-01-16T00:00:00"), (o3, "2026-03-30T23:59:59"),
                      (o4, "2025-11-01T00:00:00")):
        stamp(type(row), row, created_at=when)
    t1 = make_task(o1, employees=[member], due_at=at("2026-02-01T00:00:00"))  # overdue
    t2 = make_task(o1, employees=[member])
    t3 = make_task(o1, employees=[member], is_complete=True)
    for task in (t1, t2, t3):
        stamp(OrderTask, task, created_at="2026-01-20T00:00:00")

    # Tickets: k1 open (Mia), k2 closed (Mia), k3 pending.
    k1 = make_ticket(org, ada, status=TicketStatus.OPEN)
    k2 = make_ticket(org, ada, status=TicketStatus.CLOSED)
    k3 = make_ticket(org, bob, status=TicketStatus.PENDING)
    add_employee(k1, member)
    add_employee(k2, member)
    for ticket in (k1, k2, k3):
        stamp(Ticket, ticket, created_at="2026-02-10T00:00:00")

    # Proposals: p1 sent, p2 sent and signed, p3 draft.
    p1 = make_proposal(org, status="sent")
    p2 = make_proposal(org, status="sent")
    make_proposal(org)
    stamp(Proposal, p1, sent_at="2026-01-10T00:00:00")
    stamp(Proposal, p2, sent_at="2026-01-12T00:00:00", signed_at="2026-02-01T00:00:00", status=ProposalStatus.SIGNED)

    # The other organization: the same kinds of rows in the same range, all of which must be left out.
    twin = factories.make_client(other_org)
    stamp(User, twin, created_at="2026-01-03T09:00:00")
    invoice(other_org, twin, total="1000.00", created="2026-01-10T10:00:00", status=InvoiceStatus.PAID,
            paid="2026-01-11T00:00:00")
    invoice(other_org, twin, total="500.00", created="2026-01-10T10:00:00", due="2025-01-01T00:00:00")
    other_member = factories.make_team_member(other_org)
    other_order = make_order(other_org, twin, employees=[other_member], status=OrderStatus.IN_PROGRESS)
    stamp(type(other_order), other_order, created_at="2026-01-15T00:00:00")
    other_ticket = make_ticket(other_org, twin)
    add_employee(other_ticket, other_member)
    stamp(Ticket, other_ticket, created_at="2026-02-10T00:00:00")
    other_proposal = make_proposal(other_org, status="sent")
    stamp(Proposal, other_proposal, sent_at="2026-01-10T00:00:00")
    return {"ada": ada, "bob": bob, "member": member, "owner": owner}
