"""Service payloads (contract services.md): the Service object, and the create and update bodies."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from serviceengine.api.fields import (
    BoolField, IntField, ListOf, MoneyField, MoneyOutField, StrField, UTCDateTimeField, format_money,
)
from serviceengine.core.reads import reads
from serviceengine.api.serializers import ContractSerializer

PERIOD_PATTERN = r"[DWMY]"
PERIOD_MESSAGE = "Value error, Period type must be D, W, M, or Y"
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def pretty_price(price, currency: str) -> str:
    """Currency symbol + price with two decimals, no thousands separator; a null price counts as 0; an
    unknown currency is its code and one space (services.md)."""
    amount = format_money(price if price is not None else 0)
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol is not None else f"{currency} {amount}"


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}, "example": {"category": "seo"}})
class MetadataOutField(serializers.JSONField):
    """The stored metadata object (contract §10.7), returned as it is."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)


class ServiceSerializer(ContractSerializer):
    """The Service object, keys in the contract's order; `deleted_at` and employees are never returned."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True, allow_null=True)
    image = serializers.CharField(read_only=True, allow_null=True)
    recurring = serializers.IntegerField(read_only=True)
    price = MoneyOutField(allow_null=True)
    pretty_price = serializers.SerializerMethodField()
    currency = serializers.CharField(read_only=True)
    f_price = MoneyOutField(allow_null=True)
    f_period_l = serializers.IntegerField(read_only=True, allow_null=True)
    f_period_t = serializers.CharField(read_only=True, allow_null=True)
    r_price = MoneyOutField(allow_null=True)
    r_period_l = serializers.IntegerField(read_only=True, allow_null=True)
    r_period_t = serializers.CharField(read_only=True, allow_null=True)
    recurring_action = serializers.IntegerField(read_only=True, allow_null=True)
    multi_order = serializers.BooleanField(read_only=True)
    request_orders = serializers.BooleanField(read_only=True)
    max_active_requests = serializers.IntegerField(read_only=True, allow_null=True)
    deadline = serializers.IntegerField(read_only=True, allow_null=True)
    public = serializers.BooleanField(read_only=True)
    sort_order = serializers.IntegerField(read_only=True)
    group_quantities = serializers.BooleanField(read_only=True)
    folder_id = serializers.UUIDField(read_only=True, allow_null=True)
    metadata = MetadataOutField()
    braintree_plan_id = serializers.CharField(read_only=True, allow_null=True)
    hoth_product_key = serializers.CharField(read_only=True, allow_null=True)
    hoth_package_name = serializers.CharField(read_only=True, allow_null=True)
    provider_id = serializers.IntegerField(read_only=True, allow_null=True)
    provider_service_id = serializers.IntegerField(read_only=True, allow_null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    @reads("price", "currency")
    def get_pretty_price(self, obj) -> str:
        return pretty_price(obj.price, obj.currency)


class CurrencyField(StrField):
    """A currency code: trimmed, 1–3 characters, stored upper-cased (services.md, Decision)."""

    def __init__(self, **kwargs):
        super().__init__(trim=True, min_length=1, max_length=3, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data).upper()


class PeriodTypeField(StrField):
    """`D`, `W`, `M` or `Y`, exact case."""

    def __init__(self, **kwargs):
        super().__init__(pattern=PERIOD_PATTERN, pattern_message=PERIOD_MESSAGE, **kwargs)


class ServiceMetadataItemSerializer(ContractSerializer):
    """One `{title, value}` element of `metadata` (contract §10.7)."""

    title = StrField()
    value = StrField(required=False, nullable=False, default="")


class MetadataField(ListOf):
    """`metadata` in: an array of `{title, value}`; validated into the stored object (contract §10.7):
    elements with an empty title are skipped, a repeated title keeps the last value."""

    def __init__(self, **kwargs):
        super().__init__(ServiceMetadataItemSerializer(), **kwargs)

    def to_internal_value(self, data):
        items = super().to_internal_value(data)
        return {item["title"]: item["value"] for item in items if item["title"] != ""}


class ServiceUpdateSerializer(ContractSerializer):
    """`PUT /api/services/{id}`: every field optional, `null` = unchanged; `folder_id: ""` clears the folder
    (the service layer reads `""` as "no folder")."""

    name = StrField(required=False, allow_null=True, trim=True, min_length=1, max_length=255)
    description = StrField(required=False, allow_null=True)
    recurring = IntField(required=False, allow_null=True, min_value=0, max_value=2)
    currency = CurrencyField(required=False, allow_null=True)
    price = MoneyField(required=False, allow_null=True)
    f_price = MoneyField(required=False, allow_null=True)
    f_period_l = IntField(required=False, allow_null=True)
    f_period_t = PeriodTypeField(required=False, allow_null=True)
    r_price = MoneyField(required=False, allow_null=True)
    r_period_l = IntField(required=False, allow_null=True)
    r_period_t = PeriodTypeField(required=False, allow_null=True)
    recurring_action = IntField(required=False, allow_null=True)
    deadline = IntField(required=False, allow_null=True)
    public = BoolField(required=False, allow_null=True)
    employees = ListOf(StrField(), required=False, allow_null=True)
    group_quantities = BoolField(required=False, allow_null=True)
    multi_order = BoolField(required=False, allow_null=True)
    request_orders = BoolField(required=False, allow_null=True)
    max_active_requests = IntField(required=False, allow_null=True)
    metadata = MetadataField(required=False, allow_null=True)
    folder_id = StrField(required=False, allow_null=True)
    sort_order = IntField(required=False, allow_null=True)
    braintree_plan_id = StrField(required=False, allow_null=True, max_length=255)
    hoth_product_key = StrField(required=False, allow_null=True, max_length=255)
    hoth_package_name = StrField(required=False, allow_null=True, max_length=255)
    provider_id = IntField(required=False, allow_null=True)
    provider_service_id = IntField(required=False, allow_null=True)


class ServiceWriteSerializer(ServiceUpdateSerializer):
    """`POST /api/services`: `name`, `recurring`, `currency` required; the four booleans default and reject
    `null`; `folder_id: ""` counts as absent; `sort_order` is not accepted (ignored like unknown keys)."""

    name = StrField(trim=True, min_length=1, max_length=255)
    recurring = IntField(min_value=0, max_value=2)
    currency = CurrencyField()
    public = BoolField(required=False, nullable=False, default=True)
    group_quantities = BoolField(required=False, nullable=False, default=False)
    multi_order = BoolField(required=False, nullable=False, default=True)
    request_orders = BoolField(required=False, nullable=False, default=False)
    metadata = MetadataField(required=False, allow_null=True, default=dict)
    folder_id = StrField(required=False, allow_null=True, empty_as_absent=True)
    sort_order = None

    def get_fields(self):
        # Errors are listed in the body table's order (contract §7.1), not with the overridden fields last.
        fields = super().get_fields()
        return {name: fields[name] for name in ServiceUpdateSerializer._declared_fields if name in fields}
