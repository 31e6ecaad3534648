"""The issue's exact-number races, through the HTTP API on PostgreSQL (row locks, unique constraints, real
concurrent transactions): every thread is released at the same instant by `run_in_threads`' barrier and uses its
own connection. The smaller per-app versions live in tests/orders and tests/billing. Skipped on SQLite."""
import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from billing import stripe_gateway
from billing.models import Invoice, Payment, Proposal
from orders import services as order_services
from orders.models import Order, OrderTag, Tag
from support.models import Ticket, TicketTag
from tests import factories
from tests.billing.factories import item, make_invoice, make_proposal
from tests.helpers import INVALID, run_in_threads

ALREADY_PAID = "Invoice is already paid."

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
    return org, raw, factories.make_client(org)


def post(raw, url, body=None):
    """One request from a fresh client (a thread's own): the token in the header, JSON body."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api.post(url, data=body, format="json")


def statuses(responses):
    return [r.status_code for r in responses]


def bodies(responses):
    return [r.content[:300] for r in responses]


def test_50_concurrent_order_creates_get_50_unique_numbers(setup):
    org, raw, client = setup
    responses = run_in_threads(lambda i: post(raw, "/api/orders", {"user_id": str(client.pk), "service": "Rush"}), 50)
    assert statuses(responses) == [201] * 50, bodies(responses)
    assert len({r.json()["number"] for r in responses}) == 50
    assert Order.unscoped.filter(organization=org).count() == 50


def test_50_concurrent_order_creates_drawing_the_same_first_number_are_all_retried(setup, monkeypatch):
    org, raw, client = setup
    real_generate = order_services.order_number_generate
    drawn = threading.local()

    def same_first_draw():
        # Every thread's first draw is the same number; later draws (the retries) are random.
        if not getattr(drawn, "once", False):
            drawn.once = True
            return "SAME0001"
        return real_generate()

    monkeypatch.setattr(order_services, "order_number_generate", same_first_draw)
    responses = run_in_threads(lambda i: post(raw, "/api/orders", {"user_id": str(client.pk), "service": "Rush"}), 50)
    assert statuses(responses) == [201] * 50, bodies(responses)
    numbers = [r.json()["number"] for r in responses]
    assert len(set(numbers)) == 50
    assert numbers.count("SAME0001") == 1
    assert Order.unscoped.filter(organization=org).count() == 50


def test_20_concurrent_charges_of_one_invoice_make_one_payment(setup, settings, monkeypatch):
    org, raw, client = setup
    settings.PAYMENTS_SIMULATED, settings.STRIPE_SECRET_KEY = True, ""
    real_charge = stripe_gateway.SimulatedGateway.charge

    def slow_charge(self, **kwargs):
        time.sleep(0.1)  # holds the invoice lock long enough for every other request to be waiting on it
        return real_charge(self, **kwargs)

    monkeypatch.setattr(stripe_gateway.SimulatedGateway, "charge", slow_charge)
    services_ = [factories.make_service(org), factories.make_service(org)]
    invoice = make_invoice(
        org, user=client, items=[item(service_id=str(services_[0].pk)), item(service_id=str(services_[1].pk)), item()]
    )
    responses = run_in_threads(
        lambda i: post(raw, f"/api/invoices/{invoice.pk}/charge", {"payment_method_id": f"pm_card_{i}"}), 20
    )
    assert sorted(statuses(responses)) == [200] + [400] * 19, bodies(responses)
    for response in responses:
        if response.status_code == 400:
            assert response.json() == {"message": INVALID, "errors": {"payment_method_id": [ALREADY_PAID]}}
        else:
            assert response.json()["status"] == "Paid"
    assert Payment.unscoped.filter(invoice=invoice).count() == 1
    orders = Order.unscoped.filter(invoice_id=invoice.pk)
    assert sorted(orders.values_list("service_id", flat=True)) == sorted(s.pk for s in services_)
    assert Invoice.unscoped.get(pk=invoice.pk).charge_attempts == 1


def test_10_concurrent_signs_of_one_proposal_make_one_order(setup):
    org, raw, _client = setup
    proposal = make_proposal(org, status="sent")
    responses = run_in_threads(lambda i: post(raw, f"/api/proposals/{proposal.pk}/sign"), 10)
    assert sorted(statuses(responses)) == [200] + [400] * 9, bodies(responses)
    for response in responses:
        if response.status_code == 400:
            assert response.json() == {"detail": "Cannot sign proposal with status Signed"}
    assert Order.unscoped.filter(organization=org).count() == 1
    signed = Proposal.unscoped.get(pk=proposal.pk)
    assert signed.converted_order_id == Order.unscoped.get(organization=org).pk


def test_concurrent_orders_and_tickets_with_the_same_new_tags_share_one_row_each(setup):
    org, raw, client = setup

    def work(i):
        # Half the threads name the new tags in the opposite order: no deadlock, one row per name.
        tags = ["fresh-tag", "other-new"] if i % 4 < 2 else ["other-new", "fresh-tag"]
        if i % 2:
            return post(raw, "/api/tickets", {"user_id": str(client.pk), "subject": f"Help {i}", "tags": tags})
        return post(raw, "/api/orders", {"user_id": str(client.pk), "service": "Rush", "tags": tags})

    responses = run_in_threads(work, 20)
    assert statuses(responses) == [201] * 20, bodies(responses)
    for response in responses:
        assert sorted(response.json()["tags"]) == ["fresh-tag", "other-new"]
    assert Tag.unscoped.filter(organization=org, name="fresh-tag").count() == 1
    assert Tag.unscoped.filter(organization=org, name="other-new").count() == 1
    assert OrderTag.unscoped.filter(tag__name="fresh-tag").count() == 10
    assert TicketTag.unscoped.filter(tag__name="fresh-tag").count() == 10
    assert Ticket.unscoped.filter(organization=org).count() == 10


def test_20_concurrent_invoice_creates_get_unique_consecutive_numbers(setup):
    org, raw, client = setup

    def work(i):
        items = [{"name": f"Work {i}", "quantity": 1, "amount": 10}]
        return post(raw, "/api/invoices", {"user_id": str(client.pk), "items": items})

    responses = run_in_threads(work, 20)
    assert statuses(responses) == [201] * 20, bodies(responses)
    assert sorted(r.json()["number"] for r in responses) == [f"INV-{n:05d}" for n in range(1, 21)]
    assert Invoice.unscoped.filter(organization=org).count() == 20
