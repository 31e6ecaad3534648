"""Order workflows. `order_create` and `tags_find_or_create` are shared: billing opens orders when proposals
are signed and invoices paid; support tags tickets."""
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from serviceengine.errors import DomainError
from serviceengine.services import dedupe

from .models import Order, OrderEmployee, OrderTag, Tag

NUMBER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NUMBER_LENGTH = 8
NUMBER_ATTEMPTS = 20
NUMBER_TAKEN = "The order number has already been taken."


def order_number_generate() -> str:
    """8 characters drawn uniformly from A–Z and 0–9 (contract §10.8)."""
    return "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))


def tags_find_or_create(*, organization, names: list[str]) -> list[Tag]:
    """The organization's tags with these names (exact, case-sensitive), creating the missing ones; in the
    order given, duplicates collapsed. Safe under concurrency: two requests creating the same new tag both
    succeed and share one row (unique constraint + ON CONFLICT DO NOTHING, then re-read)."""
    names = dedupe(names)
    if not names:
        return []
    found = {t.name: t for t in Tag.objects.for_org(organization).filter(name__in=names)}
    missing = [name for name in names if name not in found]
    if missing:
        Tag.all_objects.bulk_create([Tag(organization=organization, name=name) for name in missing], ignore_conflicts=True)
        found.update({t.name: t for t in Tag.objects.for_org(organization).filter(name__in=missing)})
    return [found[name] for name in names]


def set_order_tags(order: Order, tags: list[Tag]) -> None:
    """Replace the order's tags with exactly these, in this order."""
    OrderTag.objects.filter(order=order).delete()
    OrderTag.objects.bulk_create([OrderTag(order=order, tag=tag) for tag in tags])


def set_order_employees(order: Order, employees) -> None:
    """Replace the order's employees with exactly these, in this order."""
    OrderEmployee.objects.filter(order=order).delete()
    OrderEmployee.objects.bulk_create([OrderEmployee(order=order, user=user) for user in employees])


@transaction.atomic
def order_create(
    *,
    organization,
    user,
    service_name: str,
    service=None,
    price: Decimal = Decimal("0.00"),
    currency: str = "USD",
    quantity: int = 1,
    status: int = 0,
    number: str | None = None,
    note: str | None = None,
    metadata: dict | None = None,
    invoice_id=None,
    created_at=None,
    date_started=None,
    date_completed=None,
    date_due=None,
    employees=(),
    tag_names=(),
) -> Order:
    """Create an order with its employees and tags. Without `number` a unique one is generated (retried on
    collision, never a 500); a given `number` already used in the organization (soft-deleted orders included)
    raises DomainError(400) on `number`. Employees must already be validated team members."""
    fields = dict(
        organization=organization,
        user=user,
        service=service,
        service_name=service_name,
        price=price,
        currency=currency or "USD",
        quantity=quantity,
        status=status,
        note=note,
        metadata=metadata or {},
        form_data={},
        invoice_id=invoice_id,
        created_at=created_at or timezone.now(),
        date_started=date_started,
        date_completed=date_completed,
        date_due=date_due,
    )
    if number is not None:
        if Order.all_objects.filter(organization=organization, number=number).exists():
            raise DomainError(400, field="number", message=NUMBER_TAKEN)
        order = _insert_order(fields, number)
        if order is None:
            raise DomainError(400, field="number", message=NUMBER_TAKEN)
    else:
        order = None
        for _ in range(NUMBER_ATTEMPTS):
            order = _insert_order(fields, order_number_generate())
            if order is not None:
                break
        if order is None:  # 20 collisions in a 36^8 space: something else is wrong
            raise RuntimeError("could not generate a unique order number")
    if employees:
        set_order_employees(order, employees)
    if tag_names:
        set_order_tags(order, tags_find_or_create(organization=organization, names=list(tag_names)))
    return order


def _insert_order(fields: dict, number: str) -> Order | None:
    """Insert in a savepoint; None when the number is taken (by a concurrent request too)."""
    try:
        with transaction.atomic():
            return Order.all_objects.create(number=number, **fields)
    except IntegrityError:
        return None
