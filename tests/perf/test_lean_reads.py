"""Lean reads (serviceengine/perf/lean.py) answer exactly what the ORM path answers.

Every viewset with a `lean` reader is called twice on the same rows, once as served and once with `lean` switched
off (the ORM querysets of the viewset, model instances); the bodies must be byte-identical: every sort field in
both directions, several pages, a page past the end, retrieves of rows with and without their optional relations,
and the 404s. Then the compiled queries themselves: stand-in values, IN lists of any length, thread safety.
"""
import uuid

import pytest

from orders.models import Order
from orders.views import OrderViewSet
from serviceengine.perf.compiled import CompiledQuery, Many
from tests import factories
from tests.helpers import run_in_threads
from tests.orders import factories as order_factories

LEAN_VIEWSETS = [OrderViewSet]


def test_lean_viewsets_are_the_ones_tested():
    from serviceengine.api.viewsets import OrgViewSet

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    assert {cls for cls in subclasses(OrgViewSet) if cls.lean is not None} == set(LEAN_VIEWSETS)


@pytest.fixture
def orders(org, owner, other_org):
    team = [owner, factories.make_team_member(org, name_f="Tess", name_l="Team")]
    with_address = factories.make_client(org, address=factories.make_address(org), company="Acme", phone="+1")
    plain = factories.make_client(org)
    made = []
    for i in range(7):
        client = with_address if i % 2 else plain
        made.append(
            order_factories.make_order(
                org, client, employees=team[: i % 3], tags=[f"t{i}", "shared"][: i % 3],
                price=f"{i * 10}.5{i}", quantity=i + 1, status=i % 4,
            )
        )
    Order.all_objects.filter(pk=made[5].pk).update(deleted_at=made[5].created_at)  # soft-deleted: never shown
    order_factories.make_order(other_org, factories.make_client(other_org))  # another organization's
    return made


def both_ways(api, monkeypatch, path):
    served = api.get(path)
    with monkeypatch.context() as patch:
        patch.setattr(OrderViewSet, "lean", None)
        orm = api.get(path)
    assert served.status_code == orm.status_code, path
    assert served.content == orm.content, path
    return served


@pytest.mark.parametrize("field", sorted(OrderViewSet.sort_fields))
def test_list_pages_match_the_orm_for_every_sort(api, orders, monkeypatch, field):
    for direction in ("asc", "desc"):
        response = both_ways(api, monkeypatch, f"/api/orders?sort={field}:{direction}&limit=4")
        assert len(response.json()["data"]) == 4
        both_ways(api, monkeypatch, f"/api/orders?sort={field}:{direction}&limit=4&page=2")


def test_default_list_page_past_the_end_and_errors_match(api, orders, monkeypatch):
    body = both_ways(api, monkeypatch, "/api/orders").json()
    assert body["meta"]["total"] == 6 and len(body["data"]) == 6
    assert any(row["employees"] for row in body["data"]) and any(row["tags"] for row in body["data"])
    assert any(row["client"]["address"] is None for row in body["data"])
    assert both_ways(api, monkeypatch, "/api/orders?page=9&limit=5").json()["data"] == []
    assert both_ways(api, monkeypatch, "/api/orders?limit=0").status_code == 400
    # filtered lists take the ORM path; the same page either way
    both_ways(api, monkeypatch, "/api/orders?filters[status][$eq]=1")


def test_retrieves_and_not_found_match(api, orders, monkeypatch, other_org):
    for order in orders:
        expected = 404 if order is orders[5] else 200
        assert both_ways(api, monkeypatch, f"/api/orders/{order.pk}").status_code == expected
    foreign = Order.all_objects.get(organization=other_org)
    for path in (f"/api/orders/{foreign.pk}", f"/api/orders/{uuid.uuid4()}", "/api/orders/not-a-uuid"):
        assert both_ways(api, monkeypatch, path).json() == {"detail": "Not Found"}


def test_compiled_query_runs_new_values_in_the_same_sql(org, other_org, orders):
    query = CompiledQuery(Order, lambda org_id, ids: Order.all_objects.filter(organization_id=org_id, id__in=ids)
                          .order_by("number").values_list("id", "number"))
    ids = [o.pk for o in orders[:3]]
    names, rows = query.tuples(org.pk, Many(ids))
    assert names == ["id", "number"]
    assert [row[0] for row in rows] == sorted(ids, key=lambda pk: Order.all_objects.get(pk=pk).number)
    assert query.tuples(other_org.pk, Many(ids))[1] == []  # the organization is a real parameter
    assert len(query.tuples(org.pk, Many(ids[:1]))[1]) == 1  # another length: compiled again
    assert len(query._local.cache) == 2


def test_compiled_query_refuses_shapes_whose_values_are_not_parameters(org):
    query = CompiledQuery(Order, lambda number: Order.all_objects.filter(number__startswith="N").values_list("id"))
    with pytest.raises(ValueError, match="must appear among the SQL parameters"):
        query.tuples("N0001")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_compiled_queries_are_per_thread(org, orders):
    query = CompiledQuery(Order, lambda org_id: Order.objects.filter(organization_id=org_id).values_list("id"))
    results = run_in_threads(lambda _i: len(query.tuples(org.pk)[1]), 4)
    assert results == [6, 6, 6, 6]


def test_children_with_columns_json_would_alter_are_refused():
    from orders.models import OrderEmployee
    from serviceengine.perf.lean import Children, LeanReader

    with pytest.raises(ValueError, match="cannot be embedded"):
        LeanReader(Order, ["id"], children=[Children("employee_list", OrderEmployee, "order_id", ("user__created_at",))])
