"""The compiled queries under the reader (serviceengine/perf/compiled.py): stand-in values, IN lists of any
length, thread safety; and which child kinds are embedded. That the reader renders what DRF renders is
tests/perf/test_read_equivalence.py."""
import uuid
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import connection

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
    assert all(embeddable(child) for child in INVOICES.reader().children)  # decimals as text, datetimes as ISO text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="children are embedded on PostgreSQL only")
def test_embedded_children_carry_the_values_their_own_query_loads(org, monkeypatch):
    """Decimals (as text), datetimes (JSON's ISO text), jsonb values and nulls come out of the embedded JSON as the
    very values, of the very types, their own query loads: compared attribute by attribute, not only rendered."""
    from serviceengine.perf.lean import Reader
    from subscriptions.views import SUBSCRIPTIONS
    from support.views import TICKETS
    from tests.subscriptions.factories import line, make_subscription
    from tests.support.factories import add_message, make_ticket

    subscription = make_subscription(org, items=[line(price=Decimal(p), name=f"l{i}")
                                                 for i, p in enumerate(["0.00", "10.50", "1234567.89"])])
    ticket = make_ticket(org, factories.make_client(org))
    add_message(ticket, files=[{"name": "a.pdf", "size": 1.5, "n": 10**15, "nested": {"b": [None, True]}}])
    for message, instant in [(add_message(ticket, files=[]), datetime(2026, 1, 2, 3, 4, 5)),
                             (add_message(ticket, user=None), datetime(2026, 1, 2, 3, 4, 5, 6))]:
        type(message).unscoped.filter(pk=message.pk).update(created_at=instant.replace(tzinfo=dt_timezone.utc))

    def children(resource, pk):
        reader = resource.reader()
        assert reader._embedded == list(reader.children)
        row = reader.one(org, pk)
        def typed(value):  # ids come as their text from JSON (the serializers render both alike)
            value = str(value) if isinstance(value, uuid.UUID) else value
            return type(value), value

        return {child.attr: [(type(c).__name__, {k: typed(v) for k, v in vars(c).items()})
                             for c in getattr(row, child.attr)] for child in reader.children}

    embedded = {"subscription": children(SUBSCRIPTIONS, subscription.pk), "ticket": children(TICKETS, ticket.pk)}
    monkeypatch.setattr(Reader, "_embeds", staticmethod(lambda: False))
    SUBSCRIPTIONS._readers.clear(), TICKETS._readers.clear()
    queried = {"subscription": children(SUBSCRIPTIONS, subscription.pk), "ticket": children(TICKETS, ticket.pk)}
    SUBSCRIPTIONS._readers.clear(), TICKETS._readers.clear()
    assert len(queried["subscription"]["items"]) == 3 and len(queried["ticket"]["messages"]) == 3
    assert embedded == queried


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's placeholder conversion")
def test_psycopg_converts_a_long_compiled_query_once(org):
    """A retrieve with its children inside (a ticket's: ~6 KB of SQL) is beyond psycopg's own 4,096-byte limit on
    the queries whose `%s` → `$n` conversion it caches; the backend raises it (serviceengine/perf/dbbackend)."""
    from psycopg import _queries

    from serviceengine.perf.dbbackend.base import QUERY_CACHE_LENGTH
    from support.views import TICKETS

    assert _queries.MAX_CACHED_STATEMENT_LENGTH == QUERY_CACHE_LENGTH
    sql = TICKETS.reader()._one._get((org.pk, uuid.uuid4()), None, None).sql
    assert 4096 < len(sql.encode()) <= QUERY_CACHE_LENGTH
    TICKETS.reader().one(org, uuid.uuid4())
    hits = _queries._query2pg.cache_info().hits
    assert TICKETS.reader().one(org, uuid.uuid4()) is None
    assert _queries._query2pg.cache_info().hits > hits
