"""Billing payloads (contract proposals.md, invoices.md): write serializers validate request bodies with the
contract's messages; read serializers render exactly the contract's keys, in its order. Read serializers only
touch rows loaded by the viewset (`select`/`Prefetch(..., to_attr=...)`), never a lazy relation."""
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.serializers import StoredObjectField
from serviceengine.api import messages as msg
from serviceengine.api.fields import (
    DateTimeInField, EmailField, IntField, ListOf, MoneyField, MoneyOutField, ObjectField, StrField, UTCDateTimeField,
)
from serviceengine.core.reads import reads
from serviceengine.api.serializers import ContractSerializer, FullAddressSerializer, RoleSerializer

# Key order of the billing-address snapshot (invoices.md). Stored as JSON, whose key order PostgreSQL's jsonb
# does not keep, so responses rebuild it in this order.
BILLING_ADDRESS_KEYS = (
    "line_1", "line_2", "city", "state", "postcode", "country", "name_f", "name_l", "company_name", "company_vat",
    "tax_id",
)
RECURRING_KEYS = ("r_period_l", "r_period_t")


# --- proposals: input ---------------------------------------------------------------------------------------


class ProposalItemInputSerializer(ContractSerializer):
    """A proposal item as sent on create: a live service of the organization, a quantity and a price."""

    service_id = StrField()
    quantity = IntField(required=False, nullable=False, default=1, min_value=1)
    price = MoneyField(min_value=Decimal("0"))


class ProposalWriteSerializer(ContractSerializer):
    """`POST /api/proposals`."""

    client_email = EmailField(max_length=255)
    client_name_f = StrField(trim=True, min_length=1, max_length=100)
    client_name_l = StrField(trim=True, min_length=1, max_length=100)
    client_company = StrField(required=False, max_length=255, default=None)
    items = ListOf(ProposalItemInputSerializer(), min_items=1)
    notes = StrField(required=False, default=None)


# --- proposals: output --------------------------------------------------------------------------------------


class ProposalItemSerializer(ContractSerializer):
    """A proposal item; `service` is loaded with the item through `all_objects`, so a service soft-deleted since
    still shows its current name and description (proposals.md)."""

    id = serializers.UUIDField(read_only=True)
    service_id = serializers.UUIDField(read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True, allow_null=True)
    service_description = serializers.CharField(source="service.description", read_only=True, allow_null=True)
    quantity = serializers.IntegerField(read_only=True)
    price = MoneyOutField()
    created_at = UTCDateTimeField()


