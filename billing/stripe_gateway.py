"""Payment gateways for invoice charges (contract invoices.md, "Payment modes"). The only module that imports `stripe`.

Two implementations, chosen by configuration in `get_gateway()`:

- `StripeGateway` when `settings.STRIPE_SECRET_KEY` is set: one PaymentIntent created and confirmed server-side;
- `SimulatedGateway` when `settings.PAYMENTS_SIMULATED` is true and no Stripe key is set: always succeeds;
- neither: `get_gateway()` returns None and the caller answers "Payments are not configured.".

Gateways raise `PaymentDeclined` (the processor refused this payment: a card decline or a request it rejects,
with a message fit for the client) or `PaymentUnavailable` (the processor could not be reached or failed: the
outcome is unknown or transient). Both leave nothing written; the caller maps them to 400 / 503.
"""
import secrets
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import stripe
from django.conf import settings

# Stripe amounts are integers in the currency's minor unit (https://docs.stripe.com/currencies).
ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)
THREE_DECIMAL_CURRENCIES = frozenset("bhd jod kwd omr tnd".split())

# The library retries connection errors and 409/5xx answers itself; with the idempotency key a retry can never
# charge twice. Kept small, like the timeouts, because the invoice row stays locked while the charge runs: the
# worst case is (1 + retries) × (connect + read) seconds. The library's default read timeout is 80 s.
MAX_NETWORK_RETRIES = 1
TIMEOUT_SECONDS = (5, 25)  # (connect, read)


class PaymentDeclined(Exception):
    """The processor refused the payment; `message` is its explanation, shown to the API client."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PaymentUnavailable(Exception):
    """The processor could not be reached or failed; nothing is known to have been charged."""


@dataclass(frozen=True)
class ChargeResult:
    """A successful payment. `payment_intent_id` is only set by Stripe."""

    provider: str  # "stripe" or "simulated" (billing.models.Payment.PROVIDERS)
    transaction_id: str
    payment_intent_id: str | None = None


def to_minor_units(amount: Decimal, currency: str) -> int:
    """`amount` in the currency's smallest unit: cents for USD, whole yen for JPY (zero-decimal), and
    thousandths rounded to a multiple of ten for the three-decimal currencies, as Stripe requires. Rounds half
    away from zero (a zero-decimal invoice with cents is charged the nearest whole unit)."""
    code = currency.lower()
    if code in ZERO_DECIMAL_CURRENCIES:
        return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    if code in THREE_DECIMAL_CURRENCIES:
        return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) * 10
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


class StripeGateway:
    """Charges through Stripe's PaymentIntents API.

    Decision: the PaymentIntent is limited to `payment_method_types=["card"]` rather than
    `automatic_payment_methods`. This API confirms server-side and must know the outcome at once: cards succeed or
    fail synchronously, whereas the bank debits that automatic payment methods may pick stay `processing` for
    days (and redirect-based methods need a `return_url` we cannot offer). A PaymentIntent that does not end
    `succeeded` (for example `requires_action` for 3-D Secure) is reported as declined.

    The key and the API base travel with a `StripeClient` built per charge: no global state of the library is
    touched, so two organizations' keys or a test server can never leak into another request.
    """

    provider = "stripe"

    def __init__(self, api_key: str, api_base: str | None = None):
        self.api_key = api_key
        self.api_base = api_base or None

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            self.api_key,
            base_addresses={"api": self.api_base} if self.api_base else None,
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
        )

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        payment_method_id: str,
        idempotency_key: str,
        description: str = "",
        metadata: dict | None = None,
        customer: str | None = None,
    ) -> ChargeResult:
        params = {
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "payment_method": payment_method_id,
            "payment_method_types": ["card"],
            "confirm": True,
            "description": description,
            "metadata": metadata or {},
        }
        if customer:
            # A payment method attached to a customer can only be used together with that customer.
            params["customer"] = customer
        try:
            intent = self.client().v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        except stripe.CardError as exc:
            raise PaymentDeclined(exc.user_message or "Your card was declined.") from exc
        except stripe.InvalidRequestError as exc:
            # Decision: Stripe rejecting the request itself (no such payment method, amount below the minimum,
            # unsupported currency) is the caller's problem, like a decline: retrying later cannot help, so it
            # is a 400 with Stripe's message rather than "provider unavailable".
            raise PaymentDeclined(exc.user_message or "The payment was rejected by the payment provider.") from exc
        except stripe.StripeError as exc:
            # Connection failures, Stripe 5xx, rate limits, a bad API key, idempotency conflicts.
            raise PaymentUnavailable(type(exc).__name__) from exc
        if intent.status != "succeeded":
            raise PaymentDeclined(f"The payment could not be completed (status: {intent.status}).")
        return ChargeResult(provider=self.provider, transaction_id=intent.id, payment_intent_id=intent.id)


class SimulatedGateway:
    """The reference's stub: every charge succeeds with `txn_<unix seconds>_<8 lowercase hex>`."""

    provider = "simulated"

    def charge(self, *, amount: Decimal, currency: str, payment_method_id: str, idempotency_key: str, **_) -> ChargeResult:
        return ChargeResult(provider=self.provider, transaction_id=simulated_transaction_id())


