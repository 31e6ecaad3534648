"""Client payloads (contract clients.md): the Client object, and the create and update bodies."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from serviceengine.api.fields import (
    DateTimeInField, EmailField, IntField, MoneyOutField, ObjectField, StrField, UTCDateTimeField,
)
from serviceengine.core.reads import reads
from serviceengine.api.serializers import ContractSerializer, RoleSerializer


@extend_schema_field({"type": "object", "additionalProperties": {}})
class StoredObjectField(serializers.JSONField):
    """A stored JSON object returned as it is (`custom_fields`), whatever the admin may have put there."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)


class ClientAddressSerializer(ContractSerializer):
    """The client address: exactly these 11 keys, no id (contract §10.4 shape 1)."""

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


class ClientSerializer(ContractSerializer):
    """The Client object, keys in the contract's order. Reads `role` and `address` (select_related) and the
    `spent_total` annotation, so a page of clients costs no query per row."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.SerializerMethodField()
    name_f = serializers.CharField(read_only=True)
    name_l = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    company = serializers.CharField(read_only=True, allow_null=True)
    phone = serializers.CharField(read_only=True, allow_null=True)
    tax_id = serializers.CharField(read_only=True, allow_null=True)
    address = ClientAddressSerializer(read_only=True, allow_null=True)
    note = serializers.CharField(read_only=True, allow_null=True)
    balance = MoneyOutField()
    spent = MoneyOutField(source="spent_total", allow_null=True)
    optin = serializers.CharField(read_only=True, allow_null=True)
    stripe_id = serializers.CharField(read_only=True, allow_null=True)
    custom_fields = StoredObjectField()
    status = serializers.IntegerField(read_only=True)
    aff_id = serializers.IntegerField(read_only=True, allow_null=True)
    aff_link = serializers.CharField(read_only=True, allow_null=True)
    role_id = serializers.UUIDField(read_only=True)
    role = RoleSerializer(read_only=True)
    ga_cid = serializers.SerializerMethodField()
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()  # incremental sync (issue 14)

    @extend_schema_field(OpenApiTypes.STR)
    @reads("name_f", "name_l")
    def get_name(self, obj) -> str:
        return f"{obj.name_f or ''} {obj.name_l or ''}".strip()

    @extend_schema_field({"type": "string", "nullable": True})
    @reads()
    def get_ga_cid(self, obj):
        return None  # contract clients.md: always null from this API


class ClientAddressInputSerializer(ContractSerializer):
    """`address` in a request: the six line fields, each a string or null; other keys are ignored."""

    line_1 = StrField(required=False, allow_null=True, max_length=255)
    line_2 = StrField(required=False, allow_null=True, max_length=255)
    city = StrField(required=False, allow_null=True, max_length=255)
    state = StrField(required=False, allow_null=True, max_length=255)
    country = StrField(required=False, allow_null=True, max_length=10)
    postcode = StrField(required=False, allow_null=True, max_length=50)


class ClientUpdateSerializer(ContractSerializer):
    """`PUT /api/clients/{id}`: every field optional, `null` = unchanged (clients.md)."""

    name_f = StrField(required=False, allow_null=True, trim=True, min_length=1, max_length=255)
    name_l = StrField(required=False, allow_null=True, trim=True, min_length=1, max_length=255)
    email = EmailField(required=False, allow_null=True)
    company = StrField(required=False, allow_null=True, max_length=255)
    phone = StrField(required=False, allow_null=True, max_length=50)
    tax_id = StrField(required=False, allow_null=True, max_length=100)
    address = ClientAddressInputSerializer(required=False, allow_null=True)
    note = StrField(required=False, allow_null=True)
    optin = StrField(required=False, allow_null=True, max_length=50)
    stripe_id = StrField(required=False, allow_null=True, max_length=255)
    custom_fields = ObjectField(required=False, allow_null=True)
    status_id = IntField(required=False, allow_null=True)
    created_at = DateTimeInField(required=False, allow_null=True)


class ClientWriteSerializer(ClientUpdateSerializer):
    """`POST /api/clients`: `name_f`, `name_l` and `email` are required; the rest as on update."""

    name_f = StrField(trim=True, min_length=1, max_length=255)
    name_l = StrField(trim=True, min_length=1, max_length=255)
    email = EmailField()

    def get_fields(self):
        # Errors are listed in the body table's order (contract §7.1), not with the overridden fields last.
        fields = super().get_fields()
        return {name: fields[name] for name in ClientUpdateSerializer._declared_fields}
