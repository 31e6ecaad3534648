"""Subscription workflows (issue 16): create, update, pause, resume, cancel, and the issuing of period invoices.

Every function is keyword-only, runs in one transaction with the subscription row locked, records its event in
that transaction, and raises `DomainError`. Ids in bodies are resolved within the subscription's organization:
another organization's id is the same 422 as an unknown one (contract §4).

Transitions (clarifications "Parity"): pause active → paused, resume paused → active, cancel active or paused →
canceled; anything else, asking for the state it is already in included, is a 400 and changes nothing.
"""
import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from billing.services import (
    check_money_bound, coupon_apply, coupon_covers_period, coupon_find, invoice_create, invoice_send, ordered_ids,
)
from catalog.models import Service
from events.services import record_event, snapshot
from serviceengine.core.errors import DomainError
from serviceengine.core.services import dedupe, parse_uuid, resolve_ref
from serviceengine.models import User

from . import periods
from .models import Subscription, SubscriptionItem, SubscriptionStatus

logger = logging.getLogger(__name__)

CLIENT_NOT_FOUND = "The specified client does not exist."
SERVICE_NOT_FOUND = "The specified service does not exist."
START_TOO_EARLY = "The start date must not be before yesterday (UTC)."
SCHEDULE_LOCKED = "Cannot be changed once the subscription has issued an invoice."
INTERVAL_TOO_LONG = "Input should be less than or equal to {limit} for interval '{interval}'"

ACTIVE, PAUSED, CANCELED = SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED, SubscriptionStatus.CANCELED


class _Unset:
    def __repr__(self):
        return "UNSET"


UNSET = _Unset()  # "not sent" in partial updates, distinct from None


# --- references and checks ------------------------------------------------------------------------------------


def _resolve_client(organization, raw_id) -> User:
    """Any user of the organization, as invoices accept (a client in practice)."""
    return resolve_ref(User.objects.for_org(organization), raw_id, field="client_id", message=CLIENT_NOT_FOUND)


def _item_services(organization, items: list[dict]) -> dict:
    """{raw service_id: Service} in one query; DomainError(422) on `items.N.service_id` for the first item whose
    service is not a live service of the organization."""
    raw_ids = dedupe(item["service_id"] for item in items if item.get("service_id") is not None)
    parsed = {raw: parse_uuid(raw) for raw in raw_ids}
    found = Service.objects.for_org(organization).in_bulk([pk for pk in parsed.values() if pk is not None])
    for index, item in enumerate(items):
        raw = item.get("service_id")
        if raw is not None and parsed[raw] not in found:
            raise DomainError(422, field=f"items.{index}.service_id", message=SERVICE_NOT_FOUND)
    return {raw: found[pk] for raw, pk in parsed.items()}


def _check_totals(items: list[dict]) -> None:
    """Each line and the period's total must fit an invoice's money columns (400), so that no period can fail to
    be issued for its size (billing.services.check_money_bound)."""
    total = Decimal("0.00")
    for index, item in enumerate(items):
        total += check_money_bound(
            item["quantity"] * item["price"], field=f"items.{index}", message="The item total is too large."
        )
    check_money_bound(total, field="items", message="The subscription total is too large.")


class _Trial(Exception):
    """Rolls a coupon check's redemption back (the check is `coupon_apply` itself, inside a savepoint)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def coupon_lines(items) -> list[dict]:
    """Lines as `coupon_apply` reads them: each line's service and total."""
    return [{"service_id": item.get("service_id"), "total": item["quantity"] * item["price"]} for item in items]


def _coupon_code(organization, code: str | None, *, items, currency: str) -> str | None:
    """The coupon's stored code for `code` once it would apply to these lines in this currency, checked exactly
    as a period invoice applies it (billing.services.coupon_apply: unknown, expired, another currency, no line
    among its services, no redemption left: 400 on `coupon_code` with the reason); nothing is redeemed here."""
    if not code:
        return None
    try:
        with transaction.atomic():
            coupon, _discount = coupon_apply(
                organization=organization, lines=coupon_lines(items), currency=currency, code=code,
                field="coupon_code",
            )
            raise _Trial(coupon.code)
    except _Trial as trial:
        return trial.code


def _check_interval(interval: str, interval_count: int, *, field: str = "interval_count") -> None:
    limit = periods.MAX_INTERVAL_COUNT[interval]
    if interval_count > limit:
        raise DomainError(400, field=field, message=INTERVAL_TOO_LONG.format(limit=limit, interval=interval))


def _check_start(start_date, now) -> None:
    """A start date may be yesterday (UTC) at the earliest: a day that is still today somewhere west of UTC.
    Periods are never billed backwards (README "Subscriptions")."""
    if (periods.utc_today(now) - start_date).days > 1:
        raise DomainError(400, field="start_date", message=START_TOO_EARLY)


