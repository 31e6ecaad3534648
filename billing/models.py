"""Billing: proposals that clients sign, invoices they pay, payments, coupons and subscriptions
(contract proposals.md, invoices.md). Billing depends on orders (paying and signing open orders)."""
from django.db import models
from django.db.models.functions import Lower

from orders.models import status_label
from serviceengine.core.reads import reads
from serviceengine.core.tenancy import SoftDeleteMixin, TenantModel, live_index


class ProposalStatus(models.IntegerChoices):
    DRAFT = 0, "Draft"
    SENT = 1, "Sent"
    SIGNED = 2, "Signed"
    REJECTED = 3, "Rejected"


class InvoiceStatus(models.IntegerChoices):
    DRAFT = 0, "Draft"
    UNPAID = 1, "Unpaid"
    PAID = 3, "Paid"
    REFUNDED = 4, "Refunded"
    CANCELLED = 5, "Cancelled"
    PARTIALLY_PAID = 7, "Partially Paid"


class CouponType(models.TextChoices):
    PERCENT = "percent", "Percent"
    FIXED = "fixed", "Fixed amount"


class CouponDuration(models.TextChoices):
    ONCE = "once", "Once"
    FOREVER = "forever", "Forever"
    REPEATING = "repeating", "Repeating"


class Coupon(SoftDeleteMixin, TenantModel):
    """A discount code (`/api/coupons`, issue 16): `percent` off (0.01–100) or a `fixed` amount in `currency` off
    the invoice lines it applies to (every line when `service_ids` is empty). Redeemed when its discount is applied
    to an invoice (`billing.services.coupon_apply`), at most `max_redemptions` times (null: unlimited). `duration`
    says how many periods of a subscription it covers. Soft-deleted: invoices keep their coupon and discount."""

    code = models.CharField(max_length=100)
    type = models.CharField(max_length=20, choices=CouponType.choices, default=CouponType.FIXED)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, null=True, blank=True)
    duration = models.CharField(max_length=20, choices=CouponDuration.choices, default=CouponDuration.ONCE)
    duration_in_periods = models.PositiveIntegerField(null=True, blank=True)
    times_redeemed = models.PositiveIntegerField(default=0)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Ids (canonical strings) of the organization's services the coupon applies to; empty: any service.
    service_ids = models.JSONField(default=list, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        constraints = [
            # Codes are unique per organization ignoring case, among live coupons (a deleted code can be reused).
            models.UniqueConstraint(
                models.F("organization"), Lower("code"), condition=models.Q(deleted_at__isnull=True),
                name="coupon_org_code_ci_live",
            ),
            # The redemption race's last line of defence (the service's conditional UPDATE is the first).
            models.CheckConstraint(
                condition=models.Q(max_redemptions__isnull=True) | models.Q(times_redeemed__lte=models.F("max_redemptions")),
                name="coupon_redemptions_within_max",
            ),
        ]
        indexes = [live_index("organization", "-created_at", "id", name="coupon_org_created")]

    def __str__(self):
        return self.code

class Proposal(SoftDeleteMixin, TenantModel):
    """An offer to a prospective client. Draft → Sent (`send`) → Signed (`sign`, which opens an order)."""

    client_email = models.CharField(max_length=255)
    client_name_f = models.CharField(max_length=100)
    client_name_l = models.CharField(max_length=100)
    client_company = models.CharField(max_length=255, null=True, blank=True)
    status = models.SmallIntegerField(choices=ProposalStatus.choices, default=ProposalStatus.DRAFT)
    total = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    notes = models.TextField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    converted_order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The engagement opened by `sign` (engagements.md Decision 1); null until signed.
    converted_engagement = models.ForeignKey(
        "engagements.Engagement", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        # The list (contract §8.1): default order, filters and sorts, over live rows only (see `live_index`).
        indexes = [
            live_index("organization", "-created_at", "id", name="proposal_org_created"),
            live_index("organization", "id", name="proposal_org_id"),
            live_index("organization", "status", "-created_at", "id", name="proposal_org_status"),
            live_index("organization", "client_email", "-created_at", "id", name="proposal_org_email"),
            live_index("organization", "-total", "id", name="proposal_org_total"),
            live_index("organization", "-sent_at", "id", name="proposal_org_sent"),
            live_index("organization", "-signed_at", "id", name="proposal_org_signed"),
        ]

    def __str__(self):
        return f"{self.client_email} ({self.status_label})"

    @property
    @reads("status")
    def status_label(self) -> str:
        return status_label(ProposalStatus, self.status)


class ProposalItem(TenantModel):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField(default=1)
    price = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta(TenantModel.Meta):
        ordering = ["created_at", "id"]


class Invoice(SoftDeleteMixin, TenantModel):
    """An invoice for a user of the organization. Numbered `INV-00001` per organization (§10.9)."""

    NUMBER_PREFIX = "INV-"

    number = models.CharField(max_length=50)
    number_seq = models.PositiveIntegerField()
    number_prefix = models.CharField(max_length=20, default=NUMBER_PREFIX, null=True, blank=True)
    user = models.ForeignKey(
        "serviceengine.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    billing_address = models.JSONField(null=True, blank=True)
    status = models.SmallIntegerField(choices=InvoiceStatus.choices, default=InvoiceStatus.UNPAID)
    date_due = models.DateTimeField(null=True, blank=True)
    date_paid = models.DateTimeField(null=True, blank=True)
    credit = models.DecimalField(max_digits=18, decimal_places=2, default=0, null=True, blank=True)
    tax = models.DecimalField(max_digits=18, decimal_places=2, default=0, null=True, blank=True)
    tax_name = models.CharField(max_length=100, null=True, blank=True)
    tax_percent = models.DecimalField(max_digits=18, decimal_places=2, default=0, null=True, blank=True)
    currency = models.CharField(max_length=10, default="USD")
    reason = models.TextField(null=True, blank=True)
    note = models.TextField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    loc_confirm = models.BooleanField(default=False, null=True, blank=True)
    recurring = models.JSONField(null=True, blank=True)
    coupon = models.ForeignKey(Coupon, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices")
    transaction_id = models.CharField(max_length=255, null=True, blank=True)
    paysys = models.CharField(max_length=50, null=True, blank=True)
    subtotal = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # The coupon's discount, computed when the coupon is applied (billing.services.coupon_apply); kept when the
    # coupon is later edited or deleted. `total = max(0, subtotal − discount + tax)`.
    discount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    employee_id = models.UUIDField(null=True, blank=True)
    view_link = models.CharField(max_length=255, null=True, blank=True)
    download_link = models.CharField(max_length=255, null=True, blank=True)
    thanks_link = models.CharField(max_length=255, null=True, blank=True)
    # Stripe bookkeeping: the PaymentIntent of the successful charge, and the attempt counter that feeds
    # the idempotency key.
    stripe_payment_intent_id = models.CharField(max_length=255, null=True, blank=True)
    charge_attempts = models.PositiveIntegerField(default=0)
    # Set while a charge is at the payment provider (billing.services.invoice_charge): concurrent charges wait for
    # it to clear; one older than the claim timeout is a crashed request's, taken over with the same attempt.
    charge_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Issue 16: the subscription whose period this invoice bills, and that period's first day (`subscription_id`
    # on the invoice object). One invoice per subscription period, also under racing workers (the constraint).
    subscription = models.ForeignKey(
        "subscriptions.Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    subscription_period_start = models.DateField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="invoice_number_unique_per_org"),
            models.UniqueConstraint(fields=["organization", "number_seq"], name="invoice_seq_unique_per_org"),
            models.UniqueConstraint(
                fields=["organization", "subscription", "subscription_period_start"],
                condition=models.Q(subscription__isnull=False),
                name="invoice_one_per_subscription_period",
            ),
        ]
        # The list (contract §8.1): default order, filters and sorts, over live rows only (see `live_index`);
        # `number` sorts by `number_seq`, served by its unique constraint.
        indexes = [
            live_index("organization", "-created_at", "id", name="invoice_org_created"),
            live_index("organization", "id", name="invoice_org_id"),
            live_index("organization", "status", "-created_at", "id", name="invoice_org_status"),
            live_index("organization", "user", "-created_at", "id", name="invoice_org_user"),
            live_index("organization", "-subtotal", "id", name="invoice_org_subtotal"),
            live_index("organization", "-total", "id", name="invoice_org_total"),
            live_index("organization", "-date_due", "id", name="invoice_org_date_due"),
            live_index("organization", "-date_paid", "id", name="invoice_org_date_paid"),
        ]

    def __str__(self):
        return self.number

    @property
    @reads("status")
    def status_label(self) -> str:
        return status_label(InvoiceStatus, self.status)


class InvoiceItem(TenantModel):
    """A line of an invoice: `total = quantity × amount − discount`."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    quantity = models.IntegerField(default=1)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    discount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    discount2 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=18, decimal_places=2)
    service = models.ForeignKey("catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    options = models.JSONField(default=dict, null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["created_at", "id"]


class Payment(TenantModel):
    """One successful payment of an invoice (Stripe, simulated or manual). At most one per invoice."""

    PROVIDERS = [("stripe", "Stripe"), ("simulated", "Simulated"), ("manual", "Manual")]

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=20, choices=PROVIDERS)
    transaction_id = models.CharField(max_length=255, null=True, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=10)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "invoice"], name="one_payment_per_invoice_per_org")
        ]


class Subscription(TenantModel):
    """Created by mark_paid for a recurring invoice; not exposed by the API, but blocks deleting the client."""

    user = models.ForeignKey("serviceengine.User", on_delete=models.PROTECT, related_name="subscriptions")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions")
    status = models.SmallIntegerField(default=1)
    r_period_l = models.IntegerField(null=True, blank=True)
    r_period_t = models.CharField(max_length=1, null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]


class ProposalSignature(TenantModel):
    """The evidence of a signed proposal (issue 15): who signed (name and e-mail), from where (IP address, user
    agent), when (server time), and the exact document they saw — the HTML snapshot stored here and its SHA-256.
    One per proposal; written by `billing.services.proposal_sign` in the signing transaction."""

    METHODS = [("client_page", "Client page"), ("api", "API"), ("admin", "Admin, on the client's behalf")]

    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="signature")
    name = models.CharField(max_length=255)
    email = models.CharField(max_length=255)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True, default="")
    signed_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=METHODS, default="client_page")
    document_html = models.TextField()
    document_sha256 = models.CharField(max_length=64)

    class Meta(TenantModel.Meta):
        ordering = ["-signed_at", "id"]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class StripeEventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    MISMATCH = "mismatch", "Amount or currency mismatch"
    FAILED = "failed", "Failed"


class StripeEvent(models.Model):
    """One event received on `POST /api/stripe/webhook`, stored once (unique on Stripe's event id) with its
    processing status. Not tenant-owned: an event arrives before anything says whose it is; once processed,
    `organization_ref`/`invoice_ref` name the organization and invoice its metadata pointed to (plain ids, not
    foreign keys, so that a wrong or foreign id in an event can never join anything)."""

    id = models.BigAutoField(primary_key=True)
    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=255)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=StripeEventStatus.choices, default=StripeEventStatus.RECEIVED)
    note = models.TextField(blank=True, default="")
    organization_ref = models.UUIDField(null=True, blank=True)
    invoice_ref = models.UUIDField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.stripe_id} ({self.type})"
