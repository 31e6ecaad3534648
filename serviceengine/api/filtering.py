"""`filters[field][$op]=value` filtering and `sort=field:dir` sorting for list endpoints (contract §8.1).

A viewset declares what it offers:

    filter_fields = {"id": "uuid", "status": "int", "user_id": ("user_id", "uuid"), "created_at": "datetime"}
    sort_fields = {"id": "id", "email": "email", "created_at": "created_at"}

Each filter field is `api_name: kind` or `api_name: (orm_path, kind)`, kind one of `uuid str int decimal datetime
bool`. `parse_filters` reads one form field per declared field and operator (built once per viewset) and returns the
request's `Condition`s, in declaration order; a value that does not convert answers 400 keyed by the query
parameter. Unknown fields and operators are ignored; filters restrict rows and total alike. The conditions are
applied by `apply_condition`: to a queryset here (`ContractFilterBackend`), or as the shape and parameters of a
compiled list (serviceengine/perf/lean.py `Reader.filtered`).
"""
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.db.models import F
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from . import messages as msg
from .fields import parse_bool_input, parse_datetime_input, parse_int_input

OPERATORS = ("$eq", "$lt", "$gt", "$in")
NULL_VALUE = {"type": "string", "enum": ["null"]}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_NULL = object()
NULL = _NULL  # the value of `filters[field][$eq]=null` (IS NULL)
LOOKUPS = {"$eq": "exact", "$lt": "lt", "$gt": "gt", "$in": "in"}


class _Invalid(Exception):
    pass


def _convert(kind: str, raw: str):
    if kind == "str":
        if "\x00" in raw:
            raise _Invalid
        return raw
    if kind == "uuid":
        try:
            return uuid.UUID(raw.strip())
        except ValueError:
            raise _Invalid from None
    if kind == "int":
        value, error = parse_int_input(raw)
        if error or not INT64_MIN <= value <= INT64_MAX:
            raise _Invalid
        return value
    if kind == "decimal":
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            raise _Invalid from None
        if not value.is_finite() or abs(value) >= Decimal("1e17"):
            raise _Invalid
        return value
    if kind == "datetime":
        value = parse_datetime_input(raw)
        if value is None:
            raise _Invalid
        return value
    if kind == "bool":
        value, error = parse_bool_input(raw)
        if error:
            raise _Invalid
        return value
    raise ValueError(f"unknown filter kind {kind!r}")


class _ManyValuesWidget(forms.Widget):
    """Reads every value of a repeated query parameter (`filters[id][$in][]=a&filters[id][$in][]=b`)."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name + "[]") + data.getlist(name)
        return values or None


class ContractValueField(forms.Field):
    """Converts a filter value to the field's type; `null` is IS NULL for `$eq` only."""

    default_error_messages = {"invalid": msg.FILTER_INVALID}

    def __init__(self, *, kind: str, op: str, **kwargs):
        self.kind = kind
        self.op = op
        kwargs.setdefault("required", False)
        if op == "$in":
            kwargs.setdefault("widget", _ManyValuesWidget)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, "", []):
            return None
        try:
            if self.op == "$in":
                return [_convert(self.kind, item) for item in value]
            if self.op == "$eq" and value == "null":
                return _NULL
            return _convert(self.kind, value)
        except _Invalid:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


@dataclass(frozen=True)
class Condition:
    """One `filters[field][op]` of a request: `value` is converted to the field's kind (a list for `$in`, `NULL` for
    `$eq=null`)."""

    path: str  # the ORM path
    kind: str
    op: str
    value: object


def apply_condition(queryset, path: str, op: str, value):
    """`queryset` narrowed by one condition."""
    if value is _NULL:
        return queryset.filter(**{f"{path}__isnull": True})
    return queryset.filter(**{f"{path}__{LOOKUPS[op]}": value})


def filter_param(field: str, op: str) -> str:
    return f"filters[{field}][{op}]"


def normalize_filter_fields(filter_fields: dict) -> dict[str, tuple[str, str]]:
    return {
        name: (spec if isinstance(spec, tuple) else (name, spec)) for name, spec in (filter_fields or {}).items()
    }


def declared_filters(filter_fields: dict) -> list[tuple]:
    """(query parameter, ORM path, kind, operator, form field) per declared field and operator, in order."""
    declared = []
    for name, (path, kind) in normalize_filter_fields(filter_fields).items():
        for op in OPERATORS:
            declared.append((filter_param(name, op), path, kind, op, ContractValueField(kind=kind, op=op)))
    return declared


_DECLARED: dict = {}