def _set_items(subscription: Subscription, items: list[dict], services: dict, now) -> None:
    """Replace the subscription's lines with exactly these, in this order (ascending ids keep it)."""
    org_id = subscription.organization_id
    SubscriptionItem.objects.for_org(org_id).filter(subscription=subscription).delete()
    SubscriptionItem.objects.bulk_create(
        SubscriptionItem(
            id=pk,
            organization_id=org_id,
            subscription=subscription,
            service=services.get(item.get("service_id")),
            name=item["name"],
            quantity=item["quantity"],
            price=item["price"],
            created_at=now,
        )
        for pk, item in zip(ordered_ids(len(items)), items, strict=True)
    )


def _current_lines(subscription: Subscription) -> list[dict]:
    return [
        {"service_id": str(line.service_id) if line.service_id else None, "quantity": line.quantity, "price": line.price}
        for line in SubscriptionItem.objects.for_org(subscription.organization_id).filter(subscription=subscription)
    ]


def _locked(subscription: Subscription) -> Subscription:
    row = (
        Subscription.objects.for_org(subscription.organization_id)
        .select_for_update()
        .filter(pk=subscription.pk)
        .first()
    )
    if row is None:
        raise DomainError(404, detail="Not Found")
    return row


def _schedule_first_period(subscription: Subscription) -> None:
    """Before any invoice: period 0 starts on `start_date`; it is due at midnight UTC of that day if active."""
    subscription.next_period = 0
    subscription.current_period_start = subscription.current_period_end = None
    subscription.next_invoice_at = (
        periods.start_of_day(subscription.start_date) if subscription.status == ACTIVE else None
    )


def _save(subscription: Subscription, now) -> None:
    subscription.updated_at = now
    subscription.save()


# --- create and update ------------------------------------------------------------------------------------------


@transaction.atomic
def subscription_create(
    *,
    organization,
    client_id: str,
    items: list[dict],
    interval: str,
    interval_count: int = 1,
    currency: str = "USD",
    start_date=None,
    coupon_code: str | None = None,
) -> Subscription:
    """Create an active subscription and its lines; its first period starts on `start_date` (default: today,
    UTC). Checks, in order: `client_id` (422), `items.N.service_id` (422), line and period totals (400),
    `interval_count` within three years (400), `start_date` not before yesterday (400), `coupon_code` (400). When the first period has started, its
    invoice is issued and sent in this same transaction."""
    now = timezone.now()
    client = _resolve_client(organization, client_id)
    services = _item_services(organization, items)
    _check_totals(items)
    _check_interval(interval, interval_count)
    start_date = start_date or periods.utc_today(now)
    _check_start(start_date, now)
    code = _coupon_code(organization, coupon_code, items=items, currency=currency)
    subscription = Subscription(
        organization=organization,
        client=client,
        status=ACTIVE,
        currency=currency,
        interval=interval,
        interval_count=interval_count,
        start_date=start_date,
        coupon_code=code,
        created_at=now,
        updated_at=now,
    )
    _schedule_first_period(subscription)
    subscription.save(force_insert=True)
    _set_items(subscription, items, services, now)
    record_event("subscription.created", subscription)
    issue_due_periods(subscription=subscription, now=now)
    return subscription


@transaction.atomic
def subscription_update(
    *,
    subscription: Subscription,
    client_id=UNSET,
    items=UNSET,
    currency=UNSET,
    interval=UNSET,
    interval_count=UNSET,
    start_date=UNSET,
    coupon_code=UNSET,
) -> Subscription:
    """Partial update; `updated_at` is now even when nothing is given. Lines, client, currency and coupon apply
    from the next period issued. The schedule (`interval`, `interval_count`, `start_date`) changes only while no
    invoice has been issued (400 on the field otherwise), and restarts period 0 on the new start date. A canceled
    subscription is refused (400). Checks, in order: canceled (400), `client_id` (422), `items.N.service_id`
    (422), schedule (400), `coupon_code` (400)."""
    subscription = _locked(subscription)
    if subscription.status == CANCELED:
        raise DomainError(400, detail="Cannot update subscription with status canceled")
    organization = subscription.organization_id
    before = snapshot(subscription)
    now = timezone.now()
    if client_id is not UNSET:
        subscription.client = _resolve_client(organization, client_id)
    services = _item_services(organization, items) if items is not UNSET else None
    if items is not UNSET:
        _check_totals(items)
    schedule = {"interval": interval, "interval_count": interval_count, "start_date": start_date}
    changed = {name: value for name, value in schedule.items() if value is not UNSET}
    for name, value in changed.items():
        if subscription.invoices_count and value != getattr(subscription, name):
            raise DomainError(400, field=name, message=SCHEDULE_LOCKED)
    if changed:
        new_interval = changed.get("interval", subscription.interval)
        new_count = changed.get("interval_count", subscription.interval_count)
        _check_interval(new_interval, new_count, field="interval_count" if "interval_count" in changed else "interval")
        if "start_date" in changed and changed["start_date"] != subscription.start_date:
            _check_start(changed["start_date"], now)
    if coupon_code is not UNSET:
        lines = items if items is not UNSET else _current_lines(subscription)
        new_currency = currency if currency is not UNSET else subscription.currency
        subscription.coupon_code = _coupon_code(organization, coupon_code, items=lines, currency=new_currency)
    if currency is not UNSET:
        subscription.currency = currency
    for name, value in changed.items():
        setattr(subscription, name, value)
    if changed and not subscription.invoices_count:
        _schedule_first_period(subscription)
    _save(subscription, now)
    if services is not None:
        _set_items(subscription, items, services, now)
    record_event("subscription.updated", subscription, previous=before)
    issue_due_periods(subscription=subscription, now=now)
    return subscription


