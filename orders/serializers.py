"""Order, task and message payloads (contract orders.md): write serializers validate bodies with the contract's
coercion rules (fields in the order of each endpoint's body table, so errors are listed in that order); read
serializers produce exactly the contract's keys from prefetched data only."""
from rest_framework import serializers

from serviceengine.api.fields import (
    BoolField,
    DateTimeInField,
    IntField,
    ListOf,
    MoneyOutField,
    PluckField,
    StrField,
    UTCDateTimeField,
)
from serviceengine.api.serializers import ContractSerializer

from .models import OrderStatus


class MetadataItemSerializer(ContractSerializer):
    """One `{title, value}` element of a metadata array (contract §10.7)."""

    title = StrField()
    value = StrField(required=False, default="")


def metadata_field():
    return ListOf(MetadataItemSerializer(), required=False)


def status_field():
    return IntField(required=False, min_value=OrderStatus.UNPAID, max_value=OrderStatus.ON_HOLD)


class OrderCreateSerializer(ContractSerializer):
    """`POST /api/orders`. `""` counts as absent for `service_id`, `service` and `number`."""

    user_id = StrField()
    service_id = StrField(required=False, empty_as_absent=True)
    service = StrField(required=False, empty_as_absent=True, max_length=255)
    status = status_field()
    employees = ListOf(StrField(), required=False)
    tags = ListOf(StrField(min_length=1, max_length=255), required=False)
    note = StrField(required=False)
    number = StrField(required=False, empty_as_absent=True, max_length=50)
    metadata = metadata_field()
    created_at = DateTimeInField(required=False)
    date_started = DateTimeInField(required=False)
    date_completed = DateTimeInField(required=False)
    date_due = DateTimeInField(required=False)


class OrderUpdateSerializer(ContractSerializer):
    """`PUT /api/orders/{id}`: every field optional, `null` = unchanged. `service_id: ""` unlinks the service;
    `service: ""` is rejected. `user_id`, `number`, `created_at`, `price`, `quantity`, `currency` are ignored."""

    service_id = StrField(required=False)
    service = StrField(required=False, min_length=1, max_length=255)
    status = status_field()
    employees = ListOf(StrField(), required=False)
    tags = ListOf(StrField(min_length=1, max_length=255), required=False)
    note = StrField(required=False)
    metadata = metadata_field()
    date_started = DateTimeInField(required=False)
    date_completed = DateTimeInField(required=False)
    date_due = DateTimeInField(required=False)


class OrderTaskCreateSerializer(ContractSerializer):
    """`POST /api/orders/{id}/tasks`. `sort_order: null` is 0; `is_public`/`for_client` are not nullable."""

    name = StrField(trim=True, min_length=1, max_length=255)
    description = StrField(required=False)
    employee_ids = ListOf(StrField(), required=False)
    sort_order = IntField(required=False, default=0)
    is_public = BoolField(required=False, nullable=False, default=False)
    for_client = BoolField(required=False, nullable=False, default=False)
    deadline = IntField(required=False)
    due_at = DateTimeInField(required=False)


class OrderTaskUpdateSerializer(ContractSerializer):
    """`PUT /api/order-tasks/{id}`: every field optional, `null` = unchanged."""

    name = StrField(required=False, trim=True, min_length=1, max_length=255)
    description = StrField(required=False)
    employee_ids = ListOf(StrField(), required=False)
    sort_order = IntField(required=False)
    is_public = BoolField(required=False)
    for_client = BoolField(required=False)
    deadline = IntField(required=False)
    due_at = DateTimeInField(required=False)


class OrderMessageCreateSerializer(ContractSerializer):
    """`POST /api/orders/{id}/messages`. `staff_only` is only read when `is_public` is absent."""

    message = StrField(trim=True, min_length=1)
    is_public = BoolField(required=False, nullable=False)
    staff_only = BoolField(required=False)
    files = ListOf(StrField(), required=False)


class OrderClientAddressSerializer(ContractSerializer):
    """The order-client address: exactly these 7 keys (contract §10.4 shape 2)."""

    id = serializers.UUIDField(read_only=True)
    line_1 = serializers.CharField(read_only=True, allow_null=True)
    line_2 = serializers.CharField(read_only=True, allow_null=True)
    city = serializers.CharField(read_only=True, allow_null=True)
    state = serializers.CharField(read_only=True, allow_null=True)
    postcode = serializers.CharField(read_only=True, allow_null=True)
    country = serializers.CharField(read_only=True, allow_null=True)


