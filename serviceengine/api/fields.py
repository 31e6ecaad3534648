"""Serializer fields that coerce and reject input exactly as the contract says (README §5).

The contract's rules are strict about types: a string field takes only JSON strings, integer fields take
integral numbers and numeric strings, booleans take a fixed vocabulary, money is Decimal rounded half away
from zero. Null handling is uniform (`nullable`):

- `nullable=None` (default): on an optional field `null` means "absent"; on a required field it is a type error;
- `nullable=False`: `null` is a type error even though the field is optional (fields with a non-null default);
- `nullable=True`: `null` is a value that reaches the service (the few fields where `null` clears).
"""
import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timezone as dt_timezone
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email
from rest_framework import serializers
from rest_framework.fields import empty

from serviceengine.core.money import CENT, MONEY_COLUMN_MAX, format_money, quantize_money  # noqa: F401 (re-exported)

from . import messages as msg

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# Money columns are DECIMAL(18, 2); inputs are bounded well inside so that totals cannot overflow.
MONEY_INPUT_MAX = Decimal("999999999.99")
_BOOL_TRUE = {"1", "on", "t", "true", "y", "yes"}
_BOOL_FALSE = {"0", "off", "f", "false", "n", "no"}
_INT_STRING = re.compile(r"[+-]?\d{1,30}")
_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def format_datetime(value) -> str | None:
    """ISO 8601 in UTC with `+00:00`, microseconds only when non-zero (contract §5); never `Z`."""
    if value is None:
        return None
    return value.astimezone(dt_timezone.utc).isoformat()


def parse_datetime_input(value: str) -> datetime | None:
    """Parse an ISO 8601 date-time (no offset means UTC) or a plain date (midnight UTC); None if invalid."""
    text = value.strip()
    try:
        if _PLAIN_DATE.fullmatch(text):
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=dt_timezone.utc)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt_timezone.utc)
    try:
        return parsed.astimezone(dt_timezone.utc)
    except OverflowError:
        return None


def parse_decimal_input(data) -> tuple[Decimal | None, str | None]:
    """(value, None) or (None, message) for a JSON number or numeric string, per the contract's number rules."""
    if isinstance(data, bool):
        return None, msg.NUMBER_TYPE
    if isinstance(data, int):
        return Decimal(data), None
    if isinstance(data, float):
        if not math.isfinite(data):
            return None, msg.NUMBER_FINITE
        return Decimal(repr(data)), None
    if isinstance(data, str):
        text = data.strip()
        if len(text) > 100:
            return None, msg.NUMBER_PARSING
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None, msg.NUMBER_PARSING
        if not value.is_finite():
            return None, msg.NUMBER_FINITE
        return value, None
    return None, msg.NUMBER_TYPE


def parse_int_input(data) -> tuple[int | None, str | None]:
    """(value, None) or (None, message) for the contract's integer coercion rules."""
    if isinstance(data, bool):
        return int(data), None
    if isinstance(data, int):
        return data, None
    if isinstance(data, float):
        if not math.isfinite(data):
            return None, msg.NUMBER_FINITE
        if not data.is_integer():
            return None, msg.INT_FRACTION
        return int(data), None
    if isinstance(data, str):
        text = data.strip()
        if _INT_STRING.fullmatch(text):
            return int(text), None
        return None, msg.INT_PARSING
    return None, msg.INT_TYPE


def parse_bool_input(data) -> tuple[bool | None, str | None]:
    if isinstance(data, bool):
        return data, None
    if isinstance(data, (int, float)):
        if data in (0, 1):
            return bool(data), None
        return None, msg.BOOL_PARSING
    if isinstance(data, str):
        lowered = data.lower()
        if lowered in _BOOL_TRUE:
            return True, None
        if lowered in _BOOL_FALSE:
            return False, None
        return None, msg.BOOL_PARSING
    return None, msg.BOOL_TYPE