# --- transitions ------------------------------------------------------------------------------------------------


def _refuse(verb: str, subscription: Subscription):
    raise DomainError(400, detail=f"Cannot {verb} subscription with status {subscription.status}")


@transaction.atomic
def subscription_pause(*, subscription: Subscription) -> Subscription:
    """Active → paused: nothing is billed while paused (`next_invoice_at` null); periods that start meanwhile
    are skipped for good. Any other status → 400."""
    subscription = _locked(subscription)
    if subscription.status != ACTIVE:
        _refuse("pause", subscription)
    before = snapshot(subscription)
    subscription.status = PAUSED
    subscription.next_invoice_at = None
    _save(subscription, timezone.now())
    record_event("subscription.paused", subscription, previous=before)
    return subscription


@transaction.atomic
def subscription_resume(*, subscription: Subscription, now=None) -> Subscription:
    """Paused → active. Billing goes on with the first period (not before the next unbilled one) that starts
    today or later (UTC); periods that started while paused are skipped, and the one in progress becomes the
    current period, unbilled. A period starting today is issued at once. Any other status → 400."""
    subscription = _locked(subscription)
    if subscription.status != PAUSED:
        _refuse("resume", subscription)
    before = snapshot(subscription)
    now = now or timezone.now()
    today = periods.utc_today(now)
    subscription.status = ACTIVE
    try:
        first = periods.first_period_from(
            subscription.start_date, subscription.interval, subscription.interval_count, today,
            at_least=subscription.next_period,
        )
        if first > subscription.next_period:  # skipped: the period in progress is the one before `first`
            subscription.current_period_start = subscription.period_start(first - 1)
            subscription.current_period_end = subscription.period_start(first)
        subscription.next_period = first
        subscription.next_invoice_at = periods.start_of_day(subscription.period_start(first))
    except OverflowError:  # the calendar ends before another period starts
        subscription.next_invoice_at = None
    _save(subscription, now)
    record_event("subscription.resumed", subscription, previous=before)
    issue_due_periods(subscription=subscription, now=now)
    return subscription


@transaction.atomic
def subscription_cancel(*, subscription: Subscription) -> Subscription:
    """Active or paused → canceled, for good: `canceled_at` = now, no further invoice. Canceled → 400."""
    subscription = _locked(subscription)
    if subscription.status == CANCELED:
        _refuse("cancel", subscription)
    before = snapshot(subscription)
    now = timezone.now()
    subscription.status = CANCELED
    subscription.canceled_at = now
    subscription.next_invoice_at = None
    _save(subscription, now)
    record_event("subscription.canceled", subscription, previous=before)
    return subscription


# --- issuing period invoices ----------------------------------------------------------------------------------


def issue_due_periods(*, subscription: Subscription, now=None) -> int:
    """Issue the invoice of every period of an active `subscription` that has started at `now` (usually one; more
    when the worker was down across a period start), oldest first. The caller holds the row locked. Returns how
    many were issued."""
    now = now or timezone.now()
    issued = 0
    while (
        subscription.status == ACTIVE
        and subscription.next_invoice_at is not None
        and subscription.next_invoice_at <= now
    ):
        issued += _issue_period(subscription, now)
    return issued


