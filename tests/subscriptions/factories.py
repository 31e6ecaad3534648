"""Subscription factories: rows made through the services, shaped exactly like API-made ones."""
from decimal import Decimal

from subscriptions import services
from subscriptions.models import Subscription
from tests import factories


def line(**over) -> dict:
    fields = {"service_id": None, "name": "Retainer", "quantity": 1, "price": Decimal("100.00")}
    fields.update(over)
    return fields


def make_subscription(org, *, client=None, items=None, **over) -> Subscription:
    """A monthly subscription (by default starting today, so its first invoice is issued at once)."""
    client = client or factories.make_client(org)
    fields = {"interval": "month", "items": items if items is not None else [line()]}
    fields.update(over)
    subscription = services.subscription_create(organization=org, client_id=str(client.pk), **fields)
    return Subscription.unscoped.get(pk=subscription.pk)
