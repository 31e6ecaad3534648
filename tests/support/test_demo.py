"""support.demo: tickets in each status with messages, created once (seed_demo may run any number of times)."""
import io

from django.core.management import call_command

from serviceengine.models import Organization, User
from support import demo
from support.models import Ticket, TicketEmployee, TicketMessage, TicketTag
from tests import factories


def snapshot(org):
    return (
        sorted(Ticket.unscoped.filter(organization=org).values_list("id", flat=True)),
        TicketMessage.unscoped.filter(organization=org).count(),
        TicketEmployee.unscoped.filter(ticket__organization=org).count(),
        TicketTag.unscoped.filter(ticket__organization=org).count(),
        User.unscoped.filter(organization=org, email=demo.DEMO_CLIENT_EMAIL).count(),
    )


def test_seed_creates_one_ticket_per_status_with_messages(org, owner):
    demo.seed(organization=org, owner=owner)
    tickets = {t.status: t for t in Ticket.objects.for_org(org)}
    assert sorted(tickets) == [1, 2, 3]
    for ticket in tickets.values():
        messages = TicketMessage.unscoped.filter(ticket=ticket).order_by("-created_at")
        assert messages.count() >= 2
        assert ticket.last_message_at == messages.first().created_at
    assert tickets[3].date_closed is not None and tickets[1].date_closed is None
    assert User.objects.for_org(org).filter(email=demo.DEMO_CLIENT_EMAIL).exists()


def test_seed_is_idempotent(org, owner):
    demo.seed(organization=org, owner=owner)
    before = snapshot(org)
    demo.seed(organization=org, owner=owner)
    assert snapshot(org) == before


def test_seed_uses_an_existing_client_and_its_order(org, owner):
    client = factories.make_client(org)
    order = factories.make_order(org, client)
    demo.seed(organization=org, owner=owner)
    assert set(Ticket.objects.for_org(org).values_list("user_id", flat=True)) == {client.id}
    assert Ticket.objects.for_org(org).filter(order=order).count() == 1
    assert not User.objects.for_org(org).filter(email=demo.DEMO_CLIENT_EMAIL).exists()


def test_seed_demo_command_twice(db):
    call_command("seed_demo", stdout=io.StringIO())
    org = Organization.objects.get(slug="demo")
    before = snapshot(org)
    assert len(before[0]) >= 3
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot(org) == before
