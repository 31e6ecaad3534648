"""Filtered lists through compiled queries (serviceengine/perf/lean.py `Reader.filtered`): the same bytes as the ORM
building the list from the same conditions, for every filter kind and operator; values are parameters (a new value
runs the same SQL, another organization's rows never show); shapes whose SQL would depend on the values go to the
ORM. The query counts are tests/perf/test_query_budgets.py."""
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import connection

from orders.models import Order
from orders.views import ORDERS
from serviceengine.api.viewsets import OrgViewSet
from serviceengine.perf.compiled import CompiledQuery, NotCompilable
from tests import factories
from tests.helpers import count_queries
from tests.orders import factories as order_factories

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=dt_timezone.utc)


@pytest.fixture
def orders(org, owner, other_org):
    clients = [factories.make_client(org) for _ in range(3)]
    service = factories.make_service(org)
    made = []
    for i in range(12):
        order = order_factories.make_order(
            org, clients[i % 3], employees=[owner] if i % 2 else (), tags=["vip"] if i % 3 == 0 else (),
            status=i % 4, price=Decimal(i * 25) / 4, number=f"F{i:04d}",
            service=service if i % 5 == 0 else None, date_due=None if i % 3 else T0 + timedelta(days=i),
        )
        Order.unscoped.filter(pk=order.pk).update(created_at=T0 + timedelta(hours=i))
        made.append(order)
    Order.unscoped.filter(pk=made[7].pk).update(deleted_at=T0)  # soft-deleted: never shown
    for i in range(4):  # another organization's, matching the same filters
        order_factories.make_order(other_org, factories.make_client(other_org), status=i % 4, number=f"F{i:04d}")
    return made


def cases(orders):
    ids = [str(o.pk) for o in orders]
    user_id = str(orders[0].user_id)
    return [
        {"filters[status][$eq]": "1"},
        {"filters[status][$eq]": "2", "sort": "price:asc", "limit": "2", "page": "2"},
        {"filters[status][$gt]": "0", "filters[status][$lt]": "3", "sort": "number:desc"},
        {"filters[status][$in][]": ["1", "3", "3"]},
        {"filters[status][$in][]": ["0"], "sort": "date_due:asc"},
        {"filters[status][$eq]": "99999"},  # beyond the column: the ORM writes no comparison
        {"filters[status][$lt]": "99999", "filters[status][$gt]": "-99999"},
        {"filters[id][$eq]": ids[3]},
        {"filters[id][$in][]": ids[:5] + ids[:2]},
        {"filters[id][$eq]": ids[7]},  # soft-deleted
        {"filters[user_id][$eq]": user_id, "sort": "created_at:asc"},
        {"filters[service_id][$eq]": "null"},
        {"filters[service_id][$eq]": str(orders[0].service_id)},
        {"filters[invoice_id][$eq]": "null", "filters[status][$eq]": "1"},
        {"filters[number][$eq]": "F0004"},
        {"filters[number][$lt]": "F0006", "sort": "number:asc", "limit": "3"},
        {"filters[number][$in][]": ["F0001", "F0002", "nope"]},
        {"filters[price][$gt]": "10.5"},
        {"filters[price][$lt]": "20", "filters[price][$gt]": "0.00"},
        {"filters[price][$in][]": ["0", "12.50", "25"]},
        {"filters[created_at][$lt]": (T0 + timedelta(hours=5)).isoformat()},
        {"filters[created_at][$gt]": "2026-03-01T15:30:00+02:00", "sort": "created_at:asc"},
        {"filters[created_at][$gt]": "2026-03-01"},
        {"filters[date_due][$eq]": "null", "sort": "date_due:desc"},
        {"filters[date_due][$lt]": "2999-01-01T00:00:00Z", "filters[status][$in][]": ["0", "1", "2", "3"]},
        {"filters[status][$eq]": ""},  # empty: no condition
        {"filters[status][$eq]": "1", "page": "9"},  # past the end
        {"filters[status][$eq]": "1", "filters[created_at][$lt]": "2999-01-01T00:00:00Z", "limit": "100"},
    ]


def get(api, params):
    response, sql = count_queries(lambda: api.get("/api/orders", params))
    assert response.status_code == 200, response.content[:300]
    return response.content, sql


def test_compiled_filtered_lists_render_what_the_orm_renders(api, orders, monkeypatch):
    compiled = [get(api, params) for params in cases(orders)]
    monkeypatch.setattr(OrgViewSet, "compiles_filters", lambda self, request: False)
    reference = [get(api, params) for params in cases(orders)]
    for params, (body, sql), (expected, orm_sql) in zip(cases(orders), compiled, reference, strict=True):
        assert body == expected, params
        assert len(sql) == len(orm_sql), (params, sql, orm_sql)


def test_every_filter_kind_compiles(api, orders):
    reader = ORDERS.reader()
    for params in cases(orders):
        if "99999" in str(params):
            continue
        _body, sql = get(api, params)
        assert any(q.startswith("SELECT COUNT(*) FROM (") for q in sql), (params, sql)  # the compiled count
    refused = [key for key, value in reader._filtered_page._local.cache.items() if isinstance(value, str)]
    assert refused == []


def test_values_are_parameters_of_one_statement(api, orders, org, other_org):
    reader = ORDERS.reader()
    bodies = [api.get("/api/orders", {"filters[status][$eq]": str(s)}).json() for s in range(4)]
    assert [body["meta"]["total"] for body in bodies] == [3, 3, 3, 2]
    assert all(row["status_id"] == s for s, body in enumerate(bodies) for row in body["data"])
    shape = (("created_at", False), (("status", "$eq", "one"),))
    page_shapes = [key for key in reader._filtered_page._local.cache if key[:2] == (shape, (20, True))]
    assert len(page_shapes) == 1  # four values, one compiled statement
    # The organization is a parameter too: the other one's rows never show through the same statement.
    for organization, total in ((other_org, 1), (org, 3)):
        listing = reader.filtered(organization, reader_conditions("status", "int", "$eq", 1), ("created_at", False))
        expected = set(Order.objects.for_org(organization).filter(status=1).values_list("id", flat=True))
        assert {row.id for row in listing.page(20, 0)} == expected and listing.count() == total == len(expected)


def reader_conditions(path, kind, op, value):
    from serviceengine.api.filtering import Condition

    return [Condition(path, kind, op, value)]


def test_integers_beyond_the_column_use_the_orm(orders, org):
    reader = ORDERS.reader()
    listing = reader.filtered(org, reader_conditions("status", "int", "$eq", 40000), ("created_at", False))
    _low, high = connection.ops.integer_field_range("SmallIntegerField")  # SQLite: 64 bits
    assert (listing.plan is None) == (high < 40000)
    assert listing.page(20, 0) == [] and listing.count() == 0


def test_shapes_whose_sql_depends_on_the_values_are_refused(org, orders):
    query = CompiledQuery(
        Order, lambda number: Order.unscoped.filter(number=number).extra(where=[f"'{number}' <> ''"]).values_list("id")
    )
    with pytest.raises(NotCompilable, match="depends on its values"):
        query.tuples("F0001")
    with pytest.raises(NotCompilable):  # remembered: not written again
        query.tuples("F0002")
