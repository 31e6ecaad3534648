"""Every route of the URLconf demands a valid bearer token (contract §3), found by walking the URLconf itself.

A route added later without authentication fails `test_route_demands_a_valid_token` with no edit here: the
walk reads routes and methods from the views. Only the allow-list below may answer without a token.
"""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.helpers import assert_detail

from .routes import Credential, auth_violations, request, walk

# Routes that answer without a token, each for a reason.
OPEN_ROUTES = {
    "/api": "index (contract §12)",
    "/api/health": "load-balancer probe (contract §12)",
    "/api/schema": "OpenAPI document (README: served without a token)",
    "/api/docs": "Swagger UI over the schema",
    "/api/redoc": "ReDoc over the schema",
    "/api/*": "catch-all: unknown paths answer 404 Not Found",
    "/api/stripe/webhook": "Stripe events: authenticated by the Stripe-Signature header (tests/portal)",
    # Client pages (issue 15): authorized by the signed, expiring token in the path (tests/portal/test_pages.py).
    "/portal/{token}": "client page",
    "/portal/{token}/sign": "client page: sign form",
    "/portal/{token}/pdf": "client page: PDF",
    "/portal/{token}/pay": "client page: Pay button",
    "/portal/{token}/pay/simulated": "client page: simulated checkout",
}

# The 43 operations of the contract (README §1): a floor, so an empty or partial walk cannot pass.
CONTRACT_OPERATIONS = [
    ("GET", "/api/health"), ("GET", "/api"),
    *[(m, "/api/clients") for m in ("GET", "POST")], *[(m, "/api/clients/{id}") for m in ("GET", "PUT", "DELETE")],
    *[(m, "/api/services") for m in ("GET", "POST")], *[(m, "/api/services/{id}") for m in ("GET", "PUT", "DELETE")],
    *[(m, "/api/orders") for m in ("GET", "POST")], *[(m, "/api/orders/{id}") for m in ("GET", "PUT", "DELETE")],
    ("GET", "/api/orders/{id}/tasks"), ("POST", "/api/orders/{id}/tasks"),
    ("GET", "/api/orders/{id}/messages"), ("POST", "/api/orders/{id}/messages"),
    ("PUT", "/api/order-tasks/{id}"), ("DELETE", "/api/order-tasks/{id}"),
    ("POST", "/api/order-tasks/{id}/complete"), ("DELETE", "/api/order-tasks/{id}/complete"),
    ("DELETE", "/api/order-messages/{id}"),
    ("GET", "/api/proposals"), ("POST", "/api/proposals"), ("GET", "/api/proposals/{id}"),
    ("POST", "/api/proposals/{id}/send"), ("POST", "/api/proposals/{id}/sign"),
    *[(m, "/api/invoices") for m in ("GET", "POST")], *[(m, "/api/invoices/{id}") for m in ("GET", "PUT", "DELETE")],
    ("POST", "/api/invoices/{id}/charge"), ("POST", "/api/invoices/{id}/mark_paid"),
    *[(m, "/api/tickets") for m in ("GET", "POST")], *[(m, "/api/tickets/{id}") for m in ("GET", "PUT", "DELETE")],
]

ROUTES = walk()
GUARDED = [(route, method) for route in ROUTES if route.display not in OPEN_ROUTES for method in route.methods]


@pytest.fixture
def credentials(org, owner):
    _expired, expired_raw = factories.make_token(org, owner, expires_at=timezone.now() - timedelta(minutes=1))
    _valid, valid_raw = factories.make_token(org, owner)
    unauthorized = [
        Credential("no header", None, "Unauthorized"),
        Credential("empty header", "", "Unauthorized"),
        Credential("Token scheme", f"Token {valid_raw}", "Unauthorized"),
        Credential("lower-case bearer", f"bearer {valid_raw}", "Unauthorized"),
        Credential("upper-case BEARER", f"BEARER {valid_raw}", "Unauthorized"),
        Credential("empty token", "Bearer ", "Unauthorized"),
        Credential("two spaces", f"Bearer  {valid_raw}", "Unauthorized"),
        Credential("bare token", valid_raw, "Unauthorized"),
        Credential("unknown token", "Bearer sx_this-token-was-never-issued", "Unauthorized"),
        Credential("expired token", f"Bearer {expired_raw}", "Token expired"),
    ]
    return unauthorized


def test_walk_finds_every_contract_operation():
    walked = {(method, route.display.replace("{pk}", "{id}")) for route in ROUTES for method in route.methods}
    missing = [op for op in CONTRACT_OPERATIONS if op not in walked]
    assert len(CONTRACT_OPERATIONS) == 43 and not missing, missing


def test_every_open_route_exists():
    assert set(OPEN_ROUTES) <= {route.display for route in ROUTES}


@pytest.mark.parametrize(("route", "method"), GUARDED, ids=[f"{m} {r.display}" for r, m in GUARDED])
def test_route_demands_a_valid_token(credentials, route, method):
    assert auth_violations([_only(route, method)], credentials) == []


@pytest.mark.parametrize("display", ["/api", "/api/health", "/api/schema", "/api/docs", "/api/redoc"])
def test_open_routes_ignore_the_authorization_header(credentials, display):
    route = next(r for r in ROUTES if r.display == display)
    for credential in credentials[::3]:  # a sample: the schema page is slow to build
        assert request(route, "GET", credential.header).status_code == 200, credential.label


def test_unknown_paths_answer_not_found_with_or_without_a_token(credentials, api):
    route = next(r for r in ROUTES if r.display == "/api/*")
    for credential in credentials:
        assert_detail(request(route, "GET", credential.header), 404, "Not Found")
    assert_detail(api.get(route.url), 404, "Not Found")


@pytest.mark.urls("tests.security.unguarded_urls")
def test_the_walk_flags_a_route_added_without_authentication(credentials):
    # Two credentials are enough to flag a route; every credential is checked route by route above.
    problems = auth_violations(walk(), [credentials[0], credentials[-1]], OPEN_ROUTES)
    flagged = {problem.split(" [")[0] for problem in problems}
    assert flagged == {
        "GET /api/leaky-view", "HEAD /api/leaky-view", "POST /api/leaky-view", "OPTIONS /api/leaky-view",
        "GET /api/leaky-things", "HEAD /api/leaky-things", "OPTIONS /api/leaky-things",
        "GET /api/leaky-things/{pk}", "HEAD /api/leaky-things/{pk}", "OPTIONS /api/leaky-things/{pk}",
        *(f"{method} /api/leaky-function" for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")),
    }


def _only(route, method):
    from dataclasses import replace

    return replace(route, methods=(method,))
