"""Billing workflows (contract proposals.md, invoices.md): create, send and sign proposals; create, update, delete,
charge and mark invoices paid. Signing a proposal and paying an invoice open orders through
`orders.services.order_create` (billing depends on orders, never the reverse).

Every function is keyword-only, raises `DomainError`, and locks the row it changes (`select_for_update`) so that
concurrent requests sign a proposal once and pay an invoice once (contract §11).
"""
import ipaddress
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Lower
from django.utils import timezone

from catalog.models import Service
from clients.services import client_create, user_by_email
from engagements.services import engagement_open_from_proposal
from events.services import events_assign_client, record_event, snapshot
from orders.models import Order, OrderStatus, status_label
from orders.services import order_create
from serviceengine.core.money import MONEY_COLUMN_MAX, format_money
from serviceengine.core.errors import DomainError
from portal import notify
from serviceengine.core.services import dedupe, parse_uuid, resolve_ref
from serviceengine.models import User

from . import documents, stripe_gateway
from .models import (
    Coupon, CouponDuration, CouponType, Invoice, InvoiceItem, InvoiceStatus, Payment, Proposal, ProposalItem,
    ProposalSignature, ProposalStatus, Subscription,
)

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
INVOICE_DUE_AFTER = timedelta(days=14)
INVOICE_NUMBER_ATTEMPTS = 20
VALID_INVOICE_STATUSES = frozenset(InvoiceStatus.values)
# PUT /api/invoices/{id} (README §10.12); keeping the same status is always allowed.
INVOICE_TRANSITIONS = {
    InvoiceStatus.DRAFT: {InvoiceStatus.UNPAID, InvoiceStatus.CANCELLED},
    InvoiceStatus.UNPAID: {InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED},
    InvoiceStatus.PAID: {InvoiceStatus.REFUNDED},
    InvoiceStatus.REFUNDED: set(),
    InvoiceStatus.CANCELLED: {InvoiceStatus.DRAFT, InvoiceStatus.UNPAID},
    InvoiceStatus.PARTIALLY_PAID: {InvoiceStatus.PAID, InvoiceStatus.REFUNDED, InvoiceStatus.CANCELLED},
}
UNPAYABLE_STATUSES = (InvoiceStatus.REFUNDED, InvoiceStatus.CANCELLED)
# The only user_data keys copied onto a client created by invoice-by-email (contract defect 27).
USER_DATA_KEYS = ("company", "phone", "tax_id", "note", "optin", "stripe_id", "custom_fields")

CLIENT_NOT_FOUND = "The specified client does not exist."
COUPON_NOT_FOUND = "The specified coupon does not exist."
SERVICE_NOT_FOUND = "The specified service does not exist."
STATUS_INVALID = "The selected status is invalid."


class ChargeDeclined(DomainError):
    """The processor declined the charge (400 on `payment_method_id`). Raised after the spent attempt (so that the
    next charge uses a new idempotency key) was committed by `invoice_charge` itself."""

    def __init__(self, message: str):
        super().__init__(400, field="payment_method_id", message=message)


# --- shared helpers -----------------------------------------------------------------------------------------


def ordered_ids(count: int) -> list[uuid.UUID]:
    """Fresh ids in ascending order. Children created in one statement share `created_at`, and lists order them by
    `(created_at, id)`: ascending ids keep them in the order they were sent."""
    return sorted(uuid.uuid4() for _ in range(count))


def check_money_bound(value: Decimal, *, field: str, message: str) -> Decimal:
    """Decision: money columns are DECIMAL(18, 2). Inputs are bounded (±999,999,999.99, quantities 32-bit) but their
    products and sums are not, so every computed amount (item total, subtotal, total) is checked before it is
    written, and one that does not fit answers a 400 envelope on the field that produced it — never a database
    error. Checked after the contract's own rules, just before the write."""
    if abs(value) > MONEY_COLUMN_MAX:
        raise DomainError(400, field=field, message=message)
    return value


def lock(model, obj, *, related=()):
    """Re-read `obj` with its row locked (live rows only), joining `related` without locking them."""
    qs = model.objects.select_for_update(of=("self",)).filter(pk=obj.pk, organization_id=obj.organization_id)
    if related:
        qs = qs.select_related(*related)
    row = qs.first()
    if row is None:  # deleted by a concurrent request since the caller loaded it
        raise DomainError(404, detail="Not Found")
    return row


def client_find_or_create(*, organization, email: str, name_f: str = "", name_l: str = "", **fields) -> User:
    """The organization's user with this email (any role, lower-cased), or a new client (contract §10.10).

    Safe under concurrency: when another request creates the same email first, our insert is refused (inside a
    savepoint) and its row is used. Raises DomainError(500) when no client role exists."""
    user = user_by_email(organization=organization, email=email)
    if user is not None:
        return user
    try:
        with transaction.atomic():
            return client_create(organization=organization, email=email, name_f=name_f, name_l=name_l, **fields)
    except (IntegrityError, DomainError) as exc:
        # client_create reports a taken email (its own check, or the constraint under a race) as a 400 on `email`.
        if isinstance(exc, DomainError) and exc.field != "email":
            raise
        user = user_by_email(organization=organization, email=email)
        if user is None:
            raise
        return user


# --- proposals ----------------------------------------------------------------------------------------------


@transaction.atomic
def proposal_create(
    *,
    organization,
    client_email: str,
    client_name_f: str,
    client_name_l: str,
    items: list[dict],
    client_company: str | None = None,
    notes: str | None = None,
) -> Proposal:
    """Create a Draft proposal with its items; `total` = Σ quantity × price in Decimal.

    Raises DomainError(422, `items`) naming the first item (in order) whose `service_id` is not a live service of
    the organization (a malformed id included), and DomainError(400) when the total does not fit its column."""
    raw_ids = [item["service_id"] for item in items]
    parsed = {raw: parse_uuid(raw) for raw in dedupe(raw_ids)}
    found = Service.objects.for_org(organization).in_bulk([pk for pk in parsed.values() if pk is not None])
    for raw in raw_ids:
        if parsed[raw] not in found:
            raise DomainError(422, field="items", message=f"Service with ID {raw} does not exist.")
    total = sum((item["quantity"] * item["price"] for item in items), ZERO)
    check_money_bound(total, field="items", message="The proposal total is too large.")
    now = timezone.now()
    proposal = Proposal.all_objects.create(
        organization=organization,
        client_email=client_email.strip().lower(),
        client_name_f=client_name_f,
        client_name_l=client_name_l,
        client_company=client_company,
        status=ProposalStatus.DRAFT,
        total=total,
        notes=notes,
        created_at=now,
    )
    ProposalItem.all_objects.bulk_create(
        ProposalItem(
            id=pk,
            organization=organization,
            proposal=proposal,
            service=found[parsed[item["service_id"]]],
            quantity=item["quantity"],
            price=item["price"],
            created_at=now,
        )
        for pk, item in zip(ordered_ids(len(items)), items, strict=True)
    )
    record_event("proposal.created", proposal)
    return proposal


