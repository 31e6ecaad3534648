"""`POST /api/invoices/{id}/charge` and `/mark_paid` (contract invoices.md): guards, the three payment modes (Stripe
through a fake Stripe server on 127.0.0.1, simulated, not configured), orders and subscriptions."""
import re
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice, InvoiceItem, InvoiceStatus, Payment, Subscription
from orders.models import Order
from tests import factories
from tests.billing.factories import item, make_invoice
from tests.helpers import assert_detail, assert_envelope

URL = "/api/invoices"
SNAPSHOT_FIELDS = ("status", "date_paid", "transaction_id", "paysys", "ip_address", "updated_at", "stripe_payment_intent_id")


def charge_url(invoice):
    return f"{URL}/{invoice.pk}/charge"


def mark_url(invoice):
    return f"{URL}/{invoice.pk}/mark_paid"


def snapshot(invoice):
    row = Invoice.unscoped.get(pk=invoice.pk)
    return {name: getattr(row, name) for name in SNAPSHOT_FIELDS}


@pytest.fixture
def service(org):
    return factories.make_service(org, name="SEO Package")


@pytest.fixture
def invoice(org, service):
    """Three items, two of them with a service: 2 × 50.00 + 1 × 25.00 − 5.00 + 10.00, plus tax 4.00 = 134.00."""
    return make_invoice(
        org,
        items=[
            item(name="SEO line", quantity=2, amount=Decimal("50.00"), service_id=str(service.pk)),
            item(name="Extra", quantity=1, amount=Decimal("25.00"), discount=Decimal("5.00"), service_id=str(service.pk)),
            item(name="Misc", amount=Decimal("10.00")),
        ],
        tax=Decimal("4.00"),
    )


def assert_nothing_written(invoice, before):
    assert snapshot(invoice) == before
    assert not Payment.unscoped.filter(invoice=invoice).exists()
    assert not Order.unscoped.filter(invoice_id=invoice.pk).exists()


# --- charge: request checks ---------------------------------------------------------------------------------


def test_charge_body_is_required(api, invoice, simulated):
    assert_envelope(api.post(charge_url(invoice), data="", content_type="application/json"), 400, {"root": ["Field required"]})
    assert_envelope(api.post(charge_url(invoice), {}, format="json"), 400, {"payment_method_id": ["Field required"]})
    assert_envelope(
        api.post(charge_url(invoice), {"payment_method_id": ""}, format="json"),
        400,
        {"payment_method_id": ["String should have at least 1 character"]},
    )
    assert_envelope(
        api.post(charge_url(invoice), {"payment_method_id": 5}, format="json"),
        400,
        {"payment_method_id": ["Input should be a valid string"]},
    )


def test_charge_schema_error_comes_before_404(api, simulated):
    assert_envelope(api.post(f"{URL}/{uuid.uuid4()}/charge", {}, format="json"), 400, {"payment_method_id": ["Field required"]})


def test_charge_already_paid(api, org, invoice, simulated):
    Invoice.unscoped.filter(pk=invoice.pk).update(status=InvoiceStatus.PAID)
    assert_envelope(
        api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json"),
        400,
        {"payment_method_id": ["Invoice is already paid."]},
    )


def test_charge_without_client(api, invoice, simulated):
    Invoice.unscoped.filter(pk=invoice.pk).update(user=None)
    assert_envelope(
        api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json"),
        400,
        {"payment_method_id": ["Invoice has no client assigned."]},
    )


def test_charge_paid_check_comes_before_the_client_check(api, invoice, simulated):
    Invoice.unscoped.filter(pk=invoice.pk).update(user=None, status=InvoiceStatus.PAID)
    assert_envelope(
        api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json"),
        400,
        {"payment_method_id": ["Invoice is already paid."]},
    )


@pytest.mark.parametrize("status,label", [(InvoiceStatus.REFUNDED, "Refunded"), (InvoiceStatus.CANCELLED, "Cancelled")])
def test_charge_refused_for_refunded_and_cancelled(api, invoice, simulated, status, label):
    Invoice.unscoped.filter(pk=invoice.pk).update(status=status)
    before = snapshot(invoice)
    assert_envelope(
        api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json"),
        400,
        {"payment_method_id": [f"Cannot charge {label} invoice."]},
    )
    assert_nothing_written(invoice, before)


