"""The database failing in the middle of a request, after ATOMIC_REQUESTS opened its transaction and the request
wrote a row: the answer is 503 JSON, nothing of the request is kept, and the next request reconnects.

The first tests raise the driver's errors by hand (both databases); the PostgreSQL ones kill the request's real
backend with `pg_terminate_backend`, mid-transaction and just before the commit."""
import threading
import time

import pytest
from django.db import InterfaceError, OperationalError, connection
from rest_framework.test import APIClient

from orders import services as order_services
from orders.models import Order
from tests import factories
from tests.helpers import assert_detail

UNAVAILABLE = "Service temporarily unavailable."
needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: kills a real backend")


def order_body(client, **over):
    return {"user_id": str(client.pk), "service": "Rush", "tags": ["outage"], **over}


def fail_while_tagging(monkeypatch, before_tags):
    """Run `before_tags()` once the order row is inserted, when `POST /api/orders` looks up its tags."""
    real = order_services.tags_find_or_create

    def wrapped(**kwargs):
        before_tags()
        return real(**kwargs)

    monkeypatch.setattr(order_services, "tags_find_or_create", wrapped)


@pytest.mark.parametrize(
    "error", [OperationalError("server closed the connection unexpectedly"), InterfaceError("connection is closed")]
)
def test_driver_error_mid_transaction_is_503_and_rolls_back_the_request(api, org, monkeypatch, error):
    client = factories.make_client(org)

    def fail():
        raise error

    with monkeypatch.context() as patch:
        fail_while_tagging(patch, fail)
        response = api.post("/api/orders", order_body(client), format="json")
    assert_detail(response, 503, UNAVAILABLE)
    assert response["Retry-After"] == "5" and response["X-Request-ID"]
    assert "closed" not in response.content.decode()
    assert not Order.unscoped.filter(organization=org).exists()
    assert api.post("/api/orders", order_body(client), format="json").status_code == 201


def test_failed_commit_is_503_json_and_keeps_nothing(transactional_db, monkeypatch):
    """The commit itself fails (raised by ATOMIC_REQUESTS outside DRF's handler): the middleware answers."""
    org = factories.make_org()
    _token, raw = factories.make_token(org)
    client = factories.make_client(org)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def broken_commit():
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "commit", broken_commit)
        response = api.post("/api/orders", order_body(client), format="json")
    assert_detail(response, 503, UNAVAILABLE)
    assert not Order.unscoped.filter(organization=org).exists()
    assert api.post("/api/orders", order_body(client), format="json").status_code == 201
    assert Order.unscoped.filter(organization=org).count() == 1


def terminate_backend(pid: int) -> None:
    """Kill backend `pid` from another connection and wait (bounded) until it is gone."""
    errors = []

    def work():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                for _ in range(100):
                    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                    if cursor.fetchone()[0] == 0:
                        return
                    time.sleep(0.05)
                errors.append(f"backend {pid} still alive")
        except Exception as exc:  # noqa: BLE001 - reported to the test's thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and not errors, errors


def kill_own_backend():
    terminate_backend(connection.connection.info.backend_pid)


@pytest.fixture
def committed(transactional_db):
    """Committed rows (the request runs its own transaction, as in production) and a client for them."""
    org = factories.make_org()
    _token, raw = factories.make_token(org)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return org, api, factories.make_client(org)


@pytest.mark.postgres_only
@needs_postgres
def test_backend_killed_mid_transaction_is_503_and_the_next_request_reconnects(committed, monkeypatch):
    org, api, client = committed
    with monkeypatch.context() as patch:
        fail_while_tagging(patch, kill_own_backend)
        response = api.post("/api/orders", order_body(client), format="json")
    assert_detail(response, 503, UNAVAILABLE)
    assert "terminating" not in response.content.decode()
    assert not Order.unscoped.filter(organization=org).exists()
    assert api.post("/api/orders", order_body(client), format="json").status_code == 201
    assert api.get("/api/health").status_code == 200


@pytest.mark.postgres_only
@needs_postgres
def test_backend_killed_just_before_commit_is_503_and_keeps_nothing(committed, monkeypatch):
    org, api, client = committed
    real_commit = connection.commit

    def commit_after_kill():
        kill_own_backend()
        real_commit()

    with monkeypatch.context() as patch:
        patch.setattr(connection, "commit", commit_after_kill)
        response = api.post("/api/orders", order_body(client), format="json")
    assert_detail(response, 503, UNAVAILABLE)
    assert not Order.unscoped.filter(organization=org).exists()
    assert api.post("/api/orders", order_body(client), format="json").status_code == 201
