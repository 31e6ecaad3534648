"""Base serializer of the API: contract wording for whole-object errors, a compiled read path, and the shared
read shapes."""
import keyword
import threading
from collections.abc import Mapping
from typing import ClassVar

from django.db.models.manager import BaseManager
from rest_framework import relations, serializers
from rest_framework.fields import SkipField, is_simple_callable

from serviceengine.perf.compiled import MissingColumn

from . import messages as msg
from .fields import ContractFieldMixin, MoneyOutField, UTCDateTimeField, format_datetime, format_money

# Field classes whose `to_representation` is a plain function of a non-null value (DRF 3.18's own behaviour for
# these exact classes; subclasses keep their method). Anything else goes through the field's method.
_CONVERTERS = {
    serializers.CharField: str,
    serializers.IntegerField: int,
    serializers.FloatField: float,
    UTCDateTimeField: format_datetime,
    MoneyOutField: format_money,
}


def _converter(field):
    kind = type(field)
    if kind in _CONVERTERS:
        return _CONVERTERS[kind]
    if kind is serializers.UUIDField and field.uuid_format == "hex_verbose":
        return str
    if kind is serializers.BooleanField:
        slow = field.to_representation
        return lambda value: value if value is True or value is False else slow(value)
    if kind is serializers.SerializerMethodField:
        return getattr(field.parent, field.method_name)  # what its to_representation looks up on every call
    if _renders_by_plan(field):  # a nested object: its own plan, without the serializer instance in between
        return ReadPlan.of(type(field)).render
    if isinstance(field, serializers.ListSerializer) and type(field).to_representation is LIST_REPRESENTATION \
            and _renders_by_plan(field.child):
        render = ReadPlan.of(type(field.child)).render
        return lambda value: [render(item) for item in (value.all() if isinstance(value, BaseManager) else value)]
    return field.to_representation


def _renders_by_plan(field) -> bool:
    return isinstance(field, ContractSerializer) and type(field).to_representation is ContractSerializer.to_representation


LIST_REPRESENTATION = serializers.ListSerializer.to_representation
GENERIC, ONE_ATTRIBUTE, PATH = 0, 1, 2
_SKIP = object()  # a key the rendering leaves out (DRF's SkipField)


def _read(target: str, attr: str) -> str:
    """Python reading attribute `attr` of `target`: `target.attr` when `attr` is a name, else `getattr`."""
    if attr.isidentifier() and not keyword.iskeyword(attr):
        return f"{target}.{attr}"
    return f"getattr({target}, {attr!r})"


class ReadPlan:
    """How one serializer class renders an object, compiled once per class from a bound template instance.

    DRF's `Serializer.to_representation` reads `self.fields`, which deep-copies every declared field (and every
    nested serializer's fields) for each serializer instance: about 60 field constructions per order row, most of
    a list request's Python time. The plan keeps one bound copy per class and, per readable field, its attribute
    path and a converter (nested objects render through their own plans); the output is the same dict DRF builds
    (same keys, order, null rules and SkipField).

    `render` is one Python function written for the class from these steps (`_source`): each field's attribute
    read is spelled out (`instance.created_at`) instead of being interpreted from the step's tuple on every row
    (a page of 20 invoices with their items renders ~2,700 fields: ~15% fewer instructions that way)."""

    _plans: ClassVar[dict] = {}
    _lock = threading.RLock()  # reentrant: a plan builds the plans of the objects it nests

    def __init__(self, serializer_class):
        template = serializer_class()
        self.steps = []
        for field in template._readable_fields:
            if isinstance(field, relations.RelatedField):
                kind, attrs = GENERIC, None
            elif len(field.source_attrs) == 1:
                kind, attrs = ONE_ATTRIBUTE, field.source_attrs[0]
            else:
                kind, attrs = PATH, tuple(field.source_attrs)
            self.steps.append((field.field_name, kind, attrs, _converter(field), field))
        namespace = {
            "callable": callable, "is_simple_callable": is_simple_callable, "isinstance": isinstance,
            "MissingColumn": MissingColumn, "SkipField": SkipField, "PKOnlyObject": relations.PKOnlyObject,
            "SKIP": _SKIP,
        }
        for index, (_name, _kind, _attrs, convert, field) in enumerate(self.steps):
            namespace[f"convert_{index}"], namespace[f"field_{index}"] = convert, field
        exec(compile(self._source(), f"<ReadPlan {serializer_class.__qualname__}>", "exec"), namespace)
        self.render = namespace["render"]

    def _source(self) -> str:
        """The text of `render(instance) -> dict`. Per step, in order: read the value (an attribute, calling a simple
        callable; a path of them; a relational field's own `get_attribute`), and on any error but `MissingColumn`
        let DRF's `get_attribute` decide (SkipField leaves the key out); then null stays null, anything else goes
        through the step's converter. Relational fields render with DRF's own rules."""
        lines = ["def render(instance):", "    ret = {}"]
        for index, (name, kind, attrs, _convert, step_field) in enumerate(self.steps):
            field, convert = f"field_{index}", f"convert_{index}"
            lines.append("    try:")
            if kind == ONE_ATTRIBUTE:
                lines += [f"        value = {_read('instance', attrs)}",
                          "        if callable(value) and is_simple_callable(value):",
                          "            value = value()"]
            elif kind == PATH:
                lines.append("        value = instance")
                for attr in attrs:
                    lines += [f"        value = {_read('value', attr)}",
                              "        if callable(value) and is_simple_callable(value):",
                              "            value = value()"]
            else:
                lines += ["        try:",
                          f"            value = {field}.get_attribute(instance)",
                          "        except SkipField:",
                          "            value = SKIP",
                          "        else:",
                          "            check = value.pk if isinstance(value, PKOnlyObject) else value",
                          f"            ret[{name!r}] = None if check is None else {field}.to_representation(value)",
                          "            value = SKIP"]
            lines += ["    except MissingColumn:",
                      "        raise",
                      "    except Exception:",
                      "        try:",
                      f"            value = {field}.get_attribute(instance)",
                      "        except SkipField:",
                      "            value = SKIP",
                      "    if value is not SKIP:"]
            if type(step_field) is serializers.BooleanField:  # its converter, inline: a role has 17 flags
                lines.append(f"        ret[{name!r}] = None if value is None else value if value is True or value is False"
                             f" else {field}.to_representation(value)")
            else:
                lines.append(f"        ret[{name!r}] = None if value is None else {convert}(value)")
        lines.append("    return ret")
        return "\n".join(lines) + "\n"

    @classmethod
    def of(cls, serializer_class) -> "ReadPlan":
        plan = cls._plans.get(serializer_class)
        if plan is None:
            with cls._lock:
                plan = cls._plans.get(serializer_class)
                if plan is None:
                    plan = cls._plans[serializer_class] = cls(serializer_class)
        return plan


