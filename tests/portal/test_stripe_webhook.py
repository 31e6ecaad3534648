"""`POST /api/stripe/webhook` (issue 15): signatures checked with Stripe's library, each event stored once,
payments applied through the charge path with amount/currency checked, refunds, failures, unknown types.
PaymentIntents, charges and refunds come from localstripe (a local Stripe emulator) where it serves; payloads are
signed with `stripe.WebhookSignature`'s scheme exactly as Stripe signs them."""
import hmac
import json
import socket
import subprocess
import sys
import time
import uuid
from hashlib import sha256

import pytest
import stripe
from rest_framework.test import APIClient

from billing.models import Invoice, InvoiceStatus, Payment, StripeEvent
from orders.models import Order
from tests import factories
from tests.billing.factories import item, make_invoice

URL = "/api/stripe/webhook"
SECRET = "whsec_test_secret"


def sign(payload: str, secret: str = SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def event(type_: str, obj: dict, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_{uuid.uuid4().hex}", "object": "event", "type": type_, "livemode": False,
            "data": {"object": obj}}


def deliver(payload, *, secret: str = SECRET, header: str | None = None):
    text = payload if isinstance(payload, str) else json.dumps(payload)
    headers = {"HTTP_STRIPE_SIGNATURE": header if header is not None else sign(text, secret)}
    return APIClient().post(URL, data=text, content_type="application/json", **headers)


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def invoice(org):
    client = factories.make_client(org, email="ada@example.com")
    service = factories.make_service(org, name="Audit")
    return make_invoice(org, user=client, items=[item(name="Audit", amount=60, quantity=2, service_id=str(service.pk))])


def metadata(inv) -> dict:
    return {"organization_id": str(inv.organization_id), "invoice_id": str(inv.pk)}


def session(inv, **over) -> dict:
    obj = {"id": "cs_test_1", "object": "checkout.session", "payment_status": "paid", "amount_total": 12000,
           "currency": "usd", "payment_intent": "pi_test_1", "metadata": metadata(inv)}
    obj.update(over)
    return obj


@pytest.mark.parametrize("header", ["", "t=1,v1=deadbeef", None])
def test_bad_or_missing_signature_is_400_and_writes_nothing(invoice, header):
    body = event("checkout.session.completed", session(invoice))
    if header is None:
        response = APIClient().post(URL, data=json.dumps(body), content_type="application/json")
    else:
        response = deliver(body, header=header)
    assert response.status_code == 400 and response.json() == {"detail": "Invalid signature."}
    assert StripeEvent.objects.count() == 0
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.UNPAID


def test_signed_with_another_secret_or_stale_is_400(invoice):
    body = event("checkout.session.completed", session(invoice))
    assert deliver(body, secret="whsec_other").status_code == 400
    text = json.dumps(body)
    assert deliver(text, header=sign(text, timestamp=int(time.time()) - 3600)).status_code == 400
    assert StripeEvent.objects.count() == 0


def test_checkout_completed_pays_the_invoice_once_and_a_replay_is_ignored(invoice):
    body = event("checkout.session.completed", session(invoice))
    first = deliver(body)
    assert first.status_code == 200 and first.json() == {"received": True, "duplicate": False, "status": "processed"}
    paid = Invoice.unscoped.get(pk=invoice.pk)
    assert paid.status == InvoiceStatus.PAID and paid.paysys == "Stripe" and paid.transaction_id == "pi_test_1"
    assert paid.stripe_payment_intent_id == "pi_test_1" and paid.date_paid is not None
    assert Order.unscoped.filter(invoice_id=invoice.pk).count() == 1  # the same orders as charge
    replay = deliver(body)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert StripeEvent.objects.count() == 1 and Payment.unscoped.filter(invoice=invoice).count() == 1
    # The PaymentIntent's own success event for the same payment changes nothing.
    intent = {"id": "pi_test_1", "object": "payment_intent", "amount_received": 12000, "currency": "usd",
              "metadata": metadata(invoice)}
    assert deliver(event("payment_intent.succeeded", intent)).json()["status"] == "processed"
    assert Payment.unscoped.filter(invoice=invoice).count() == 1


@pytest.mark.parametrize("over", [{"amount_total": 11999}, {"currency": "eur"}, {"amount_total": "12000"}])
def test_a_wrong_amount_or_currency_is_recorded_not_applied(invoice, over):
    response = deliver(event("checkout.session.completed", session(invoice, **over)))
    assert response.status_code == 200 and response.json()["status"] == "mismatch"
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.UNPAID
    row = StripeEvent.objects.get()
    assert row.status == "mismatch" and row.invoice_ref == invoice.pk and "not applied" in row.note


def test_unpaid_sessions_unknown_invoices_and_other_organizations_are_ignored(invoice, other_org):
    assert deliver(event("checkout.session.completed", session(invoice, payment_status="unpaid"))).json()["status"] == "ignored"
    wrong_org = session(invoice, metadata={"organization_id": str(other_org.pk), "invoice_id": str(invoice.pk)})
    assert deliver(event("checkout.session.completed", wrong_org)).json()["status"] == "ignored"
    assert deliver(event("checkout.session.completed", session(invoice, metadata={}))).json()["status"] == "ignored"
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.UNPAID


def test_unknown_types_and_odd_payloads_are_acknowledged(invoice):
    assert deliver(event("customer.created", {"id": "cus_1"})).json() == {
        "received": True, "duplicate": False, "status": "ignored"}
    odd = {"id": "evt_odd", "type": "checkout.session.completed", "data": "nope"}
    assert deliver(odd).status_code == 200
    assert deliver("[1, 2]").status_code == 400
    assert deliver("not json").status_code == 400


def test_concurrent_redelivery_is_processed_once(invoice):
    body = event("checkout.session.completed", session(invoice), event_id="evt_same")
    responses = [deliver(body) for _ in range(3)]
    assert [r.json()["duplicate"] for r in responses] == [False, True, True]
    assert Payment.unscoped.filter(invoice=invoice).count() == 1


# --- against localstripe --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def localstripe_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.skip("localstripe did not start")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def local_stripe(localstripe_url):
    return stripe.StripeClient("sk_test_localstripe", base_addresses={"api": localstripe_url})


def test_payment_intent_succeeded_then_refunded_from_localstripe(invoice, local_stripe):
    intent = local_stripe.v1.payment_intents.create(
        {"amount": 12000, "currency": "usd", "payment_method": "pm_card_visa", "metadata": metadata(invoice)}
    )
    intent = local_stripe.v1.payment_intents.confirm(intent.id)
    assert intent.status == "succeeded"
    obj = intent.to_dict()
    obj.setdefault("amount_received", obj["amount"])  # localstripe does not fill this field; Stripe does
    assert deliver(event("payment_intent.succeeded", obj)).json()["status"] == "processed"
    paid = Invoice.unscoped.get(pk=invoice.pk)
    assert paid.status == InvoiceStatus.PAID and paid.stripe_payment_intent_id == intent.id

    charge_id = obj["latest_charge"] if isinstance(obj.get("latest_charge"), str) else obj["latest_charge"]["id"]
    local_stripe.v1.refunds.create({"charge": charge_id})
    charge = local_stripe.v1.charges.retrieve(charge_id).to_dict()
    assert charge["refunded"] is True and charge["payment_intent"] == intent.id
    response = deliver(event("charge.refunded", charge))
    assert response.json()["status"] == "processed"
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.REFUNDED


def test_partial_refund_leaves_the_invoice_paid(invoice):
    deliver(event("checkout.session.completed", session(invoice)))
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_test_1", "amount": 12000,
              "amount_refunded": 2000, "refunded": False}
    assert deliver(event("charge.refunded", charge)).json()["status"] == "ignored"
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.PAID
    charge.update(amount_refunded=12000, refunded=True)
    assert deliver(event("charge.refunded", charge)).json()["status"] == "processed"
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.REFUNDED


