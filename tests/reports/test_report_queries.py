"""Every report runs the same number of queries over 10 rows as over 1,000 (issue 18)."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from orders.models import OrderEmployee, OrderTask, TaskEmployee
from support.models import Ticket, TicketEmployee
from tests import factories
from tests.helpers import count_queries
from tests.perf import bulk

pytestmark = pytest.mark.django_db
REPORTS = ["summary", "revenue?interval=month", "revenue?interval=week", "receivables", "workload"]


def seed(org, count: int):
    """`count` orders, tasks, tickets and invoices (two currencies, several clients), all assigned to team members."""
    members = bulk.team_members(org, 3)
    clients = bulk.clients(org, 4)
    orders = bulk.orders(org, count, client=clients[0])
    OrderEmployee.objects.bulk_create(OrderEmployee(order=o, user=members[i % 3]) for i, o in enumerate(orders))
    tasks = OrderTask.unscoped.bulk_create(
        OrderTask(organization=org, order=o, name="t", due_at=timezone.now() - timedelta(days=1)) for o in orders
    )
    TaskEmployee.objects.bulk_create(TaskEmployee(task=t, user=members[i % 3]) for i, t in enumerate(tasks))
    tickets = Ticket.unscoped.bulk_create(
        Ticket(organization=org, user=clients[i % 4], subject=f"T{i}") for i in range(count)
    )
    TicketEmployee.objects.bulk_create(TicketEmployee(ticket=t, user=members[i % 3]) for i, t in enumerate(tickets))
    now = timezone.now()
    start = Invoice.unscoped.filter(organization=org).count() + 1  # number_seq is unique per organization
    Invoice.unscoped.bulk_create(
        Invoice(
            organization=org, user=clients[i % 4], number=f"B-{start + i}", number_seq=start + i,
            currency=("USD", "EUR")[i % 2], total=Decimal("12.34"),
            status=(InvoiceStatus.PAID, InvoiceStatus.UNPAID)[i % 2], date_paid=now if i % 2 == 0 else None,
            date_due=now - timedelta(days=i % 120),
        )
        for i in range(count)
    )


@pytest.mark.parametrize("report", REPORTS)
def test_report_query_count_does_not_grow_with_data(api, org, report):
    url = f"/api/reports/{report}"
    seed(org, 10)
    small, few = count_queries(lambda: api.get(url))
    assert small.status_code == 200
    seed(org, 990)
    large, many = count_queries(lambda: api.get(url))
    assert large.status_code == 200
    assert len(few) == len(many) <= 6, "\n".join(many)
    assert large.json() != small.json()  # the data really grew
