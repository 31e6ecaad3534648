"""Query budgets of writes (issue 12): a create, an update and the workflow actions run an exact number of SQL
statements (transaction control and savepoints left out), and none of them is needless: a new order deletes no
links it never had, and sign reads the proposal once, under its lock.

The numbers are per vendor where PostgreSQL embeds an order's or task's employees and tags in the row read back
(serviceengine/perf/lean.py); each entry names what the statements are.
"""
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.billing import factories as billing_factories
from tests.helpers import count_queries
from tests.orders import factories as order_factories

PG = connection.vendor == "postgresql"
CONTROL = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN|COMMIT)", re.I)


def statements(call):
    response, sql = count_queries(call)
    return response, [q for q in sql if not CONTROL.match(q)]


def post(api, url, body=None):
    return api.post(url, json.dumps(body or {}), content_type="application/json")


def put(api, url, body):
    return api.put(url, json.dumps(body), content_type="application/json")


def touching(sql, table, verb):
    return [q for q in sql if q.lstrip().upper().startswith(verb) and f'"{table}"' in q.split(" WHERE ")[0]]


@pytest.fixture
def client_user(org):
    return factories.make_client(org)


def test_order_create_budget_and_no_needless_delete(api, org, owner, client_user):
    service = factories.make_service(org)
    body = {"user_id": str(client_user.pk), "service_id": str(service.pk), "employees": [str(owner.pk)],
            "tags": ["rush", "vip"], "note": "n"}
    post(api, "/api/orders", {**body, "tags": ["rush"]})  # the tag "rush" exists, "vip" does not
    response, sql = statements(lambda: post(api, "/api/orders", body))
    assert response.status_code == 201, response.content
    assert [q for q in sql if q.lstrip().upper().startswith("DELETE")] == [], "a new order has no links to delete"
    assert len(touching(sql, "orders_order", "INSERT")) == 1
    assert len(sql) == BUDGETS["order create"], "\n".join(sql)


def test_order_create_opens_no_savepoint_of_its_own(api, org, owner, client_user):
    # Transaction control costs round trips too: the order, its links and its events are written in the request's
    # transaction (orders.services._order_insert: a taken number is skipped by the INSERT, so nothing needs rolling
    # back to a savepoint), with no savepoint per event either. The one savepoint is the request's transaction,
    # itself inside the test's.
    service = factories.make_service(org)
    body = {"user_id": str(client_user.pk), "service_id": str(service.pk), "employees": [str(owner.pk)],
            "tags": ["rush", "vip"]}
    with CaptureQueriesContext(connection) as ctx:
        response = post(api, "/api/orders", body)
    assert response.status_code == 201, response.content
    savepoints = [q["sql"] for q in ctx.captured_queries if q["sql"].upper().startswith("SAVEPOINT")]
    assert len(savepoints) == 1, savepoints


def test_order_update_budget(api, org, client_user):
    order = order_factories.make_order(org, client_user)
    response, sql = statements(lambda: put(api, f"/api/orders/{order.pk}", {"note": "changed"}))
    assert response.status_code == 200 and response.json()["note"] == "changed"
    assert len(touching(sql, "orders_order", "UPDATE")) == 1
    assert len(sql) == BUDGETS["order update"], "\n".join(sql)


def test_order_update_opens_no_savepoint_of_its_own(api, org, client_user):
    # As the create: the one savepoint is the request's transaction, inside the test's.
    order = order_factories.make_order(org, client_user)
    with CaptureQueriesContext(connection) as ctx:
        response = put(api, f"/api/orders/{order.pk}", {"note": "changed", "status": 1})
    assert response.status_code == 200, response.content
    savepoints = [q["sql"] for q in ctx.captured_queries if q["sql"].upper().startswith("SAVEPOINT")]
    assert len(savepoints) == 1, savepoints


def test_task_complete_budget(api, org, owner, client_user):
    order = order_factories.make_order(org, client_user)
    task = order_factories.make_task(order, employees=[owner])
    response, sql = statements(lambda: post(api, f"/api/order-tasks/{task.pk}/complete"))
    assert response.status_code == 200 and response.json()["is_complete"] is True
    assert len(sql) == BUDGETS["task complete"], "\n".join(sql)


def test_sign_reads_the_proposal_once_under_its_lock(api, org):
    service = factories.make_service(org)
    proposal = billing_factories.make_proposal(org, status="sent", services_=[service, service])
    response, sql = statements(lambda: post(api, f"/api/proposals/{proposal.pk}/sign"))
    assert response.status_code == 200, response.content
    assert response.json()["proposal"]["status"] == "Signed" and response.json()["order"]["id"]
    # The proposal's row (every column: the model) is read once, and that read takes the lock; the other reads of
    # the table are renderings (the event's and the response's, through the reader: only the columns shown).
    rows = [q for q in touching(sql, "billing_proposal", "SELECT") if '"billing_proposal"."deleted_at", ' in q]
    assert len(rows) == 1, "\n".join(rows)
    assert touching(sql, "billing_proposal", "SELECT")[0] == rows[0]  # nothing read it before the lock
    if PG:
        assert "FOR UPDATE" in rows[0]
    assert len(sql) == BUDGETS["proposal sign"], "\n".join(sql)


# statements (transaction control left out), PostgreSQL if PG else SQLite (which reads child rows apart). Every
# event also looks up the organization's webhook endpoints (events/webhooks, issue 13): one statement each.
BUDGETS = {
    # token, client and employees (one query), service, order, employee link, tags found, new tag, tags re-read,
    # the new tag's `tag.created` event (rendered from the row at hand: no read) and its webhook lookup, tag links,
    # the order rendered for its event (SQLite: + employees + tags), the event and its webhook lookup; the response
    # body is the event's rendering (orders/views.py): no read back
    "order create": 14 if PG else 16,
    # token, order locked (organization joined; the path's only read: orders/views.py), the order rendered before
    # and after (event), update, event and its webhook lookup (SQLite: + employees + tags, twice); the response
    # body is the event's rendering: no read back
    "order update": 7 if PG else 11,
    # token, task (path), task locked, rendered before, update, rendered after, event, read back
    # (SQLite: + task employees, three times)
    "task complete": 9 if PG else 12,
    # token, proposal locked (its only full read), items, client lookup and creation, the order (as "order
    # create"), signature, proposal update, events and their renderings, the proposal and order read back; and
    # (engagements.md Decision 1) the engagement and one project per item (two here), each inserted and rendered
    # for its event (engagement: itself, projects, conversations; project: itself), plus their webhook lookups; and
    # the proposal's earlier events given the client (issue 16: the client's activity), one UPDATE. PostgreSQL
    # reads child rows inside their parent's row (the proposal's items, the engagement's projects and conversations)
    "proposal sign": 36 if PG else 43,
}
