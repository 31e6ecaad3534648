"""Dependants of a client (orders, invoices, tickets, subscriptions) for the clients tests."""
import itertools
from decimal import Decimal

from django.utils import timezone

from tests import factories

_seq = itertools.count(1)


def make_invoice(org, user, *, total="0.00", paid=False, deleted=False, **over):
    from billing.models import Invoice

    seq = next(_seq)
    fields = {
        "number": f"INV-{seq:05d}",
        "number_seq": seq,
        "user": user,
        "total": Decimal(total),
        "subtotal": Decimal(total),
        "date_paid": timezone.now() if paid else None,
        "deleted_at": timezone.now() if deleted else None,
    }
    fields.update(over)
    return Invoice.unscoped.create(organization=org, **fields)


def make_ticket(org, user, *, deleted=False):
    from support.models import Ticket

    return Ticket.unscoped.create(
        organization=org, user=user, subject="Help", deleted_at=timezone.now() if deleted else None
    )


def make_subscription(org, user):
    from billing.models import Subscription

    return Subscription.unscoped.create(organization=org, user=user)


def make_order(org, user, *, deleted=False):
    return factories.make_order(org, user, deleted_at=timezone.now() if deleted else None)