class ProposalRowSerializer(ContractSerializer):
    """A proposal list row: the proposal object without `items`."""

    id = serializers.UUIDField(read_only=True)
    client_email = serializers.CharField(read_only=True)
    client_name = serializers.SerializerMethodField()
    client_name_f = serializers.CharField(read_only=True)
    client_name_l = serializers.CharField(read_only=True)
    client_company = serializers.CharField(read_only=True, allow_null=True)
    status = serializers.CharField(source="status_label", read_only=True)
    status_id = serializers.IntegerField(source="status", read_only=True)
    total = MoneyOutField()
    notes = serializers.CharField(read_only=True, allow_null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    sent_at = UTCDateTimeField(allow_null=True)
    signed_at = UTCDateTimeField(allow_null=True)
    converted_order_id = serializers.UUIDField(read_only=True, allow_null=True)
    converted_engagement_id = serializers.UUIDField(read_only=True, allow_null=True)  # engagements.md

    @reads("client_name_f", "client_name_l")
    def get_client_name(self, obj) -> str:
        return f"{obj.client_name_f or ''} {obj.client_name_l or ''}".strip()


class ProposalSignatureSerializer(ContractSerializer):
    """The evidence of a signed proposal (issue 15)."""

    name = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    ip_address = serializers.CharField(read_only=True, allow_null=True)
    user_agent = serializers.CharField(read_only=True)
    signed_at = UTCDateTimeField()
    document_sha256 = serializers.CharField(read_only=True)


class ProposalSerializer(ProposalRowSerializer):
    """The full proposal object, with its items and its `signature` (null until signed)."""

    items = ProposalItemSerializer(many=True, read_only=True)
    signature = ProposalSignatureSerializer(read_only=True, allow_null=True)


class ProposalOrderSerializer(ContractSerializer):
    """The compact order returned by `sign` (proposals.md): exactly these twelve keys."""

    id = serializers.UUIDField(read_only=True)
    number = serializers.CharField(read_only=True)
    user_id = serializers.UUIDField(read_only=True)
    service_id = serializers.UUIDField(read_only=True, allow_null=True)
    service = serializers.CharField(source="service_name", read_only=True)
    price = MoneyOutField()
    currency = serializers.CharField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    status = serializers.CharField(source="status_label", read_only=True)
    status_id = serializers.IntegerField(source="status", read_only=True)
    note = serializers.CharField(read_only=True, allow_null=True)
    created_at = UTCDateTimeField()


class ProposalSignSerializer(serializers.Serializer):
    """`POST /api/proposals/{id}/sign` response: the signed proposal and the order it opened."""

    proposal = ProposalSerializer(read_only=True)
    order = ProposalOrderSerializer(read_only=True)


# --- invoices: input ----------------------------------------------------------------------------------------


class InvoiceItemInputSerializer(ContractSerializer):
    """An invoice line as sent on create and update (invoices.md, "Item input")."""

    name = StrField(trim=True, min_length=1, max_length=255)
    description = StrField(required=False, default=None)
    quantity = IntField(min_value=1)
    amount = MoneyField()
    discount = MoneyField(required=False, nullable=False, default=Decimal("0.00"))
    # Decision: `""` means no service, like an absent value (an empty id cannot name a service).
    service_id = StrField(required=False, default=None, empty_as_absent=True)
    options = ObjectField(required=False, default=dict)


class RecurringSerializer(ContractSerializer):
    """`recurring` on invoice create and update: every `r_period_l` days (D), weeks (W) or months (M)."""

    r_period_l = IntField(min_value=1)
    r_period_t = StrField(pattern=r"^[MWD]$")


class UserDataSerializer(ContractSerializer):
    """`user_data` on invoice create: only these keys are read (contract defect 27), each type-checked so that a
    bad value is a 400 instead of a database error; anything else sent is ignored."""

    name_f = StrField(required=False, max_length=255)
    name_l = StrField(required=False, max_length=255)
    company = StrField(required=False, max_length=255)
    phone = StrField(required=False, max_length=50)
    tax_id = StrField(required=False, max_length=100)
    note = StrField(required=False)
    optin = StrField(required=False, max_length=50)
    stripe_id = StrField(required=False, max_length=255)
    custom_fields = ObjectField(required=False)

    def to_internal_value(self, data):
        # A free-form object in the reference's schema: its type message is the dictionary one.
        if not isinstance(data, Mapping):
            raise serializers.ValidationError([msg.DICT_TYPE])
        return super().to_internal_value(data)


class InvoiceCreateSerializer(ContractSerializer):
    """`POST /api/invoices`."""

    # `user_id: ""` counts as absent (invoices.md, check 2).
    user_id = StrField(required=False, default=None, empty_as_absent=True)
    email = EmailField(required=False, default=None)
    items = ListOf(InvoiceItemInputSerializer(), min_items=1)
    status = IntField(required=False, default=1, min_value=0)
    tax = MoneyField(required=False, nullable=False, default=Decimal("0.00"))
    tax_type = IntField(required=False, default=None)
    recurring = RecurringSerializer(required=False, default=None)
    coupon_id = StrField(required=False, default=None)
    # Issue 16: a coupon by code (ignoring case), applied and redeemed; `""` counts as absent.
    coupon_code = StrField(required=False, default=None, empty_as_absent=True, max_length=100)
    note = StrField(required=False, default=None)
    user_data = UserDataSerializer(required=False, default=None)


class InvoiceUpdateSerializer(ContractSerializer):
    """`PUT /api/invoices/{id}`: `items` is required and replaces every item; an absent (or null) optional field
    leaves its value unchanged, except `recurring: null`, which clears it."""

    items = ListOf(InvoiceItemInputSerializer(), min_items=1)
    user_id = StrField(required=False)
    status = IntField(required=False)
    tax = MoneyField(required=False)
    tax_type = IntField(required=False)
    recurring = RecurringSerializer(required=False, nullable=True)
    coupon_id = StrField(required=False)
    # Issue 16: another coupon by code (applied and redeemed); `""` removes the invoice's coupon.
    coupon_code = StrField(required=False, max_length=100)
    note = StrField(required=False)


class InvoiceChargeSerializer(ContractSerializer):
    """`POST /api/invoices/{id}/charge`."""

    payment_method_id = StrField(min_length=1, max_length=255)


# --- invoices: output ---------------------------------------------------------------------------------------


class InvoiceClientSerializer(ContractSerializer):
    """The invoice's user (invoices.md "Invoice-client object"), every field populated on every endpoint."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    name_f = serializers.CharField(read_only=True, allow_null=True)
    name_l = serializers.CharField(read_only=True, allow_null=True)
    email = serializers.CharField(read_only=True, allow_null=True)
    company = serializers.CharField(read_only=True, allow_null=True)
    phone = serializers.CharField(read_only=True, allow_null=True)
    tax_id = serializers.CharField(read_only=True, allow_null=True)
    aff_id = serializers.IntegerField(read_only=True, allow_null=True)
    stripe_id = serializers.CharField(read_only=True, allow_null=True)
    balance = MoneyOutField(allow_null=True)
    custom_fields = StoredObjectField(allow_null=True)
    status = serializers.IntegerField(read_only=True, allow_null=True)
    address = FullAddressSerializer(read_only=True, allow_null=True)
    role = RoleSerializer(read_only=True, allow_null=True)


class InvoiceItemSerializer(ContractSerializer):
    """An invoice item (invoices.md); `discount2` is always null."""

    id = serializers.UUIDField(read_only=True)
    invoice_id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True, allow_null=True)
    quantity = serializers.IntegerField(read_only=True)
    amount = MoneyOutField()
    discount = MoneyOutField()
    discount2 = serializers.SerializerMethodField()
    total = MoneyOutField()
    service_id = serializers.UUIDField(read_only=True, allow_null=True)
    order_id = serializers.UUIDField(read_only=True, allow_null=True)
    options = StoredObjectField(allow_null=True)
    created_at = UTCDateTimeField(allow_null=True)
    updated_at = UTCDateTimeField(allow_null=True)

    @extend_schema_field({"type": "string", "nullable": True, "pattern": r"^-?\d+\.\d{2}$"})
    @reads()
    def get_discount2(self, obj):
        return None  # always 0 in storage, returned as null like the reference (invoices.md)


class RecurringOutSerializer(ContractSerializer):
    """An invoice's stored `recurring` period."""

    r_period_l = serializers.IntegerField(read_only=True)
    r_period_t = serializers.CharField(read_only=True)


class InvoiceSerializer(ContractSerializer):
    """The invoice object (invoices.md), keys in the contract's order."""

    id = serializers.UUIDField(read_only=True)
    number = serializers.CharField(read_only=True)
    number_prefix = serializers.CharField(read_only=True, allow_null=True)
    client = InvoiceClientSerializer(source="user", read_only=True, allow_null=True)
    items = InvoiceItemSerializer(many=True, read_only=True)
    billing_address = serializers.SerializerMethodField()
    status = serializers.CharField(source="status_label", read_only=True)
    status_id = serializers.IntegerField(source="status", read_only=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()  # incremental sync (issue 14)
    date_due = UTCDateTimeField(allow_null=True)
    date_paid = UTCDateTimeField(allow_null=True)
    credit = MoneyOutField(allow_null=True)
    tax = MoneyOutField(allow_null=True)
    tax_name = serializers.CharField(read_only=True, allow_null=True)
    tax_percent = MoneyOutField(allow_null=True)
    currency = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True, allow_null=True)
    note = serializers.CharField(read_only=True, allow_null=True)
    ip_address = serializers.CharField(read_only=True, allow_null=True)
    loc_confirm = serializers.BooleanField(read_only=True, allow_null=True)
    recurring = serializers.SerializerMethodField()
    coupon_id = serializers.UUIDField(read_only=True, allow_null=True)
    transaction_id = serializers.CharField(read_only=True, allow_null=True)
    paysys = serializers.CharField(read_only=True, allow_null=True)
    subtotal = MoneyOutField()
    discount = MoneyOutField()  # the coupon's discount (issue 16); "0.00" without a coupon
    total = MoneyOutField()
    employee_id = serializers.UUIDField(read_only=True, allow_null=True)
    view_link = serializers.CharField(read_only=True, allow_null=True)
    download_link = serializers.CharField(read_only=True, allow_null=True)
    thanks_link = serializers.CharField(read_only=True, allow_null=True)
    subscription_id = serializers.UUIDField(read_only=True, allow_null=True)  # issue 16: the period it bills

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {key: {"type": "string", "nullable": True} for key in BILLING_ADDRESS_KEYS},
            "required": list(BILLING_ADDRESS_KEYS),
        }
    )
    @reads("billing_address")
    def get_billing_address(self, obj):
        return ordered_snapshot(obj.billing_address, BILLING_ADDRESS_KEYS)

    @extend_schema_field(RecurringOutSerializer(allow_null=True))
    @reads("recurring")
    def get_recurring(self, obj):
        return ordered_snapshot(obj.recurring, RECURRING_KEYS)


