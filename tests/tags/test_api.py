"""`/api/tags`: shapes, validation, case-insensitive uniqueness, usage counts, delete removes links, tenancy,
find-or-create from orders and tickets ignoring case, query budgets."""
import pytest

from orders.models import OrderTag, Tag
from serviceengine.api.fields import format_datetime
from support.models import TicketTag
from tests import factories
from tests.helpers import assert_constant_queries, assert_detail, assert_envelope
from tests.support.factories import add_tag, make_tag, make_ticket

TAG_KEYS = ["id", "name", "color", "orders_count", "tickets_count", "created_at", "updated_at"]


def test_create_returns_the_tag(api, org):
    resp = api.post("/api/tags", {"name": " Urgent ", "color": "#FFaa00"}, format="json")
    assert resp.status_code == 201, resp.content
    tag = Tag.unscoped.get()
    assert resp.json() == {
        "id": str(tag.id),
        "name": "Urgent",
        "color": "#ffaa00",
        "orders_count": 0,
        "tickets_count": 0,
        "created_at": format_datetime(tag.created_at),
        "updated_at": format_datetime(tag.updated_at),
    }
    assert tag.organization_id == org.id


def test_create_validates(api):
    resp = api.post("/api/tags", {"name": "x" * 101, "color": "red"}, format="json")
    assert_envelope(resp, 400, {
        "name": ["String should have at most 100 characters"],
        "color": ["The color must be a hex colour of the form #rrggbb."],
    })
    assert_envelope(api.post("/api/tags", {"name": "  "}, format="json"), 400,
                    {"name": ["String should have at least 1 character"]})
    assert_envelope(api.post("/api/tags", {}, format="json"), 400, {"name": ["Field required"]})


def test_name_is_unique_ignoring_case(api, org, other_org):
    make_tag(org, "Urgent")
    make_tag(other_org, "billing")
    assert_envelope(api.post("/api/tags", {"name": "URGENT"}, format="json"), 400,
                    {"name": ["The name has already been taken."]})
    assert api.post("/api/tags", {"name": "Billing"}, format="json").status_code == 201


def test_update_is_partial_and_checks_uniqueness(api, org):
    tag = make_tag(org, "alpha")
    Tag.unscoped.filter(pk=tag.pk).update(color="#000000")
    make_tag(org, "beta")
    assert_envelope(api.put(f"/api/tags/{tag.id}", {"name": "BETA"}, format="json"), 400,
                    {"name": ["The name has already been taken."]})
    body = api.put(f"/api/tags/{tag.id}", {"name": "ALPHA"}, format="json").json()
    assert (body["name"], body["color"]) == ("ALPHA", "#000000")
    body = api.put(f"/api/tags/{tag.id}", {"color": None}, format="json").json()
    assert (body["name"], body["color"]) == ("ALPHA", None)


def test_counts_live_orders_and_tickets(api, org):
    tag = make_tag(org, "vip")
    for _ in range(2):
        OrderTag.objects.create(order=factories.make_order(org), tag=tag)
    deleted = factories.make_order(org)
    OrderTag.objects.create(order=deleted, tag=tag)
    deleted.soft_delete()
    add_tag(make_ticket(org), tag)
    body = api.get(f"/api/tags/{tag.id}").json()
    assert (body["orders_count"], body["tickets_count"]) == (2, 1)
    # The list leaves the counts out (they read every link row of every listed tag): the retrieve has them.
    row = api.get("/api/tags").json()["data"][0]
    assert list(row) == [key for key in TAG_KEYS if not key.endswith("_count")]


def test_delete_removes_the_tag_from_orders_and_tickets(api, org):
    tag = make_tag(org, "gone")
    order = factories.make_order(org)
    ticket = make_ticket(org)
    OrderTag.objects.create(order=order, tag=tag)
    add_tag(ticket, tag)
    assert api.delete(f"/api/tags/{tag.id}").status_code == 204
    assert not Tag.unscoped.filter(pk=tag.pk).exists()
    assert not OrderTag.unscoped.filter(order=order).exists() and not TicketTag.unscoped.filter(ticket=ticket).exists()
    assert api.get(f"/api/orders/{order.id}").json()["tags"] == []
    assert api.get(f"/api/tickets/{ticket.id}").json()["tags"] == []
    assert_detail(api.delete(f"/api/tags/{tag.id}"), 404, "Not Found")


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_organizations_tag_is_404(api, other_org, method):
    tag = make_tag(other_org, "theirs")
    resp = getattr(api, method)(f"/api/tags/{tag.id}", {"name": "mine"}, format="json")
    assert_detail(resp, 404, "Not Found")
    assert Tag.unscoped.get(pk=tag.pk).name == "theirs"


def test_list_is_scoped_sorted_and_filtered(api, org, other_org):
    make_tag(org, "b")
    make_tag(org, "a")
    make_tag(other_org, "c")
    body = api.get("/api/tags?sort=name:asc").json()
    assert [t["name"] for t in body["data"]] == ["a", "b"]
    assert body["meta"]["total"] == 2
    body = api.get("/api/tags?filters[name][$eq]=b").json()
    assert [t["name"] for t in body["data"]] == ["b"] and body["meta"]["total"] == 1


def test_order_tags_find_existing_tag_ignoring_case(api, org):
    tag = make_tag(org, "Urgent")
    client = factories.make_client(org)
    resp = api.post("/api/orders", {"user_id": str(client.id), "service": "Work", "tags": ["urgent", "URGENT", "new"]},
                    format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["tags"] == ["Urgent", "new"]
    assert Tag.unscoped.filter(organization=org).count() == 2
    assert OrderTag.unscoped.filter(tag=tag).count() == 1


def test_ticket_tags_find_existing_tag_ignoring_case(api, org):
    make_tag(org, "Billing")
    client = factories.make_client(org)
    resp = api.post("/api/tickets", {"user_id": str(client.id), "subject": "Hi", "tags": ["BILLING"]}, format="json")
    assert resp.json()["tags"] == ["Billing"]


def test_list_query_count_is_fixed(api, org):
    def add():
        tag = make_tag(org)
        OrderTag.objects.create(order=factories.make_order(org), tag=tag)

    assert_constant_queries(api, "/api/tags?limit=100", add, budget=3)
