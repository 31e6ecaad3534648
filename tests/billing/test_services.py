"""`billing.services` directly, with the payment gateway patched (`billing.stripe_gateway`)."""
from decimal import Decimal

import pytest
from django.db.models import QuerySet

from billing import services, stripe_gateway
from billing.models import Invoice, InvoiceStatus, Payment, Proposal
from orders.models import Order
from serviceengine.core.errors import DomainError
from serviceengine.models import User
from tests import factories
from tests.billing.factories import item, make_invoice, make_proposal


class RecordingGateway:
    provider = "stripe"

    def __init__(self, outcome="succeed"):
        self.outcome = outcome
        self.calls = []

    def charge(self, **kwargs):
        self.calls.append(kwargs)
        if self.outcome == "decline":
            raise stripe_gateway.PaymentDeclined("Insufficient funds.")
        if self.outcome == "unavailable":
            raise stripe_gateway.PaymentUnavailable("APIConnectionError")
        return stripe_gateway.ChargeResult(provider="stripe", transaction_id="pi_123", payment_intent_id="pi_123")


@pytest.fixture
def gateway(monkeypatch):
    fake = RecordingGateway()
    monkeypatch.setattr(stripe_gateway, "get_gateway", lambda: fake)
    return fake


def test_charge_passes_amount_currency_key_and_customer(org, gateway):
    user = factories.make_client(org, stripe_id="cus_9")
    invoice = make_invoice(org, user=user, items=[item(quantity=3, amount=Decimal("10.10"))], tax=Decimal("0.70"))
    paid = services.invoice_charge(invoice=invoice, payment_method_id="pm_x", ip_address="::1")
    [call] = gateway.calls
    assert call["amount"] == Decimal("31.00") and call["currency"] == "USD"
    assert call["payment_method_id"] == "pm_x" and call["customer"] == "cus_9"
    assert call["idempotency_key"] == f"sx-invoice-{invoice.pk}-charge-1"
    assert call["description"] == f"Invoice {invoice.number}"
    row = Invoice.unscoped.get(pk=invoice.pk)
    assert (row.status, row.transaction_id, row.stripe_payment_intent_id, row.paysys, row.ip_address) == (
        InvoiceStatus.PAID, "pi_123", "pi_123", "Stripe", "::1"
    )
    assert paid.status == InvoiceStatus.PAID


def test_charge_ignores_a_peer_address_that_is_not_an_ip(org, gateway):
    invoice = make_invoice(org)
    services.invoice_charge(invoice=invoice, payment_method_id="pm_x", ip_address="unix:/tmp/sock")
    assert Invoice.unscoped.get(pk=invoice.pk).ip_address is None


def test_decline_keeps_the_spent_attempt_and_raises(org, gateway):
    gateway.outcome = "decline"
    invoice = make_invoice(org)
    with pytest.raises(services.ChargeDeclined) as info:
        services.invoice_charge(invoice=invoice, payment_method_id="pm_x")
    assert (info.value.status, info.value.errors) == (400, {"payment_method_id": ["Insufficient funds."]})
    row = Invoice.unscoped.get(pk=invoice.pk)
    assert (row.charge_attempts, row.status) == (1, InvoiceStatus.UNPAID)
    with pytest.raises(services.ChargeDeclined):
        services.invoice_charge(invoice=invoice, payment_method_id="pm_y")
    assert [c["idempotency_key"] for c in gateway.calls] == [
        f"sx-invoice-{invoice.pk}-charge-1", f"sx-invoice-{invoice.pk}-charge-2"
    ]


def test_unavailable_writes_nothing(org, gateway):
    gateway.outcome = "unavailable"
    invoice = make_invoice(org)
    with pytest.raises(DomainError) as info:
        services.invoice_charge(invoice=invoice, payment_method_id="pm_x")
    assert (info.value.status, info.value.detail) == (503, "Payment provider unavailable.")
    assert Invoice.unscoped.get(pk=invoice.pk).charge_attempts == 0
    assert not Payment.unscoped.exists()


def test_charge_refuses_an_invoice_that_already_has_a_payment(org, gateway):
    invoice = make_invoice(org, status=InvoiceStatus.PARTIALLY_PAID)
    Payment.unscoped.create(organization=org, invoice=invoice, provider="manual", amount=1, currency="USD")
    with pytest.raises(DomainError) as info:
        services.invoice_charge(invoice=invoice, payment_method_id="pm_x")
    assert info.value.errors == {"payment_method_id": ["Invoice is already paid."]}
    assert gateway.calls == []


def test_charge_of_a_deleted_invoice_is_not_found(org, gateway):
    invoice = make_invoice(org)
    Invoice.unscoped.filter(pk=invoice.pk).update(deleted_at="2026-01-01T00:00:00Z")
    with pytest.raises(DomainError) as info:
        services.invoice_charge(invoice=invoice, payment_method_id="pm_x")
    assert info.value.status == 404


def test_client_find_or_create_survives_a_concurrent_insert(org, monkeypatch):
    existing = factories.make_client(org, email="race@example.com")
    real = services.user_by_email
    calls = []

    def stale_first(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real(**kwargs)  # the first look-up ran before the competitor committed

    monkeypatch.setattr(services, "user_by_email", stale_first)
    user = services.client_find_or_create(organization=org, email="race@example.com", name_f="A", name_l="B")
    assert user.pk == existing.pk and len(calls) == 2
    assert User.unscoped.filter(email="race@example.com").count() == 1


def test_invoice_number_is_retried_after_a_collision(org, monkeypatch):
    user = factories.make_client(org)
    make_invoice(org, user=user)
    real = QuerySet.aggregate
    calls = []

    def stale_first(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        if self.model is Invoice:
            calls.append(result)
            if len(calls) == 1:  # a competitor's INV-00001 was not visible yet
                return {"m": None}
        return result

    monkeypatch.setattr(QuerySet, "aggregate", stale_first)
    invoice = services.invoice_create(organization=org, user_id=str(user.pk), items=[item()])
    assert invoice.number == "INV-00002" and len(calls) == 2


def test_sign_reuses_the_order_service_currency(org):
    service = factories.make_service(org, currency="EUR")
    proposal = make_proposal(org, status="sent", services_=[service])
    signed, order = services.proposal_sign(proposal=proposal)
    assert order.currency == "EUR" and order.price == Decimal("100.00")
    assert Proposal.unscoped.get(pk=proposal.pk).converted_order_id == order.pk
    assert signed.status == 2


def test_mark_paid_is_idempotent(org):
    invoice = make_invoice(org, items=[item(service_id=str(factories.make_service(org).pk))])
    services.invoice_mark_paid(invoice=invoice)
    services.invoice_mark_paid(invoice=invoice)
    assert Order.unscoped.filter(invoice_id=invoice.pk).count() == 1
    assert Payment.unscoped.filter(invoice=invoice).count() == 1