@transaction.atomic
def proposal_send(*, proposal: Proposal, base_url: str | None = None) -> Proposal:
    """Draft → Sent, stamping `sent_at` and `updated_at` with one instant, and e-mailing the client a link to read
    and sign it (issue 15; `base_url` is the links' origin when PUBLIC_BASE_URL is not set), from a job after the
    commit. Raises DomainError(400, "Cannot send proposal with status {label}") from any other status."""
    proposal = lock(Proposal, proposal, related=("organization",))
    if proposal.status != ProposalStatus.DRAFT:
        raise DomainError(400, detail=f"Cannot send proposal with status {proposal.status_label}")
    before = snapshot(proposal)
    now = timezone.now()
    Proposal.all_objects.for_org(proposal.organization_id).filter(pk=proposal.pk).update(status=ProposalStatus.SENT, sent_at=now, updated_at=now)
    proposal.status, proposal.sent_at, proposal.updated_at = ProposalStatus.SENT, now, now
    record_event("proposal.sent", proposal, previous=before)
    notify.proposal_sent(proposal=proposal, organization=proposal.organization, base=base_url)
    return proposal


@dataclass(frozen=True)
class Signer:
    """Who signs and from where: the evidence stored with the signature. `name`/`email` default to the proposal's
    client; `method` is "client_page" (the client signed on their page), "api" (the agency recorded it through the
    API) or "admin" (a staff account recorded it in the admin; the event's actor names the account)."""

    name: str | None = None
    email: str | None = None
    ip_address: str | None = None
    user_agent: str = ""
    method: str = "api"


class DocumentChanged(DomainError):
    """The document the signer saw is not the one that would be signed (409)."""

    def __init__(self):
        super().__init__(409, detail="The proposal has changed since it was displayed; please review it again.")


@transaction.atomic
def proposal_sign(
    *, proposal: Proposal, signer: Signer | None = None, document_sha256: str | None = None
) -> tuple[Proposal, Order]:
    """Sent → Signed, all or nothing: find or create the client by email, open the order described in
    proposals.md, link it as `converted_order`, open the engagement and its projects (engagements.md Decision 1, linked
    as `converted_engagement` and the order's `engagement_id`), stamp the proposal, and store the signature evidence
    (issue 15): signer name and e-mail, IP address, user agent, server time, and the HTML snapshot of the document
    with its SHA-256. `document_sha256`, when given, is the hash of the document the signer was shown: a different
    document raises DocumentChanged (409) and nothing is signed.

    The proposal row is locked and its status re-checked after the lock, so concurrent signs produce one order:
    the second one waits, then sees Signed. Raises DomainError(400, "Cannot sign proposal with status {label}"),
    and DomainError(500, "Client role not configured") when a client must be created but no client role exists."""
    proposal = lock(Proposal, proposal, related=("organization",))
    if proposal.status != ProposalStatus.SENT:
        raise DomainError(400, detail=f"Cannot sign proposal with status {proposal.status_label}")
    before = snapshot(proposal)
    organization = proposal.organization
    # all_objects: a service soft-deleted since the proposal was made still names the order.
    items = list(
        ProposalItem.all_objects.for_org(proposal.organization_id).filter(proposal=proposal).select_related("service").order_by("created_at", "id")
    )
    proposal.item_list = items
    document = documents.proposal_document(proposal, organization)
    digest = documents.sha256_hex(document)
    if document_sha256 is not None and document_sha256 != digest:
        raise DocumentChanged()
    user = client_find_or_create(
        organization=organization,
        email=proposal.client_email,
        name_f=proposal.client_name_f,
        name_l=proposal.client_name_l,
        company=proposal.client_company,
    )
    # engagements.md Decision 1: the engagement and one project per item, in this same transaction and lock.
    engagement, _projects = engagement_open_from_proposal(proposal=proposal, client=user, items=items)
    first_service = items[0].service if items else None
    now = timezone.now()
    order = order_create(
        organization=organization,
        user=user,
        service=first_service,
        service_name=first_service.name if first_service else "Proposal",
        price=proposal.total,
        currency=(first_service.currency if first_service else "") or "USD",
        quantity=1,
        status=OrderStatus.UNPAID,
        note=f"Created from proposal. {proposal.notes or ''}".strip(),
        metadata={
            "proposal_id": str(proposal.pk),
            "proposal_items": [
                {
                    "service_id": str(item.service_id),
                    "service_name": item.service.name,
                    "quantity": item.quantity,
                    "price": format_money(item.price),
                }
                for item in items
            ],
        },
        engagement_id=engagement.pk,
        created_at=now,
    )
    Proposal.all_objects.for_org(proposal.organization_id).filter(pk=proposal.pk).update(
        status=ProposalStatus.SIGNED, signed_at=now, updated_at=now, converted_order=order,
        converted_engagement=engagement,
    )
    proposal.status, proposal.signed_at, proposal.updated_at = ProposalStatus.SIGNED, now, now
    proposal.converted_order = order
    proposal.converted_engagement = engagement
    signer = signer or Signer()
    signature = ProposalSignature.objects.for_org(proposal.organization_id).create(
        organization_id=proposal.organization_id,
        proposal=proposal,
        name=(signer.name or documents.client_name(proposal))[:255],
        email=(signer.email or proposal.client_email)[:255],
        ip_address=peer_ip(signer.ip_address),
        user_agent=(signer.user_agent or "")[:1000],
        signed_at=now,
        method=signer.method,
        document_html=document,
        document_sha256=digest,
        created_at=now,
    )
    record_event("proposal.signed", proposal, previous=before)
    # The proposal's earlier events (made out to an e-mail before its client existed) join that client's activity.
    events_assign_client(
        organization_id=proposal.organization_id, object_type="proposal", object_id=proposal.pk, client_id=user.pk
    )
    notify.proposal_signed(proposal=proposal, signature=signature, order=order, organization=organization)
    return proposal, order


