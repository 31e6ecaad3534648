"""Engagement, project, conversation and message payloads (contract engagements.md): the write schemas (fields in
each body table's order, the order of the error keys) and the read shapes, whose fields decide what the resources
(engagements/views.py) load: the columns, joins, annotations and child rows (serviceengine/perf/shape.py)."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from serviceengine.api.fields import BoolField, IntField, ListOf, StrField, UTCDateTimeField
from serviceengine.api.serializers import ContractSerializer
from serviceengine.core.reads import reads


def name_field(**kwargs):
    return StrField(trim=True, min_length=1, max_length=255, **kwargs)


# --- input ---------------------------------------------------------------------------------------------------


class EngagementCreateSerializer(ContractSerializer):
    """`POST /api/engagements`; `status` and anything else are ignored (a new engagement is Active)."""

    client_id = StrField()
    name = name_field(required=False)
    proposal_id = StrField(required=False, empty_as_absent=True)


class EngagementUpdateSerializer(ContractSerializer):
    """`PUT /api/engagements/{id}`: partial, `null` = unchanged; `client_id`/`proposal_id` are not updatable."""

    name = name_field(required=False)
    status = IntField(required=False, min_value=1, max_value=3)


class ProjectCreateSerializer(ContractSerializer):
    """`POST /api/projects`; `status`, `phase` and anything else are ignored (Active, Kickoff)."""

    engagement_id = StrField()
    name = name_field()
    description = StrField(required=False)
    service_id = StrField(required=False, empty_as_absent=True)


class ProjectUpdateSerializer(ContractSerializer):
    """`PUT /api/projects/{id}`: partial, `null` = unchanged; the phase then follows the transition table."""

    name = name_field(required=False)
    description = StrField(required=False)
    status = IntField(required=False, min_value=1, max_value=4)
    phase = IntField(required=False, min_value=1, max_value=6)


class ProjectAdvanceSerializer(ContractSerializer):
    """`POST /api/projects/{id}/advance` (optional body): the phase the caller saw."""

    from_phase_id = IntField(required=False, min_value=1, max_value=6)


class ConversationCreateSerializer(ContractSerializer):
    """`POST /api/conversations`; a new conversation is Open whatever is sent."""

    project_id = StrField()
    subject = name_field(required=False)


class ConversationUpdateSerializer(ContractSerializer):
    """`PUT /api/conversations/{id}`: partial; `status` 2 closes, 1 reopens; `project_id` is not updatable."""

    subject = name_field(required=False)
    status = IntField(required=False, min_value=1, max_value=2)


class AttachmentInputSerializer(ContractSerializer):
    """One element of a message's `attachments`: `{name, url, size?}`."""

    name = StrField()
    url = StrField()
    size = IntField(required=False, min_value=0, default=None)


class MessageCreateSerializer(ContractSerializer):
    """`POST /api/conversations/{id}/messages`; the author is always the token's user."""

    content = StrField(trim=True, min_length=1)
    is_internal = BoolField(required=False, nullable=False, default=False)
    attachments = ListOf(AttachmentInputSerializer(), required=False)


# --- output --------------------------------------------------------------------------------------------------


class ClientSummarySerializer(ContractSerializer):
    """`{id, name, email}`; `name` is first and last name, trimmed."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    email = serializers.CharField(read_only=True)


class ProjectSummarySerializer(ContractSerializer):
    """A project inside an engagement."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    status = serializers.CharField(source="status_label", read_only=True)
    status_id = serializers.IntegerField(source="status", read_only=True)
    phase = serializers.CharField(source="phase_label", read_only=True)
    phase_id = serializers.IntegerField(source="phase", read_only=True)


class ConversationSummarySerializer(ContractSerializer):
    """A conversation inside an engagement; `message_count` counts client-visible messages only (Decision 10)."""

    id = serializers.UUIDField(read_only=True)
    project_id = serializers.UUIDField(read_only=True)
    subject = serializers.CharField(read_only=True, allow_null=True)
    status = serializers.CharField(source="status_label", read_only=True)
    status_id = serializers.IntegerField(source="status", read_only=True)
    message_count = serializers.IntegerField(read_only=True)
    last_message_at = UTCDateTimeField(allow_null=True)


