"""Contract §6 on nested lists: the query string is validated (step 3) before the path id is looked up (step 4),
so `GET /api/<parent>/<unknown id>/<children>?limit=abc` is a 400 envelope naming `query.limit`, not a 404.

The routes come from the URL configuration (every `GET …/{pk}/<name>`), so a nested list added later is checked
too; the only exceptions are the routes that take no query parameters at all, each listed with its reason."""
import uuid

import pytest

from serviceengine.api import messages as msg

from .routes import walk

# Routes that ignore their query string (nothing to validate), so an unknown parent stays a 404.
NO_QUERY = {
    "/api/orders/{pk}/tasks": "orders.md: not paginated; query parameters are ignored",
    "/api/orders/{pk}/messages": "orders.md: not paginated; query parameters are ignored",
    "/api/proposals/{pk}/pdf": "a document, no query parameters",
    "/api/invoices/{pk}/pdf": "a document, no query parameters",
}
NESTED = sorted(r.display for r in walk() if "{pk}/" in r.display and "GET" in r.methods)
BAD_QUERIES = {
    "limit=abc": {"query.limit": [msg.INT_PARSING]},
    "limit=0": {"query.limit": [msg.GREATER_EQUAL.format(limit=1)]},
    "limit=101": {"query.limit": [msg.LESS_EQUAL.format(limit=100)]},
}


def test_the_walk_finds_the_nested_lists():
    assert {"/api/tickets/{pk}/messages", "/api/conversations/{pk}/messages"} <= set(NESTED)
    assert set(NO_QUERY) <= set(NESTED)


@pytest.mark.parametrize("display", [d for d in NESTED if d not in NO_QUERY])
@pytest.mark.parametrize("query", list(BAD_QUERIES))
def test_a_bad_query_on_an_unknown_parent_is_400(api, display, query):
    resp = api.get(display.replace("{pk}", str(uuid.uuid4())) + "?" + query)
    assert resp.status_code == 400, (display, resp.content)
    assert resp.json() == {"message": "The given data was invalid.", "errors": BAD_QUERIES[query]}


@pytest.mark.parametrize("display", sorted(NO_QUERY))
def test_routes_without_query_parameters_answer_404_for_an_unknown_parent(api, display):
    resp = api.get(display.replace("{pk}", str(uuid.uuid4())) + "?limit=abc")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("display", [d for d in NESTED if d not in NO_QUERY])
def test_a_good_query_on_an_unknown_parent_is_404(api, display):
    resp = api.get(display.replace("{pk}", str(uuid.uuid4())) + "?limit=5")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "Not Found"}
