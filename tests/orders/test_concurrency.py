"""Real concurrency on PostgreSQL: orders created at the same moment get unique numbers (constraint + retry, even
when every request draws the same number first) and share one row per new tag name (one `tag.created` event each). Skipped on SQLite."""
import secrets
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from events.models import Event
from orders import services
from orders.models import Order, OrderTag, Tag
from tests import factories
from tests.helpers import run_in_threads

THREADS = 8
# Skipped at collection on SQLite, so the transactional database setup never even runs there.
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: real row locks and concurrency"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def setup():
    org = factories.make_org()
    owner = factories.make_team_member(org)
    _token, raw = factories.make_token(org, owner)
    client = factories.make_client(org)
    return org, raw, client


def post_order(raw, body):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api.post("/api/orders", data=body, format="json")


def test_concurrent_api_orders_with_the_same_new_tags(setup):
    org, raw, client = setup

    def work(i):
        tags = ["launch", "brand-new", f"own-{i}"] if i % 2 else ["brand-new", f"own-{i}", "launch"]
        return post_order(raw, {"user_id": str(client.id), "service": "Rush", "tags": tags})

    responses = run_in_threads(work, THREADS)
    assert [r.status_code for r in responses] == [201] * THREADS, [r.content for r in responses]
    numbers = [r.json()["number"] for r in responses]
    assert len(set(numbers)) == THREADS
    assert Tag.unscoped.filter(organization=org, name="launch").count() == 1
    assert Tag.unscoped.filter(organization=org, name="brand-new").count() == 1
    assert OrderTag.unscoped.filter(tag__name="launch").count() == THREADS
    # each new tag recorded `tag.created` once: only by the request whose insert made the row
    created = Event.unscoped.filter(organization=org, type="tag.created")
    assert sorted(created.values_list("data__name", flat=True)) == sorted(
        ["launch", "brand-new", *(f"own-{i}" for i in range(THREADS))]
    )
    for i, response in enumerate(responses):
        assert set(response.json()["tags"]) == {"launch", "brand-new", f"own-{i}"}


def test_concurrent_orders_drawing_the_same_number_are_retried(setup, monkeypatch):
    org, raw, client = setup
    local = threading.local()

    def first_draw_collides():
        if not getattr(local, "drawn", False):
            local.drawn = True
            return "RACE0001"
        return "".join(secrets.choice(services.NUMBER_ALPHABET) for _ in range(services.NUMBER_LENGTH))

    monkeypatch.setattr(services, "order_number_generate", first_draw_collides)
    responses = run_in_threads(lambda i: post_order(raw, {"user_id": str(client.id), "service": "Rush"}), THREADS)
    assert [r.status_code for r in responses] == [201] * THREADS, [r.content for r in responses]
    numbers = [r.json()["number"] for r in responses]
    assert len(set(numbers)) == THREADS and numbers.count("RACE0001") == 1
    assert Order.unscoped.filter(organization=org).count() == THREADS


def test_concurrent_service_calls_share_one_tag(setup):
    org, _raw, client = setup

    def work(i):
        order = services.order_create(organization=org, user=client, service_name="S", tag_names=["same", "other"])
        return order.number

    numbers = run_in_threads(work, THREADS)
    assert len(set(numbers)) == THREADS
    assert sorted(Tag.unscoped.filter(organization=org).values_list("name", flat=True)) == ["other", "same"]