# --- coupons ------------------------------------------------------------------------------------------------
#
# `/api/coupons` (issue 16) and the discount an invoice gets from one. A coupon is redeemed when its discount is
# applied to an invoice (clarifications "Parity"): `coupon_apply` checks it and counts the redemption with a
# conditional UPDATE, so two concurrent last redemptions cannot both succeed.

CODE_TAKEN = "The code has already been taken."
COUPON_SERVICE_NOT_FOUND = "Service with ID {id} does not exist."
COUPON_TERMS = ("type", "amount", "currency", "duration", "duration_in_periods", "service_ids")
COUPON_FIELDS = ("code", *COUPON_TERMS, "max_redemptions", "expires_at")
TERMS_FROZEN = "Cannot be changed once the coupon has been redeemed."
PERCENT_MIN, PERCENT_MAX = Decimal("0.01"), Decimal("100.00")
CENT = Decimal("0.01")

COUPON_CODE_UNKNOWN = "The coupon code does not exist."
COUPON_EXPIRED = "The coupon has expired."
COUPON_EXHAUSTED = "The coupon has reached its maximum number of redemptions."
COUPON_NOT_APPLICABLE = "The coupon does not apply to any of the items."
COUPON_CURRENCY = "The coupon is for amounts in {coupon}; this invoice is in {invoice}."


def coupon_find(*, organization, code: str) -> Coupon | None:
    """The organization's live coupon with this code, ignoring case (served by the unique index on lower(code))."""
    return (
        Coupon.objects.for_org(organization).annotate(lower_code=Lower("code")).filter(lower_code=code.lower()).first()
    )


def _code_taken(organization, code: str, *, exclude: Coupon | None = None) -> bool:
    rows = Coupon.objects.for_org(organization).annotate(lower_code=Lower("code")).filter(lower_code=code.lower())
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return rows.exists()


def _canonical_service_ids(raw_ids) -> list:
    """Ids as canonical strings (what `service_ids` stores); a malformed one stays as sent (never equal to a
    stored id)."""
    return [str(pk) if (pk := parse_uuid(raw)) is not None else raw for raw in raw_ids]


def _resolve_coupon_services(organization, raw_ids: list) -> list[str]:
    """The ids of live services of the organization, duplicates collapsed, in one query; DomainError(422) on
    `service_ids` naming the first id (in the order sent) that is malformed, unknown or another organization's."""
    parsed = [(raw, parse_uuid(raw)) for raw in raw_ids]
    found = set(
        Service.objects.for_org(organization).filter(pk__in=[pk for _raw, pk in parsed if pk is not None])
        .values_list("pk", flat=True)
    )
    for raw, pk in parsed:
        if pk not in found:
            raise DomainError(422, field="service_ids", message=COUPON_SERVICE_NOT_FOUND.format(id=raw))
    return dedupe(str(pk) for _raw, pk in parsed)


def coupon_check(*, organization, data: dict, coupon: Coupon | None = None) -> dict:
    """The coupon's fields after applying `data` (a create body, or the fields a PUT sent) to `coupon` (None on
    create), checked as a whole; raises DomainError on the first rule broken, in this order: `code` taken
    (ignoring case, live coupons) 400; `amount`/`currency` for the type 400; `duration_in_periods` for the
    duration 400; `max_redemptions` below `times_redeemed` 400; a term (type, amount, currency, duration,
    duration_in_periods, service_ids) changed after a redemption 400; `service_ids` not services of the
    organization 422. Switching to `percent` clears the currency, and away from `repeating` the period count,
    unless the body sends them. Shared by the API and the admin form."""
    state = {name: getattr(coupon, name) for name in COUPON_FIELDS} if coupon else {
        "currency": None, "duration": CouponDuration.ONCE, "duration_in_periods": None, "max_redemptions": None,
        "expires_at": None, "service_ids": [],
    }
    state.update(data)
    if state.get("currency"):
        state["currency"] = state["currency"].upper()
    if coupon is not None:
        if state["type"] == CouponType.PERCENT and "currency" not in data:
            state["currency"] = None
        if state["duration"] != CouponDuration.REPEATING and "duration_in_periods" not in data:
            state["duration_in_periods"] = None
    if "code" in data and _code_taken(organization, state["code"], exclude=coupon):
        raise DomainError(400, field="code", message=CODE_TAKEN)
    amount = state["amount"]
    if state["type"] == CouponType.PERCENT:
        if not PERCENT_MIN <= amount <= PERCENT_MAX:
            raise DomainError(400, field="amount", message="A percent coupon's amount is between 0.01 and 100.")
        if state["currency"] is not None:
            raise DomainError(400, field="currency", message="A percent coupon has no currency.")
    else:
        if amount < CENT:
            raise DomainError(400, field="amount", message="A fixed coupon's amount is at least 0.01.")
        if state["currency"] is None:
            raise DomainError(400, field="currency", message="A fixed coupon needs a currency.")
    if state["duration"] == CouponDuration.REPEATING:
        if state["duration_in_periods"] is None:
            raise DomainError(400, field="duration_in_periods", message="A repeating coupon needs duration_in_periods.")
    elif state["duration_in_periods"] is not None:
        raise DomainError(400, field="duration_in_periods", message="Only repeating coupons have duration_in_periods.")
    redeemed = coupon.times_redeemed if coupon is not None else 0
    if state["max_redemptions"] is not None and state["max_redemptions"] < redeemed:
        raise DomainError(
            400, field="max_redemptions", message=f"Cannot be lower than the redemptions already made ({redeemed})."
        )
    if redeemed:
        for name in COUPON_TERMS:
            new, old = state[name], getattr(coupon, name)
            if name == "service_ids":
                new, old = sorted(set(_canonical_service_ids(new))), sorted(set(old))
            if new != old:
                raise DomainError(400, field=name, message=TERMS_FROZEN)
    if "service_ids" in data:
        state["service_ids"] = _resolve_coupon_services(organization, data["service_ids"])
    return state


def _save_coupon(coupon: Coupon, **save_kwargs) -> Coupon:
    """Save inside a savepoint: a concurrent request that took the code first makes this one a 400, not a 500."""
    try:
        with transaction.atomic():
            coupon.save(**save_kwargs)
    except IntegrityError:
        if _code_taken(coupon.organization_id, coupon.code, exclude=coupon):
            raise DomainError(400, field="code", message=CODE_TAKEN) from None
        raise
    return coupon


@transaction.atomic
def coupon_create(*, organization, data: dict) -> Coupon:
    """Create a coupon from a validated body (rules: `coupon_check`); `times_redeemed` starts at 0."""
    state = coupon_check(organization=organization, data=data)
    coupon = Coupon(organization=organization, times_redeemed=0, **state)
    _save_coupon(coupon, force_insert=True)
    record_event("coupon.created", coupon)
    return coupon