def test_payment_failed_is_recorded(invoice):
    intent = {"id": "pi_failed", "object": "payment_intent", "metadata": metadata(invoice),
              "last_payment_error": {"message": "Your card was declined."}}
    assert deliver(event("payment_intent.payment_failed", intent)).json()["status"] == "processed"
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.UNPAID


def test_stripe_events_record_api_events(invoice):
    from events.models import Event

    failed = {"id": "pi_x", "object": "payment_intent", "metadata": metadata(invoice)}
    deliver(event("payment_intent.payment_failed", failed))
    (recorded,) = Event.unscoped.filter(type="invoice.payment_failed")
    assert recorded.organization_id == invoice.organization_id and recorded.object_id == invoice.pk
    assert recorded.actor_type == "system"
    deliver(event("checkout.session.completed", session(invoice)))
    deliver(event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_test_1", "amount": 12000,
                                      "amount_refunded": 12000, "refunded": True}))
    refund = Event.unscoped.filter(type="invoice.updated", object_id=invoice.pk).latest("created_at")
    assert refund.data["status"] == "Refunded" and refund.previous_attributes["status"] == "Paid"


def test_an_idempotency_key_on_the_webhook_is_ignored(invoice, token):
    # Stripe's own event id is the webhook's idempotency; a stray Idempotency-Key (even with a token) changes nothing.
    body = json.dumps(event("checkout.session.completed", session(invoice)))
    response = APIClient().post(URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body),
                                HTTP_IDEMPOTENCY_KEY="\x01bad", HTTP_AUTHORIZATION=f"Bearer {token[1]}")
    assert response.status_code == 200 and response.json()["status"] == "processed"
