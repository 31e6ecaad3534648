"""The Event object (issue 13): the body of `GET /api/events/{id}` and of every webhook delivery."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from serviceengine.api.fields import UTCDateTimeField
from serviceengine.api.serializers import ContractSerializer


class EventObjectSerializer(ContractSerializer):
    type = serializers.CharField(read_only=True, source="object_type")
    id = serializers.UUIDField(read_only=True, source="object_id")


class ActorSerializer(ContractSerializer):
    type = serializers.ChoiceField(choices=["api_token", "user", "system"], read_only=True, source="actor_type")
    id = serializers.CharField(read_only=True, allow_null=True, source="actor_id")
    name = serializers.CharField(read_only=True, source="actor_name")


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)


class EventSerializer(ContractSerializer):
    """`id`, `type`, `created_at`, `object` {type, id}, `data` (the object as its retrieve endpoint rendered it),
    `previous_attributes` (updates: the changed top-level fields' old values) and `actor`."""

    id = serializers.UUIDField(read_only=True)
    type = serializers.CharField(read_only=True)
    created_at = UTCDateTimeField()
    object = EventObjectSerializer(source="*", read_only=True)
    data = JSONObjectField()
    previous_attributes = JSONObjectField()
    actor = ActorSerializer(source="*", read_only=True)


def event_body(event) -> dict:
    """The event as `GET /api/events/{id}` renders it (the webhook body)."""
    return EventSerializer(event).data