@transaction.atomic
def coupon_update(*, coupon: Coupon, changes: dict) -> Coupon:
    """Partial update (rules: `coupon_check`), with the row locked so a redemption cannot slip between the check
    of `max_redemptions`/the frozen terms and the write."""
    coupon = lock(Coupon, coupon)
    before = snapshot(coupon)
    state = coupon_check(organization=coupon.organization_id, data=changes, coupon=coupon)
    for name, value in state.items():
        setattr(coupon, name, value)
    _save_coupon(coupon)
    record_event("coupon.updated", coupon, previous=before)
    return coupon


@transaction.atomic
def coupon_delete(*, coupon: Coupon) -> None:
    """Soft delete: the coupon can no longer be applied (its code is free again); invoices keep their `coupon_id`
    and the discount computed when it was applied."""
    coupon = lock(Coupon, coupon)
    record_event("coupon.deleted", coupon)  # before the delete: the coupon as it was
    coupon.soft_delete()


@transaction.atomic
def coupon_restore(*, coupon: Coupon) -> Coupon:
    """Undo a soft delete (admin); 400 on `code` when a live coupon took the code meanwhile."""
    coupon = Coupon.with_deleted.for_org(coupon.organization_id).select_for_update().get(pk=coupon.pk)
    if coupon.deleted_at is None:
        return coupon
    if _code_taken(coupon.organization_id, coupon.code):
        raise DomainError(400, field="code", message=CODE_TAKEN)
    before = snapshot(coupon)
    coupon.deleted_at = None
    _save_coupon(coupon)
    record_event("coupon.updated", coupon, previous=before)
    return coupon


def _line_service_id(line) -> str | None:
    pk = parse_uuid(line.get("service_id")) if line.get("service_id") is not None else None
    return str(pk) if pk is not None else None


def _eligible_lines(coupon: Coupon, lines) -> list:
    if not coupon.service_ids:
        return list(lines)
    allowed = set(coupon.service_ids)
    return [line for line in lines if _line_service_id(line) in allowed]


