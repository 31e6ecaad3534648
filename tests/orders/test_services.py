"""Order services used by other apps (`order_create`, `tags_find_or_create`) and the numbering rules."""
import re
from decimal import Decimal

import pytest

from orders import services
from orders.models import Order, OrderEmployee, OrderTag, Tag
from serviceengine.core.errors import DomainError
from tests import factories
from tests.orders.factories import make_order


def test_order_number_generate_format():
    numbers = {services.order_number_generate() for _ in range(200)}
    assert all(re.fullmatch(r"[A-Z0-9]{8}", n) for n in numbers)
    assert len(numbers) > 190


def test_order_create_as_billing_calls_it(org, owner):
    client = factories.make_client(org)
    service = factories.make_service(org)
    order = services.order_create(
        organization=org,
        user=client,
        service=service,
        service_name=service.name,
        price=Decimal("12.34"),
        currency="EUR",
        quantity=3,
        invoice_id=None,
        metadata={"proposal_id": "x"},
        employees=[owner],
        tag_names=["a", "b", "a"],
    )
    order.refresh_from_db()
    assert (order.quantity, order.price, order.currency, order.status, order.form_data) == (3, Decimal("12.34"), "EUR", 0, {})
    assert order.created_at == order.updated_at
    assert list(OrderEmployee.unscoped.filter(order=order).values_list("user_id", flat=True)) == [owner.id]
    assert [link.tag.name for link in OrderTag.unscoped.filter(order=order).order_by("id")] == ["a", "b"]


def test_generated_number_collision_is_retried(org, monkeypatch):
    make_order(org, number="TAKEN123")
    draws = iter(["TAKEN123", "FRESH123"])
    monkeypatch.setattr(services, "order_number_generate", lambda: next(draws))
    order = services.order_create(organization=org, user=factories.make_client(org), service_name="X")
    assert order.number == "FRESH123"
    assert Order.unscoped.filter(organization=org).count() == 2


def test_generated_number_of_another_organization_is_no_collision(org, other_org, monkeypatch):
    make_order(other_org, number="SAMEONE1")
    monkeypatch.setattr(services, "order_number_generate", lambda: "SAMEONE1")
    assert services.order_create(organization=org, user=factories.make_client(org), service_name="X").number == "SAMEONE1"


def test_endless_collisions_give_up_without_a_half_written_order(org, monkeypatch):
    make_order(org, number="ALWAYS01")
    monkeypatch.setattr(services, "order_number_generate", lambda: "ALWAYS01")
    with pytest.raises(RuntimeError):
        services.order_create(organization=org, user=factories.make_client(org), service_name="X")
    assert Order.unscoped.count() == 1


def test_custom_number_taken_raises_domain_error(org):
    make_order(org, number="CUSTOM01")
    with pytest.raises(DomainError) as exc:
        services.order_create(organization=org, user=factories.make_client(org), service_name="X", number="CUSTOM01")
    assert (exc.value.status, exc.value.errors) == (400, {"number": ["The order number has already been taken."]})


def test_tags_find_or_create_reuses_and_keeps_order(org, other_org):
    Tag.unscoped.create(organization=other_org, name="shared")
    existing = Tag.unscoped.create(organization=org, name="old")
    tags = services.tags_find_or_create(organization=org, names=["new", "old", "new", "shared"])
    assert [t.name for t in tags] == ["new", "old", "shared"]
    assert tags[1].pk == existing.pk
    assert all(t.organization_id == org.id for t in tags)
    again = services.tags_find_or_create(organization=org, names=["shared", "new"])
    assert [t.pk for t in again] == [tags[2].pk, tags[0].pk]
    assert Tag.unscoped.filter(organization=org).count() == 3


def test_tags_find_or_create_empty():
    assert services.tags_find_or_create(organization=None, names=[]) == []


def test_metadata_from_items():
    items = [{"title": "a", "value": "1"}, {"title": "", "value": "x"}, {"title": "b"}, {"title": "a", "value": "2"}]
    assert services.metadata_from_items(items) == {"a": "2", "b": ""}
    assert services.metadata_from_items(None) == {}
