"""The team member object: a user of the organization whose role has `dashboard_access > 0`."""
from rest_framework import serializers

from serviceengine.api.fields import UTCDateTimeField
from serviceengine.api.serializers import ContractSerializer


class TeamRoleSerializer(ContractSerializer):
    """`{id, name, dashboard_access}` of the member's (global) role."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    dashboard_access = serializers.IntegerField(read_only=True)


class TeamMemberSerializer(ContractSerializer):
    """A team member (role joined by the viewset)."""

    id = serializers.UUIDField(read_only=True)
    name_f = serializers.CharField(read_only=True, allow_null=True)
    name_l = serializers.CharField(read_only=True, allow_null=True)
    email = serializers.CharField(read_only=True)
    role = TeamRoleSerializer(read_only=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
