"""Query budgets (STYLE §6, contract defect 45): every list and retrieve endpoint runs an exact, fixed number of
SQL queries, whatever the page size or the number of nested rows, and never more than `MAX_QUERIES`
including authentication.

Lists are measured at `limit=1` and at `limit=100` over 101 rows that all have children; retrieves (and the
nested task and message lists) with one nested row of each kind and then with 50 (100 for the nested lists).
Every measurement must equal the endpoint's number in `BUDGETS`. The token was stamped when it was made, so the
throttled `last_used_at` write stays out of these counts; its own behaviour is tested at the end of the file.
"""
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from serviceengine.models import ApiToken
from tests.helpers import count_queries
from tests.perf import bulk

MAX_QUERIES = 6

# endpoint                  queries   what they are
BUDGETS = {
    "clients list":          3,  # token, count, page (address + role joined, `spent` a subquery); the client role
                                 # only when the page is empty (a client row proves there is one)
    "clients retrieve":      2,  # token, row (same joins and subquery); the client role only before a 404
    "services list":         2,  # token, page (the live total inside)
    "services retrieve":     2,  # token, row
    "orders list":           4,  # token, page (client, address, role joined; the live total), employees, tags
    "orders retrieve":       4,  # token, order (same joins), employees, tags
    "order tasks list":      4,  # token, order, tasks, task employees
    "order messages list":   3,  # token, order, messages (author joined)
    "proposals list":        2,  # token, page (the live total inside; list rows carry no items)
    "proposals retrieve":    3,  # token, proposal, items (service joined)
    "invoices list":         3,  # token, page (client, address, role joined; the live total), items
    "invoices retrieve":     3,  # token, invoice (same joins), items
    "tickets list":          4,  # token, page (client, address, role joined; the live total), employees, tags
    "tickets retrieve":      5,  # token, ticket (same joins), employees, tags, messages
}

# PostgreSQL: the reader (serviceengine/perf/lean.py) embeds child rows in their parent's row query (employees and
# tags; items and messages too, their decimals as text and datetimes as JSON's ISO text, turned back on reading).
if connection.vendor == "postgresql":
    BUDGETS.update({"orders list": 2, "orders retrieve": 2, "order tasks list": 3, "proposals retrieve": 2,
                    "invoices list": 2, "invoices retrieve": 2, "tickets list": 2, "tickets retrieve": 2})

LIST_ROWS = 101
MANY = 50
MANY_NESTED = 100

# A scenario builds its rows and yields measurements: (label, url, query params, check of the JSON body).
Measurement = tuple[str, str, dict, Callable[[object], bool]]
SCENARIOS: dict[str, Callable[..., Iterator[Measurement]]] = {}


def scenario(name: str):
    def register(func):
        SCENARIOS[name] = func
        return func

    return register


def list_pages(url: str) -> Iterator[Measurement]:
    """The two page sizes of a list over `LIST_ROWS` rows: the page is full both times."""
    yield "limit=1", url, {"limit": 1}, lambda body: len(body["data"]) == 1 and body["meta"]["total"] == LIST_ROWS
    yield "limit=100", url, {"limit": 100}, lambda body: len(body["data"]) == 100


@scenario("clients list")
def _clients_list(org, members):
    for client in bulk.clients(org, LIST_ROWS):
        bulk.invoices(org, 1, user=client, paid=True)
    yield from list_pages("/api/clients")


@scenario("clients retrieve")
def _clients_retrieve(org, members):
    client = bulk.clients(org, 1)[0]
    bulk.invoices(org, 1, user=client, items=1, paid=True)
    url = f"/api/clients/{client.id}"
    yield "1 paid invoice", url, {}, lambda body: body["spent"] == "50.00"
    bulk.invoices(org, MANY - 1, user=client, items=1, paid=True)
    yield f"{MANY} paid invoices", url, {}, lambda body: body["spent"] == f"{50 * MANY}.00"


@scenario("services list")
def _services_list(org, members):
    bulk.services(org, LIST_ROWS, employees=members[:2])
    yield from list_pages("/api/services")


