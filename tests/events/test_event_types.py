"""One event per change type, through the API (issue 13): the type, the object reference, `data` equal to what
the resource's retrieve endpoint answers after the change (before it, for deletes), and `previous_attributes`
for updates."""
import pytest

from billing import stripe_gateway
from events.models import Event


@pytest.fixture
def recorded(org):
    """`recorded()` → the types of the organization's events since the last call, oldest first."""
    seen = set()

    def take():
        new = [e for e in Event.objects.for_org(org).order_by("created_at", "id") if e.pk not in seen]
        seen.update(e.pk for e in new)
        return [(e.type, e.object_type, str(e.object_id)) for e in new]

    return take


SERVICE = {"name": "SEO", "recurring": 0, "currency": "USD"}


def ok(resp, status=200):
    assert resp.status_code == status, resp.content
    return resp.json() if resp.content else None


def last(org, event_type):
    return Event.objects.for_org(org).filter(type=event_type).latest("created_at")


@pytest.fixture
def client_id(api):
    return ok(api.post("/api/clients", {"name_f": "Grace", "name_l": "Hopper", "email": "g@navy.example.com"},
                       format="json"), 201)["id"]


def test_service_events(api, org, recorded):
    service = ok(api.post("/api/services", SERVICE, format="json"), 201)
    assert recorded() == [("service.created", "service", service["id"])]
    updated = ok(api.put(f"/api/services/{service['id']}", {"name": "SEO+"}, format="json"))
    assert recorded() == [("service.updated", "service", service["id"])]
    event = last(org, "service.updated")
    assert (event.data, event.previous_attributes) == (updated, {"name": "SEO"})
    ok(api.delete(f"/api/services/{service['id']}"), 204)
    assert recorded() == [("service.deleted", "service", service["id"])]
    assert last(org, "service.deleted").data == updated


def test_order_events(api, org, client_id, recorded):
    order = ok(api.post("/api/orders", {"user_id": client_id, "service": "Logo"}, format="json"), 201)
    recorded_now = recorded()
    assert recorded_now[-1] == ("order.created", "order", order["id"])
    assert last(org, "order.created").data == order
    updated = ok(api.put(f"/api/orders/{order['id']}", {"note": "rush"}, format="json"))
    assert recorded() == [("order.updated", "order", order["id"])]
    assert last(org, "order.updated").previous_attributes == {"note": None}
    ok(api.put(f"/api/orders/{order['id']}", {"status": 1}, format="json"))
    assert recorded() == [("order.updated", "order", order["id"]), ("order.status_changed", "order", order["id"])]
    assert last(org, "order.status_changed").previous_attributes["status"] == updated["status"]
    before = ok(api.get(f"/api/orders/{order['id']}"))
    ok(api.delete(f"/api/orders/{order['id']}"), 204)
    assert recorded() == [("order.deleted", "order", order["id"])]
    assert last(org, "order.deleted").data == before


def test_order_task_and_message_events(api, org, client_id, recorded):
    order = ok(api.post("/api/orders", {"user_id": client_id, "service": "Logo"}, format="json"), 201)
    recorded()
    task = ok(api.post(f"/api/orders/{order['id']}/tasks", {"name": "Draft"}, format="json"), 201)
    assert recorded() == [("order_task.created", "order_task", task["id"])]
    assert last(org, "order_task.created").data == task
    ok(api.put(f"/api/order-tasks/{task['id']}", {"name": "Draft 2"}, format="json"))
    assert recorded() == [("order_task.updated", "order_task", task["id"])]
    assert last(org, "order_task.updated").previous_attributes == {"name": "Draft"}
    done = ok(api.post(f"/api/order-tasks/{task['id']}/complete"))
    assert recorded() == [("order_task.completed", "order_task", task["id"])]
    assert last(org, "order_task.completed").data == done
    ok(api.post(f"/api/order-tasks/{task['id']}/complete"))  # already complete: nothing changes, no event
    assert recorded() == []
    ok(api.delete(f"/api/order-tasks/{task['id']}/complete"))
    assert recorded() == [("order_task.uncompleted", "order_task", task["id"])]
    ok(api.delete(f"/api/order-tasks/{task['id']}"), 204)
    assert recorded() == [("order_task.deleted", "order_task", task["id"])]

    message = ok(api.post(f"/api/orders/{order['id']}/messages", {"message": "Hi"}, format="json"), 201)
    assert recorded() == [("order_message.created", "order_message", message["id"])]
    assert last(org, "order_message.created").data["message"] == "Hi"
    ok(api.delete(f"/api/order-messages/{message['id']}"), 204)
    assert recorded() == [("order_message.deleted", "order_message", message["id"])]


