"""`GET /api/clients/{id}/activity` (issue 16): the events about one client — itself, its orders with their tasks
and messages, proposals, invoices, tickets with their messages, engagements, projects and conversations with their
messages — newest first in the events list's shape; the order of checks, tenancy, the query budget, and the
backfill of events recorded before `Event.client_id` existed."""
import importlib
import uuid

import pytest
from django.apps import apps

from events.models import Event
from serviceengine.api import messages as msg
from tests import factories
from tests.helpers import assert_constant_queries, assert_detail, assert_envelope

SERVICE = {"name": "SEO", "recurring": 0, "currency": "USD"}


def ok(resp, status=200):
    assert resp.status_code == status, resp.content
    return resp.json() if resp.content else None


def new_client(api, email):
    return ok(api.post("/api/clients", {"name_f": "Ada", "name_l": "Byron", "email": email}, format="json"), 201)


def activity(api, client_id, **params):
    return ok(api.get(f"/api/clients/{client_id}/activity", params))


def kinds(body):
    return [(e["type"], e["object"]["id"]) for e in body["data"]]


@pytest.fixture
def ada(api):
    return new_client(api, "ada@engines.example.com")


@pytest.fixture
def grace(api):
    return new_client(api, "grace@navy.example.com")


def test_the_activity_holds_the_events_about_the_client_and_its_things_newest_first(api, ada, grace):
    order = ok(api.post("/api/orders", {"user_id": ada["id"], "service": "Logo"}, format="json"), 201)
    task = ok(api.post(f"/api/orders/{order['id']}/tasks", {"name": "Draft"}, format="json"), 201)
    message = ok(api.post(f"/api/orders/{order['id']}/messages", {"message": "Hi"}, format="json"), 201)
    item = {"name": "Work", "quantity": 1, "amount": "10.00"}
    invoice = ok(api.post("/api/invoices", {"user_id": ada["id"], "items": [item]}, format="json"), 201)
    ticket = ok(api.post("/api/tickets", {"user_id": ada["id"], "subject": "Help"}, format="json"), 201)
    reply = ok(api.post(f"/api/tickets/{ticket['id']}/messages", {"message": "On it"}, format="json"), 201)
    graces = ok(api.post("/api/orders", {"user_id": grace["id"], "service": "Other"}, format="json"), 201)
    ok(api.post("/api/tags", {"name": "Unrelated"}, format="json"), 201)
    ok(api.delete(f"/api/order-tasks/{task['id']}"), 204)

    body = activity(api, ada["id"])
    assert kinds(body) == [
        ("order_task.deleted", task["id"]),
        ("ticket_message.created", reply["id"]),
        ("ticket.created", ticket["id"]),
        ("invoice.created", invoice["id"]),
        ("order_message.created", message["id"]),
        ("order_task.created", task["id"]),
        ("order.created", order["id"]),
        ("client.created", ada["id"]),
    ]
    assert body["meta"]["total"] == 8 and body["meta"]["path"].endswith(f"/api/clients/{ada['id']}/activity")
    # each row is the event exactly as /api/events shows it
    everything = {e["id"]: e for e in ok(api.get("/api/events", {"limit": 100}))["data"]}
    assert all(everything[e["id"]] == e for e in body["data"])
    assert kinds(activity(api, grace["id"])) == [("order.created", graces["id"]), ("client.created", grace["id"])]


def test_filters_sort_and_pages_as_the_events_list(api, ada):
    order = ok(api.post("/api/orders", {"user_id": ada["id"], "service": "Logo"}, format="json"), 201)
    ok(api.put(f"/api/orders/{order['id']}", {"note": "rush"}, format="json"))
    only = activity(api, ada["id"], **{"filters[type][$in][]": ["order.created", "order.updated"]})
    assert [e["type"] for e in only["data"]] == ["order.updated", "order.created"]
    oldest = activity(api, ada["id"], sort="created_at:asc", limit=1)
    assert [e["type"] for e in oldest["data"]] == ["client.created"]
    assert oldest["meta"]["total"] == 3 and oldest["meta"]["last_page"] == 3
    assert oldest["links"]["next"].endswith(f"/api/clients/{ada['id']}/activity?page=2&limit=1")
    by_object = activity(api, ada["id"], **{"filters[object_id][$eq]": ada["id"]})
    assert [e["type"] for e in by_object["data"]] == ["client.created"]
    assert activity(api, ada["id"], page=9)["data"] == []


def test_a_proposal_joins_the_activity_of_the_client_it_is_made_out_to(api, ada):
    service = ok(api.post("/api/services", SERVICE, format="json"), 201)
    body = {"client_email": "ADA@engines.example.com", "client_name_f": "Ada", "client_name_l": "Byron",
            "items": [{"service_id": service["id"], "price": 10}]}
    proposal = ok(api.post("/api/proposals", body, format="json"), 201)
    assert ("proposal.created", proposal["id"]) in kinds(activity(api, ada["id"]))


def test_signing_gives_a_new_clients_activity_the_proposals_earlier_events(api, org):
    service = ok(api.post("/api/services", SERVICE, format="json"), 201)
    body = {"client_email": "new@example.com", "client_name_f": "New", "client_name_l": "Client",
            "items": [{"service_id": service["id"], "price": 10}]}
    proposal = ok(api.post("/api/proposals", body, format="json"), 201)
    ok(api.post(f"/api/proposals/{proposal['id']}/send"))
    signed = ok(api.post(f"/api/proposals/{proposal['id']}/sign"))
    client_id = signed["order"]["user_id"]
    # created and sent before the client existed: signing gave those events the client it created
    assert [t for t, _i in kinds(activity(api, client_id))] == [
        "proposal.signed", "order.created", "project.created", "engagement.created", "client.created",
        "proposal.sent", "proposal.created",
    ]