def coupon_discount(*, coupon: Coupon, lines) -> Decimal:
    """The discount `coupon` gives on `lines` (`{"service_id", "total"}` dicts), without checks or redemption:
    percent of the matching lines' total (rounded half up to the cent), or the fixed amount capped at that total;
    never negative."""
    eligible = max(sum((line["total"] for line in _eligible_lines(coupon, lines)), ZERO), ZERO)
    if coupon.type == CouponType.PERCENT:
        discount = (eligible * coupon.amount / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        discount = coupon.amount
    return min(discount, eligible)


def coupon_covers_period(coupon: Coupon, period_index: int) -> bool:
    """Whether the coupon discounts a subscription's period `period_index` (0 = the first): `once` the first only,
    `forever` every one, `repeating` the first `duration_in_periods`."""
    if coupon.duration == CouponDuration.FOREVER:
        return True
    if coupon.duration == CouponDuration.REPEATING:
        return period_index < (coupon.duration_in_periods or 0)
    return period_index == 0


@transaction.atomic
def coupon_apply(
    *, organization, lines, currency: str, code: str | None = None, coupon_id=None, coupon: Coupon | None = None,
    field: str | None = None, now=None,
) -> tuple[Coupon, Decimal]:
    """Check a coupon named by `code` (ignoring case), `coupon_id`, or already resolved (`coupon`) against an
    invoice's `lines` and `currency`, redeem it, and return it with its discount (`coupon_discount`). Runs in the
    caller's transaction: the redemption commits or rolls back with the invoice.

    Errors (on `field`, default `coupon_code` for a code and `coupon_id` otherwise): unknown code 400, unknown id
    422 (contract invoices.md); expired, another currency (fixed coupons), no line among `service_ids`, or no
    redemption left 400 with the reason. Race-safe: the redemption is a conditional UPDATE (`times_redeemed <
    max_redemptions`), so of two concurrent last redemptions one succeeds and the other is refused."""
    if sum(ref is not None for ref in (code, coupon_id, coupon)) != 1:
        raise ValueError("coupon_apply takes one of code, coupon_id or coupon")
    field = field or ("coupon_code" if code is not None else "coupon_id")
    if code is not None:
        coupon = coupon_find(organization=organization, code=code)
        if coupon is None:
            raise DomainError(400, field=field, message=COUPON_CODE_UNKNOWN)
    elif coupon_id is not None:
        coupon = _find_coupon(organization, coupon_id)
    now = now or timezone.now()
    if coupon.expires_at is not None and coupon.expires_at <= now:
        raise DomainError(400, field=field, message=COUPON_EXPIRED)
    if coupon.type == CouponType.FIXED and (coupon.currency or "").upper() != (currency or "").upper():
        raise DomainError(400, field=field, message=COUPON_CURRENCY.format(coupon=coupon.currency, invoice=currency))
    lines = list(lines)
    if not _eligible_lines(coupon, lines):
        raise DomainError(400, field=field, message=COUPON_NOT_APPLICABLE)
    redeemed = (
        Coupon.objects.for_org(coupon.organization_id)
        .filter(pk=coupon.pk)
        .filter(Q(max_redemptions__isnull=True) | Q(times_redeemed__lt=F("max_redemptions")))
        .update(times_redeemed=F("times_redeemed") + 1, updated_at=now)
    )
    if not redeemed:  # no redemption left (a concurrent one took the last), or deleted meanwhile
        raise DomainError(400, field=field, message=COUPON_EXHAUSTED)
    coupon.times_redeemed += 1
    coupon.updated_at = now
    return coupon, coupon_discount(coupon=coupon, lines=lines)


def coupon_release(*, coupon: Coupon) -> None:
    """Give one redemption back (an invoice's coupon replaced or removed); never below zero."""
    Coupon.with_deleted.for_org(coupon.organization_id).filter(pk=coupon.pk, times_redeemed__gt=0).update(
        times_redeemed=F("times_redeemed") - 1, updated_at=timezone.now()
    )


# --- invoices: create and update ----------------------------------------------------------------------------


def billing_snapshot(user: User | None) -> dict | None:
    """The 11-key billing address taken at creation (invoices.md): address lines from the client's address, names
    and company from the client row; None when the client has no address."""
    if user is None or user.address_id is None:
        return None
    address = user.address
    return {
        "line_1": address.line_1,
        "line_2": address.line_2,
        "city": address.city,
        "state": address.state,
        "postcode": address.postcode,
        "country": address.country,
        "name_f": user.name_f,
        "name_l": user.name_l,
        "company_name": user.company,
        "company_vat": None,
        "tax_id": None,
    }


def _find_user(organization, raw_id) -> User:
    return resolve_ref(
        User.objects.for_org(organization).select_related("address"), raw_id, field="user_id", message=CLIENT_NOT_FOUND
    )


def _find_coupon(organization, raw_id) -> Coupon:
    return resolve_ref(Coupon.objects.for_org(organization), raw_id, field="coupon_id", message=COUPON_NOT_FOUND)


COUPON_CONFLICT = "coupon_code and coupon_id name different coupons."


def _coupon_lines(items: list[dict], totals: list[Decimal]) -> list[dict]:
    """The invoice's lines as `coupon_apply` reads them: each item's service and total."""
    return [{"service_id": item.get("service_id"), "total": total} for item, total in zip(items, totals, strict=True)]


def _invoice_total(subtotal: Decimal, discount: Decimal, tax: Decimal) -> Decimal:
    """`subtotal − discount + tax`, never below zero (issue 16), bounded to its column."""
    total = max(subtotal - discount + tax, ZERO)
    return check_money_bound(total, field="tax", message="The invoice total is too large.")


def _item_services(organization, items: list[dict]) -> dict:
    """{raw service_id: Service} for the items that name one, in one query. Raises DomainError(422) on
    `items.N.service_id` for the first item whose service is not a live service of the organization."""
    parsed = {item["service_id"]: parse_uuid(item["service_id"]) for item in items if item.get("service_id") is not None}
    found = Service.objects.for_org(organization).in_bulk([pk for pk in parsed.values() if pk is not None])
    for index, item in enumerate(items):
        raw = item.get("service_id")
        if raw is not None and parsed[raw] not in found:
            raise DomainError(422, field=f"items.{index}.service_id", message=SERVICE_NOT_FOUND)
    return {raw: found[pk] for raw, pk in parsed.items()}


def _price_items(items: list[dict]) -> tuple[list[Decimal], Decimal]:
    """Item totals (`quantity × amount − discount`) and their sum, in Decimal, each bounded to its column."""
    totals = []
    for index, item in enumerate(items):
        line = item["quantity"] * item["amount"] - item.get("discount", ZERO)
        totals.append(check_money_bound(line, field=f"items.{index}", message="The item total is too large."))
    subtotal = sum(totals, ZERO)
    check_money_bound(subtotal, field="items", message="The invoice total is too large.")
    return totals, subtotal


def _create_items(invoice: Invoice, items: list[dict], totals: list[Decimal], services: dict, now) -> None:
    InvoiceItem.all_objects.bulk_create(
        InvoiceItem(
            id=pk,
            organization_id=invoice.organization_id,
            invoice=invoice,
            name=item["name"],
            description=item.get("description"),
            quantity=item["quantity"],
            amount=item["amount"],
            discount=item.get("discount", ZERO),
            discount2=ZERO,
            total=total,
            service=services.get(item.get("service_id")) if item.get("service_id") is not None else None,
            options=item.get("options") if item.get("options") is not None else {},
            created_at=now,
        )
        for pk, item, total in zip(ordered_ids(len(items)), items, totals, strict=True)
    )


def tax_labels(tax_type: int | None, tax: Decimal) -> tuple[str | None, Decimal]:
    """`(tax_name, tax_percent)` for a tax type: "Tax" when given and non-zero; the tax amount as the percent only
    for type 2 (percentage), else 0 (invoices.md)."""
    name = "Tax" if tax_type else None
    percent = tax if tax_type == 2 else ZERO
    return name, percent


def _insert_numbered(invoice: Invoice) -> Invoice:
    """Insert with the organization's next number (README §10.9): one more than the highest sequence used,
    soft-deleted invoices included. A concurrent insert of the same number fails on the unique constraint inside
    a savepoint, and the number is recomputed (it then sees the committed competitor)."""
    for _ in range(INVOICE_NUMBER_ATTEMPTS):
        highest = Invoice.all_objects.filter(organization_id=invoice.organization_id).aggregate(m=Max("number_seq"))["m"]
        invoice.number_seq = (highest or 0) + 1
        invoice.number = f"{Invoice.NUMBER_PREFIX}{invoice.number_seq:05d}"
        try:
            with transaction.atomic():
                invoice.save(force_insert=True)
            return invoice
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate an invoice number")


@transaction.atomic
def invoice_create(
    *,
    organization,
    items: list[dict],
    user_id: str | None = None,
    email: str | None = None,
    status: int | None = InvoiceStatus.UNPAID,
    tax: Decimal = ZERO,
    tax_type: int | None = None,
    recurring: dict | None = None,
    coupon_id: str | None = None,
    coupon_code: str | None = None,
    coupon: Coupon | None = None,
    note: str | None = None,
    user_data: dict | None = None,
    currency: str = "USD",
    subscription=None,
    subscription_period_start=None,
) -> Invoice:
    """Create an invoice and its items, with checks in the contract's order (invoices.md): user_id/email present
    (400), status valid (400), client resolved (422; by email a client is found or created — rolled back with the
    rest when a later check fails), coupon (422), item services (422), then the coupon's own checks and redemption
    (400 on `coupon_code`, or `coupon_id` when only that was sent: `coupon_apply`), then the money bounds (400).
    `currency`, `subscription` and `subscription_period_start` are set by a subscription's period invoice
    (issue 16); the API's own invoices are always USD (invoices.md).

    `coupon_code`/`coupon_id` (issue 16) apply a coupon and redeem it; both may be sent only when they name the
    same coupon. `coupon` (not an API input) is a coupon the caller already applied and redeemed (a subscription's
    later period): its discount is computed, nothing is checked or redeemed. The discount is stored on the
    invoice and `total = max(0, subtotal − discount + tax)`."""
    if user_id is None and email is None:
        raise DomainError(400, field="user_id", message="Either user_id or email is required.")
    status = InvoiceStatus.UNPAID if status is None else status
    if status not in VALID_INVOICE_STATUSES:
        raise DomainError(400, field="status", message=STATUS_INVALID)
    if user_id is not None:
        user = _find_user(organization, user_id)
    else:
        data = user_data or {}
        user = client_find_or_create(
            organization=organization,
            email=email,
            name_f=data.get("name_f") or "",
            name_l=data.get("name_l") or "",
            **{key: data[key] for key in USER_DATA_KEYS if data.get(key) is not None},
        )
    named = _find_coupon(organization, coupon_id) if coupon_id is not None else None
    if named is not None and coupon_code is not None and named.code.lower() != coupon_code.lower():
        raise DomainError(400, field="coupon_code", message=COUPON_CONFLICT)
    services = _item_services(organization, items)
    totals, subtotal = _price_items(items)
    lines = _coupon_lines(items, totals)
    discount = ZERO
    if coupon is not None:
        discount = coupon_discount(coupon=coupon, lines=lines)
    elif named is not None or coupon_code is not None:
        field = "coupon_code" if coupon_code is not None else "coupon_id"
        coupon, discount = coupon_apply(organization=organization, coupon=named, code=None if named else coupon_code,
                                        lines=lines, currency=currency, field=field)
    total = _invoice_total(subtotal, discount, tax)
    tax_name, tax_percent = tax_labels(tax_type, tax)
    now = timezone.now()
    invoice = _insert_numbered(
        Invoice(
            organization=organization,
            number_prefix=Invoice.NUMBER_PREFIX,
            user=user,
            billing_address=billing_snapshot(user),
            status=status,
            created_at=now,
            date_due=now + INVOICE_DUE_AFTER,
            credit=ZERO,
            tax=tax,
            tax_name=tax_name,
            tax_percent=tax_percent,
            currency=currency,
            note=note,
            loc_confirm=False,
            recurring=recurring,
            subscription=subscription,
            subscription_period_start=subscription_period_start,
            coupon=coupon,
            subtotal=subtotal,
            discount=discount,
            total=total,
        )
    )
    _create_items(invoice, items, totals, services, now)
    record_event("invoice.created", invoice)
    return invoice


@transaction.atomic
def invoice_update(*, invoice: Invoice, items: list[dict], **changes) -> Invoice:
    """Apply a PUT (invoices.md): `items` replaces every item; `changes` holds only the optional fields that were
    sent (`user_id`, `status`, `tax`, `tax_type`, `recurring`, `coupon_id`, `coupon_code`, `note`; None means
    unchanged, except `recurring`, where None clears). Checks in the contract's order: status valid, transition
    allowed (400), user (422), coupon (422), item services (422), a newly named coupon's checks (400), then money
    bounds (400). The billing address is not re-snapshotted and `date_paid` is never touched.

    Coupons (issue 16): naming a coupon other than the invoice's applies and redeems it (`coupon_apply`) and gives
    the previous one its redemption back; `coupon_code: ""` removes the coupon (and gives its redemption back);
    otherwise the invoice's coupon stays, without new checks or redemption, and its discount is recomputed for
    the new items."""
    invoice = lock(Invoice, invoice)
    before = snapshot(invoice)
    status = changes.get("status")
    if status is not None:
        if status not in VALID_INVOICE_STATUSES:
            raise DomainError(400, field="status", message=STATUS_INVALID)
        if status != invoice.status and status not in INVOICE_TRANSITIONS.get(invoice.status, ()):
            raise DomainError(
                400,
                field="status",
                message=f"Cannot transition from {invoice.status_label} to {status_label(InvoiceStatus, status)}.",
            )
    user_id = changes.get("user_id")
    if user_id is not None and parse_uuid(user_id) != invoice.user_id:
        invoice.user = _find_user(invoice.organization_id, user_id)
    coupon_id, coupon_code = changes.get("coupon_id"), changes.get("coupon_code")
    named = _find_coupon(invoice.organization_id, coupon_id) if coupon_id is not None else None
    if named is not None and coupon_code is not None and named.code.lower() != coupon_code.lower():
        raise DomainError(400, field="coupon_code", message=COUPON_CONFLICT)
    services = _item_services(invoice.organization_id, items)
    totals, subtotal = _price_items(items)
    tax = changes["tax"] if changes.get("tax") is not None else (invoice.tax or ZERO)
    discount = _invoice_coupon_change(invoice, named, coupon_code, _coupon_lines(items, totals))
    total = _invoice_total(subtotal, discount, tax)

    if status is not None:
        invoice.status = status
    invoice.tax = tax
    if changes.get("tax_type") is not None:
        invoice.tax_name, invoice.tax_percent = tax_labels(changes["tax_type"], tax)
    if "recurring" in changes:
        invoice.recurring = changes["recurring"]
    if changes.get("note") is not None:
        invoice.note = changes["note"]
    invoice.subtotal, invoice.discount, invoice.total = subtotal, discount, total
    invoice.save()
    InvoiceItem.all_objects.for_org(invoice.organization_id).filter(invoice=invoice).delete()
    _create_items(invoice, items, totals, services, timezone.now())
    record_event("invoice.updated", invoice, previous=before)
    return invoice


def _invoice_coupon_change(invoice: Invoice, named: Coupon | None, code: str | None, lines: list[dict]) -> Decimal:
    """Set `invoice.coupon` for a PUT (see `invoice_update`) and return the discount on `lines`."""
    # all_objects: the invoice keeps a coupon that was deleted after it was applied.
    current = (
        Coupon.all_objects.for_org(invoice.organization_id).filter(pk=invoice.coupon_id).first()
        if invoice.coupon_id else None
    )
    if code == "" and named is None:
        if current is not None:
            coupon_release(coupon=current)
        invoice.coupon = None
        return ZERO
    if named is not None and current is not None and named.pk == current.pk:
        named = None
    if named is None and code and current is not None and code.lower() == current.code.lower():
        code = None
    if named is None and not code:
        return coupon_discount(coupon=current, lines=lines) if current is not None else ZERO
    field = "coupon_code" if code else "coupon_id"
    coupon, discount = coupon_apply(
        organization=invoice.organization_id, coupon=named, code=None if named else code, lines=lines,
        currency=invoice.currency, field=field,
    )
    if current is not None:
        coupon_release(coupon=current)
    invoice.coupon = coupon
    return discount


@transaction.atomic
def invoice_delete(*, invoice: Invoice) -> None:
    """Soft delete; orders created from the invoice are not touched."""
    invoice = lock(Invoice, invoice)
    record_event("invoice.deleted", invoice)  # before the delete: the invoice as it was
    invoice.soft_delete()


# --- invoices: payment --------------------------------------------------------------------------------------


def charge_idempotency_key(invoice: Invoice, attempt: int) -> str:
    """Stable for one attempt: a retry after an unknown outcome (network error, rolled-back write) replays the same
    PaymentIntent instead of charging twice; a new attempt after a decline gets a new key."""
    return f"sx-invoice-{invoice.pk}-charge-{attempt}"


def peer_ip(value: str | None) -> str | None:
    """The connection's peer address when it is an IP address (a unix-socket peer is not)."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def _open_orders(invoice: Invoice, now) -> None:
    """One Unpaid order per item with a service (invoices.md): quantity and unit amount of the item, the service's
    current name (the item name when the service row is gone), linked both ways (`invoice_id`, `item.order`)."""
    items = InvoiceItem.all_objects.for_org(invoice.organization_id).filter(invoice=invoice, service__isnull=False).select_related("service")
    for item in items.order_by("created_at", "id"):
        order = order_create(
            organization=invoice.organization,
            user=invoice.user,
            service=item.service,
            service_name=item.service.name if item.service else item.name,
            price=item.amount,
            currency=invoice.currency,
            quantity=item.quantity,
            status=OrderStatus.UNPAID,
            note=None,
            metadata={},
            invoice_id=invoice.pk,
            created_at=now,
        )
        InvoiceItem.all_objects.for_org(item.organization_id).filter(pk=item.pk).update(order=order, updated_at=now)


def _mark_paid(invoice: Invoice, now, **fields) -> None:
    Invoice.all_objects.for_org(invoice.organization_id).filter(pk=invoice.pk).update(status=InvoiceStatus.PAID, date_paid=now, updated_at=now, **fields)
    invoice.status, invoice.date_paid, invoice.updated_at = InvoiceStatus.PAID, now, now
    for name, value in fields.items():
        setattr(invoice, name, value)


def record_payment(
    invoice: Invoice,
    *,
    provider: str,
    transaction_id: str | None,
    payment_intent_id: str | None = None,
    idempotency_key: str | None = None,
    **fields,
) -> Invoice:
    """Apply a successful processor payment to an invoice whose row the caller holds locked: the Payment row,
    status Paid, `date_paid`, `transaction_id`, paysys "Stripe", the orders of the items with a service. Shared by
    `charge` and the Stripe events (checkout.session.completed, payment_intent.succeeded)."""
    before = snapshot(invoice)
    now = timezone.now()
    Payment.all_objects.create(
        organization_id=invoice.organization_id,
        invoice=invoice,
        provider=provider,
        transaction_id=transaction_id,
        amount=invoice.total,
        currency=invoice.currency,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    _mark_paid(
        invoice, now, transaction_id=transaction_id, stripe_payment_intent_id=payment_intent_id, paysys="Stripe",
        **fields,
    )
    _open_orders(invoice, now)
    record_event("invoice.paid", invoice, previous=before)
    notify.invoice_paid(invoice=invoice, organization=invoice.organization)
    return invoice


# A charge's claim outlives the longest provider call (every try at its connect + read timeouts) with a margin;
# only a request that died at the provider leaves one that old.
CHARGE_CLAIM_TTL = timedelta(
    seconds=(1 + stripe_gateway.MAX_NETWORK_RETRIES) * sum(stripe_gateway.TIMEOUT_SECONDS) + 30
)
CHARGE_WAIT_SECONDS = 0.05  # how often a concurrent charge looks again while another one is at the provider


def invoice_charge(*, invoice: Invoice, payment_method_id: str, ip_address: str | None = None) -> Invoice:
    """Charge the invoice through the configured gateway and record the payment (invoices.md, charge).

    No row lock is held across the network call. Three steps:

    1. The claim, in a short transaction with the invoice row locked: the refusals (400 on `payment_method_id`:
       already paid, no client, Refunded/Cancelled; 503 when payments are not configured), then
       `charge_claimed_at` = now, committed. A concurrent charge that finds a live claim waits for it to end
       (polling, holding nothing) and checks again: it then finds the invoice Paid. A claim older than
       `CHARGE_CLAIM_TTL` was left by a request that died at the provider: it is taken over with the same attempt
       number, so the same idempotency key, and the provider answers with the first call's outcome.
    2. The provider call, outside any transaction, with the attempt's idempotency key.
    3. The outcome, in a second short transaction with the row locked again. Paid: the Payment row, status Paid,
       `date_paid`, `transaction_id`, paysys "Stripe", the caller's IP, the orders of the items with a service.
       Declined: the attempt is spent (another card gets a new key), the claim released and
       `invoice.payment_failed` recorded, committed, then `ChargeDeclined` (400) is raised: nothing is left for a
       caller to roll back. Provider unavailable (503) or any other failure: the claim is released and the attempt
       is not spent, so a retry replays the same key.

    Callers must not wrap it in a transaction (the API runs `charge` outside the request transaction)."""
    invoice, gateway, attempt = _charge_claim(invoice)
    key = charge_idempotency_key(invoice, attempt)
    try:
        result = gateway.charge(
            amount=invoice.total,
            currency=invoice.currency,
            payment_method_id=payment_method_id,
            idempotency_key=key,
            description=f"Invoice {invoice.number}",
            metadata={
                "organization_id": str(invoice.organization_id),
                "invoice_id": str(invoice.pk),
                "invoice_number": invoice.number,
            },
            customer=invoice.user.stripe_id,
        )
    except stripe_gateway.PaymentDeclined as exc:
        _charge_declined(invoice, attempt)
        raise ChargeDeclined(exc.message) from None
    except stripe_gateway.PaymentUnavailable:
        _charge_release(invoice)
        raise DomainError(503, detail="Payment provider unavailable.") from None
    except BaseException:
        _charge_release(invoice)
        raise
    return _charge_paid(invoice, attempt, key, result, ip_address)


def _charge_claim(invoice: Invoice):
    """Step 1 of `invoice_charge`: `(invoice, gateway, attempt)` once this request holds the charge claim."""
    while True:
        with transaction.atomic():
            invoice = lock(Invoice, invoice, related=("organization", "user"))
            _charge_refusals(invoice)
            gateway = stripe_gateway.get_gateway()
            if gateway is None:
                raise DomainError(503, detail="Payments are not configured.")
            now = timezone.now()
            claimed = invoice.charge_claimed_at
            if claimed is None or now - claimed >= CHARGE_CLAIM_TTL:
                _invoice_rows(invoice).update(charge_claimed_at=now)
                invoice.charge_claimed_at = now
                return invoice, gateway, invoice.charge_attempts + 1
        time.sleep(CHARGE_WAIT_SECONDS)  # another request is at the provider: wait, holding no lock


def _charge_refusals(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.PAID:
        raise DomainError(400, field="payment_method_id", message="Invoice is already paid.")
    if invoice.user_id is None:
        raise DomainError(400, field="payment_method_id", message="Invoice has no client assigned.")
    if invoice.status in UNPAYABLE_STATUSES:
        raise DomainError(400, field="payment_method_id", message=f"Cannot charge {invoice.status_label} invoice.")
    if Payment.all_objects.for_org(invoice.organization_id).filter(invoice=invoice).exists():
        raise DomainError(400, field="payment_method_id", message="Invoice is already paid.")  # one per invoice


def _invoice_rows(invoice: Invoice):
    return Invoice.all_objects.for_org(invoice.organization_id).filter(pk=invoice.pk)


def _charge_release(invoice: Invoice) -> None:
    with transaction.atomic():
        _invoice_rows(invoice).update(charge_claimed_at=None)


def _charge_declined(invoice: Invoice, attempt: int) -> None:
    with transaction.atomic():
        _invoice_rows(invoice).update(charge_attempts=attempt, charge_claimed_at=None)
        invoice.charge_attempts, invoice.charge_claimed_at = attempt, None
        record_event("invoice.payment_failed", invoice)


@transaction.atomic
def _charge_paid(invoice: Invoice, attempt: int, key: str, result, ip_address) -> Invoice:
    """Step 3 of `invoice_charge` on success, under the row lock again."""
    invoice = lock(Invoice, invoice, related=("organization", "user"))
    if invoice.status == InvoiceStatus.PAID or Payment.all_objects.for_org(invoice.organization_id).filter(
        invoice=invoice
    ).exists():
        # Paid meanwhile by another path (a Stripe event of a checkout) while this claim was at the provider.
        logger.error("invoice %s was paid meanwhile; charge %s not recorded", invoice.pk, result.transaction_id)
        _invoice_rows(invoice).update(charge_claimed_at=None)
        raise DomainError(400, field="payment_method_id", message="Invoice is already paid.")
    return record_payment(
        invoice,
        provider=result.provider,
        transaction_id=result.transaction_id,
        payment_intent_id=result.payment_intent_id,
        idempotency_key=key if result.provider == "stripe" else None,
        ip_address=peer_ip(ip_address),
        charge_attempts=attempt,
        charge_claimed_at=None,
    )


@transaction.atomic
def invoice_mark_paid(*, invoice: Invoice) -> Invoice:
    """Record an offline payment (invoices.md, mark_paid). Already Paid → returned unchanged (nothing created
    again); no client → DomainError(400, "Invoice has no client assigned."); Refunded/Cancelled →
    DomainError(400, "Cannot mark {label} invoice as paid."). Otherwise, under the row lock: the Payment row,
    status Paid, `date_paid`, paysys "Manual", the orders of the items with a service, and a Subscription when
    the invoice is recurring."""
    invoice = lock(Invoice, invoice, related=("organization", "user"))
    if invoice.status == InvoiceStatus.PAID:
        return invoice
    if invoice.user_id is None:
        raise DomainError(400, detail="Invoice has no client assigned.")
    if invoice.status in UNPAYABLE_STATUSES:
        raise DomainError(400, detail=f"Cannot mark {invoice.status_label} invoice as paid.")
    before = snapshot(invoice)
    now = timezone.now()
    Payment.all_objects.create(
        organization_id=invoice.organization_id,
        invoice=invoice,
        provider="manual",
        amount=invoice.total,
        currency=invoice.currency,
        created_at=now,
    )
    _mark_paid(invoice, now, paysys="Manual")
    _open_orders(invoice, now)
    notify.invoice_paid(invoice=invoice, organization=invoice.organization)
    recurring = invoice.recurring if isinstance(invoice.recurring, dict) else None
    if recurring:
        Subscription.all_objects.create(
            organization_id=invoice.organization_id,
            user=invoice.user,
            invoice=invoice,
            status=1,
            r_period_l=recurring.get("r_period_l"),
            r_period_t=recurring.get("r_period_t"),
            created_at=now,
        )
    record_event("invoice.paid", invoice, previous=before)
    return invoice


# --- invoices: sending --------------------------------------------------------------------------------------

UNSENDABLE_STATUSES = (InvoiceStatus.PAID, InvoiceStatus.REFUNDED, InvoiceStatus.CANCELLED)


@transaction.atomic
def invoice_send(*, invoice: Invoice, base_url: str | None = None) -> Invoice:
    """E-mail the invoice's client a link to view and pay it (issue 15). Draft → Unpaid (the contract's status
    rules); Unpaid and Partially Paid stay as they are; Paid, Refunded and Cancelled →
    DomainError(400, "Cannot send invoice with status {label}"). No client or a client without an e-mail address
    → DomainError(400). The e-mail goes out from a background job after the transaction commits."""
    invoice = lock(Invoice, invoice, related=("organization", "user"))
    if invoice.status in UNSENDABLE_STATUSES:
        raise DomainError(400, detail=f"Cannot send invoice with status {invoice.status_label}")
    if invoice.user_id is None or not (invoice.user.email or "").strip():
        raise DomainError(400, detail="Invoice has no client e-mail address.")
    now = timezone.now()
    before = snapshot(invoice)
    if invoice.status == InvoiceStatus.DRAFT:
        Invoice.all_objects.filter(organization_id=invoice.organization_id, pk=invoice.pk).update(status=InvoiceStatus.UNPAID, updated_at=now)
        invoice.status, invoice.updated_at = InvoiceStatus.UNPAID, now
    record_event("invoice.sent", invoice, previous=before)
    notify.invoice_sent(invoice=invoice, organization=invoice.organization, base=base_url)
    return invoice


# --- invoices: processor events -----------------------------------------------------------------------------


def invoice_refunded(*, invoice: Invoice) -> Invoice:
    """Paid → Refunded after the processor refunded the whole payment (a Stripe `charge.refunded` event). The
    caller holds the row locked."""
    now = timezone.now()
    before = snapshot(invoice)
    Invoice.all_objects.filter(organization_id=invoice.organization_id, pk=invoice.pk).update(status=InvoiceStatus.REFUNDED, updated_at=now)
    invoice.status, invoice.updated_at = InvoiceStatus.REFUNDED, now
    record_event("invoice.updated", invoice, previous=before)
    return invoice


def invoice_payment_failed(*, invoice: Invoice, message: str = "", payment_intent_id: str | None = None) -> Invoice:
    """A payment attempt of the invoice failed at the processor: nothing changes on the invoice; the event
    `invoice.payment_failed` is recorded (its `data` is the invoice, as for every invoice event)."""
    record_event("invoice.payment_failed", invoice)
    return invoice
