"""Ticket payloads (contract tickets.md): the write schemas, and the read shapes built only from rows the
read planner loads from their fields (serviceengine/perf/shape.py)."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from serviceengine.api import messages as msg
from serviceengine.api.fields import (
    BoolField,
    IntField,
    ListOf,
    MoneyOutField,
    ObjectField,
    PluckField,
    StrField,
    UTCDateTimeField,
    contains_null_character,
)
from serviceengine.core.reads import reads
from serviceengine.api.serializers import ContractSerializer, FullAddressSerializer, RoleSerializer

from .models import TicketStatus


class TicketCreateSerializer(ContractSerializer):
    """`POST /api/tickets` body; fields in the contract's table order (the order of the error keys)."""

    user_id = StrField()
    subject = StrField(trim=True, min_length=1, max_length=255)
    status = IntField(required=False, default=TicketStatus.OPEN, min_value=1, max_value=3)
    order_id = StrField(required=False, empty_as_absent=True)
    employees = ListOf(StrField(), required=False, source="employee_ids")
    tags = ListOf(StrField(min_length=1, max_length=255), required=False, source="tag_names")
    note = StrField(required=False)
    metadata = ObjectField(required=False)


class TicketUpdateSerializer(ContractSerializer):
    """`PUT /api/tickets/{id}` body: every field optional, `null` = unchanged; `order_id: ""` unlinks."""

    subject = StrField(required=False, trim=True, min_length=1, max_length=255)
    status = IntField(required=False, min_value=1, max_value=3)
    order_id = StrField(required=False)
    employees = ListOf(StrField(), required=False, source="employee_ids")
    tags = ListOf(StrField(min_length=1, max_length=255), required=False, source="tag_names")
    note = StrField(required=False)
    metadata = ObjectField(required=False)


class TicketEmployeeSerializer(ContractSerializer):
    """Ticket-employee object, read from a `TicketEmployee` junction row (user selected)."""

    id = serializers.UUIDField(source="user.id", read_only=True)
    name_f = serializers.CharField(source="user.name_f", read_only=True, allow_null=True)
    name_l = serializers.CharField(source="user.name_l", read_only=True, allow_null=True)
    role_id = serializers.UUIDField(source="user.role_id", read_only=True, allow_null=True)


class TicketClientSerializer(ContractSerializer):
    """Ticket-client object: the user with its full address and full role; balance `"0.00"` when zero."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    name_f = serializers.CharField(read_only=True, allow_null=True)
    name_l = serializers.CharField(read_only=True, allow_null=True)
    email = serializers.CharField(read_only=True, allow_null=True)
    company = serializers.CharField(read_only=True, allow_null=True)
    phone = serializers.CharField(read_only=True, allow_null=True)
    balance = MoneyOutField(allow_null=True)
    address = FullAddressSerializer(read_only=True, allow_null=True)
    role = RoleSerializer(read_only=True, allow_null=True)


class TicketOrderSerializer(ContractSerializer):
    """Ticket-order summary: the order's own status label, and `price` as a JSON number (the one exception)."""

    id = serializers.UUIDField(read_only=True)
    status = serializers.CharField(source="status_label", read_only=True)
    service = serializers.CharField(source="service_name", read_only=True, allow_null=True)
    price = serializers.FloatField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    created_at = UTCDateTimeField()


class TicketMessageCreateSerializer(ContractSerializer):
    """`POST /api/tickets/{id}/messages` body. The author is always the token's user."""

    message = StrField(trim=True, min_length=1)
    staff_only = BoolField(required=False, default=False)
    files = ListOf(serializers.JSONField(), required=False, default=list)

    def validate_files(self, files):
        if contains_null_character(files):  # PostgreSQL's jsonb refuses \u0000
            raise serializers.ValidationError(msg.NULL_CHARACTERS)
        return files


class TicketMessageSerializer(ContractSerializer):
    """A ticket message: embedded oldest first in the ticket's `messages`, listed by
    `GET /api/tickets/{id}/messages`, returned by its create."""

    id = serializers.UUIDField(read_only=True)
    ticket_id = serializers.UUIDField(read_only=True)
    user_id = serializers.UUIDField(read_only=True, allow_null=True)
    message = serializers.CharField(read_only=True)
    staff_only = serializers.BooleanField(read_only=True)
    files = serializers.ListField(read_only=True)
    created_at = UTCDateTimeField()


class TicketSerializer(ContractSerializer):
    """The Ticket object (create, retrieve, update), keys in the contract's order."""

    id = serializers.UUIDField(read_only=True)
    subject = serializers.CharField(read_only=True)
    user_id = serializers.UUIDField(read_only=True)
    order_id = serializers.UUIDField(read_only=True, allow_null=True)
    status = serializers.CharField(source="status_label", read_only=True)
    status_id = serializers.IntegerField(source="status", read_only=True)
    source = serializers.CharField(read_only=True)
    note = serializers.CharField(read_only=True, allow_null=True)
    form_data = serializers.DictField(read_only=True)
    metadata = serializers.DictField(read_only=True)
    tags = PluckField(source="tag_links", item_path="tag.name")
    employees = TicketEmployeeSerializer(source="employee_links", many=True, read_only=True)
    client = serializers.SerializerMethodField()
    order = serializers.SerializerMethodField()
    messages = TicketMessageSerializer(many=True, read_only=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    last_message_at = UTCDateTimeField(allow_null=True)
    date_closed = UTCDateTimeField(allow_null=True)

    @extend_schema_field(TicketClientSerializer(allow_null=True))
    @reads("organization_id", "user.organization_id", user=TicketClientSerializer)
    def get_client(self, ticket):
        user = ticket.user  # selected with its address and role
        if user.organization_id != ticket.organization_id:  # looked up within the organization only
            return None
        return TicketClientSerializer(user, context=self.context).data

    @extend_schema_field(TicketOrderSerializer(allow_null=True))
    @reads("organization_id", "order.deleted_at", "order.organization_id", order=TicketOrderSerializer)
    def get_order(self, ticket):
        order = ticket.order  # selected; soft-deleted since linking → null
        if order is None or order.deleted_at is not None or order.organization_id != ticket.organization_id:
            return None
        return TicketOrderSerializer(order, context=self.context).data


class TicketListSerializer(TicketSerializer):
    """A list row: the Ticket object without `order` and `messages` (17 keys)."""

    order = None
    messages = None