def simulated_transaction_id() -> str:
    return f"txn_{int(time.time())}_{secrets.token_hex(4)}"


def get_gateway() -> StripeGateway | SimulatedGateway | None:
    """The configured gateway: Stripe when a secret key is set (it wins over the simulated flag), the simulator
    when `PAYMENTS_SIMULATED` is true, otherwise None (payments not configured)."""
    api_key = getattr(settings, "STRIPE_SECRET_KEY", "") or ""
    if api_key:
        return StripeGateway(api_key, getattr(settings, "STRIPE_API_BASE", "") or None)
    if getattr(settings, "PAYMENTS_SIMULATED", False):
        return SimulatedGateway()
    return None


# --- Checkout and webhooks (issue 15) -------------------------------------------------------------------------


class WebhookSignatureInvalid(Exception):
    """`Stripe-Signature` is missing, malformed, stale or does not match `STRIPE_WEBHOOK_SECRET`."""


WEBHOOK_TOLERANCE_SECONDS = 300  # Stripe's own default: a signed payload older than this is refused (replays)


def verify_webhook(payload: bytes, signature_header: str | None, secret: str) -> dict:
    """The event of a webhook request, once its `Stripe-Signature` was verified with Stripe's library; raises
    WebhookSignatureInvalid otherwise (a payload that is not a JSON object included)."""
    import json

    if not secret or not signature_header:
        raise WebhookSignatureInvalid("missing signature or secret")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature_header, secret, WEBHOOK_TOLERANCE_SECONDS)
        event = json.loads(text)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise WebhookSignatureInvalid(str(exc)) from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise WebhookSignatureInvalid("not a Stripe event")
    return event


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


def create_checkout_session(
    *,
    amount: Decimal,
    currency: str,
    name: str,
    metadata: dict,
    success_url: str,
    cancel_url: str,
    customer_email: str | None = None,
    client_reference_id: str | None = None,
) -> CheckoutSession:
    """A Stripe Checkout Session for one payment of `amount`, whose metadata — and its PaymentIntent's — is
    `metadata` (the Stripe events find the invoice through it). Raises PaymentUnavailable when Stripe is not
    configured or fails."""
    api_key = getattr(settings, "STRIPE_SECRET_KEY", "") or ""
    if not api_key:
        raise PaymentUnavailable("Stripe is not configured")
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": to_minor_units(amount, currency),
                    "product_data": {"name": name},
                },
            }
        ],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if customer_email:
        params["customer_email"] = customer_email
    if client_reference_id:
        params["client_reference_id"] = client_reference_id
    gateway = StripeGateway(api_key, getattr(settings, "STRIPE_API_BASE", "") or None)
    try:
        session = gateway.client().v1.checkout.sessions.create(params)
    except stripe.StripeError as exc:
        raise PaymentUnavailable(type(exc).__name__) from exc
    return CheckoutSession(id=session.id, url=session.url)
