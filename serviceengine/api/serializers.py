"""Base serializer of the API: contract wording for whole-object errors, and the shared read shapes."""
from collections.abc import Mapping

from rest_framework import serializers

from . import messages as msg
from .fields import ContractFieldMixin, UTCDateTimeField


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
