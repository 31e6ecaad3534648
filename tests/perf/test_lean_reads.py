"""The compiled queries under the reader (serviceengine/perf/compiled.py): stand-in values, IN lists of any
length, thread safety; and which child kinds are embedded. That the reader renders what DRF renders is
tests/perf/test_read_equivalence.py."""
import uuid

import pytest

from orders.models import Order
from serviceengine.perf.compiled import CompiledQuery, Many
from tests import factories
from tests.helpers import run_in_threads
from tests.orders import factories as order_factories


@pytest.fixture
def orders(org, owner, other_org):
    made = [order_factories.make_order(org, factories.make_client(org)) for _ in range(7)]
    Order.unscoped.filter(pk=made[5].pk).update(deleted_at=made[5].created_at)  # soft-deleted: never shown
    order_factories.make_order(other_org, factories.make_client(other_org))  # another organization's
    return made


def test_compiled_query_runs_new_values_in_the_same_sql(org, other_org, orders):
    query = CompiledQuery(Order, lambda org_id, ids: Order.unscoped.filter(organization_id=org_id, id__in=ids)
                          .order_by("number").values_list("id", "number"))
    ids = [o.pk for o in orders[:3]]
    names, rows = query.tuples(org.pk, Many(ids))
    assert names == ["id", "number"]
    assert [row[0] for row in rows] == sorted(ids, key=lambda pk: Order.unscoped.get(pk=pk).number)
    assert query.tuples(other_org.pk, Many(ids))[1] == []  # the organization is a real parameter
    assert len(query.tuples(org.pk, Many(ids[:1]))[1]) == 1  # another length: compiled again
    assert len(query._local.cache) == 2


def test_compiled_query_refuses_shapes_whose_values_are_not_parameters(org):
    query = CompiledQuery(Order, lambda number: Order.unscoped.filter(number__startswith="N").values_list("id"))
    with pytest.raises(ValueError, match="must appear among the SQL parameters"):
        query.tuples("N0001")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_compiled_queries_are_per_thread(org, orders):
    query = CompiledQuery(Order, lambda org_id: Order.objects.filter(organization_id=org_id).values_list("id"))
    results = run_in_threads(lambda _i: len(query.tuples(org.pk)[1]), 4)
    assert results == [6, 6, 6, 6]


def test_only_children_json_carries_faithfully_are_embedded():
    from billing.views import INVOICES
    from orders.views import ORDERS
    from serviceengine.perf.lean import embeddable

    assert all(embeddable(child) for child in ORDERS.reader().children)  # ids, names: JSON keeps them
    assert not any(embeddable(child) for child in INVOICES.reader().children)  # decimals, datetimes: it would not
