"""support.services used outside the API: ticket messages and last_message_at, demo-style calls."""
import threading

import pytest
from django.db import close_old_connections, connection

from serviceengine.core.errors import DomainError
from support.models import Ticket, TicketMessage
from support.services import ticket_create, ticket_message_create, ticket_update
from tests import factories
from tests.support.factories import at, make_ticket


def test_message_sets_last_message_at_to_its_created_at_without_touching_updated_at(org):
    ticket = make_ticket(org)
    Ticket.unscoped.filter(pk=ticket.pk).update(updated_at=at("2020-01-01T00:00:00"))
    message = ticket_message_create(ticket=ticket, user=ticket.user, message="Hello")
    stored = Ticket.unscoped.get(pk=ticket.pk)
    assert stored.last_message_at == message.created_at
    assert ticket.last_message_at == message.created_at
    assert stored.updated_at == at("2020-01-01T00:00:00")
    assert (message.organization_id, message.ticket_id) == (org.id, ticket.id)
    assert (message.staff_only, message.files) == (False, [])


def test_last_message_at_follows_the_newest_message(org, owner):
    ticket = make_ticket(org)
    ticket_message_create(ticket=ticket, user=ticket.user, message="first")
    second = ticket_message_create(ticket=ticket, user=owner, message="second", staff_only=True, files=[{"n": 1}])
    assert Ticket.unscoped.get(pk=ticket.pk).last_message_at == second.created_at
    assert second.staff_only is True and second.files == [{"n": 1}]


def test_message_without_author_is_allowed(org):
    message = ticket_message_create(ticket=make_ticket(org), user=None, message="system")
    assert message.user_id is None


def test_message_author_of_another_organization_is_refused(org, other_org):
    ticket = make_ticket(org)
    with pytest.raises(DomainError) as exc:
        ticket_message_create(ticket=ticket, user=factories.make_client(other_org), message="x")
    assert exc.value.status == 422
    assert not TicketMessage.unscoped.exists()
    assert Ticket.unscoped.get(pk=ticket.pk).last_message_at is None


def test_ticket_create_and_update_as_functions(org, owner):
    client = factories.make_client(org)
    ticket = ticket_create(
        organization=org, user_id=str(client.id), subject="S", status=3, employee_ids=[str(owner.id)], tag_names=["a"]
    )
    assert ticket.date_closed is None and ticket.created_at == ticket.updated_at
    ticket = ticket_update(ticket=ticket, status=1)
    assert ticket.status == 1 and ticket.date_closed is None
    ticket = ticket_update(ticket=ticket, status=3)
    assert ticket.date_closed == ticket.updated_at


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_messages_leave_last_message_at_on_the_newest(org):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    ticket = make_ticket(org)
    errors = []

    def write(n):
        try:
            for i in range(5):
                ticket_message_create(ticket=ticket, user=None, message=f"{n}-{i}")
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    newest = TicketMessage.unscoped.filter(ticket=ticket).order_by("-created_at").first()
    assert TicketMessage.unscoped.filter(ticket=ticket).count() == 20
    assert Ticket.unscoped.get(pk=ticket.pk).last_message_at == newest.created_at


def test_update_of_a_ticket_deleted_meanwhile_is_not_found(org):
    ticket = make_ticket(org)
    Ticket.unscoped.filter(pk=ticket.pk).update(deleted_at=ticket.created_at)
    with pytest.raises(DomainError) as exc:
        ticket_update(ticket=ticket, subject="x")
    assert (exc.value.status, exc.value.detail) == (404, "Not Found")
