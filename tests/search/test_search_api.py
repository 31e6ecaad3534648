"""`GET /api/search` and `search=` on every list (issue 18): hits, tenancy, bounds, fixed queries."""
from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories
from tests.billing.factories import make_invoice, make_proposal
from tests.helpers import assert_envelope, count_queries
from tests.security.routes import walk
from tests.support.factories import add_message, make_ticket

pytestmark = pytest.mark.django_db
URL = "/api/search"


def hits(response, kind=None):
    assert response.status_code == 200, response.content
    return [hit for hit in response.json()["data"] if kind is None or hit["type"] == kind]


@pytest.fixture
def seeded(org, other_org):
    ada = factories.make_client(org, name_f="Ada", name_l="Lovelace", email="ada@engines.example.com", company="Engines Ltd")
    bob = factories.make_client(org, name_f="Bob", name_l="Builder", email="bob@site.example.com")
    order = factories.make_order(org, ada, number="ZEBRA123", service_name="Analytical engine tuning", note="gears")
    proposal = make_proposal(org, client_email="grace@navy.example.com", client_name_f="Grace", client_name_l="Hopper")
    invoice = make_invoice(org, user=ada)
    ticket = make_ticket(org, bob, subject="Printer jammed")
    add_message(ticket, message="The difference engine smokes when cranked")
    # Another organization with the very same words everywhere: never found.
    twin = factories.make_client(other_org, name_f="Ada", name_l="Lovelace", email="ada@engines.example.com")
    factories.make_order(other_org, twin, number="ZEBRA123", service_name="Analytical engine tuning")
    make_invoice(other_org, user=twin)
    other_ticket = make_ticket(other_org, twin, subject="Printer jammed")
    add_message(other_ticket, message="The difference engine smokes when cranked")
    return {"ada": ada, "bob": bob, "order": order, "proposal": proposal, "invoice": invoice, "ticket": ticket}


def test_search_finds_client_by_name_email_and_company(api, seeded):
    for q in ("Lovelace", "ada lovelace", "ada@engines.example.com", "Engines"):
        found = hits(api.get(URL, {"q": q}), "client")
        assert [hit["id"] for hit in found] == [str(seeded["ada"].id)], q
    hit = hits(api.get(URL, {"q": "Lovelace"}), "client")[0]
    assert hit == {"type": "client", "id": str(seeded["ada"].id), "title": "Ada Lovelace", "snippet": "Ada Lovelace"}


def test_search_finds_orders_proposals_invoices_and_tickets(api, seeded):
    assert [h["id"] for h in hits(api.get(URL, {"q": "zebra123"}), "order")] == [str(seeded["order"].id)]
    assert [h["id"] for h in hits(api.get(URL, {"q": "tuning"}), "order")] == [str(seeded["order"].id)]
    assert [h["id"] for h in hits(api.get(URL, {"q": "Hopper"}), "proposal")] == [str(seeded["proposal"].id)]
    number = seeded["invoice"].number
    assert [h["id"] for h in hits(api.get(URL, {"q": number}), "invoice")] == [str(seeded["invoice"].id)]
    # An invoice is found by its client too.
    by_client = hits(api.get(URL, {"q": "Lovelace"}), "invoice")
    assert [h["id"] for h in by_client] == [str(seeded["invoice"].id)]
    assert by_client[0]["title"] == f"{number} · Ada Lovelace"
    # A ticket by its subject, or by one of its messages (which then gives the snippet).
    assert [h["id"] for h in hits(api.get(URL, {"q": "printer"}), "ticket")] == [str(seeded["ticket"].id)]
    by_message = hits(api.get(URL, {"q": "difference engine"}), "ticket")
    assert [h["id"] for h in by_message] == [str(seeded["ticket"].id)]
    assert "difference engine smokes" in by_message[0]["snippet"]


def test_search_counts_hits_and_ignores_other_organizations(api, other_api, seeded):
    body = api.get(URL, {"q": "Lovelace"}).json()
    assert body["meta"] == {
        "q": "Lovelace",
        "counts": {"client": 1, "order": 0, "proposal": 0, "invoice": 1, "ticket": 0},
    }
    other = other_api.get(URL, {"q": "Lovelace"}).json()
    assert {hit["id"] for hit in other["data"]}.isdisjoint({str(seeded["ada"].id), str(seeded["invoice"].id)})
    assert hits(api.get(URL, {"q": "nothing-like-this"})) == []