@scenario("services retrieve")
def _services_retrieve(org, members):
    service = bulk.services(org, 1, employees=members[:1])[0]
    url = f"/api/services/{service.id}"
    yield "1 employee", url, {}, lambda body: body["id"] == str(service.id)
    bulk.add_service_employees(service, members[1:MANY])
    yield f"{MANY} employees", url, {}, lambda body: body["id"] == str(service.id)


@scenario("orders list")
def _orders_list(org, members):
    bulk.orders(org, LIST_ROWS, employees=members[:2], tag_rows=bulk.tags(org, 2))
    yield from list_pages("/api/orders")


@scenario("orders retrieve")
def _orders_retrieve(org, members):
    tag_rows = bulk.tags(org, MANY)
    order = bulk.orders(org, 1, employees=members[:1], tag_rows=tag_rows[:1])[0]
    bulk.tasks(order, 1, employees=members[:1])
    bulk.order_messages(order, members[:1])
    url = f"/api/orders/{order.id}"
    yield "1 of each", url, {}, lambda body: len(body["employees"]) == len(body["tags"]) == 1
    bulk.add_order_children([order], employees=members[1:MANY], tag_rows=tag_rows[1:])
    bulk.tasks(order, MANY - 1, employees=members[:1])
    bulk.order_messages(order, members[1:MANY])
    yield f"{MANY} of each", url, {}, lambda body: len(body["employees"]) == len(body["tags"]) == MANY


@scenario("order tasks list")
def _order_tasks(org, members):
    order = bulk.orders(org, 1)[0]
    bulk.tasks(order, 1, employees=members[:2])
    url = f"/api/orders/{order.id}/tasks"
    yield "1 task", url, {}, lambda body: len(body) == 1 and len(body[0]["employees"]) == 2
    bulk.tasks(order, MANY_NESTED - 1, employees=members[2:4])
    yield f"{MANY_NESTED} tasks", url, {}, lambda body: len(body) == MANY_NESTED


@scenario("order messages list")
def _order_messages(org, members):
    order = bulk.orders(org, 1)[0]
    bulk.order_messages(order, members[:1])
    url = f"/api/orders/{order.id}/messages"
    yield "1 message", url, {}, lambda body: len(body) == 1 and body[0]["user"] is not None
    bulk.order_messages(order, members[1:MANY])
    bulk.order_messages(order, members[: MANY_NESTED - MANY])
    yield f"{MANY_NESTED} messages by {MANY} authors", url, {}, lambda body: len(body) == MANY_NESTED


@scenario("proposals list")
def _proposals_list(org, members):
    bulk.proposals(org, LIST_ROWS, items=2)
    yield from list_pages("/api/proposals")


@scenario("proposals retrieve")
def _proposals_retrieve(org, members):
    service = bulk.services(org, 1)[0]
    proposal = bulk.proposals(org, 1, items=1, service=service)[0]
    url = f"/api/proposals/{proposal.id}"
    yield "1 item", url, {}, lambda body: len(body["items"]) == 1
    bulk.add_proposal_items([proposal], MANY - 1, service=bulk.services(org, 1)[0])
    yield f"{MANY} items", url, {}, lambda body: len(body["items"]) == MANY


@scenario("invoices list")
def _invoices_list(org, members):
    bulk.invoices(org, LIST_ROWS, items=2)
    yield from list_pages("/api/invoices")


@scenario("invoices retrieve")
def _invoices_retrieve(org, members):
    invoice = bulk.invoices(org, 1, items=1)[0]
    url = f"/api/invoices/{invoice.id}"
    yield "1 item", url, {}, lambda body: len(body["items"]) == 1
    bulk.add_invoice_items([invoice], MANY - 1)
    yield f"{MANY} items", url, {}, lambda body: len(body["items"]) == MANY


@scenario("tickets list")
def _tickets_list(org, members):
    bulk.tickets(org, LIST_ROWS, employees=members[:2], tag_rows=bulk.tags(org, 2), messages=2)
    yield from list_pages("/api/tickets")