def test_proposal_events(api, org, recorded):
    service = ok(api.post("/api/services", SERVICE, format="json"), 201)
    recorded()
    proposal = ok(api.post("/api/proposals", {
        "client_email": "a@example.com", "client_name_f": "A", "client_name_l": "B",
        "items": [{"service_id": service["id"], "price": 10}],
    }, format="json"), 201)
    assert recorded() == [("proposal.created", "proposal", proposal["id"])]
    assert last(org, "proposal.created").data == proposal
    sent = ok(api.post(f"/api/proposals/{proposal['id']}/send"))
    assert recorded() == [("proposal.sent", "proposal", proposal["id"])]
    assert last(org, "proposal.sent").previous_attributes["status"] == proposal["status"]
    ok(api.post(f"/api/proposals/{proposal['id']}/sign"))
    types = recorded()
    # engagements.md Decision 1: signing also opens the engagement and one project per item, each with its event.
    assert [t for t, _o, _i in types] == [
        "client.created", "engagement.created", "project.created", "order.created", "proposal.signed",
    ]
    signed = last(org, "proposal.signed")
    assert signed.data == ok(api.get(f"/api/proposals/{proposal['id']}"))
    assert signed.previous_attributes["status"] == sent["status"]


def test_invoice_events(api, org, client_id, recorded, settings, monkeypatch):
    recorded()
    item = {"name": "Work", "quantity": 1, "amount": "10.00"}
    invoice = ok(api.post("/api/invoices", {"user_id": client_id, "items": [item]}, format="json"), 201)
    assert recorded() == [("invoice.created", "invoice", invoice["id"])]
    assert last(org, "invoice.created").data == invoice
    ok(api.put(f"/api/invoices/{invoice['id']}", {"items": [item], "note": "thanks"}, format="json"))
    assert recorded() == [("invoice.updated", "invoice", invoice["id"])]
    assert last(org, "invoice.updated").previous_attributes["note"] is None

    class Declining:
        def charge(self, **kwargs):
            raise stripe_gateway.PaymentDeclined("Your card was declined.")

    monkeypatch.setattr(stripe_gateway, "get_gateway", lambda: Declining())
    resp = api.post(f"/api/invoices/{invoice['id']}/charge", {"payment_method_id": "pm_x"}, format="json")
    assert resp.status_code == 400
    assert recorded() == [("invoice.payment_failed", "invoice", invoice["id"])]
    monkeypatch.undo()

    settings.PAYMENTS_SIMULATED, settings.STRIPE_SECRET_KEY = True, ""
    paid = ok(api.post(f"/api/invoices/{invoice['id']}/charge", {"payment_method_id": "pm_ok"}, format="json"))
    assert recorded() == [("invoice.paid", "invoice", invoice["id"])]
    event = last(org, "invoice.paid")
    assert event.data == paid and event.previous_attributes["status"] == invoice["status"]

    other = ok(api.post("/api/invoices", {"user_id": client_id, "items": [item]}, format="json"), 201)
    recorded()
    ok(api.post(f"/api/invoices/{other['id']}/mark_paid"))
    assert recorded() == [("invoice.paid", "invoice", other["id"])]
    ok(api.delete(f"/api/invoices/{other['id']}"), 204)
    assert recorded() == [("invoice.deleted", "invoice", other["id"])]