def parse_filters(request, view) -> list[Condition]:
    """The request's conditions on `view.filter_fields`, in declaration order; a ValidationError listing every
    value that does not convert (keyed by the query parameter as sent: `$in` takes a trailing `[]`)."""
    key = type(view)
    declared = _DECLARED.get(key)
    if declared is None:
        declared = _DECLARED[key] = declared_filters(getattr(view, "filter_fields", {}))
    data = request.query_params
    conditions, errors = [], {}
    for param, path, kind, op, field in declared:
        if param not in data and (op != "$in" or param + "[]" not in data):
            continue  # absent: the field would clean None (no condition, no error)
        try:
            value = field.clean(field.widget.value_from_datadict(data, None, param))
        except forms.ValidationError:
            errors[param + "[]" if op == "$in" else param] = [msg.FILTER_INVALID]
            continue
        if value is not None:
            conditions.append(Condition(path, kind, op, value))
    if errors:
        raise ValidationError(errors)
    return conditions


class ContractFilterBackend(BaseFilterBackend):
    """Applies the viewset's `filter_fields` (`parse_filters`, then `apply_condition` for each)."""

    def filter_queryset(self, request, queryset, view):
        if not getattr(view, "filter_fields", None):
            return queryset
        if not has_filters(request):
            return queryset
        for condition in parse_filters(request, view):
            queryset = apply_condition(queryset, condition.path, condition.op, condition.value)
        return queryset

    def get_schema_operation_parameters(self, view):
        # The values `_convert` accepts: 64-bit integers, decimals under 1e17 (at most 16 integer digits); `$eq`
        # also takes the word `null` (IS NULL).
        types = {
            "uuid": {"type": "string", "format": "uuid"},
            "str": {"type": "string"},
            "int": {"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX},
            "decimal": {"type": "string", "pattern": r"^-?\d{1,16}(\.\d+)?$"},
            "datetime": {"type": "string", "format": "date-time"},
            "bool": {"type": "boolean"},
        }
        params = []
        for name, (_path, kind) in normalize_filter_fields(getattr(view, "filter_fields", {})).items():
            for op in ("$eq", "$lt", "$gt"):
                params.append(
                    {
                        "name": filter_param(name, op),
                        "in": "query",
                        "required": False,
                        "description": f"`{name}` {op[1:]}" + (" (`null` means IS NULL)" if op == "$eq" else ""),
                        "schema": {"anyOf": [types[kind], NULL_VALUE]} if op == "$eq" else types[kind],
                    }
                )
            params.append(
                {
                    "name": filter_param(name, "$in") + "[]",
                    "in": "query",
                    "required": False,
                    "description": f"`{name}` is one of the values (repeat the parameter)",
                    "schema": {"type": "array", "items": types[kind]},
                    "style": "form",
                    "explode": True,
                }
            )
        return params


def has_filters(request) -> bool:
    """Whether the query string has any `filters[...]` parameter or a `search` (serviceengine/api/search.py)."""
    return "search" in request.query_params or any(key.startswith("filters[") for key in request.query_params)


def sort_ordering(path: str, ascending: bool) -> tuple:
    """The `order_by()` arguments of a sort: nulls as in PostgreSQL, ties broken by `id` ascending."""
    return (F(path).asc(nulls_last=True) if ascending else F(path).desc(nulls_first=True)), "id"


class ContractSortBackend(BaseFilterBackend):
    """`sort=field:asc|desc` against the viewset's `sort_fields`; unknown fields fall back to `created_at`,
    anything but exactly `asc` is descending, ties go to `id` ascending, and nulls sort as in PostgreSQL."""

    default_field = "created_at"

    def sort_key(self, request, view) -> tuple[str, bool]:
        """`(path, ascending)` of the requested sort, with the fallbacks applied."""
        sort_fields = getattr(view, "sort_fields", None) or {}
        raw = request.query_params.get("sort", "")
        name, sep, direction = raw.partition(":")
        path = sort_fields.get(name) or sort_fields.get(self.default_field, self.default_field)
        return path, bool(sep) and direction == "asc"

    def filter_queryset(self, request, queryset, view):
        if not getattr(view, "sort_fields", None):
            return queryset
        return queryset.order_by(*sort_ordering(*self.sort_key(request, view)))

    def get_schema_operation_parameters(self, view):
        sort_fields = getattr(view, "sort_fields", None)
        if not sort_fields:
            return []
        return [
            {
                "name": "sort",
                "in": "query",
                "required": False,
                "description": "`field:asc` or `field:desc`; fields: " + ", ".join(f"`{f}`" for f in sort_fields),
                "schema": {"type": "string", "default": "created_at:desc"},
            }
        ]
