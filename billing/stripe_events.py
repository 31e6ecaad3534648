"""Stripe events (issue 15): `POST /api/stripe/webhook` hands each verified event to `receive()`.

Every event is stored once, unique on Stripe's event id, and processed in the same transaction as its row is
inserted: a redelivery (sequential or concurrent — the second insert waits on the unique index, then fails) is
acknowledged and ignored; a processing crash rolls the row back so that Stripe's retry processes it again.

- `checkout.session.completed` (`payment_status` "paid", `amount_total`, `currency`) and
  `payment_intent.succeeded` (`amount_received`, `currency`) whose `metadata` names an invoice of that
  organization pay it through `services.record_payment` — the same path as `charge` — after checking amount and
  currency against the invoice; a mismatch is recorded on the event (status `mismatch`), not applied;
- `charge.refunded` (full refunds) finds the invoice through the charge's `payment_intent` and marks it
  Refunded (status 4);
- `payment_intent.payment_failed` records the event `invoice.payment_failed`;
- any other type is stored as `ignored` and acknowledged.
"""
import logging


from django.db import IntegrityError, transaction
from django.utils import timezone

from serviceengine.core.services import parse_uuid

from . import services
from .models import Invoice, InvoiceStatus, StripeEvent, StripeEventStatus
from .stripe_gateway import to_minor_units

logger = logging.getLogger("billing.stripe")


class Outcome(Exception):
    """How an event ended when it did not pay or refund: its status and a note for the admin."""

    def __init__(self, status: str, note: str, invoice: Invoice | None = None):
        super().__init__(note)
        self.status, self.note, self.invoice = status, note, invoice


