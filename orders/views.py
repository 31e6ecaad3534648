"""`/api/orders` (with nested tasks and messages), `/api/order-tasks` and `/api/order-messages` (contract
orders.md). Every action validates the body first, then looks the path id up through the scoped queryset, then
calls one service (contract §6)."""
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceengine.perf.lean import Children, LeanReader
from serviceengine.perf.prefetch import MEMBER_SUMMARY, member_links, tag_links
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from .filters import ORDER_FILTER_FIELDS, ORDER_SEARCH_FIELDS, ORDER_SORT_FIELDS
from .models import (
    Order,
    OrderEmployee,
    OrderMessage,
    OrderTag,
    OrderTask,
    TaskEmployee,
)
from .serializers import (
    OrderCreateSerializer,
    OrderMessageCreatedSerializer,
    OrderMessageCreateSerializer,
    OrderMessageSerializer,
    OrderSerializer,
    OrderTaskCreateSerializer,
    OrderTaskSerializer,
    OrderTaskUpdateSerializer,
    OrderUpdateSerializer,
)
from .services import (
    order_delete,
    order_message_create,
    order_message_delete,
    order_place,
    order_task_complete,
    order_task_create,
    order_task_delete,
    order_task_reopen,
    order_task_update,
    order_update,
)

ORDER_SELECT = ("user", "user__address", "user__role")
# The columns the Order object shows: all of the order's, the client's summary, its 7 address keys and role name.
ORDER_ONLY = (
    *(field.name for field in Order._meta.concrete_fields),
    *(f"user__{name}" for name in ("id", "name_f", "name_l", "email", "company", "phone")),
    *(f"user__address__{name}" for name in ("id", "line_1", "line_2", "city", "state", "postcode", "country")),
    "user__role__id",
    "user__role__name",
)

# The same columns for lean reads (unfiltered lists, retrieves): attnames, and the relations as paths.
ORDER_COLUMNS = (
    *(field.attname for field in Order._meta.concrete_fields),
    *(name for name in ORDER_ONLY if "__" in name),
)
ORDER_LEAN = LeanReader(
    Order,
    ORDER_COLUMNS,
    children=(
        Children("employee_list", OrderEmployee, "order_id", MEMBER_SUMMARY),
        Children("tag_list", OrderTag, "order_id", ("tag__id", "tag__name")),
    ),
)

# Junction rows with the user/tag joined: one query each for a whole page.
ORDER_PREFETCH = (
    Prefetch("employee_links", queryset=member_links(OrderEmployee, "order"), to_attr="employee_list"),
    Prefetch("tag_links", queryset=tag_links(OrderTag, "order"), to_attr="tag_list"),
)
TASK_PREFETCH = (
    Prefetch("employee_links", queryset=member_links(TaskEmployee, "task"), to_attr="employee_list"),
)
# Nested routes only need the order to exist: no joins, no prefetches for them.
NESTED_ACTIONS = {"tasks", "create_task", "messages", "create_message"}