def contains_null_character(value) -> bool:
    """True when a NUL character hides anywhere in a JSON value (PostgreSQL cannot store it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(contains_null_character(k) or contains_null_character(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(contains_null_character(v) for v in value)
    return False


class ContractFieldMixin:
    """Uniform handling of absent and null values, and the contract's `Field required` message."""

    type_message = msg.STRING_TYPE

    def __init__(self, *args, nullable=None, empty_as_absent=False, **kwargs):
        self.nullable = nullable
        self.empty_as_absent = empty_as_absent
        if nullable is True:
            kwargs["allow_null"] = True
        super().__init__(*args, **kwargs)
        self.error_messages["required"] = msg.FIELD_REQUIRED
        self.error_messages["null"] = self.type_message
        self.error_messages["invalid"] = self.type_message

    def validate_empty_values(self, data):
        if self.read_only:
            return (True, self.get_default())
        if data is None and self.nullable is None and not self.required:
            data = empty
        if self.empty_as_absent and data == "":
            data = empty
        if data is empty:
            if self.required:
                self.fail("required")
            return (True, self.get_default())
        if data is None:
            if self.nullable is True:
                return (True, None)
            self.fail("null")
        return (False, data)

    def run_validation(self, data=empty):
        is_empty_value, data = self.validate_empty_values(data)
        if is_empty_value:
            return data
        value = self.to_internal_value(data)
        self.run_validators(value)
        return value

    def _strip_builtin_validators(self):
        """DRF adds validators with its own wording; the contract's checks live in `to_internal_value`."""
        self.validators = [v for v in self.validators if getattr(v, "__module__", "").startswith("serviceengine")]

    def reject(self, message: str):
        raise serializers.ValidationError(message)


class StrField(ContractFieldMixin, serializers.CharField):
    """A JSON string. `trim=True` stores it stripped, and then a whitespace-only value counts as empty."""

    type_message = msg.STRING_TYPE

    def __init__(self, *, trim=False, min_length=None, max_length=None, pattern=None, pattern_message=None, **kwargs):
        self.trim = trim
        self.pattern = re.compile(pattern) if pattern else None
        self.pattern_message = pattern_message
        kwargs.setdefault("allow_blank", True)
        super().__init__(trim_whitespace=False, min_length=min_length, max_length=max_length, **kwargs)
        # DRF's length validators stay (the OpenAPI schema reads minLength/maxLength from them), but they never
        # fire: to_internal_value applies the same bounds first, with the contract's wording.

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.reject(msg.STRING_TYPE)
        value = data.strip() if self.trim else data
        if "\x00" in value:
            self.reject(msg.NULL_CHARACTERS)
        if self.min_length is not None and len(value) < self.min_length:
            self.reject(msg.STRING_TOO_SHORT.format(min_length=self.min_length, plural=msg.plural(self.min_length)))
        if self.max_length is not None and len(value) > self.max_length:
            self.reject(msg.STRING_TOO_LONG.format(max_length=self.max_length))
        if self.pattern is not None and not self.pattern.fullmatch(value):
            self.reject(self.pattern_message or msg.STRING_PATTERN.format(pattern=self.pattern.pattern))
        return value