def receive(event: dict) -> tuple[StripeEvent | None, bool]:
    """Store and process one verified event. Returns (row, duplicate): duplicate when the event id was stored
    before (nothing is done again)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = StripeEvent.objects.create(
                    stripe_id=event["id"][:255],
                    type=event["type"][:255],
                    livemode=bool(event.get("livemode")),
                    payload=event,
                )
        except IntegrityError:
            return None, True
        handler = HANDLERS.get(row.type)
        invoice = None
        if handler is None:
            status, note = StripeEventStatus.IGNORED, "Event type not handled."
        else:
            try:
                invoice, note = handler(_object(event))
                status = StripeEventStatus.PROCESSED
            except Outcome as outcome:
                status, note, invoice = outcome.status, outcome.note, outcome.invoice
        row.status, row.note, row.processed_at = status, note, timezone.now()
        if invoice is not None:
            row.organization_ref, row.invoice_ref = invoice.organization_id, invoice.pk
        row.save(update_fields=["status", "note", "processed_at", "organization_ref", "invoice_ref"])
        logger.info("stripe event %s %s: %s %s", row.stripe_id, row.type, status, note)
        return row, False


def _object(event: dict) -> dict:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise Outcome(StripeEventStatus.IGNORED, "The event has no data.object.")
    return obj


def _metadata_invoice(obj: dict) -> Invoice:
    """The invoice named by `metadata` {organization_id, invoice_id}, looked up within that organization."""
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    org_id, invoice_id = parse_uuid(metadata.get("organization_id")), parse_uuid(metadata.get("invoice_id"))
    if org_id is None or invoice_id is None:
        raise Outcome(StripeEventStatus.IGNORED, "No organization_id/invoice_id in the metadata.")
    invoice = Invoice.objects.for_org(org_id).filter(pk=invoice_id).first()
    if invoice is None:
        raise Outcome(StripeEventStatus.IGNORED, f"No invoice {invoice_id} in organization {org_id}.")
    return invoice


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _pay(obj: dict, *, amount, currency, payment_intent_id: str | None):
    invoice = _metadata_invoice(obj)
    with transaction.atomic():
        invoice = services.lock(Invoice, invoice, related=("organization", "user"))
        if invoice.status == InvoiceStatus.PAID:
            if payment_intent_id and invoice.stripe_payment_intent_id == payment_intent_id:
                return invoice, "Already paid by this payment."
            raise Outcome(StripeEventStatus.IGNORED, "The invoice is already paid.", invoice)
        if invoice.status in services.UNPAYABLE_STATUSES:
            raise Outcome(StripeEventStatus.IGNORED, f"The invoice is {invoice.status_label}.", invoice)
        if invoice.user_id is None:
            raise Outcome(StripeEventStatus.IGNORED, "The invoice has no client.", invoice)
        expected = to_minor_units(invoice.total, invoice.currency)
        if _int(amount) != expected or not isinstance(currency, str) or currency.lower() != invoice.currency.lower():
            raise Outcome(
                StripeEventStatus.MISMATCH,
                f"Paid {amount} {currency}, the invoice is {expected} {invoice.currency.lower()}: not applied.",
                invoice,
            )
        services.record_payment(
            invoice, provider="stripe", transaction_id=payment_intent_id, payment_intent_id=payment_intent_id
        )
    return invoice, "Invoice paid."


def checkout_session_completed(obj: dict):
    if obj.get("payment_status") != "paid":
        raise Outcome(StripeEventStatus.IGNORED, f"payment_status is {obj.get('payment_status')!r}.")
    intent = obj.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    return _pay(obj, amount=obj.get("amount_total"), currency=obj.get("currency"),
                payment_intent_id=intent_id if isinstance(intent_id, str) else None)


def payment_intent_succeeded(obj: dict):
    return _pay(obj, amount=obj.get("amount_received"), currency=obj.get("currency"),
                payment_intent_id=obj.get("id") if isinstance(obj.get("id"), str) else None)


def charge_refunded(obj: dict):
    intent = obj.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    if not isinstance(intent_id, str) or not intent_id:
        raise Outcome(StripeEventStatus.IGNORED, "The charge has no payment_intent.")
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    org_id = parse_uuid(metadata.get("organization_id"))
    if org_id is not None:
        candidates = Invoice.objects.for_org(org_id)
    else:
        # unscoped: a charge need not carry our metadata; the PaymentIntent id that paid an invoice (stored by the
        # payment itself) identifies it across organizations, and nothing else is matched. (`unscoped` is the
        # fail-closed tenancy's one plain manager; `all_objects` before it.)
        manager = getattr(Invoice, "unscoped", None) or Invoice.all_objects
        candidates = manager.filter(deleted_at__isnull=True)
    invoice = candidates.filter(stripe_payment_intent_id=intent_id).first()
    if invoice is None:
        raise Outcome(StripeEventStatus.IGNORED, f"No invoice was paid by {intent_id}.")
    amount, refunded = _int(obj.get("amount")), _int(obj.get("amount_refunded"))
    full = obj.get("refunded") is True or (amount is not None and refunded is not None and refunded >= amount)
    if not full:
        raise Outcome(StripeEventStatus.IGNORED, "Partial refund: the invoice is left as it is.", invoice)
    with transaction.atomic():
        invoice = services.lock(Invoice, invoice)
        if invoice.status == InvoiceStatus.REFUNDED:
            return invoice, "Already refunded."
        if invoice.status != InvoiceStatus.PAID:
            raise Outcome(StripeEventStatus.IGNORED, f"The invoice is {invoice.status_label}, not Paid.", invoice)
        services.invoice_refunded(invoice=invoice)
    return invoice, "Invoice refunded."


def payment_intent_payment_failed(obj: dict):
    invoice = _metadata_invoice(obj)
    error = obj.get("last_payment_error") if isinstance(obj.get("last_payment_error"), dict) else {}
    services.invoice_payment_failed(invoice=invoice, message=str(error.get("message") or ""),
                                    payment_intent_id=obj.get("id") if isinstance(obj.get("id"), str) else None)
    return invoice, "Payment failure recorded."


HANDLERS = {
    "checkout.session.completed": checkout_session_completed,
    "payment_intent.succeeded": payment_intent_succeeded,
    "charge.refunded": charge_refunded,
    "payment_intent.payment_failed": payment_intent_payment_failed,
}


