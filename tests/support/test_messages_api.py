"""`/api/tickets/{id}/messages` and `DELETE /api/ticket-messages/{id}`: shapes, validation, tenancy, the ticket's
`last_message_at`, the documented Closed rule, query budgets."""
import pytest

from serviceengine.api.fields import format_datetime
from support.models import Ticket, TicketMessage, TicketStatus
from tests.helpers import assert_constant_queries, assert_detail, assert_envelope
from tests.support.factories import add_message, make_ticket

MESSAGE_KEYS = ["id", "ticket_id", "user_id", "message", "staff_only", "files", "created_at"]


@pytest.fixture
def ticket(org):
    return make_ticket(org)


def url(ticket_id):
    return f"/api/tickets/{ticket_id}/messages"


def test_create_returns_the_message_with_the_tokens_user(api, ticket, owner):
    resp = api.post(url(ticket.id), {"message": "  Hello there  ", "files": ["a.png"]}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert list(body) == MESSAGE_KEYS
    stored = TicketMessage.unscoped.get()
    assert body == {
        "id": str(stored.id),
        "ticket_id": str(ticket.id),
        "user_id": str(owner.id),
        "message": "Hello there",
        "staff_only": False,
        "files": ["a.png"],
        "created_at": format_datetime(stored.created_at),
    }


def test_create_sets_last_message_at_on_the_ticket(api, ticket):
    body = api.post(url(ticket.id), {"message": "Hi", "staff_only": True}, format="json").json()
    assert body["staff_only"] is True
    shown = api.get(f"/api/tickets/{ticket.id}").json()
    assert shown["last_message_at"] == body["created_at"]
    assert shown["messages"][-1] == body


def test_staff_reply_keeps_a_closed_ticket_closed(api, org):
    ticket = make_ticket(org, status=TicketStatus.CLOSED)
    assert api.post(url(ticket.id), {"message": "Anything else?"}, format="json").status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_create_validates_every_field(api, ticket):
    resp = api.post(url(ticket.id), {"message": "   ", "staff_only": "maybe", "files": "x"}, format="json")
    assert_envelope(resp, 400, {
        "message": ["String should have at least 1 character"],
        "staff_only": ["Input should be a valid boolean, unable to interpret input"],
        "files": ["Input should be a valid list"],
    })


def test_create_requires_message(api, ticket):
    assert_envelope(api.post(url(ticket.id), {}, format="json"), 400, {"message": ["Field required"]})


def test_schema_errors_come_before_the_path_id(api):
    resp = api.post(url("00000000-0000-4000-8000-000000000000"), {}, format="json")
    assert resp.status_code == 400


@pytest.mark.parametrize("method", ["get", "post"])
def test_other_organizations_ticket_is_404(api, other_org, method):
    foreign = make_ticket(other_org)
    resp = getattr(api, method)(url(foreign.id), {"message": "x"}, format="json")
    assert_detail(resp, 404, "Not Found")


def test_deleted_ticket_is_404(api, ticket):
    Ticket.unscoped.filter(pk=ticket.pk).update(deleted_at=ticket.created_at)
    assert_detail(api.get(url(ticket.id)), 404, "Not Found")


def test_list_is_an_envelope_oldest_first(api, ticket):
    first = add_message(ticket, message="one")
    second = add_message(ticket, message="two")
    resp = api.get(url(ticket.id) + "?limit=1")
    assert resp.status_code == 200
    body = resp.json()
    assert [m["id"] for m in body["data"]] == [str(first.id)]
    assert body["meta"]["total"] == 2
    assert body["meta"]["path"].endswith(url(ticket.id))
    body = api.get(url(ticket.id) + "?page=2&limit=1").json()
    assert [m["id"] for m in body["data"]] == [str(second.id)]
    assert list(body["data"][0]) == MESSAGE_KEYS


def test_list_rejects_bad_paging(api, ticket):
    assert_envelope(api.get(url(ticket.id) + "?limit=0"), 400, {"query.limit": ["Input should be greater than or equal to 1"]})


def test_list_query_count_is_fixed(api, ticket):
    assert_constant_queries(api, url(ticket.id) + "?limit=100", lambda: add_message(ticket), budget=4)


def test_delete_is_hard_and_last_message_at_follows(api, ticket):
    older = add_message(ticket)
    newer = api.post(url(ticket.id), {"message": "newest"}, format="json").json()
    assert api.delete(f"/api/ticket-messages/{newer['id']}").status_code == 204
    ticket.refresh_from_db()
    assert ticket.last_message_at == older.created_at
    assert not TicketMessage.unscoped.filter(pk=newer["id"]).exists()
    assert_detail(api.delete(f"/api/ticket-messages/{newer['id']}"), 404, "Not Found")
    api.delete(f"/api/ticket-messages/{older.id}")
    ticket.refresh_from_db()
    assert ticket.last_message_at is None


def test_delete_other_organizations_message_is_404(api, other_org):
    foreign = add_message(make_ticket(other_org))
    assert_detail(api.delete(f"/api/ticket-messages/{foreign.id}"), 404, "Not Found")
    assert TicketMessage.unscoped.filter(pk=foreign.pk).exists()


def test_delete_message_of_deleted_ticket_is_404(api, ticket):
    message = add_message(ticket)
    Ticket.unscoped.filter(pk=ticket.pk).update(deleted_at=ticket.created_at)
    assert_detail(api.delete(f"/api/ticket-messages/{message.id}"), 404, "Not Found")


def test_delete_malformed_id_is_404(api):
    assert_detail(api.delete("/api/ticket-messages/nope"), 404, "Not Found")