@scenario("tickets retrieve")
def _tickets_retrieve(org, members):
    tag_rows = bulk.tags(org, MANY)
    ticket = bulk.tickets(org, 1, employees=members[:1], tag_rows=tag_rows[:1], messages=1)[0]
    url = f"/api/tickets/{ticket.id}"
    yield "1 of each", url, {}, lambda body: len(body["employees"]) == len(body["tags"]) == len(body["messages"]) == 1
    bulk.add_ticket_children([ticket], employees=members[1:MANY], tag_rows=tag_rows[1:], messages=MANY - 1)
    yield (
        f"{MANY} of each", url, {},
        lambda body: len(body["employees"]) == len(body["tags"]) == len(body["messages"]) == MANY,
    )


# Filtered lists (issue 12): the same scenarios with a filter every row passes; the total is then a COUNT (the
# live counts only hold unfiltered totals); page and COUNT are compiled per filter shape (`Reader.filtered`).
ALL_ROWS = {"filters[created_at][$lt]": "2999-01-01T00:00:00Z"}


def _filtered(base):
    def measurements(org, members):
        for label, url, params, check in base(org, members):
            yield f"{label}, filtered", url, {**params, **ALL_ROWS}, check

    return measurements


for _name in [name for name in SCENARIOS if name.endswith(" list") and not name.startswith("order ")]:
    SCENARIOS[f"{_name} filtered"] = _filtered(SCENARIOS[_name])

BUDGETS.update({
    "clients list filtered":   3,  # token, count, page
    "services list filtered":  3,  # token, count, page
    "orders list filtered":    5,  # token, count, page, employees, tags
    "proposals list filtered": 3,  # token, count, page
    "invoices list filtered":  4,  # token, count, page, items
    "tickets list filtered":   5,  # token, count, page, employees, tags
})
if connection.vendor == "postgresql":
    BUDGETS.update({"orders list filtered": 3, "invoices list filtered": 3, "tickets list filtered": 3})


def test_every_endpoint_has_a_scenario_and_a_budget_within_the_cap():
    assert SCENARIOS.keys() == BUDGETS.keys()
    assert max(BUDGETS.values()) <= MAX_QUERIES


@pytest.mark.parametrize("endpoint", list(BUDGETS))
def test_query_budget(endpoint, api, org):
    budget = BUDGETS[endpoint]
    members = bulk.team_members(org, MANY)
    for label, url, params, check in SCENARIOS[endpoint](org, members):
        response, sql = count_queries(lambda: api.get(url, params))  # noqa: B023 - called at once
        assert response.status_code == 200, (label, response.content[:300])
        assert check(response.json()), f"{endpoint}, {label}: unexpected body"
        listing = "\n".join(sql)
        assert len(sql) == budget, f"{endpoint}, {label}: {len(sql)} queries, budget {budget}:\n{listing}"
        token_queries = [q for q in sql if "serviceengine_apitoken" in q]
        assert len(token_queries) == 1, f"{endpoint}, {label}: authentication is not one query:\n{listing}"


# ---- The token's last_used_at: written at most once a minute (contract §3, defect 46) --------------------------

def token_updates(api) -> list[str]:
    response, sql = count_queries(lambda: api.get("/api/services"))
    assert response.status_code == 200
    return [q for q in sql if q.upper().startswith("UPDATE") and "serviceengine_apitoken" in q]


def set_last_used(token, value):
    ApiToken.unscoped.filter(pk=token.pk).update(last_used_at=value)


def test_first_use_of_a_token_writes_last_used_at_once(api, token):
    set_last_used(token[0], None)
    assert len(token_updates(api)) == 1
    assert ApiToken.unscoped.get(pk=token[0].pk).last_used_at is not None


def test_second_request_within_the_minute_makes_no_update(api, token):
    set_last_used(token[0], None)
    token_updates(api)
    assert token_updates(api) == []
    set_last_used(token[0], timezone.now() - timedelta(seconds=59))
    assert token_updates(api) == []


def test_first_request_after_the_minute_makes_exactly_one_update(api, token):
    stale = timezone.now() - timedelta(seconds=61)
    set_last_used(token[0], stale)
    assert len(token_updates(api)) == 1
    assert ApiToken.unscoped.get(pk=token[0].pk).last_used_at > stale
    assert token_updates(api) == []


def test_steady_state_authentication_is_one_query(api):
    response, sql = count_queries(lambda: api.get("/api/services"))
    assert response.status_code == 200
    assert len([q for q in sql if "serviceengine_apitoken" in q]) == 1
