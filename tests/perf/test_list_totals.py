"""Unfiltered lists read `meta.total` from the trigger-kept live counts (serviceengine/perf/counts.py) instead of a COUNT;
filtered lists still COUNT. Either way the total is the number of rows the list really pages through.

For every list endpoint whose model is counted: rows of two organizations, some soft-deleted, one deleted through
the API, and the total must equal the rows the pages return (walked to the end), for each organization.
"""
import pytest

from billing.models import Invoice, Proposal
from catalog.models import Service
from orders.models import Order
from serviceengine.perf import counts
from support.models import Ticket
from tests import factories
from tests.billing import factories as billing_factories
from tests.orders import factories as order_factories
from tests.support import factories as support_factories

MAKERS = {
    "/api/services": (Service, lambda org: factories.make_service(org)),
    "/api/orders": (Order, lambda org: order_factories.make_order(org)),
    "/api/proposals": (Proposal, lambda org: billing_factories.make_proposal(org)),
    "/api/invoices": (Invoice, lambda org: billing_factories.make_invoice(org, user=factories.make_client(org))),
    "/api/tickets": (Ticket, lambda org: support_factories.make_ticket(org)),
}


def test_every_counted_model_has_a_list_here():
    assert {model._meta.label for model, _make in MAKERS.values()} == set(counts.COUNTED)


def walk(api, path):
    """The total of the first page and every row id of every page."""
    first = api.get(f"{path}?limit=2").json()
    ids = []
    for page in range(1, first["meta"]["last_page"] + 1):
        ids += [row["id"] for row in api.get(f"{path}?limit=2&page={page}").json()["data"]]
    return first["meta"]["total"], ids


@pytest.mark.parametrize("path", sorted(MAKERS))
def test_unfiltered_total_is_the_number_of_rows_listed(api, other_api, org, other_org, path):
    model, make = MAKERS[path]
    mine = [make(org) for _ in range(5)]
    [make(other_org) for _ in range(3)]
    model.unscoped.filter(pk=mine[0].pk).update(deleted_at=mine[0].created_at)  # soft-deleted behind the API
    if path == "/api/proposals":  # no DELETE route: soft-deleted through the model instead
        mine[1].soft_delete()
    else:
        assert api.delete(f"{path}/{mine[1].pk}").status_code == 204
    total, ids = walk(api, path)
    assert total == len(ids) == len(set(ids)) == 3
    assert counts.live_total(model, org) == 3  # the trigger-kept count was what answered
    other_total, other_ids = walk(other_api, path)
    assert other_total == len(other_ids) == 3


def test_filtered_lists_still_count_the_filtered_rows(api, org):
    for status in (0, 1, 1):
        order_factories.make_order(org, status=status)
    body = api.get("/api/orders?filters[status][$eq]=1").json()
    assert body["meta"]["total"] == len(body["data"]) == 2