# queries: list     = token 1 + count 1 + page 1 (client, address, role joined) + employees 1 + tags 1 = 5
# queries: retrieve = token 1 + order 1 + employees 1 + tags 1 = 4
# queries: tasks    = token 1 + order 1 (no joins) + tasks 1 + task employees 1 = 4
# queries: messages = token 1 + order 1 (no joins) + messages (author joined) 1 = 3
class OrderViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Orders: list, create, retrieve, update, soft delete; nested task and message lists and creation."""

    model = Order
    serializer_class = OrderSerializer
    filter_fields = ORDER_FILTER_FIELDS
    search_fields = ORDER_SEARCH_FIELDS
    sort_fields = ORDER_SORT_FIELDS
    lean = ORDER_LEAN

    @property
    def select(self):
        return () if getattr(self, "action", None) in NESTED_ACTIONS else ORDER_SELECT

    @property
    def prefetch(self):
        return () if getattr(self, "action", None) in NESTED_ACTIONS else ORDER_PREFETCH

    @property
    def only(self):
        return () if getattr(self, "action", None) in NESTED_ACTIONS else ORDER_ONLY

    def tasks_queryset(self, order):
        return OrderTask.objects.for_org(self.organization).filter(order=order).prefetch_related(*TASK_PREFETCH)

    def messages_queryset(self, order):
        return OrderMessage.objects.for_org(self.organization).filter(order=order).select_related("user")

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderSerializer})
    def create(self, request):
        data = self.validated(OrderCreateSerializer)
        order = order_place(organization=self.organization, **data)
        return self.respond(order, http_status.HTTP_201_CREATED)

    @extend_schema(request=OrderUpdateSerializer, responses={200: OrderSerializer})
    def update(self, request, pk=None):
        changes = self.validated(OrderUpdateSerializer)
        order = order_update(order=self.get_object(), changes=dict(changes))
        return self.respond(order)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        order_delete(order=self.get_object())
        return self.no_content()

    @extend_schema(request=None, responses={200: OrderTaskSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="tasks", filter_backends=[], pagination_class=None)
    def tasks(self, request, pk=None):
        tasks = self.tasks_queryset(self.get_object()).order_by("sort_order", "created_at", "id")
        return Response(OrderTaskSerializer(tasks, many=True).data)

    @extend_schema(request=OrderTaskCreateSerializer, responses={201: OrderTaskSerializer})
    @tasks.mapping.post
    def create_task(self, request, pk=None):
        data = self.validated(OrderTaskCreateSerializer)
        order = self.get_object()
        task = order_task_create(order=order, **data)
        fresh = self.tasks_queryset(order).get(pk=task.pk)
        return Response(OrderTaskSerializer(fresh).data, status=http_status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: OrderMessageSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="messages", filter_backends=[], pagination_class=None)
    def messages(self, request, pk=None):
        messages = self.messages_queryset(self.get_object()).order_by("created_at", "id")
        return Response(OrderMessageSerializer(messages, many=True).data)

    @extend_schema(request=OrderMessageCreateSerializer, responses={201: OrderMessageCreatedSerializer})
    @messages.mapping.post
    def create_message(self, request, pk=None):
        data = self.validated(OrderMessageCreateSerializer)
        order = self.get_object()
        message = order_message_create(order=order, author=request.user, **data)
        fresh = self.messages_queryset(order).get(pk=message.pk)
        return Response(OrderMessageCreatedSerializer(fresh).data, status=http_status.HTTP_201_CREATED)


# queries: lookup = token 1 + task 1 + task employees 1; writes re-read the task the same way
class OrderTaskViewSet(OrgViewSet):
    """`/api/order-tasks/{id}`: update, hard delete, complete / reopen. A task of a soft-deleted order is 404."""

    model = OrderTask
    serializer_class = OrderTaskSerializer
    prefetch = TASK_PREFETCH

    def scope_queryset(self, qs):
        return qs.filter(order__deleted_at__isnull=True)

    @extend_schema(request=OrderTaskUpdateSerializer, responses={200: OrderTaskSerializer})
    def update(self, request, pk=None):
        changes = self.validated(OrderTaskUpdateSerializer)
        task = order_task_update(task=self.get_object(), changes=dict(changes))
        return self.respond(task)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        order_task_delete(task=self.get_object())
        return self.no_content()

    @extend_schema(request=None, responses={200: OrderTaskSerializer})
    @action(detail=True, methods=["post"], url_path="complete")
    def complete(self, request, pk=None):
        task = order_task_complete(task=self.get_object(), user=request.user)
        return self.respond(task)

    @extend_schema(request=None, responses={200: OrderTaskSerializer})
    @complete.mapping.delete
    def reopen(self, request, pk=None):
        task = order_task_reopen(task=self.get_object())
        return self.respond(task)


# queries: token 1 + message 1 + delete 1 = 3
class OrderMessageViewSet(OrgViewSet):
    """`DELETE /api/order-messages/{id}`: hard delete. A message of a soft-deleted order is 404."""

    model = OrderMessage
    serializer_class = OrderMessageSerializer

    def scope_queryset(self, qs):
        return qs.filter(order__deleted_at__isnull=True)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        order_message_delete(message=self.get_object())
        return self.no_content()
