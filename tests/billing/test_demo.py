"""`billing.demo.seed` and `manage.py seed_demo`: proposals and invoices in every status; idempotent."""
from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from billing import demo
from billing.models import Coupon, Invoice, InvoiceItem, Payment, Proposal, ProposalItem, Subscription
from catalog.models import Service
from orders.models import Order
from serviceengine.models import Address, Organization, User

MODELS = (Coupon, Proposal, ProposalItem, Invoice, InvoiceItem, Payment, Subscription, Order, User, Service, Address)


def counts():
    return [model.unscoped.count() for model in MODELS]


def test_seed_covers_every_status_and_is_idempotent(org, owner):
    demo.seed(organization=org, owner=owner)
    proposals = Proposal.unscoped.filter(organization=org)
    assert sorted(proposals.values_list("status", flat=True)) == [0, 1, 2]
    signed = proposals.get(status=2)
    assert signed.converted_order is not None and signed.converted_order.user.email == signed.client_email
    invoices = Invoice.unscoped.filter(organization=org)
    assert sorted(invoices.values_list("status", flat=True)) == [0, 1, 1, 3, 4, 5, 7]  # one Unpaid with a coupon
    welcome = Coupon.unscoped.get(organization=org, code="WELCOME10")
    discounted = invoices.get(coupon=welcome)
    assert (discounted.subtotal, discounted.discount, discounted.total) == (Decimal("245.00"), Decimal("24.50"), Decimal("240.50"))
    assert welcome.times_redeemed == 1 and Coupon.unscoped.filter(organization=org).count() == 2
    assert all(i.billing_address and i.billing_address["line_1"] == "7 Ledger Lane" for i in invoices)
    paid = invoices.get(status=3)
    assert paid.paysys == "Manual" and Subscription.unscoped.filter(invoice=paid).count() == 1
    assert Order.unscoped.filter(invoice_id=paid.pk).count() == 1
    before = counts()
    demo.seed(organization=org, owner=owner)
    assert counts() == before


def test_seed_demo_command_is_idempotent(db):
    call_command("seed_demo", stdout=StringIO())
    org = Organization.objects.get(slug="demo")
    assert Invoice.unscoped.filter(organization=org).count() >= len(demo.DEMO_INVOICES)
    assert Proposal.unscoped.filter(organization=org).count() >= len(demo.DEMO_PROPOSALS)
    before = counts()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == before
