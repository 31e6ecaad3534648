"""subscriptions.demo (seed_demo): the billing demo client's monthly subscription with WELCOME10, created once; its
first period is billed at once with the coupon's discount."""
import io
from decimal import Decimal

from django.core.management import call_command

from billing.models import Invoice
from serviceengine.models import Organization
from subscriptions.models import Subscription


def test_seed_demo_subscribes_the_billing_client_once(db):
    call_command("seed_demo", stdout=io.StringIO())
    org = Organization.objects.get(slug="demo")
    subscription = Subscription.objects.for_org(org).get()
    assert (subscription.client.email, subscription.interval, subscription.status) == (
        "billing@demo-billing.example.com", "month", "active"
    )
    invoice = Invoice.objects.for_org(org).get(subscription=subscription)
    assert invoice.subtotal == Decimal("150.00") and invoice.discount == Decimal("15.00")  # WELCOME10, forever
    call_command("seed_demo", stdout=io.StringIO())
    assert Subscription.objects.for_org(org).count() == 1
    assert Invoice.objects.for_org(org).filter(subscription=subscription).count() == 1