def test_charge_without_payment_configuration_is_503_and_writes_nothing(api, invoice, payments_off):
    before = snapshot(invoice)
    assert_detail(api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json"), 503, "Payments are not configured.")
    assert_nothing_written(invoice, before)
    assert Invoice.unscoped.get(pk=invoice.pk).charge_attempts == 0


# --- charge: simulated --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [InvoiceStatus.DRAFT, InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID])
def test_simulated_charge_pays_the_invoice_and_opens_orders(api, org, invoice, service, simulated, status):
    Invoice.unscoped.filter(pk=invoice.pk).update(status=status)
    response = api.post(charge_url(invoice), {"payment_method_id": "pm_card_visa", "extra": 1}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["status_id"], data["paysys"]) == ("Paid", 3, "Stripe")
    assert re.fullmatch(r"txn_\d{10}_[0-9a-f]{8}", data["transaction_id"])
    assert data["ip_address"] == "127.0.0.1"
    assert data["date_paid"] is not None
    row = Invoice.unscoped.get(pk=invoice.pk)
    assert row.updated_at == row.date_paid and row.charge_attempts == 1

    payment = Payment.unscoped.get(invoice=invoice)
    assert (payment.provider, payment.transaction_id, payment.amount, payment.currency) == (
        "simulated", data["transaction_id"], Decimal("134.00"), "USD"
    )
    orders = {o.pk: o for o in Order.unscoped.filter(invoice_id=invoice.pk)}
    assert len(orders) == 2
    items = data["items"]
    assert items[2]["order_id"] is None
    for line, quantity, price in ((items[0], 2, Decimal("50.00")), (items[1], 1, Decimal("25.00"))):
        order = orders[uuid.UUID(line["order_id"])]
        assert (order.user_id, order.service_id, order.service_name) == (invoice.user_id, service.pk, "SEO Package")
        assert (order.quantity, order.price, order.currency, order.status) == (quantity, price, "USD", 0)
        assert (order.note, order.metadata, order.form_data, order.organization_id) == (None, {}, {}, org.pk)
        assert len(order.number) == 8


def test_charge_order_uses_the_services_current_name_even_if_soft_deleted(api, invoice, service, simulated):
    type(service).unscoped.filter(pk=service.pk).update(name="Renamed", deleted_at=timezone.now())
    assert api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json").status_code == 200
    assert set(Order.unscoped.filter(invoice_id=invoice.pk).values_list("service_name", flat=True)) == {"Renamed"}


def test_charge_twice_is_refused_and_creates_nothing_more(api, invoice, simulated):
    assert api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json").status_code == 200
    assert_envelope(
        api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json"),
        400,
        {"payment_method_id": ["Invoice is already paid."]},
    )
    assert Payment.unscoped.filter(invoice=invoice).count() == 1
    assert Order.unscoped.filter(invoice_id=invoice.pk).count() == 2


def test_charge_stripe_key_wins_over_simulated(api, invoice, settings, stripe_mode):
    settings.PAYMENTS_SIMULATED = True
    data = api.post(charge_url(invoice), {"payment_method_id": "pm_card_visa"}, format="json").json()
    assert data["transaction_id"].startswith("pi_fake_")


# --- charge: Stripe (fake server) ---------------------------------------------------------------------------


def test_stripe_charge_success(api, org, invoice, stripe_mode):
    response = api.post(charge_url(invoice), {"payment_method_id": "pm_card_visa"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["paysys"], data["transaction_id"]) == ("Paid", "Stripe", "pi_fake_1")
    row = Invoice.unscoped.get(pk=invoice.pk)
    assert row.stripe_payment_intent_id == "pi_fake_1" and row.charge_attempts == 1
    [request] = stripe_mode.requests
    assert request["path"] == "/v1/payment_intents"
    assert request["headers"]["Authorization"] == "Bearer sk_test_fake"
    assert request["headers"]["Idempotency-Key"] == f"sx-invoice-{invoice.pk}-charge-1"
    params = request["params"]
    assert (params["amount"], params["currency"], params["payment_method"], params["confirm"]) == (
        "13400", "usd", "pm_card_visa", "true"
    )
    assert params["payment_method_types[0]"] == "card"
    assert params["metadata[invoice_id]"] == str(invoice.pk)
    payment = Payment.unscoped.get(invoice=invoice)
    assert (payment.provider, payment.transaction_id, payment.idempotency_key) == (
        "stripe", "pi_fake_1", f"sx-invoice-{invoice.pk}-charge-1"
    )
    assert Order.unscoped.filter(invoice_id=invoice.pk).count() == 2


def test_stripe_decline_is_a_400_and_the_next_attempt_gets_a_new_key(api, invoice, stripe_mode):
    stripe_mode.mode = "decline"
    before = snapshot(invoice)
    response = api.post(charge_url(invoice), {"payment_method_id": "pm_card_chargeDeclined"}, format="json")
    assert_envelope(response, 400, {"payment_method_id": ["Your card was declined."]})
    assert_nothing_written(invoice, before)
    assert Invoice.unscoped.get(pk=invoice.pk).charge_attempts == 1  # the spent attempt is kept

    stripe_mode.mode = "succeed"
    response = api.post(charge_url(invoice), {"payment_method_id": "pm_card_visa"}, format="json")
    assert response.status_code == 200, response.content
    keys = [r["headers"]["Idempotency-Key"] for r in stripe_mode.requests]
    assert keys == [f"sx-invoice-{invoice.pk}-charge-1", f"sx-invoice-{invoice.pk}-charge-2"]
    assert response.json()["transaction_id"] == "pi_fake_2"


def test_stripe_invalid_request_is_a_400_with_stripes_message(api, invoice, stripe_mode):
    stripe_mode.mode = "invalid"
    before = snapshot(invoice)
    assert_envelope(
        api.post(charge_url(invoice), {"payment_method_id": "pm_nope"}, format="json"),
        400,
        {"payment_method_id": ["No such PaymentMethod: 'pm_nope'"]},
    )
    assert_nothing_written(invoice, before)


def test_stripe_incomplete_payment_is_declined(api, invoice, stripe_mode):
    stripe_mode.mode = "requires_action"
    response = api.post(charge_url(invoice), {"payment_method_id": "pm_3ds"}, format="json")
    assert_envelope(response, 400, {"payment_method_id": ["The payment could not be completed (status: requires_action)."]})
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.UNPAID


def test_stripe_server_error_is_503_and_the_key_is_reused(api, invoice, stripe_mode):
    stripe_mode.mode = "error"
    before = snapshot(invoice)
    assert_detail(api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json"), 503, "Payment provider unavailable.")
    assert_nothing_written(invoice, before)
    assert Invoice.unscoped.get(pk=invoice.pk).charge_attempts == 0
    stripe_mode.mode = "succeed"
    assert api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json").status_code == 200
    keys = [r["headers"]["Idempotency-Key"] for r in stripe_mode.requests]
    assert keys == [f"sx-invoice-{invoice.pk}-charge-1"] * 2  # unknown outcome: the retry replays the same attempt


def test_stripe_unreachable_is_503_and_writes_nothing(api, invoice, settings, closed_port_url):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = closed_port_url
    before = snapshot(invoice)
    assert_detail(api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json"), 503, "Payment provider unavailable.")
    assert_nothing_written(invoice, before)
    assert Invoice.unscoped.get(pk=invoice.pk).charge_attempts == 0


def test_stripe_not_called_when_a_guard_refuses(api, invoice, stripe_mode):
    Invoice.unscoped.filter(pk=invoice.pk).update(status=InvoiceStatus.CANCELLED)
    assert api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json").status_code == 400
    assert stripe_mode.requests == []


def test_stripe_customer_is_sent_when_the_client_has_a_stripe_id(api, org, stripe_mode):
    user = factories.make_client(org, stripe_id="cus_42")
    invoice = make_invoice(org, user=user)
    assert api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json").status_code == 200
    assert stripe_mode.requests[0]["params"]["customer"] == "cus_42"


# --- mark_paid ----------------------------------------------------------------------------------------------


def test_mark_paid(api, org, invoice, service):
    response = api.post(mark_url(invoice))
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["status_id"], data["paysys"]) == ("Paid", 3, "Manual")
    assert data["transaction_id"] is None and data["ip_address"] is None and data["date_paid"] is not None
    assert Order.unscoped.filter(invoice_id=invoice.pk).count() == 2
    assert [i["order_id"] is not None for i in data["items"]] == [True, True, False]
    payment = Payment.unscoped.get(invoice=invoice)
    assert (payment.provider, payment.amount) == ("manual", Decimal("134.00"))
    assert not Subscription.unscoped.exists()


def test_mark_paid_works_without_payment_configuration(api, invoice, payments_off):
    assert api.post(mark_url(invoice)).status_code == 200


def test_mark_paid_recurring_creates_a_subscription(api, org):
    invoice = make_invoice(org, recurring={"r_period_l": 3, "r_period_t": "W"})
    assert api.post(mark_url(invoice)).status_code == 200
    sub = Subscription.unscoped.get(invoice=invoice)
    assert (sub.organization_id, sub.user_id, sub.status, sub.r_period_l, sub.r_period_t) == (
        org.pk, invoice.user_id, 1, 3, "W"
    )


def test_mark_paid_twice_returns_the_invoice_unchanged(api, org):
    invoice = make_invoice(org, recurring={"r_period_l": 1, "r_period_t": "M"},
                           items=[item(service_id=str(factories.make_service(org).pk))])
    first = api.post(mark_url(invoice)).json()
    second = api.post(mark_url(invoice))
    assert second.status_code == 200
    assert second.json() == first
    assert Order.unscoped.filter(invoice_id=invoice.pk).count() == 1
    assert Subscription.unscoped.filter(invoice=invoice).count() == 1


def test_mark_paid_already_paid_without_client_is_still_200(api, invoice):
    Invoice.unscoped.filter(pk=invoice.pk).update(status=InvoiceStatus.PAID, user=None)
    assert api.post(mark_url(invoice)).status_code == 200


def test_mark_paid_without_client(api, invoice):
    Invoice.unscoped.filter(pk=invoice.pk).update(user=None)
    assert_detail(api.post(mark_url(invoice)), 400, "Invoice has no client assigned.")


@pytest.mark.parametrize("status,label", [(InvoiceStatus.REFUNDED, "Refunded"), (InvoiceStatus.CANCELLED, "Cancelled")])
def test_mark_paid_refused(api, invoice, status, label):
    Invoice.unscoped.filter(pk=invoice.pk).update(status=status)
    before = snapshot(invoice)
    assert_detail(api.post(mark_url(invoice)), 400, f"Cannot mark {label} invoice as paid.")
    assert_nothing_written(invoice, before)


def test_mark_paid_ignores_any_body(api, invoice):
    response = api.post(mark_url(invoice), data="{broken", content_type="application/json")
    assert response.status_code == 200 and response.json()["paysys"] == "Manual"


def test_paid_invoice_can_be_refunded_but_not_charged_again(api, invoice, simulated):
    api.post(mark_url(invoice))
    assert api.put(f"{URL}/{invoice.pk}", {"items": [item(amount=1)], "status": 4}, format="json").status_code == 200
    assert_envelope(
        api.post(charge_url(invoice), {"payment_method_id": "pm_1"}, format="json"),
        400,
        {"payment_method_id": ["Cannot charge Refunded invoice."]},
    )
    assert_detail(api.post(mark_url(invoice)), 400, "Cannot mark Refunded invoice as paid.")


def test_deleting_a_paid_invoice_keeps_its_orders(api, invoice):
    api.post(mark_url(invoice))
    assert api.delete(f"{URL}/{invoice.pk}").status_code == 204
    assert Order.objects.for_org(invoice.organization_id).filter(invoice_id=invoice.pk).count() == 2
    assert InvoiceItem.unscoped.filter(invoice=invoice, order__isnull=False).count() == 2
