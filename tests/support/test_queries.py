"""Query discipline (STYLE §6): lists and retrieves run a fixed number of queries, at most 6 with the token's."""
from django.db import connection

from support.models import Ticket
from tests import factories
from tests.helpers import assert_constant_queries, count_queries
from tests.support.factories import add_employee, add_message, add_tag, make_ticket

URL = "/api/tickets"
BUDGET = 6
EMBEDS = connection.vendor == "postgresql"  # child rows come inside the row query


def rich_ticket(org):
    """A ticket with every child: client with address, order, two employees, two tags, two messages."""
    client = factories.make_client(org, address=factories.make_address(org))
    ticket = make_ticket(org, client, order=factories.make_order(org, client))
    for _ in range(2):
        add_employee(ticket)
        add_tag(ticket)
        add_message(ticket)
    return ticket


def test_list_queries_do_not_grow_with_rows(api, org):
    count = assert_constant_queries(api, URL, lambda: rich_ticket(org), budget=BUDGET)
    # token, page (the live total inside), then employees and tags: embedded in the page on PostgreSQL
    assert count == (2 if EMBEDS else 4)


def test_list_queries_do_not_grow_with_page_size(api, org):
    for _ in range(12):
        rich_ticket(org)
    small, small_sql = count_queries(lambda: api.get(URL, {"limit": 1}))
    large, large_sql = count_queries(lambda: api.get(URL, {"limit": 100}))
    assert small.status_code == large.status_code == 200
    assert len(large.json()["data"]) == 12
    assert len(small_sql) == len(large_sql) <= BUDGET, "\n".join(large_sql)


def test_retrieve_queries_do_not_grow_with_children(api, org):
    ticket = rich_ticket(org)
    url = f"{URL}/{ticket.id}"
    few, few_sql = count_queries(lambda: api.get(url))
    for _ in range(48):
        add_employee(ticket)
        add_tag(ticket)
        add_message(ticket)
    many, many_sql = count_queries(lambda: api.get(url))
    assert few.status_code == many.status_code == 200
    body = many.json()
    assert len(body["messages"]) == len(body["employees"]) == len(body["tags"]) == 50
    assert len(few_sql) == len(many_sql) <= BUDGET, "\n".join(many_sql)
    # token, ticket, employees, tags and messages (embedded in the ticket's row on PostgreSQL)
    assert len(many_sql) == (2 if EMBEDS else 5)


def test_retrieve_with_one_message_and_with_fifty(api, org):
    ticket = make_ticket(org)
    add_message(ticket)
    url = f"{URL}/{ticket.id}"
    _, one = count_queries(lambda: api.get(url))
    for _ in range(49):
        add_message(ticket)
    _, fifty = count_queries(lambda: api.get(url))
    assert len(one) == len(fifty) <= BUDGET


def test_retrieve_of_a_deleted_ticket_is_a_single_lookup(api, org):
    ticket = rich_ticket(org)
    Ticket.unscoped.filter(pk=ticket.pk).update(deleted_at=ticket.created_at)
    response, sql = count_queries(lambda: api.get(f"{URL}/{ticket.id}"))
    assert response.status_code == 404
    assert len(sql) == 2  # token, ticket (no prefetch for a missing row)