class EngagementSerializer(ContractSerializer):
    """The Engagement object (create, retrieve, update), keys in the contract's order."""

    id = serializers.UUIDField(read_only=True)
    org_id = serializers.UUIDField(source="organization_id", read_only=True)
    client_id = serializers.UUIDField(read_only=True)
    client = ClientSummarySerializer(read_only=True)
    name = serializers.CharField(read_only=True, allow_null=True)
    status = serializers.CharField(source="status_label", read_only=True)
    status_id = serializers.IntegerField(source="status", read_only=True)
    proposal_id = serializers.UUIDField(read_only=True, allow_null=True)
    projects = ProjectSummarySerializer(many=True, read_only=True)
    conversations = ConversationSummarySerializer(many=True, read_only=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    closed_at = UTCDateTimeField(allow_null=True)


class EngagementRowSerializer(EngagementSerializer):
    """A list row: the Engagement object without `projects` and `conversations` (11 keys)."""

    projects = None
    conversations = None


class ServiceBriefSerializer(ContractSerializer):
    """`{id, name}` of a project's service: its current name, even when soft-deleted since."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class EngagementBriefSerializer(ContractSerializer):
    """The `engagement` of a project (with `status`/`status_id`, Decision 10)."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True, allow_null=True)
    client_id = serializers.UUIDField(read_only=True)
    status = serializers.CharField(source="status_label", read_only=True)
    status_id = serializers.IntegerField(source="status", read_only=True)


class ProjectSerializer(ContractSerializer):
    """The Project object, one shape everywhere (list rows, create, retrieve, update, advance)."""

    id = serializers.UUIDField(read_only=True)
    engagement_id = serializers.UUIDField(read_only=True)
    org_id = serializers.UUIDField(source="organization_id", read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True, allow_null=True)
    status = serializers.CharField(source="status_label", read_only=True)
    status_id = serializers.IntegerField(source="status", read_only=True)
    phase = serializers.CharField(source="phase_label", read_only=True)
    phase_id = serializers.IntegerField(source="phase", read_only=True)
    service_id = serializers.UUIDField(read_only=True, allow_null=True)
    service = ServiceBriefSerializer(read_only=True, allow_null=True)
    engagement = EngagementBriefSerializer(read_only=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    completed_at = UTCDateTimeField(allow_null=True)


class AttachmentSerializer(ContractSerializer):
    name = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True, allow_null=True)


class SenderSerializer(ContractSerializer):
    """The author of a message; `type` is `staff` when the user's role has dashboard access, else `client`."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    email = serializers.CharField(read_only=True)
    type = serializers.SerializerMethodField()

    @reads("role.dashboard_access")
    def get_type(self, user) -> str:
        return "staff" if user.role.dashboard_access > 0 else "client"  # role joined: the read plan follows @reads


class MessageSerializer(ContractSerializer):
    """The Message object; `sender` is null only when the author no longer exists."""

    id = serializers.UUIDField(read_only=True)
    conversation_id = serializers.UUIDField(read_only=True)
    sender_id = serializers.UUIDField(source="sender_uuid", read_only=True)
    sender = SenderSerializer(read_only=True, allow_null=True)
    content = serializers.CharField(read_only=True)
    is_internal = serializers.BooleanField(read_only=True)
    attachments = serializers.SerializerMethodField()
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    @extend_schema_field(AttachmentSerializer(many=True))
    @reads("attachments")
    def get_attachments(self, message) -> list:
        return [
            {"name": item.get("name"), "url": item.get("url"), "size": item.get("size")}
            for item in (message.attachments or [])
        ]


class ProjectBriefSerializer(ContractSerializer):
    """The `project` of a conversation."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    engagement_id = serializers.UUIDField(read_only=True)


class ConversationSerializer(ContractSerializer):
    """The Conversation object, one shape everywhere: `messages` are the newest 20 (oldest first) and
    `message_count` all of them, both under the request's `include_internal` rule."""

    id = serializers.UUIDField(read_only=True)
    project_id = serializers.UUIDField(read_only=True)
    engagement_id = serializers.UUIDField(read_only=True)
    org_id = serializers.UUIDField(source="organization_id", read_only=True)
    subject = serializers.CharField(read_only=True, allow_null=True)
    status = serializers.CharField(source="status_label", read_only=True)
    status_id = serializers.IntegerField(source="status", read_only=True)
    project = ProjectBriefSerializer(read_only=True)
    messages = MessageSerializer(many=True, read_only=True)
    message_count = serializers.IntegerField(read_only=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    last_message_at = UTCDateTimeField(allow_null=True)
