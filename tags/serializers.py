"""Tag payloads: `name` 1–100 characters (trimmed, whitespace-only rejected), `color` `#rrggbb` or null."""
from rest_framework import serializers

from serviceengine.api.fields import StrField, UTCDateTimeField
from serviceengine.api.serializers import ContractSerializer

COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
COLOR_MESSAGE = "The color must be a hex colour of the form #rrggbb."


class TagCreateSerializer(ContractSerializer):
    """`POST /api/tags` body."""

    name = StrField(trim=True, min_length=1, max_length=100)
    color = StrField(required=False, pattern=COLOR_PATTERN, pattern_message=COLOR_MESSAGE)


class TagUpdateSerializer(ContractSerializer):
    """`PUT /api/tags/{id}` body: partial; `color: null` clears the colour, `name: null` leaves the name."""

    name = StrField(required=False, trim=True, min_length=1, max_length=100)
    color = StrField(required=False, nullable=True, pattern=COLOR_PATTERN, pattern_message=COLOR_MESSAGE)


class TagListSerializer(ContractSerializer):
    """A tag as the list renders it: without the usage counts, which only the retrieve carries (issue 16: "usage
    counts on retrieve")."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    color = serializers.CharField(read_only=True, allow_null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


class TagSerializer(ContractSerializer):
    """The Tag object (retrieve and write responses). `orders_count`/`tickets_count` count the live orders and
    tickets carrying the tag (annotated from the trigger-kept usage counts, serviceengine/perf/counts.py)."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    color = serializers.CharField(read_only=True, allow_null=True)
    orders_count = serializers.IntegerField(read_only=True)
    tickets_count = serializers.IntegerField(read_only=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