def ordered_snapshot(value, keys) -> dict | None:
    """A stored JSON object with its known keys first, in contract order (jsonb reorders keys)."""
    if not isinstance(value, Mapping):
        return value
    ordered = {key: value[key] for key in keys if key in value}
    ordered.update({k: v for k, v in value.items() if k not in ordered})
    return ordered



# --- coupons ------------------------------------------------------------------------------------------------

COUPON_CODE_PATTERN = r"^[A-Za-z0-9_-]{1,50}$"
COUPON_CODE_MESSAGE = "The code must be 1 to 50 letters, digits, '_' or '-'."
COUPON_TYPE_MESSAGE = "Input should be 'percent' or 'fixed'"
COUPON_DURATION_MESSAGE = "Input should be 'once', 'forever' or 'repeating'"
CURRENCY_PATTERN = r"^[A-Za-z]{3}$"
CURRENCY_MESSAGE = "The currency must be a three-letter code such as USD."


class CouponCreateSerializer(ContractSerializer):
    """`POST /api/coupons`. Shape only; the rules that tie fields together (percent 0.01–100, a currency for fixed
    coupons only, `duration_in_periods` for repeating ones, the code free ignoring case, services of the
    organization) are `billing.services.coupon_check`."""

    code = StrField(pattern=COUPON_CODE_PATTERN, pattern_message=COUPON_CODE_MESSAGE, max_length=50)
    type = StrField(pattern=r"percent|fixed", pattern_message=COUPON_TYPE_MESSAGE)
    # ≥ 0 here (what the schema can state for numeric strings); 0.01 and the percent bound: coupon_check.
    amount = MoneyField(min_value=Decimal("0"))
    currency = StrField(required=False, nullable=True, pattern=CURRENCY_PATTERN, pattern_message=CURRENCY_MESSAGE)
    duration = StrField(required=False, pattern=r"once|forever|repeating", pattern_message=COUPON_DURATION_MESSAGE)
    duration_in_periods = IntField(required=False, nullable=True, min_value=1)
    max_redemptions = IntField(required=False, nullable=True, min_value=1)
    expires_at = DateTimeInField(required=False, nullable=True)
    service_ids = ListOf(StrField(), required=False)