class RoleSummarySerializer(ContractSerializer):
    """`{id, name}` of the order client's role."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class OrderClientSerializer(ContractSerializer):
    """The order's client (`user`, with `address` and `role` joined by the viewset)."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    name_f = serializers.CharField(read_only=True)
    name_l = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    company = serializers.CharField(read_only=True, allow_null=True)
    phone = serializers.CharField(read_only=True, allow_null=True)
    address = OrderClientAddressSerializer(read_only=True, allow_null=True)
    role = RoleSummarySerializer(read_only=True, allow_null=True)


class OrderEmployeeSerializer(ContractSerializer):
    """`{id, name_f, name_l, role_id}` of an assigned team member (reads the junction row's `user`)."""

    id = serializers.UUIDField(source="user.id", read_only=True)
    name_f = serializers.CharField(source="user.name_f", read_only=True, allow_null=True)
    name_l = serializers.CharField(source="user.name_l", read_only=True, allow_null=True)
    role_id = serializers.UUIDField(source="user.role_id", read_only=True, allow_null=True)


class OrderSerializer(ContractSerializer):
    """The Order object, keys in the contract's order plus `currency` and `metadata`. Employees and tags come
    from the junction rows (`employee_links`, `tag_links`), in their model's order (junction id)."""

    id = serializers.UUIDField(read_only=True)
    number = serializers.CharField(read_only=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    last_message_at = UTCDateTimeField(allow_null=True)
    date_started = UTCDateTimeField(allow_null=True)
    date_completed = UTCDateTimeField(allow_null=True)
    date_due = UTCDateTimeField(allow_null=True)
    client = OrderClientSerializer(source="user", read_only=True, allow_null=True)
    tags = PluckField(source="tag_links", item_path="tag.name")
    status = serializers.CharField(source="status_label", read_only=True)
    status_id = serializers.IntegerField(source="status", read_only=True)
    price = MoneyOutField()
    quantity = serializers.IntegerField(read_only=True)
    invoice_id = serializers.UUIDField(read_only=True, allow_null=True)
    service = serializers.CharField(source="service_name", read_only=True)
    service_id = serializers.UUIDField(read_only=True, allow_null=True)
    user_id = serializers.UUIDField(read_only=True)
    employees = OrderEmployeeSerializer(source="employee_links", many=True, read_only=True)
    note = serializers.CharField(read_only=True, allow_null=True)
    form_data = serializers.DictField(read_only=True)
    paysys = serializers.CharField(read_only=True, allow_null=True)
    currency = serializers.CharField(read_only=True)
    metadata = serializers.DictField(read_only=True)
    engagement_id = serializers.UUIDField(read_only=True, allow_null=True)  # engagements.md: set by proposal sign


class TaskEmployeeSerializer(ContractSerializer):
    """`{id, name_f, name_l}` of a team member assigned to a task."""

    id = serializers.UUIDField(source="user.id", read_only=True)
    name_f = serializers.CharField(source="user.name_f", read_only=True, allow_null=True)
    name_l = serializers.CharField(source="user.name_l", read_only=True, allow_null=True)


class OrderTaskSerializer(ContractSerializer):
    """The Task object; employees from the junction rows (`employee_links`)."""

    id = serializers.UUIDField(read_only=True)
    order_id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True, allow_null=True)
    sort_order = serializers.IntegerField(read_only=True)
    is_public = serializers.BooleanField(read_only=True)
    for_client = serializers.BooleanField(read_only=True)
    is_complete = serializers.BooleanField(read_only=True)
    completed_by = serializers.UUIDField(source="completed_by_id", read_only=True, allow_null=True)
    completed_at = UTCDateTimeField(allow_null=True)
    deadline = serializers.IntegerField(read_only=True, allow_null=True)
    due_at = UTCDateTimeField(allow_null=True)
    employees = TaskEmployeeSerializer(source="employee_links", many=True, read_only=True)


class MessageAuthorSerializer(ContractSerializer):
    """The author of an order message."""

    id = serializers.UUIDField(read_only=True)
    name_f = serializers.CharField(read_only=True, allow_null=True)
    name_l = serializers.CharField(read_only=True, allow_null=True)
    email = serializers.CharField(read_only=True)


class OrderMessageSerializer(ContractSerializer):
    """The Message object as listed: the author embedded (joined by the viewset), null when deleted."""

    id = serializers.UUIDField(read_only=True)
    order_id = serializers.UUIDField(read_only=True)
    user_id = serializers.UUIDField(read_only=True, allow_null=True)
    message = serializers.CharField(read_only=True)
    is_public = serializers.BooleanField(read_only=True)
    created_at = UTCDateTimeField()
    user = MessageAuthorSerializer(read_only=True, allow_null=True)
    staff_only = serializers.BooleanField(read_only=True)
    files = serializers.ListField(child=serializers.CharField(), read_only=True)


class OrderMessageCreatedSerializer(OrderMessageSerializer):
    """The create response: `user` is always null there (as the reference)."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["user"] = None
        return data
