"""`billing.stripe_gateway` driving the real `stripe` library against the fake Stripe server (never the internet)."""
from decimal import Decimal

import pytest
import stripe

from billing import stripe_gateway
from billing.stripe_gateway import (
    PaymentDeclined, PaymentUnavailable, SimulatedGateway, StripeGateway, get_gateway, to_minor_units,
)


def charge(gateway, **over):
    kwargs = {
        "amount": Decimal("12.34"),
        "currency": "USD",
        "payment_method_id": "pm_card_visa",
        "idempotency_key": "sx-invoice-abc-charge-1",
        "description": "Invoice INV-00001",
        "metadata": {"invoice_id": "abc"},
    }
    kwargs.update(over)
    return gateway.charge(**kwargs)


@pytest.mark.parametrize(
    "amount,currency,minor",
    [
        ("12.34", "USD", 1234),
        ("0.01", "usd", 1),
        ("1500.00", "EUR", 150000),
        ("1500.00", "JPY", 1500),
        ("1500.50", "jpy", 1501),  # zero-decimal: whole units, half away from zero
        ("12.34", "KRW", 12),
        ("1.23", "KWD", 1230),  # three-decimal: thousandths, a multiple of ten
        ("-2.50", "USD", -250),
    ],
)
def test_minor_units(amount, currency, minor):
    assert to_minor_units(Decimal(amount), currency) == minor


def test_gateway_selection(settings):
    settings.STRIPE_SECRET_KEY, settings.PAYMENTS_SIMULATED, settings.STRIPE_API_BASE = "", False, ""
    assert get_gateway() is None
    settings.PAYMENTS_SIMULATED = True
    assert isinstance(get_gateway(), SimulatedGateway)
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    gateway = get_gateway()
    assert isinstance(gateway, StripeGateway) and gateway.api_key == "sk_test_x" and gateway.api_base is None
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    assert get_gateway().api_base == "http://127.0.0.1:9"


def test_simulated_transaction_ids():
    first = charge(SimulatedGateway())
    second = charge(SimulatedGateway())
    assert first.provider == "simulated" and first.payment_intent_id is None
    assert first.transaction_id != second.transaction_id
    assert first.transaction_id.startswith("txn_")


def test_success_sends_a_confirmed_card_payment_intent(fake_stripe):
    result = charge(StripeGateway("sk_test_123", fake_stripe.url), customer="cus_1")
    assert (result.provider, result.transaction_id, result.payment_intent_id) == ("stripe", "pi_fake_1", "pi_fake_1")
    [request] = fake_stripe.requests
    assert request["path"] == "/v1/payment_intents"
    assert request["headers"]["Authorization"] == "Bearer sk_test_123"
    assert request["headers"]["Idempotency-Key"] == "sx-invoice-abc-charge-1"
    assert request["params"] == {
        "amount": "1234",
        "currency": "usd",
        "payment_method": "pm_card_visa",
        "payment_method_types[0]": "card",
        "confirm": "true",
        "description": "Invoice INV-00001",
        "metadata[invoice_id]": "abc",
        "customer": "cus_1",
    }


def test_zero_decimal_amount_is_sent_in_whole_units(fake_stripe):
    charge(StripeGateway("sk_test_123", fake_stripe.url), amount=Decimal("1500.00"), currency="JPY")
    assert fake_stripe.requests[0]["params"]["amount"] == "1500"
    assert fake_stripe.requests[0]["params"]["currency"] == "jpy"


def test_the_key_and_base_never_touch_the_librarys_globals(fake_stripe):
    api_key, api_base = stripe.api_key, stripe.api_base
    charge(StripeGateway("sk_test_123", fake_stripe.url))
    assert (stripe.api_key, stripe.api_base) == (api_key, api_base)


def test_card_decline(fake_stripe):
    fake_stripe.mode = "decline"
    with pytest.raises(PaymentDeclined) as info:
        charge(StripeGateway("sk_test_123", fake_stripe.url))
    assert info.value.message == "Your card was declined."


def test_same_idempotency_key_replays_the_first_answer(fake_stripe):
    gateway = StripeGateway("sk_test_123", fake_stripe.url)
    first = charge(gateway)
    fake_stripe.mode = "decline"
    assert charge(gateway).transaction_id == first.transaction_id  # the fake, like Stripe, replays by key
    with pytest.raises(PaymentDeclined):
        charge(gateway, idempotency_key="sx-invoice-abc-charge-2")


def test_server_error_is_unavailable(fake_stripe):
    fake_stripe.mode = "error"
    with pytest.raises(PaymentUnavailable):
        charge(StripeGateway("sk_test_123", fake_stripe.url))


def test_unreachable_is_unavailable(closed_port_url):
    with pytest.raises(PaymentUnavailable):
        charge(StripeGateway("sk_test_123", closed_port_url))


def test_network_errors_are_retried_with_the_same_key(monkeypatch, closed_port_url):
    monkeypatch.setattr(stripe_gateway, "MAX_NETWORK_RETRIES", 1)
    monkeypatch.setattr(stripe.RequestsClient, "_sleep_time_seconds", lambda self, *a, **kw: 0)
    calls = []
    original = stripe.RequestsClient.request

    def spy(self, method, url, headers, post_data=None):
        calls.append(headers.get("Idempotency-Key"))
        return original(self, method, url, headers, post_data)

    monkeypatch.setattr(stripe.RequestsClient, "request", spy)
    with pytest.raises(PaymentUnavailable):
        charge(StripeGateway("sk_test_123", closed_port_url))
    assert calls == ["sx-invoice-abc-charge-1"] * 2
