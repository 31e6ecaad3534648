"""GET /api/health and GET /api (contract §12), and database-outage answers."""
from datetime import datetime

import json

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from serviceengine.middleware import DatabaseUnavailableMiddleware
from tests.helpers import assert_detail


def test_health_reports_healthy(anon, db):
    response = anon.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "version", "timestamp"}
    assert body["status"] == "healthy" and body["version"] == "1.0.0"
    assert body["timestamp"].endswith("+00:00")
    datetime.fromisoformat(body["timestamp"])


def test_health_is_503_when_the_database_is_unreachable(anon, db, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", broken_cursor)
        response = anon.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy" and body["version"] == "1.0.0" and body["timestamp"].endswith("+00:00")


CONTRACT_ENDPOINTS = {
    "health": "/api/health",
    "clients": "/api/clients",
    "services": "/api/services",
    "orders": "/api/orders",
    "proposals": "/api/proposals",
    "invoices": "/api/invoices",
    "tickets": "/api/tickets",
}


def test_index_lists_the_endpoints(anon, db):
    body = anon.get("/api").json()
    assert (body["name"], body["version"]) == ("Service Engine X API", "1.0.0")
    # The contract's seven first and unchanged; the resources added later beside them (contract §12).
    assert list(body["endpoints"].items())[:7] == list(CONTRACT_ENDPOINTS.items())
    assert {"tags", "coupons", "subscriptions", "engagements", "projects", "events", "webhook_endpoints"} <= set(
        body["endpoints"]
    )


def test_every_listed_endpoint_answers(api, db):
    for path in api.get("/api").json()["endpoints"].values():
        assert api.get(path).status_code == 200, path


@pytest.mark.urls("tests.core.probe")
def test_authenticated_route_is_503_json_when_the_database_fails(api, monkeypatch):
    from serviceengine.api import authentication

    def broken(token_hash):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(authentication, "find_token", broken)
    response = api.get("/api/probes")
    assert_detail(response, 503, "Service temporarily unavailable.")
    assert "closed the connection" not in response.content.decode()


def test_outage_outside_drf_is_503_json():
    request = RequestFactory().get("/api/clients")
    response = DatabaseUnavailableMiddleware(lambda r: None).process_exception(request, OperationalError("down"))
    assert response.status_code == 503
    assert json.loads(response.content) == {"detail": "Service temporarily unavailable."}


def test_unexpected_error_outside_drf_is_500_json_for_api_paths():
    request = RequestFactory().get("/api/clients")
    response = DatabaseUnavailableMiddleware(lambda r: None).process_exception(request, RuntimeError("x"))
    assert response.status_code == 500
    assert json.loads(response.content) == {"detail": "Internal server error.", "request_id": response["X-Request-Id"]}
    admin_request = RequestFactory().get("/admin/")
    assert DatabaseUnavailableMiddleware(lambda r: None).process_exception(admin_request, RuntimeError("x")) is None
