"""Webhook payloads (issue 13): the endpoint object (the secret only on create and rotate), its bodies, and the
delivery object."""
from rest_framework import serializers

from serviceengine.api.fields import ListOf, StrField, UTCDateTimeField
from serviceengine.api.serializers import ContractSerializer

from .models import DeliveryStatus, EndpointStatus

STATUS_MESSAGE = "Input should be 'enabled' or 'disabled'"


class WebhookEndpointSerializer(ContractSerializer):
    """The endpoint as list, retrieve and update return it: never the secret."""

    id = serializers.UUIDField(read_only=True)
    url = serializers.CharField(read_only=True)
    enabled_events = serializers.ListField(child=serializers.CharField(), read_only=True)
    description = serializers.CharField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=EndpointStatus.choices, read_only=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """The endpoint with its signing secret (`whsec_` + base64): only in the answers of create and rotate_secret."""

    secret = serializers.CharField(read_only=True)


class WebhookEndpointCreateSerializer(ContractSerializer):
    url = StrField(trim=True, min_length=1, max_length=2048)
    enabled_events = ListOf(StrField(min_length=1, max_length=100), min_items=1, max_items=200)
    description = StrField(required=False, nullable=True, max_length=1000)


class WebhookEndpointUpdateSerializer(ContractSerializer):
    url = StrField(required=False, trim=True, min_length=1, max_length=2048)
    enabled_events = ListOf(StrField(min_length=1, max_length=100), required=False, min_items=1, max_items=200)
    description = StrField(required=False, nullable=True, max_length=1000)
    status = StrField(required=False, pattern=r"enabled|disabled", pattern_message=STATUS_MESSAGE)


class WebhookDeliverySerializer(ContractSerializer):
    id = serializers.UUIDField(read_only=True)
    event_id = serializers.UUIDField(read_only=True)
    event_type = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    attempts = serializers.IntegerField(read_only=True)
    last_status_code = serializers.IntegerField(read_only=True, allow_null=True)
    last_error = serializers.CharField(read_only=True, allow_null=True)
    last_attempt_at = UTCDateTimeField(allow_null=True)
    next_attempt_at = UTCDateTimeField(allow_null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