def _issue_period(subscription: Subscription, now) -> int:
    """Issue period `next_period`'s invoice (the subscription's lines, currency and coupon; the client as billed
    person), send it to the client, and move the schedule to the next period, recording
    `subscription.invoice_created`. A period that already has its invoice (the unique constraint's backstop) is
    only stepped over. Returns 1 when an invoice was issued, else 0."""
    org_id = subscription.organization_id
    n = subscription.next_period
    start = subscription.period_start(n)
    try:
        end = subscription.period_start(n + 1)
    except OverflowError:  # the calendar ends: this is the last period
        end = None
    already = Invoice.all_objects.for_org(org_id).filter(
        subscription=subscription, subscription_period_start=start
    ).exists()
    before = snapshot(subscription)
    invoice = None if already else _create_period_invoice(subscription, start, end)
    subscription.next_period = n + 1
    subscription.current_period_start, subscription.current_period_end = start, end
    subscription.next_invoice_at = periods.start_of_day(end) if end is not None else None
    if invoice is not None:
        subscription.invoices_count += 1
        subscription.latest_invoice = invoice
    _save(subscription, now)
    if invoice is None:
        return 0
    record_event("subscription.invoice_created", subscription, previous=before)
    return 1


def _period_coupon_code(subscription: Subscription) -> str | None:
    """The code of the subscription's coupon when it covers this period: its duration counts the subscription's
    invoices it has discounted so far (`once`: the first, `repeating`: the first `duration_in_periods`, `forever`:
    all)."""
    if not subscription.coupon_code:
        return None
    coupon = coupon_find(organization=subscription.organization_id, code=subscription.coupon_code)
    if coupon is None:
        return None
    used = Invoice.all_objects.for_org(subscription.organization_id).filter(
        subscription=subscription, coupon=coupon
    ).count()
    return coupon.code if coupon_covers_period(coupon, used) else None


def _create_period_invoice(subscription: Subscription, start, end) -> Invoice:
    org_id = subscription.organization_id
    lines = list(
        SubscriptionItem.objects.for_org(org_id).filter(subscription=subscription).order_by("created_at", "id")
    )
    # A service deleted since the line was written leaves the line billed by its name, without the service.
    live = set(
        Service.objects.for_org(org_id)
        .filter(pk__in=[line.service_id for line in lines if line.service_id is not None])
        .values_list("pk", flat=True)
    )
    items = [
        {
            "name": line.name,
            "quantity": line.quantity,
            "amount": line.price,
            "service_id": str(line.service_id) if line.service_id in live else None,
        }
        for line in lines
    ]
    period = f"{start.isoformat()} to {end.isoformat()}" if end is not None else f"from {start.isoformat()}"
    fields = dict(
        organization=subscription.organization,
        user_id=str(subscription.client_id),
        items=items,
        status=InvoiceStatus.UNPAID,
        note=f"Subscription period {period}",
        currency=subscription.currency,
        subscription=subscription,
        subscription_period_start=start,
    )
    invoice = None
    code = _period_coupon_code(subscription)
    if code is not None:
        try:
            with transaction.atomic():  # the coupon applied and redeemed with this period's invoice, or not at all
                invoice = invoice_create(**fields, coupon_code=code)
        except DomainError as exc:
            if exc.field != "coupon_code":
                raise
            # Expired, exhausted, deleted or no longer applicable since it was attached: billed without it.
            logger.info("subscription %s: coupon %s not applied to period %s: %s", subscription.pk, code, start, exc)
    if invoice is None:
        invoice = invoice_create(**fields)
    try:
        with transaction.atomic():  # a refusal (no e-mail address) leaves the invoice issued, unsent
            invoice_send(invoice=invoice)
    except DomainError as exc:
        logger.warning("subscription %s: period invoice %s issued but not sent: %s", subscription.pk, invoice.pk, exc)
    return invoice


def _next_due(now, skip: list):
    """The next active subscription due at `now`, locked; rows another worker holds are skipped (SKIP LOCKED)."""
    # unscoped: the billing job spans every organization by design (a system job); each row names its own.
    return (
        Subscription.unscoped.select_for_update(skip_locked=True, of=("self",))
        .select_related("organization")
        .filter(status=ACTIVE, next_invoice_at__lte=now)
        .exclude(pk__in=skip)
        .order_by("next_invoice_at", "id")
        .first()
    )


def subscriptions_issue_due(*, now=None, limit: int = 1000) -> int:
    """The periodic job: issue every due period's invoice of every organization, one subscription per
    transaction. Exactly once under any number of concurrent workers and re-runs: a subscription is claimed
    with `SELECT … FOR UPDATE SKIP LOCKED` and its due time re-read under that lock, the issuing advances
    `next_invoice_at` in the same transaction, and invoices are unique per (subscription, period start). Paused and
    canceled subscriptions have no due time. A subscription whose issuing fails is logged and retried on the next
    run. Returns how many invoices were issued."""
    now = now or timezone.now()
    issued, failed = 0, []
    for _ in range(limit):
        picked = None
        try:
            with transaction.atomic():
                subscription = _next_due(now, failed)
                if subscription is None:
                    break
                picked = subscription.pk
                issued += issue_due_periods(subscription=subscription, now=now)
        except Exception:
            if picked is None:
                raise
            logger.exception("subscription %s: the due period could not be issued", picked)
            failed.append(picked)
    return issued