class CouponUpdateSerializer(CouponCreateSerializer):
    """`PUT /api/coupons/{id}`: partial. `null` clears `currency`, `duration_in_periods`, `max_redemptions`
    (unlimited) and `expires_at` (never); for the other fields it leaves them unchanged."""

    code = StrField(required=False, pattern=COUPON_CODE_PATTERN, pattern_message=COUPON_CODE_MESSAGE, max_length=50)
    type = StrField(required=False, pattern=r"percent|fixed", pattern_message=COUPON_TYPE_MESSAGE)
    amount = MoneyField(required=False, min_value=Decimal("0"))


class CouponSerializer(ContractSerializer):
    """The Coupon object (issue 16). `amount` is a two-decimal string (a percentage for `percent` coupons);
    `times_redeemed` counts the invoices the coupon was applied to."""

    id = serializers.UUIDField(read_only=True)
    code = serializers.CharField(read_only=True)
    type = serializers.CharField(read_only=True)
    amount = MoneyOutField()
    currency = serializers.CharField(read_only=True, allow_null=True)
    duration = serializers.CharField(read_only=True)
    duration_in_periods = serializers.IntegerField(read_only=True, allow_null=True)
    max_redemptions = serializers.IntegerField(read_only=True, allow_null=True)
    times_redeemed = serializers.IntegerField(read_only=True)
    expires_at = UTCDateTimeField(allow_null=True)
    service_ids = serializers.ListField(child=serializers.UUIDField(), read_only=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