class ContractSerializer(ContractFieldMixin, serializers.Serializer):
    """Every serializer of the API inherits this one.

    Used as a nested field it follows the same absent/null rules as the contract fields; a value that is not an
    object is reported on the field itself (`address: ["Input should be a valid dictionary or object ..."]`), and
    at the top level under `root`.
    """

    type_message = msg.OBJECT_TYPE

    # DRF's own run_validation, so `validate()` hooks still run; empty/null handling comes from the mixin.
    run_validation = serializers.Serializer.run_validation

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise serializers.ValidationError([msg.OBJECT_TYPE])
        return super().to_internal_value(data)

    def to_representation(self, instance):
        return ReadPlan.of(type(self)).render(instance)


class RoleSerializer(ContractSerializer):
    """The full role object (contract §10.3)."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    dashboard_access = serializers.IntegerField(read_only=True)
    order_access = serializers.IntegerField(read_only=True)
    order_management = serializers.IntegerField(read_only=True)
    ticket_access = serializers.IntegerField(read_only=True)
    ticket_management = serializers.IntegerField(read_only=True)
    invoice_access = serializers.IntegerField(read_only=True)
    invoice_management = serializers.IntegerField(read_only=True)
    clients = serializers.IntegerField(read_only=True)
    services = serializers.IntegerField(read_only=True)
    coupons = serializers.IntegerField(read_only=True)
    forms = serializers.IntegerField(read_only=True)
    messaging = serializers.IntegerField(read_only=True)
    affiliates = serializers.IntegerField(read_only=True)
    settings_company = serializers.BooleanField(read_only=True)
    settings_payments = serializers.BooleanField(read_only=True)
    settings_team = serializers.BooleanField(read_only=True)
    settings_modules = serializers.BooleanField(read_only=True)
    settings_integrations = serializers.BooleanField(read_only=True)
    settings_orders = serializers.BooleanField(read_only=True)
    settings_tickets = serializers.BooleanField(read_only=True)
    settings_accounts = serializers.BooleanField(read_only=True)
    settings_messages = serializers.BooleanField(read_only=True)
    settings_tags = serializers.BooleanField(read_only=True)
    settings_sidebar = serializers.BooleanField(read_only=True)
    settings_dashboard = serializers.BooleanField(read_only=True)
    settings_templates = serializers.BooleanField(read_only=True)
    settings_emails = serializers.BooleanField(read_only=True)
    settings_language = serializers.BooleanField(read_only=True)
    settings_logs = serializers.BooleanField(read_only=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


class FullAddressSerializer(ContractSerializer):
    """The full address (contract §10.4 shape 3), as embedded in invoice and ticket clients; no org id."""

    id = serializers.UUIDField(read_only=True)
    line_1 = serializers.CharField(read_only=True, allow_null=True)
    line_2 = serializers.CharField(read_only=True, allow_null=True)
    city = serializers.CharField(read_only=True, allow_null=True)
    state = serializers.CharField(read_only=True, allow_null=True)
    country = serializers.CharField(read_only=True, allow_null=True)
    postcode = serializers.CharField(read_only=True, allow_null=True)
    name_f = serializers.CharField(read_only=True, allow_null=True)
    name_l = serializers.CharField(read_only=True, allow_null=True)
    tax_id = serializers.CharField(read_only=True, allow_null=True)
    company_name = serializers.CharField(read_only=True, allow_null=True)
    company_vat = serializers.CharField(read_only=True, allow_null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


class ErrorDetailSerializer(serializers.Serializer):
    """`{"detail": "..."}`: 401, 404, 405, 409, 413, 500, 503 and state errors (contract §7.3)."""

    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    """`{"message": "The given data was invalid.", "errors": {"field.path": ["..."]}}` (contract §7.1)."""

    message = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
