"""Subscription payloads (issue 16): the write schemas (contract wording, README §5) and the read shape, built
only from rows the read planner loads (serviceengine/perf/shape.py)."""
import re
from datetime import date
from decimal import Decimal

from rest_framework import serializers

from serviceengine.api.fields import (
    ContractFieldMixin, IntField, ListOf, MoneyField, MoneyOutField, StrField, UTCDateTimeField,
)
from serviceengine.api.serializers import ContractSerializer

from .periods import INTERVALS

DATE_TYPE = "Input should be a valid date"
INTERVAL_MESSAGE = "Input should be 'week', 'month' or 'year'"
CURRENCY_MESSAGE = "Input should be a three-letter currency code in capitals, e.g. 'USD'"
COUPON_CODE_PATTERN = r"[A-Za-z0-9_-]{1,50}"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateInField(ContractFieldMixin, serializers.DateField):
    """A calendar date in a request: `YYYY-MM-DD` only."""

    type_message = DATE_TYPE

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _ISO_DATE.fullmatch(data):
            self.reject(DATE_TYPE)
        try:
            return date.fromisoformat(data)
        except ValueError:
            self.reject(DATE_TYPE)


def interval_field(**kwargs):
    return StrField(pattern="|".join(INTERVALS), pattern_message=INTERVAL_MESSAGE, **kwargs)


def currency_field(**kwargs):
    return StrField(pattern=r"[A-Z]{3}", pattern_message=CURRENCY_MESSAGE, **kwargs)


class SubscriptionItemInputSerializer(ContractSerializer):
    """A line billed every period. `service_id` (optional; `""` = none) must be a live service of the
    organization (422)."""

    service_id = StrField(required=False, default=None, empty_as_absent=True)
    name = StrField(trim=True, min_length=1, max_length=255)
    quantity = IntField(required=False, nullable=False, default=1, min_value=1)
    price = MoneyField(min_value=Decimal("0"))


class SubscriptionCreateSerializer(ContractSerializer):
    """`POST /api/subscriptions`. `interval_count` is bounded per interval by the service (at most three years)."""

    client_id = StrField()
    items = ListOf(SubscriptionItemInputSerializer(), min_items=1, max_items=100)
    currency = currency_field(required=False, nullable=False, default="USD")
    interval = interval_field()
    interval_count = IntField(required=False, nullable=False, default=1, min_value=1)
    start_date = DateInField(required=False, default=None)
    coupon_code = StrField(required=False, default=None, empty_as_absent=True, pattern=COUPON_CODE_PATTERN)


class SubscriptionUpdateSerializer(ContractSerializer):
    """`PUT /api/subscriptions/{id}`: every field optional, `null` = unchanged; `items` replaces every line;
    `coupon_code: ""` removes the coupon. The schedule (`interval`, `interval_count`, `start_date`) can change only
    until the first invoice is issued (400 afterwards)."""

    client_id = StrField(required=False)
    items = ListOf(SubscriptionItemInputSerializer(), required=False, min_items=1, max_items=100)
    currency = currency_field(required=False)
    interval = interval_field(required=False)
    interval_count = IntField(required=False, min_value=1)
    start_date = DateInField(required=False)
    coupon_code = StrField(required=False, pattern=f"|{COUPON_CODE_PATTERN}")


class SubscriptionItemSerializer(ContractSerializer):
    """A subscription line as every subscription response embeds it."""

    id = serializers.UUIDField(read_only=True)
    service_id = serializers.UUIDField(read_only=True, allow_null=True)
    name = serializers.CharField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    price = MoneyOutField()


class SubscriptionSerializer(ContractSerializer):
    """The subscription object (list rows, retrieve, every write and every `subscription.*` event's `data`)."""

    id = serializers.UUIDField(read_only=True)
    client_id = serializers.UUIDField(read_only=True)
    status = serializers.CharField(read_only=True)
    items = SubscriptionItemSerializer(many=True, read_only=True)
    currency = serializers.CharField(read_only=True)
    interval = serializers.CharField(read_only=True)
    interval_count = serializers.IntegerField(read_only=True)
    start_date = serializers.DateField(read_only=True)
    current_period_start = serializers.DateField(read_only=True, allow_null=True)
    current_period_end = serializers.DateField(read_only=True, allow_null=True)
    next_invoice_at = UTCDateTimeField(allow_null=True)
    coupon_code = serializers.CharField(read_only=True, allow_null=True)
    invoices_count = serializers.IntegerField(read_only=True)
    latest_invoice_id = serializers.UUIDField(read_only=True, allow_null=True)
    canceled_at = UTCDateTimeField(allow_null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