def test_engagement_project_and_conversation_events_belong_to_the_client(api, org, ada):
    engagement = ok(api.post("/api/engagements", {"client_id": ada["id"], "name": "Retainer"}, format="json"), 201)
    project = ok(api.post("/api/projects", {"engagement_id": engagement["id"], "name": "Site"}, format="json"), 201)
    conversation = ok(api.post("/api/conversations", {"project_id": project["id"], "subject": "Kick-off"},
                               format="json"), 201)
    message = ok(api.post(f"/api/conversations/{conversation['id']}/messages", {"content": "Hello"},
                          format="json"), 201)
    got = kinds(activity(api, ada["id"]))
    for pair in [("engagement.created", engagement["id"]), ("project.created", project["id"]),
                 ("conversation.created", conversation["id"]), ("conversation_message.created", message["id"])]:
        assert pair in got


def test_the_stored_client_is_set_when_recorded(api, org, ada):
    order = ok(api.post("/api/orders", {"user_id": ada["id"], "service": "Logo"}, format="json"), 201)
    ok(api.post(f"/api/orders/{order['id']}/messages", {"message": "Hi"}, format="json"), 201)
    rows = Event.objects.for_org(org).values_list("type", "client_id")
    assert {(t, str(c)) for t, c in rows} == {
        ("client.created", ada["id"]), ("order.created", ada["id"]), ("order_message.created", ada["id"]),
    }


def test_unknown_other_organization_and_team_member_ids_are_404(api, other_api, owner):
    other = new_client(other_api, "other@example.com")
    for client_id in (str(uuid.uuid4()), other["id"], str(owner.pk), "not-a-uuid"):
        assert_detail(api.get(f"/api/clients/{client_id}/activity"), 404, "Not Found")


def test_the_query_is_checked_before_the_client_id(api):
    unknown = f"/api/clients/{uuid.uuid4()}/activity"
    assert_envelope(api.get(unknown + "?limit=abc&page=0"), 400, {
        "query.limit": [msg.INT_PARSING], "query.page": [msg.GREATER_EQUAL.format(limit=1)],
    })
    assert api.get(unknown + "?filters[created_at][$gt]=yesterday").status_code == 400


def test_fixed_query_count_at_limit_1_and_100(api, org, ada):
    client = factories.make_client(org)

    def add():
        ok(api.put(f"/api/clients/{client.pk}", {"note": uuid.uuid4().hex}, format="json"))

    # token 1 + client 1 + count 1 + page 1
    for limit in (1, 100):
        assert_constant_queries(api, f"/api/clients/{client.pk}/activity?limit={limit}", add, budget=4)


def test_backfill_reads_the_client_from_the_events_data(api, org, ada):
    order = ok(api.post("/api/orders", {"user_id": ada["id"], "service": "Logo"}, format="json"), 201)
    ok(api.post(f"/api/orders/{order['id']}/messages", {"message": "Hi"}, format="json"), 201)
    ticket = ok(api.post("/api/tickets", {"user_id": ada["id"], "subject": "Help"}, format="json"), 201)
    ok(api.post(f"/api/tickets/{ticket['id']}/messages", {"message": "On it"}, format="json"), 201)
    item = {"name": "Work", "quantity": 1, "amount": "10.00"}
    ok(api.post("/api/invoices", {"user_id": ada["id"], "items": [item]}, format="json"), 201)
    ok(api.post("/api/tags", {"name": "Unrelated"}, format="json"), 201)
    before = dict(Event.objects.for_org(org).values_list("pk", "client_id"))
    assert sum(c is not None for c in before.values()) == 6
    Event.objects.for_org(org).update(client_id=None)  # as recorded before the column existed
    migration = importlib.import_module("events.migrations.0003_event_client")
    migration.backfill_client(apps, None)
    assert dict(Event.objects.for_org(org).values_list("pk", "client_id")) == before


def test_seed_demo_gives_the_demo_clients_an_activity(db):
    import io

    from django.core.management import call_command

    from serviceengine.models import Organization
    from support.models import Ticket

    call_command("seed_demo", stdout=io.StringIO())
    org = Organization.objects.get(slug="demo")
    ticket_client = Ticket.objects.for_org(org).values_list("user_id", flat=True).first()
    types = set(Event.objects.for_org(org).filter(client_id=ticket_client).values_list("type", flat=True))
    assert {"ticket.created", "ticket_message.created"} <= types
    assert Event.objects.for_org(org).filter(type="tag.created", client_id__isnull=True).exists()


def test_subscription_events_and_their_invoices_belong_to_the_client(api, ada):
    body = {"client_id": ada["id"], "interval": "month", "items": [{"name": "Retainer", "price": "100"}]}
    subscription = ok(api.post("/api/subscriptions", body, format="json"), 201)
    ok(api.post(f"/api/subscriptions/{subscription['id']}/pause"))
    got = kinds(activity(api, ada["id"]))
    assert ("subscription.created", subscription["id"]) in got
    assert ("subscription.paused", subscription["id"]) in got
    # starting today, its first period's invoice was issued at creation: the invoice's events are the client's too
    assert any(t == "invoice.created" for t, _i in got)