def test_ticket_events(api, org, client_id, recorded):
    recorded()
    ticket = ok(api.post("/api/tickets", {"user_id": client_id, "subject": "Help"}, format="json"), 201)
    assert recorded() == [("ticket.created", "ticket", ticket["id"])]
    assert last(org, "ticket.created").data == ticket
    ok(api.put(f"/api/tickets/{ticket['id']}", {"subject": "Help!"}, format="json"))
    assert recorded() == [("ticket.updated", "ticket", ticket["id"])]
    closed = ok(api.put(f"/api/tickets/{ticket['id']}", {"status": 3}, format="json"))
    assert recorded() == [("ticket.updated", "ticket", ticket["id"]), ("ticket.closed", "ticket", ticket["id"])]
    assert last(org, "ticket.closed").data == closed
    ok(api.delete(f"/api/tickets/{ticket['id']}"), 204)
    assert recorded() == [("ticket.deleted", "ticket", ticket["id"])]


def test_a_failed_request_records_nothing(api, org, client_id, recorded):
    recorded()
    resp = api.post("/api/orders", {"user_id": client_id, "service_id": "00000000-0000-0000-0000-000000000000"},
                    format="json")
    assert resp.status_code == 422
    assert recorded() == []


def test_tag_events(api, org, recorded):
    recorded()
    tag = ok(api.post("/api/tags", {"name": "Urgent", "color": "#FF0000"}, format="json"), 201)
    assert recorded() == [("tag.created", "tag", tag["id"])]
    assert last(org, "tag.created").data == tag
    updated = ok(api.put(f"/api/tags/{tag['id']}", {"name": "Rush"}, format="json"))
    assert recorded() == [("tag.updated", "tag", tag["id"])]
    event = last(org, "tag.updated")
    assert (event.data, event.previous_attributes) == (updated, {"name": "Urgent"})
    ok(api.delete(f"/api/tags/{tag['id']}"), 204)
    assert recorded() == [("tag.deleted", "tag", tag["id"])]
    assert last(org, "tag.deleted").data == updated


def test_tags_created_by_name_record_their_own_created_event(api, org, client_id, recorded):
    existing = ok(api.post("/api/tags", {"name": "VIP"}, format="json"), 201)
    recorded()
    order = ok(api.post("/api/orders", {"user_id": client_id, "service": "Logo", "tags": ["vip", "new"]},
                        format="json"), 201)
    events = recorded()
    created = [(t, o) for t, o, _i in events if t == "tag.created"]
    assert created == [("tag.created", "tag")], "only the tag that did not exist"
    new_id = next(i for t, _o, i in events if t == "tag.created")
    assert new_id != existing["id"]
    # the tag as GET /api/tags/{id} rendered it when it was created (on no order yet)
    shown = ok(api.get(f"/api/tags/{new_id}"))
    assert last(org, "tag.created").data == {**shown, "orders_count": 0}
    ok(api.post("/api/tickets", {"user_id": client_id, "subject": "Help", "tags": ["NEW", "VIP"]}, format="json"), 201)
    assert [t for t, _o, _i in recorded()] == ["ticket.created"], order["id"]


def test_ticket_message_events(api, org, client_id, recorded):
    ticket = ok(api.post("/api/tickets", {"user_id": client_id, "subject": "Help"}, format="json"), 201)
    recorded()
    message = ok(api.post(f"/api/tickets/{ticket['id']}/messages", {"message": "Hi", "staff_only": True},
                          format="json"), 201)
    assert recorded() == [("ticket_message.created", "ticket_message", message["id"])]
    listed = ok(api.get(f"/api/tickets/{ticket['id']}/messages"))["data"]
    assert last(org, "ticket_message.created").data == message == listed[0]
    ok(api.delete(f"/api/ticket-messages/{message['id']}"), 204)
    assert recorded() == [("ticket_message.deleted", "ticket_message", message["id"])]
    assert last(org, "ticket_message.deleted").data == message