class EmailField(StrField):
    """An email address validated like `email-validator` without deliverability; stored trimmed and lower-cased."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.reject(msg.STRING_TYPE)
        value = data.strip()
        if "\x00" in value:
            self.reject(msg.NULL_CHARACTERS)
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError as exc:
            self.reject(msg.EMAIL_INVALID.format(reason=str(exc)))
        if len(value) > self.max_length:
            self.reject(msg.STRING_TOO_LONG.format(max_length=self.max_length))
        return value.lower()


class IntField(ContractFieldMixin, serializers.IntegerField):
    """An integer: JSON integers, integral floats, numeric strings and booleans. Bounded to the 32-bit column
    range unless other bounds are given, so absurd values are a 400, never a database error."""

    type_message = msg.INT_TYPE

    def __init__(self, *, min_value=INT32_MIN, max_value=INT32_MAX, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)
        self._strip_builtin_validators()

    def to_internal_value(self, data):
        value, error = parse_int_input(data)
        if error:
            self.reject(error)
        if self.min_value is not None and value < self.min_value:
            self.reject(msg.GREATER_EQUAL.format(limit=self.min_value))
        if self.max_value is not None and value > self.max_value:
            self.reject(msg.LESS_EQUAL.format(limit=self.max_value))
        return value


class MoneyField(ContractFieldMixin, serializers.DecimalField):
    """Money: a JSON number or numeric string in, a Decimal rounded to cents stored, a two-decimal string out."""

    type_message = msg.NUMBER_TYPE

    def __init__(self, *, min_value=None, max_value=None, **kwargs):
        min_value = -MONEY_INPUT_MAX if min_value is None else min_value
        max_value = MONEY_INPUT_MAX if max_value is None else max_value
        super().__init__(max_digits=18, decimal_places=2, min_value=min_value, max_value=max_value, **kwargs)
        self._strip_builtin_validators()

    def to_internal_value(self, data):
        value, error = parse_decimal_input(data)
        if error:
            self.reject(error)
        if self.min_value is not None and value < self.min_value:
            self.reject(msg.GREATER_EQUAL.format(limit=self.min_value))
        if self.max_value is not None and value > self.max_value:
            self.reject(msg.LESS_EQUAL.format(limit=self.max_value))
        return quantize_money(value)

    def to_representation(self, value):
        return format_money(value)


class BoolField(ContractFieldMixin, serializers.BooleanField):
    type_message = msg.BOOL_TYPE

    def to_internal_value(self, data):
        value, error = parse_bool_input(data)
        if error:
            self.reject(error)
        return value


class ObjectField(ContractFieldMixin, serializers.DictField):
    """A free-form JSON object (custom_fields, ticket metadata, item options), stored as sent."""

    type_message = msg.DICT_TYPE

    def __init__(self, **kwargs):
        super().__init__(child=serializers.JSONField(), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            self.reject(msg.DICT_TYPE)
        if contains_null_character(data):
            self.reject(msg.NULL_CHARACTERS)
        return dict(data)

    def to_representation(self, value):
        return value


class ListOf(ContractFieldMixin, serializers.ListField):
    """A JSON array; element errors are keyed by index (`employees.1`, `items.0.name`)."""

    type_message = msg.LIST_TYPE

    def __init__(self, child, *, min_items=None, max_items=1000, **kwargs):
        self.min_items = min_items
        self.max_items = max_items
        super().__init__(child=child, **kwargs)
        self._strip_builtin_validators()

    def to_internal_value(self, data):
        if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, (list, tuple)):
            self.reject(msg.LIST_TYPE)
        if self.min_items is not None and len(data) < self.min_items:
            self.reject(msg.LIST_TOO_SHORT.format(min_length=self.min_items, plural=msg.plural(self.min_items), actual=len(data)))
        if self.max_items is not None and len(data) > self.max_items:
            self.reject(msg.LIST_TOO_LONG.format(max_length=self.max_items, actual=len(data)))
        return self.run_child_validation(data)


class DateTimeInField(ContractFieldMixin, serializers.DateTimeField):
    """A timestamp in a request: ISO 8601 with or without offset (none = UTC) or a plain date (midnight UTC)."""

    type_message = msg.DATETIME_TYPE

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.reject(msg.DATETIME_TYPE)
        value = parse_datetime_input(data)
        if value is None:
            self.reject(msg.DATETIME_TYPE)
        return value

    def to_representation(self, value):
        return format_datetime(value)


class UTCDateTimeField(serializers.DateTimeField):
    """A timestamp in a response: `+00:00`, never DRF's `Z` (contract §5)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return format_datetime(value)


class MoneyOutField(serializers.DecimalField):
    """Read-only money: a two-decimal string (or null)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(max_digits=18, decimal_places=2, **kwargs)

    def to_representation(self, value):
        return format_money(value)


class PluckField(serializers.ListField):
    """A read-only list of one attribute of each child row: `PluckField(source="tag_links", item_path="tag.name")`
    renders an order's tag names in the child rows' order. The read planner (serviceengine/perf/shape.py) loads
    the child rows with exactly that path."""

    def __init__(self, *, item_path: str, **kwargs):
        self.item_path = item_path
        self._item_attrs = item_path.split(".")
        kwargs.setdefault("child", serializers.CharField())
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, data):
        items = data.all() if hasattr(data, "all") else data
        out = []
        for item in items:
            for attr in self._item_attrs:
                item = getattr(item, attr)
            out.append(item)
        return out
