"""Real concurrency on PostgreSQL (row locks, unique constraints): one payment per invoice, one order per signed
proposal, unique invoice numbers, one client per new email. Skipped on SQLite."""
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from billing import stripe_gateway
from billing.models import Invoice, Payment, Proposal, Subscription
from orders.models import Order
from serviceengine.models import User
from tests import factories
from tests.billing.factories import item, make_invoice, make_proposal
from tests.helpers import run_in_threads

THREADS = 8
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: real row locks and concurrent transactions")


@pytest.fixture
def setup():
    org = factories.make_org()
    owner = factories.make_team_member(org)
    _token, raw = factories.make_token(org, owner)
    return org, raw


def client_for(raw):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture
def slow_simulated(settings, monkeypatch):
    """Simulated payments that take a moment, so that every request is inside the charge at the same time."""
    settings.STRIPE_SECRET_KEY, settings.PAYMENTS_SIMULATED = "", True
    real = stripe_gateway.SimulatedGateway.charge

    def slow(self, **kwargs):
        time.sleep(0.2)
        return real(self, **kwargs)

    monkeypatch.setattr(stripe_gateway.SimulatedGateway, "charge", slow)


def test_parallel_charges_make_one_payment_and_one_set_of_orders(setup, slow_simulated):
    org, raw = setup
    service = factories.make_service(org)
    invoice = make_invoice(org, items=[item(service_id=str(service.pk)), item(service_id=str(service.pk)), item()])
    responses = run_in_threads(
        lambda i: client_for(raw).post(f"/api/invoices/{invoice.pk}/charge", {"payment_method_id": f"pm_{i}"}, format="json"),
        THREADS,
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (THREADS - 1), [r.content for r in responses]
    for response in responses:
        if response.status_code == 400:
            assert response.json()["errors"] == {"payment_method_id": ["Invoice is already paid."]}
    assert Payment.unscoped.filter(invoice=invoice).count() == 1
    assert Order.unscoped.filter(invoice_id=invoice.pk).count() == 2
    assert Invoice.unscoped.get(pk=invoice.pk).charge_attempts == 1


def test_parallel_mark_paid_records_one_payment(setup):
    org, raw = setup
    service = factories.make_service(org)
    invoice = make_invoice(org, items=[item(service_id=str(service.pk))], recurring={"r_period_l": 1, "r_period_t": "M"})
    responses = run_in_threads(lambda i: client_for(raw).post(f"/api/invoices/{invoice.pk}/mark_paid"), THREADS)
    assert [r.status_code for r in responses] == [200] * THREADS
    assert Payment.unscoped.filter(invoice=invoice).count() == 1
    assert Order.unscoped.filter(invoice_id=invoice.pk).count() == 1
    assert Subscription.unscoped.filter(invoice=invoice).count() == 1


def test_parallel_signs_make_one_order(setup):
    org, raw = setup
    proposal = make_proposal(org, status="sent", client_email="race@example.com")
    responses = run_in_threads(lambda i: client_for(raw).post(f"/api/proposals/{proposal.pk}/sign"), THREADS)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (THREADS - 1), [r.content for r in responses]
    assert Order.unscoped.filter(organization=org).count() == 1
    assert User.unscoped.filter(organization=org, email="race@example.com").count() == 1
    assert Proposal.unscoped.get(pk=proposal.pk).converted_order_id is not None


def test_parallel_signs_of_different_proposals_share_one_new_client(setup):
    org, raw = setup
    proposals = [make_proposal(org, status="sent", client_email="same@example.com") for _ in range(THREADS)]
    responses = run_in_threads(lambda i: client_for(raw).post(f"/api/proposals/{proposals[i].pk}/sign"), THREADS)
    assert [r.status_code for r in responses] == [200] * THREADS, [r.content for r in responses]
    assert User.unscoped.filter(organization=org, email="same@example.com").count() == 1
    assert len({r.json()["order"]["user_id"] for r in responses}) == 1


def test_parallel_creates_get_unique_numbers(setup):
    org, raw = setup
    user = factories.make_client(org)
    make_invoice(org, user=user)
    responses = run_in_threads(
        lambda i: client_for(raw).post("/api/invoices", {"user_id": str(user.pk), "items": [item(amount=i)]}, format="json"),
        THREADS,
    )
    assert [r.status_code for r in responses] == [201] * THREADS, [r.content for r in responses]
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"INV-{n:05d}" for n in range(2, THREADS + 2)]


def test_parallel_creates_by_the_same_new_email_share_one_client(setup):
    org, raw = setup
    responses = run_in_threads(
        lambda i: client_for(raw).post("/api/invoices", {"email": "New@Example.com", "items": [item(amount=1)]}, format="json"),
        THREADS,
    )
    assert [r.status_code for r in responses] == [201] * THREADS, [r.content for r in responses]
    assert User.unscoped.filter(organization=org, email="new@example.com").count() == 1
    assert len({r.json()["number"] for r in responses}) == THREADS