def test_search_returns_at_most_twenty_hits_per_kind(api, org):
    for i in range(23):
        factories.make_client(org, name_f="Same", name_l=f"Name{i}")
    assert len(hits(api.get(URL, {"q": "same"}), "client")) == 20


def test_search_query_is_required_and_bounded(api, anon, seeded):
    assert_envelope(api.get(URL), 400, {"q": ["Field required"]})
    assert_envelope(api.get(URL, {"q": "   "}), 400, {"q": ["String should have at least 1 character"]})
    assert_envelope(api.get(URL, {"q": "x" * 201}), 400, {"q": ["String should have at most 200 characters"]})
    assert api.get(URL, {"q": "x" * 200}).status_code == 200
    assert anon.get(URL, {"q": "ada"}).status_code == 401


@pytest.mark.parametrize("q", ["'; DROP TABLE orders_order; --", "a & b | !c", "ada:*", "\\", "(((", "«ünï»", "%_%"])
def test_search_treats_operators_and_quotes_as_text(api, seeded, q):
    assert api.get(URL, {"q": q}).status_code == 200
    assert api.get("/api/clients", {"search": q}).status_code == 200


def test_search_runs_a_fixed_number_of_queries(api, org):
    def seed(count):
        for _ in range(count):
            client = factories.make_client(org, name_f="Quinn")
            order = factories.make_order(org, client, service_name="Quinn work")
            make_invoice(org, user=client)
            ticket = make_ticket(org, client, subject="Quinn asks")
            add_message(ticket, message="Quinn again")
            del order

    seed(1)
    _, few = count_queries(lambda: api.get(URL, {"q": "quinn"}))
    seed(5)
    _, many = count_queries(lambda: api.get(URL, {"q": "quinn"}))
    assert len(few) == len(many) <= 8


# ---- search= on lists -------------------------------------------------------------------------------------------


def test_list_search_filters_rows_and_total(api, seeded):
    body = api.get("/api/clients", {"search": "lovelace"}).json()
    assert [row["id"] for row in body["data"]] == [str(seeded["ada"].id)]
    assert body["meta"]["total"] == 1
    orders = api.get("/api/orders", {"search": "engine tuning"}).json()
    assert [row["id"] for row in orders["data"]] == [str(seeded["order"].id)]
    assert api.get("/api/orders", {"search": "lovelace"}).json()["data"] == []  # own fields only
    tickets = api.get("/api/tickets", {"search": "printer", "filters[status][$eq]": 1}).json()
    assert [row["id"] for row in tickets["data"]] == [str(seeded["ticket"].id)]
    assert api.get("/api/clients", {"search": ""}).json()["meta"]["total"] == 2


def list_routes():
    return [route for route in walk() if "{" not in route.display and route.display.startswith("/api/")
            and "GET" in route.methods and getattr(route.callback, "actions", {}).get("get") == "list"]


def test_every_list_route_accepts_search(api, org):
    routes = list_routes()
    assert len(routes) >= 6
    for route in routes:
        response = api.get(route.url, {"search": "nothing-matches-this-word"})
        assert response.status_code == 200, (route.display, response.content)
        assert response.json()["data"] == [] and response.json()["meta"]["total"] == 0, route.display
        assert_envelope(
            api.get(route.url, {"search": "y" * 201}), 400, {"search": ["String should have at most 200 characters"]}
        )


def test_list_search_keeps_a_fixed_number_of_queries(api, org):
    def add():
        factories.make_order(org, number=f"KEEP{factories.n()}", price=Decimal("1.00"))

    add()
    _, one = count_queries(lambda: api.get("/api/orders", {"search": "keep"}))
    for _ in range(4):
        add()
    _, five = count_queries(lambda: api.get("/api/orders", {"search": "keep"}))
    assert len(one) == len(five)


def test_default_search_fields_leave_secrets_out():
    from django.apps import apps

    from serviceengine.api.search import default_search_fields
    from serviceengine.models import ApiToken

    assert "token_hash" not in default_search_fields(ApiToken)
    for model in apps.get_models():
        for name in default_search_fields(model):
            assert not any(word in name for word in ("secret", "token", "password", "hash")), (model, name)


def test_a_resource_without_searchable_columns_matches_nothing(org):
    from orders.models import Order
    from serviceengine.api.search import apply_search

    factories.make_order(org)
    assert list(apply_search(Order.objects.for_org(org), (), "anything")) == []
