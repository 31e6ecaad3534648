"""Idempotency keys under real concurrency on PostgreSQL (issue 14): requests with the same key, sent at the same
instant from threads with their own database connections, run once; the others answer 409 (in progress) or the
replay. Skipped on SQLite."""
import json
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

import clients.services
from clients.models import Client
from idempotency.models import IdempotencyKey
from tests import factories
from tests.helpers import run_in_threads

THREADS = 8
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: real concurrency"),
    pytest.mark.django_db(transaction=True),
]
BODY = {"name_f": "Ada", "name_l": "Byron", "email": "ada@engines.example.com"}


@pytest.fixture
def raw_token():
    org = factories.make_org()
    _token, raw = factories.make_token(org, factories.make_team_member(org))
    return org, raw


def post(raw, key):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api.post("/api/clients", data=json.dumps(BODY), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_concurrent_requests_with_one_key_run_once(raw_token, monkeypatch):
    org, raw = raw_token
    real = clients.services.client_create

    def slow_create(**kwargs):
        time.sleep(0.5)  # every other request arrives while this one is still running
        return real(**kwargs)

    monkeypatch.setattr(clients.services, "client_create", slow_create)
    responses = run_in_threads(lambda i: post(raw, "same-key"), THREADS)
    ran = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r]
    assert len(ran) == 1
    for response in responses:
        if response is ran[0]:
            continue
        if response.status_code == 409:
            assert response.json() == {"detail": "A request with this Idempotency-Key is in progress."}
            assert response["Retry-After"] == "1"
        else:
            assert (response.status_code, response["Idempotent-Replayed"]) == (201, "true")
            assert response.content == ran[0].content
    assert sum(r.status_code == 409 for r in responses) >= 1
    assert Client.objects.for_org(org).count() == 1
    # once it finished, a retry is the replay
    again = post(raw, "same-key")
    assert again["Idempotent-Replayed"] == "true" and again.content == ran[0].content
    assert IdempotencyKey.unscoped.get().status_code == 201


def test_concurrent_requests_with_distinct_keys_all_run(raw_token):
    org, raw = raw_token
    responses = run_in_threads(lambda i: post(raw, f"key-{i}") if i == 0 else _distinct(raw, i), THREADS)
    assert [r.status_code for r in responses] == [201] * THREADS
    assert Client.objects.for_org(org).count() == THREADS


def _distinct(raw, i):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {**BODY, "email": f"ada{i}@engines.example.com"}
    return api.post("/api/clients", data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"key-{i}")
