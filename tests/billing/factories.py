"""Billing factories: rows built through the billing services, so they are shaped exactly like API-made ones."""
from decimal import Decimal

from billing import services
from billing.models import Coupon, Invoice, Proposal
from tests import factories


def make_proposal(org, *, status: str = "draft", services_=None, items=None, **over) -> Proposal:
    """A proposal (draft, sent or signed) with one item per service (a new service when none are given)."""
    if items is None:
        chosen = services_ or [factories.make_service(org)]
        items = [{"service_id": str(s.pk), "quantity": 1, "price": Decimal("100.00")} for s in chosen]
    fields = {
        "client_email": f"prospect{factories.n()}@example.com",
        "client_name_f": "Pat",
        "client_name_l": "Prospect",
        "items": items,
    }
    fields.update(over)
    proposal = services.proposal_create(organization=org, **fields)
    if status in ("sent", "signed"):
        proposal = services.proposal_send(proposal=proposal)
    if status == "signed":
        proposal, _order = services.proposal_sign(proposal=proposal)
    return Proposal.unscoped.get(pk=proposal.pk)


def item(**over) -> dict:
    fields = {"name": "Consulting", "quantity": 1, "amount": Decimal("50.00"), "discount": Decimal("0.00")}
    fields.update(over)
    return fields


def make_invoice(org, *, user=None, items=None, **over) -> Invoice:
    """An invoice for `user` (a new client when not given) through `invoice_create`."""
    user = user or factories.make_client(org)
    invoice = services.invoice_create(
        organization=org, user_id=str(user.pk), items=items if items is not None else [item()], **over
    )
    return Invoice.unscoped.get(pk=invoice.pk)


def make_coupon(org, **over) -> Coupon:
    """A coupon through `coupon_create` (default: 10.00 USD off, once, unlimited)."""
    data = {"code": f"SAVE{factories.n()}", "type": "fixed", "amount": Decimal("10.00"), "currency": "USD"}
    data.update(over)
    if data["type"] == "percent" and "currency" not in over:
        data["currency"] = None
    coupon = services.coupon_create(organization=org, data=data)
    return Coupon.unscoped.get(pk=coupon.pk)
