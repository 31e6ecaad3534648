"""Demo proposals, invoices and coupons for `python manage.py seed_demo`: a proposal in each reachable status (Draft,
Sent, Signed — signed through the service, so it opens its order and client), an invoice in each status (Paid and
Refunded through mark_paid, the recurring one with its subscription) and one with a coupon, and two coupons.

Idempotent: proposals are looked up by `client_email`, invoices by `note`, and the billing demo client and service
by email and name, so a second run creates nothing. The client and service are this seeder's own (the clients and
catalog seeders may be absent or different)."""
from decimal import Decimal

from catalog.models import Service
from clients.services import client_create, user_by_email
from serviceengine.models import Address

from . import services
from .models import Invoice, InvoiceStatus, Proposal

DEMO_CLIENT = {
    "email": "billing@demo-billing.example.com",
    "name_f": "Bea",
    "name_l": "Biller",
    "company": "Biller & Co",
}
DEMO_ADDRESS = {"line_1": "7 Ledger Lane", "city": "Bristol", "country": "GB", "postcode": "BS1 4DJ"}
DEMO_SERVICES = (
    {"name": "Monthly SEO Package (billing demo)", "description": "Keyword research and on-page fixes",
     "price": Decimal("150.00")},
    {"name": "Website Audit (billing demo)", "description": "A one-off technical audit", "price": Decimal("400.00")},
)
# Coupons (issue 16), looked up by code: one applied to the "with coupon" invoice below.
DEMO_COUPONS = (
    {"code": "WELCOME10", "type": "percent", "amount": Decimal("10.00"), "duration": "forever"},
    {"code": "AUDIT50", "type": "fixed", "amount": Decimal("50.00"), "currency": "USD", "max_redemptions": 20,
     "service": "audit"},
)
DEMO_PROPOSALS = (
    {"client_email": "pat.draft@prospect-demo.example.com", "client_name_f": "Pat", "client_name_l": "Draft",
     "client_company": "Prospect LLC", "notes": "Valid for 30 days", "status": "draft"},
    {"client_email": "sam.sent@prospect-demo.example.com", "client_name_f": "Sam", "client_name_l": "Sent",
     "client_company": None, "notes": None, "status": "sent"},
    {"client_email": "sid.signed@prospect-demo.example.com", "client_name_f": "Sid", "client_name_l": "Signed",
     "client_company": "Signed Ltd", "notes": "Start next month", "status": "signed"},
)
# (note, status to reach, how): "create" creates with that status; "mark_paid" pays; "refund" pays then refunds.
DEMO_INVOICES = (
    ("Demo invoice: draft", InvoiceStatus.DRAFT, "create", None),
    ("Demo invoice: unpaid", InvoiceStatus.UNPAID, "create", None),
    ("Demo invoice: paid (recurring)", InvoiceStatus.UNPAID, "mark_paid", {"r_period_l": 1, "r_period_t": "M"}),
    ("Demo invoice: refunded", InvoiceStatus.UNPAID, "refund", None),
    ("Demo invoice: cancelled", InvoiceStatus.CANCELLED, "create", None),
    ("Demo invoice: partially paid", InvoiceStatus.PARTIALLY_PAID, "create", None),
    ("Demo invoice: with coupon WELCOME10", InvoiceStatus.UNPAID, "coupon", None),
)


def _demo_client(organization):
    """The billing demo client, with an address so that invoices snapshot one."""
    client = user_by_email(organization=organization, email=DEMO_CLIENT["email"])
    if client is None:
        client = client_create(organization=organization, **DEMO_CLIENT)
        client.address = Address.all_objects.create(
            organization=organization, name_f=client.name_f, name_l=client.name_l, company_name=client.company,
            **DEMO_ADDRESS,
        )
        client.save(update_fields=["address", "updated_at"])
    return client


def _demo_services(organization) -> list[Service]:
    found = []
    for spec in DEMO_SERVICES:
        service = Service.objects.for_org(organization).filter(name=spec["name"]).first()
        if service is None:
            service = Service.all_objects.create(organization=organization, currency="USD", **spec)
        found.append(service)
    return found


def _seed_proposals(organization, seo: Service, audit: Service) -> None:
    existing = set(Proposal.objects.for_org(organization).values_list("client_email", flat=True))
    for spec in DEMO_PROPOSALS:
        if spec["client_email"] in existing:
            continue
        fields = {k: v for k, v in spec.items() if k != "status"}
        proposal = services.proposal_create(
            organization=organization,
            items=[
                {"service_id": str(seo.pk), "quantity": 2, "price": Decimal("150.00")},
                {"service_id": str(audit.pk), "quantity": 1, "price": Decimal("350.00")},
            ],
            **fields,
        )
        if spec["status"] in ("sent", "signed"):
            proposal = services.proposal_send(proposal=proposal)
        if spec["status"] == "signed":
            services.proposal_sign(proposal=proposal)


def _seed_invoices(organization, client, seo: Service) -> None:
    existing = set(Invoice.objects.for_org(organization).values_list("note", flat=True))
    for note, status, how, recurring in DEMO_INVOICES:
        if note in existing:
            continue
        invoice = services.invoice_create(
            organization=organization,
            user_id=str(client.pk),
            status=status,
            tax=Decimal("20.00"),
            tax_type=1,
            recurring=recurring,
            note=note,
            coupon_code="WELCOME10" if how == "coupon" else None,
            items=[
                {"name": "SEO package", "quantity": 1, "amount": Decimal("150.00"), "discount": Decimal("0.00"),
                 "service_id": str(seo.pk), "options": {"tier": "gold"}},
                {"name": "Consulting hours", "description": "Two hours", "quantity": 2, "amount": Decimal("50.00"),
                 "discount": Decimal("5.00")},
            ],
        )
        if how in ("mark_paid", "refund"):
            invoice = services.invoice_mark_paid(invoice=invoice)
        if how == "refund":
            items = [
                {"name": i.name, "description": i.description, "quantity": i.quantity, "amount": i.amount,
                 "discount": i.discount, "service_id": str(i.service_id) if i.service_id else None, "options": i.options}
                for i in invoice.items.order_by("created_at", "id")
            ]
            services.invoice_update(invoice=invoice, items=items, status=InvoiceStatus.REFUNDED)


def _seed_coupons(organization, audit: Service) -> None:
    for spec in DEMO_COUPONS:
        if services.coupon_find(organization=organization, code=spec["code"]) is not None:
            continue
        data = {k: v for k, v in spec.items() if k != "service"}
        if spec.get("service") == "audit":
            data["service_ids"] = [str(audit.pk)]
        services.coupon_create(organization=organization, data=data)


def seed(*, organization, owner) -> None:
    """Add the billing demo rows that are missing from the organization."""
    client = _demo_client(organization)
    seo, audit = _demo_services(organization)
    _seed_coupons(organization, audit)
    _seed_proposals(organization, seo, audit)
    _seed_invoices(organization, client, seo)
