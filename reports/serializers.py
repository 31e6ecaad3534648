"""Shapes of the reports (issue 18): the query string they accept and what they answer, for validation and for the
OpenAPI document. Money is a two-decimal string per currency (contract §5); maps keyed by currency code."""
import re
from datetime import date, timedelta

from rest_framework import serializers

from serviceengine.api.fields import MoneyOutField

from .services import AGE_BUCKETS, DateRange, default_range

DATE_INVALID = "Input should be a valid date"
RANGE_ORDER = "Should not be before `from`"
MAX_RANGE_DAYS = 20 * 366
RANGE_TOO_LONG = f"The range should be at most {MAX_RANGE_DAYS} days"
INTERVAL_INVALID = "Input should be 'month' or 'week'"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(raw: str) -> date | None:
    if not _ISO_DATE.match(raw.strip()):
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def report_range(query_params, *, extra: dict | None = None) -> DateRange:
    """`from`/`to` (ISO dates, both included; default the last 12 months) → DateRange; 400 envelope on bad input
    (also for the errors in `extra`, checked together)."""
    errors = dict(extra or {})
    default = default_range()
    values = {}
    for key, fallback in (("from", default.start), ("to", default.end)):
        raw = query_params.get(key)
        if raw is None or raw == "":
            values[key] = fallback
            continue
        parsed = parse_date(raw)
        if parsed is None:
            errors[key] = [DATE_INVALID]
        values[key] = parsed
    if not errors:
        if values["to"] < values["from"]:
            errors["to"] = [RANGE_ORDER]
        elif values["to"] - values["from"] > timedelta(days=MAX_RANGE_DAYS):
            errors["to"] = [RANGE_TOO_LONG]
    if errors:
        raise serializers.ValidationError(errors)
    return DateRange(values["from"], values["to"])


def money():
    return MoneyOutField()


class StatusCountsSerializer(serializers.Serializer):
    open = serializers.IntegerField(help_text="All open rows (sum of `by_status`).")
    by_status = serializers.DictField(child=serializers.IntegerField(), help_text="Status label → count.")


class ClientCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Every client of the organization.")
    new = serializers.IntegerField(help_text="Clients created in the range.")


class ProposalCountsSerializer(serializers.Serializer):
    sent = serializers.IntegerField(help_text="Proposals sent in the range.")
    signed = serializers.IntegerField(help_text="Proposals signed in the range.")
    win_rate = serializers.FloatField(allow_null=True, help_text="signed ÷ sent (0–1, 4 decimals); null if none sent.")


class InvoiceTotalsSerializer(serializers.Serializer):
    invoiced = money()
    paid = money()
    outstanding = money()


class SummarySerializer(serializers.Serializer):
    clients = ClientCountsSerializer()
    orders = StatusCountsSerializer()
    tickets = StatusCountsSerializer()
    proposals = ProposalCountsSerializer()
    invoices = serializers.DictField(child=InvoiceTotalsSerializer(), help_text="Currency code → totals.")


class RevenueCellSerializer(serializers.Serializer):
    invoiced = money()
    paid = money()


class RevenuePeriodSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="`2026-03` (month) or `2026-W09` (ISO week).")
    start = serializers.DateField()
    end = serializers.DateField()
    currencies = serializers.DictField(child=RevenueCellSerializer(), help_text="Currency code → amounts.")


class RevenueSerializer(serializers.Serializer):
    interval = serializers.ChoiceField(choices=["month", "week"])
    currencies = serializers.ListField(child=serializers.CharField())
    series = RevenuePeriodSerializer(many=True)
    totals = serializers.DictField(child=RevenueCellSerializer())


class OwingClientSerializer(serializers.Serializer):
    client_id = serializers.UUIDField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    company = serializers.CharField(allow_null=True)
    total = money()
    invoices = serializers.IntegerField()


class AgeBucketsSerializer(serializers.Serializer):
    pass


AgeBucketsSerializer._declared_fields = {name: MoneyOutField() for name in AGE_BUCKETS}


class ReceivablesCurrencySerializer(serializers.Serializer):
    currency = serializers.CharField()
    count = serializers.IntegerField()
    total = money()
    buckets = AgeBucketsSerializer(help_text="Days past `date_due` (not yet due or no due date: `0-30`).")
    top_clients = OwingClientSerializer(many=True, help_text="At most 5, owing the most first.")


class ReceivablesSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currencies = ReceivablesCurrencySerializer(many=True)


class WorkloadRowSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    name = serializers.CharField()
    email = serializers.CharField()
    open_orders = serializers.IntegerField()
    tasks_assigned = serializers.IntegerField()
    tasks_overdue = serializers.IntegerField()
    tickets_assigned = serializers.IntegerField()


class WorkloadSerializer(serializers.Serializer):
    data = WorkloadRowSerializer(many=True)


def with_range(serializer_class):
    """`serializer_class` plus the `from`/`to` the report covered."""
    fields = {"from": serializers.DateField(), "to": serializers.DateField()}
    fields.update(serializer_class._declared_fields)
    cls = type(serializer_class.__name__.replace("Serializer", "Report") + "Serializer", (serializers.Serializer,), {})
    cls._declared_fields = fields
    return cls

