"""Usage counts kept by triggers (serviceengine/perf/counts.py USAGE): a tag's `orders_count` / `tickets_count` equal
the COUNT of its links to live orders / tickets after every kind of write (links added and removed, parents
soft-deleted, restored and hard-deleted, tags deleted), per organization, on SQLite and PostgreSQL. The
PostgreSQL-only tests cover compaction and concurrent writers."""
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q

from orders.models import Order, OrderTag, Tag
from serviceengine.models import UsageCount
from serviceengine.perf import counts
from support.models import Ticket, TicketTag
from tests import factories
from tests.helpers import run_in_threads
from tests.support.factories import add_tag, make_tag, make_ticket

def kept(org) -> dict:
    """tag name → (orders_count, tickets_count) as the API reads them (the usage subqueries)."""
    rows = Tag.objects.for_org(org).annotate(
        o=counts.usage_subquery(OrderTag), t=counts.usage_subquery(TicketTag)
    ).values_list("name", "o", "t")
    return {name: (o, t) for name, o, t in rows}


def counted(org) -> dict:
    """The same, counted from the links (what the triggers replace)."""
    rows = Tag.objects.for_org(org).annotate(
        o=Count("order_links", filter=Q(order_links__order__deleted_at__isnull=True), distinct=True),
        t=Count("ticket_links", filter=Q(ticket_links__ticket__deleted_at__isnull=True), distinct=True),
    ).values_list("name", "o", "t")
    return {name: (o, t) for name, o, t in rows}


def assert_exact(*orgs):
    for org in orgs:
        assert kept(org) == counted(org)


def test_the_triggers_are_installed(db):
    assert counts.missing_usage_triggers(connection) == []


def test_counts_follow_links_soft_deletes_restores_and_hard_deletes(api, org, other_org):
    vip, late = make_tag(org, "vip"), make_tag(org, "late")
    foreign = make_tag(other_org, "vip")
    orders = [factories.make_order(org) for _ in range(3)]
    for order in orders:
        OrderTag.objects.create(order=order, tag=vip)
    OrderTag.objects.create(order=orders[0], tag=late)
    OrderTag.objects.create(order=factories.make_order(other_org), tag=foreign)
    ticket = make_ticket(org)
    add_tag(ticket, vip)
    assert kept(org) == {"vip": (3, 1), "late": (1, 0)} and kept(other_org) == {"vip": (1, 0)}

    assert api.delete(f"/api/orders/{orders[0].id}").status_code == 204  # soft delete: both its tags uncounted
    assert kept(org) == {"vip": (2, 1), "late": (0, 0)}
    Order.all_objects.for_org(org).filter(pk=orders[0].pk).update(deleted_at=None)  # restored
    assert kept(org) == {"vip": (3, 1), "late": (1, 0)}

    resp = api.put(f"/api/orders/{orders[1].id}", {"tags": ["late"]}, format="json")  # vip off, late on
    assert resp.status_code == 200, resp.content
    assert kept(org) == {"vip": (2, 1), "late": (2, 0)}

    Ticket.objects.for_org(org).filter(pk=ticket.pk).soft_delete()
    assert kept(org) == {"vip": (2, 0), "late": (2, 0)}

    orders[2].delete()  # a hard delete removes the links first
    assert kept(org) == {"vip": (1, 0), "late": (2, 0)}
    assert_exact(org, other_org)

    assert api.delete(f"/api/tags/{late.id}").status_code == 204
    assert kept(org) == {"vip": (1, 0)}
    assert kept(other_org) == {"vip": (1, 0)}
    assert_exact(org, other_org)


def test_links_to_deleted_parents_are_not_counted(org):
    tag = make_tag(org, "old")
    order = factories.make_order(org)
    order.soft_delete()
    OrderTag.objects.create(order=order, tag=tag)  # linked while deleted
    assert kept(org) == {"old": (0, 0)}
    OrderTag.objects.for_org(org).filter(order=order).delete()  # unlinked while deleted
    assert kept(org) == {"old": (0, 0)}
    assert_exact(org)


def test_the_tag_retrieve_reads_the_kept_counts(api, org):
    tag = make_tag(org, "vip")
    OrderTag.objects.create(order=factories.make_order(org), tag=tag)
    UsageCount.objects.filter(key=tag.pk).update(n=41)  # not a COUNT of the links: the kept number
    body = api.get(f"/api/tags/{tag.id}").json()
    assert (body["orders_count"], body["tickets_count"]) == (41, 0)


def test_updates_that_keep_parents_live_write_no_count_rows(org):
    tag = make_tag(org, "vip")
    order = factories.make_order(org)
    OrderTag.objects.create(order=order, tag=tag)
    before = UsageCount.objects.count()
    Order.objects.for_org(org).filter(pk=order.pk).update(note="changed")
    assert UsageCount.objects.count() == before
    assert_exact(org)


def test_recount_rebuilds_lost_usage_counts(org):
    tag = make_tag(org, "vip")
    for _ in range(2):
        OrderTag.objects.create(order=factories.make_order(org), tag=tag)
    UsageCount.objects.all().delete()
    assert kept(org) == {"vip": (0, 0)}
    call_command("recount", verbosity=0)
    assert kept(org) == {"vip": (2, 0)}


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (SQLite keeps one row per key)")
def test_compaction_folds_the_delta_rows(org):
    tag = make_tag(org, "busy")
    for _ in range(counts.COMPACT_ABOVE * 2):
        OrderTag.objects.create(order=factories.make_order(org), tag=tag)
    assert UsageCount.objects.filter(key=tag.pk).count() <= counts.COMPACT_ABOVE + 1
    assert kept(org) == {"busy": (counts.COMPACT_ABOVE * 2, 0)}


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_concurrent_links_and_soft_deletes_stay_exact():
    org = factories.make_org()
    tag = make_tag(org, "shared")
    orders = [factories.make_order(org) for _ in range(12)]

    def work(i):
        order = orders[i]
        OrderTag.objects.create(order=order, tag=tag)
        if i % 3 == 0:
            Order.objects.for_org(org).filter(pk=order.pk).soft_delete()

    run_in_threads(work, len(orders))
    assert kept(org) == counted(org) == {"shared": (8, 0)}
