"""`charge` never holds a row lock across the network call (billing.services.invoice_charge): the claim is committed
before the provider is called outside any transaction, the outcome is applied in a second short transaction, a
decline commits its spent attempt without the view's help, and a request that dies at the provider leaves a claim
that a retry resolves with the same idempotency key."""
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from billing import services, stripe_gateway
from billing.models import Invoice, InvoiceStatus, Payment
from events.models import Event
from tests import factories
from tests.billing.factories import item, make_invoice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(settings):
    settings.STRIPE_SECRET_KEY, settings.PAYMENTS_SIMULATED = "", True
    org = factories.make_org()
    owner = factories.make_team_member(org)
    _token, raw = factories.make_token(org, owner)
    invoice = make_invoice(org, items=[item()])
    return org, raw, invoice


def charge_via_api(raw, invoice, pm="pm_card_visa"):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api.post(f"/api/invoices/{invoice.pk}/charge", {"payment_method_id": pm}, format="json")


def fresh(invoice) -> Invoice:
    return Invoice.unscoped.get(pk=invoice.pk)


def test_the_provider_is_called_outside_any_transaction_after_the_claim_is_committed(setup, monkeypatch):
    _org, raw, invoice = setup
    seen = {}
    real = stripe_gateway.SimulatedGateway.charge

    def spy(self, **kwargs):
        seen["in_transaction"] = connection.in_atomic_block
        seen["claimed"] = fresh(invoice).charge_claimed_at  # committed: visible to everyone
        seen["key"] = kwargs["idempotency_key"]
        return real(self, **kwargs)

    monkeypatch.setattr(stripe_gateway.SimulatedGateway, "charge", spy)
    response = charge_via_api(raw, invoice)
    assert response.status_code == 200, response.content
    assert seen["in_transaction"] is False
    assert seen["claimed"] is not None
    assert seen["key"] == services.charge_idempotency_key(invoice, 1)
    paid = fresh(invoice)
    assert paid.status == InvoiceStatus.PAID and paid.charge_claimed_at is None and paid.charge_attempts == 1


def test_a_decline_commits_the_spent_attempt_by_itself(setup, monkeypatch):
    _org, _raw, invoice = setup

    def decline(self, **kwargs):
        raise stripe_gateway.PaymentDeclined("Your card was declined.")

    monkeypatch.setattr(stripe_gateway.SimulatedGateway, "charge", decline)
    with pytest.raises(services.ChargeDeclined):
        services.invoice_charge(invoice=invoice, payment_method_id="pm_x")
    declined = fresh(invoice)
    assert declined.charge_attempts == 1 and declined.charge_claimed_at is None and declined.status != InvoiceStatus.PAID
    assert Event.unscoped.filter(object_id=invoice.pk, type="invoice.payment_failed").count() == 1


def test_the_api_answers_a_decline_as_a_plain_domain_error(setup, monkeypatch):
    _org, raw, invoice = setup

    def decline(self, **kwargs):
        raise stripe_gateway.PaymentDeclined("Your card was declined.")

    monkeypatch.setattr(stripe_gateway.SimulatedGateway, "charge", decline)
    response = charge_via_api(raw, invoice)
    assert response.status_code == 400
    assert response.json()["errors"] == {"payment_method_id": ["Your card was declined."]}
    assert fresh(invoice).charge_attempts == 1  # kept: the next card gets a new key


def test_an_unavailable_provider_releases_the_claim_and_keeps_the_attempt(setup, monkeypatch):
    _org, _raw, invoice = setup

    def down(self, **kwargs):
        raise stripe_gateway.PaymentUnavailable("down")

    monkeypatch.setattr(stripe_gateway.SimulatedGateway, "charge", down)
    with pytest.raises(services.DomainError) as exc:
        services.invoice_charge(invoice=invoice, payment_method_id="pm_x")
    assert exc.value.status == 503
    after = fresh(invoice)
    assert after.charge_claimed_at is None and after.charge_attempts == 0  # a retry replays the same key


def test_a_request_that_died_at_the_provider_is_resolved_by_a_retry_with_the_same_key(setup, monkeypatch):
    _org, raw, invoice = setup
    keys = []
    real = stripe_gateway.SimulatedGateway.charge

    def record(self, **kwargs):
        keys.append(kwargs["idempotency_key"])
        return real(self, **kwargs)

    monkeypatch.setattr(stripe_gateway.SimulatedGateway, "charge", record)
    # Step 1 committed, then the process died: the claim stays, nothing else was written.
    claimed, _gateway, attempt = services._charge_claim(invoice)
    keys.append(services.charge_idempotency_key(claimed, attempt))
    assert fresh(invoice).charge_claimed_at is not None and attempt == 1
    # Once the claim is older than the longest provider call, a retry takes it over with the same attempt.
    Invoice.unscoped.filter(pk=invoice.pk).update(
        charge_claimed_at=timezone.now() - services.CHARGE_CLAIM_TTL - timedelta(seconds=1)
    )
    response = charge_via_api(raw, invoice)
    assert response.status_code == 200, response.content
    assert keys[0] == keys[1] == services.charge_idempotency_key(invoice, 1)
    paid = fresh(invoice)
    assert paid.status == InvoiceStatus.PAID and paid.charge_attempts == 1 and paid.charge_claimed_at is None
    assert Payment.unscoped.filter(invoice=invoice).count() == 1


def test_a_live_claim_makes_another_charge_wait_and_then_find_the_invoice_paid(setup, monkeypatch):
    _org, raw, invoice = setup
    services._charge_claim(invoice)  # another request is at the provider
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        # That request finishes meanwhile: its outcome is applied in its own transaction.
        services._charge_paid(
            fresh(invoice), 1, "k", stripe_gateway.ChargeResult(provider="simulated", transaction_id="txn_1"), None
        )

    monkeypatch.setattr(services.time, "sleep", sleep)
    response = charge_via_api(raw, invoice)
    assert response.status_code == 400
    assert response.json()["errors"] == {"payment_method_id": ["Invoice is already paid."]}
    assert len(waits) == 1
    assert Payment.unscoped.filter(invoice=invoice).count() == 1
