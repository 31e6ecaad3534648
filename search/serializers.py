"""Shapes of `GET /api/search`: the query string it accepts and the hits it answers with."""
from rest_framework import serializers

from serviceengine.api import messages as msg
from serviceengine.api.search import SEARCH_MAX_LENGTH
from serviceengine.api.serializers import ContractSerializer

HIT_TYPES = ("client", "order", "proposal", "invoice", "ticket")


class SearchQuerySerializer(serializers.Serializer):
    """`q`: required, 1–200 characters after trimming."""

    q = serializers.CharField(
        max_length=SEARCH_MAX_LENGTH,
        trim_whitespace=True,
        error_messages={
            "required": msg.FIELD_REQUIRED,
            "blank": msg.STRING_TOO_SHORT.format(min_length=1, plural=""),
            "max_length": msg.STRING_TOO_LONG.format(max_length=SEARCH_MAX_LENGTH),
            "invalid": msg.STRING_TYPE,
            "null_characters_not_allowed": msg.NULL_CHARACTERS,
            "surrogate_characters_not_allowed": msg.STRING_TYPE,
        },
    )


class SearchHitSerializer(ContractSerializer):
    type = serializers.ChoiceField(choices=HIT_TYPES, help_text="The kind of row: " + ", ".join(HIT_TYPES) + ".")
    id = serializers.UUIDField()
    title = serializers.CharField(help_text="What the row is called (client name, order number and service, …).")
    snippet = serializers.CharField(help_text="A short excerpt of the row's text around the first matching word.")


class SearchMetaSerializer(serializers.Serializer):
    q = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Hits per type (at most 20 each).")


class SearchResponseSerializer(serializers.Serializer):
    data = SearchHitSerializer(many=True)
    meta = SearchMetaSerializer()
