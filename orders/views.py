"""`/api/orders` (with nested tasks and messages), `/api/order-tasks` and `/api/order-messages` (contract
orders.md). Every action validates the body first, then looks the path id up through the scoped queryset, then
calls one service (contract §6)."""
from drf_spectacular.utils import extend_schema
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from events.services import rendered
from serviceengine.api import messages as msg
from serviceengine.api.resource import Resource
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from .filters import ORDER_FILTER_FIELDS, ORDER_SEARCH_FIELDS, ORDER_SORT_FIELDS
from .models import Order, OrderMessage, OrderTask
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

ORDERS = Resource(
    model=Order,
    read=OrderSerializer,
    create=OrderCreateSerializer,
    update=OrderUpdateSerializer,
    filters=ORDER_FILTER_FIELDS,
    sorts=ORDER_SORT_FIELDS,
    counted=True,
    search=ORDER_SEARCH_FIELDS,
)


def _live_order(qs):
    return qs.filter(order__deleted_at__isnull=True)  # a task or message of a soft-deleted order is 404


TASKS = Resource(
    model=OrderTask, read=OrderTaskSerializer, create=OrderTaskCreateSerializer, update=OrderTaskUpdateSerializer,
    scope=_live_order,
)
MESSAGES = Resource(model=OrderMessage, read=OrderMessageSerializer, create=OrderMessageCreateSerializer,
                    scope=_live_order)


# queries (PostgreSQL; SQLite adds one per child kind):
#   list     = token 1 + page 1 (client, address, role joined; employees and tags embedded; the live total) = 2
#   retrieve = token 1 + order 1 (same) = 2
#   tasks    = token 1 + order 1 (exists) + tasks 1 (employees embedded) = 3
#   messages = token 1 + order 1 (exists) + messages 1 (author joined) = 3
class OrderViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Orders: list, create, retrieve, update, soft delete; nested task and message lists and creation."""

    resource = ORDERS

    def order_pk(self):
        """The path's order id, 404 unless it is a live order of the organization (one query, no joins)."""
        pk = self.path_pk()
        if not Order.objects.for_org(self.organization).filter(pk=pk).exists():
            raise NotFound(msg.NOT_FOUND)
        return pk

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderSerializer})
    def create(self, request):
        data = self.validated(OrderCreateSerializer)
        order = order_place(organization=self.organization, **data)
        return self.respond_as_recorded(order, http_status.HTTP_201_CREATED)

    @extend_schema(request=OrderUpdateSerializer, responses={200: OrderSerializer})
    def update(self, request, pk=None):
        changes = self.validated(OrderUpdateSerializer)
        # The service reads the order once, under its lock (404 when it is not there), after the body's checks.
        return self.respond_as_recorded(order_update(order=self.path_ref(), changes=dict(changes)))

    def respond_as_recorded(self, order, status=http_status.HTTP_200_OK):
        """The body of a write whose service records the order's event last (`order.created`, `order.updated`): the
        event's data is the order read and rendered as a retrieve does, in this transaction, so it is answered as
        is instead of reading and rendering the order once more."""
        body = rendered(order)
        if body is None:
            return self.respond(order, status)
        return Response(body, status=status)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        order_delete(order=self.get_object())
        return self.no_content()

    @extend_schema(request=None, responses={200: OrderTaskSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="tasks", filter_backends=[], pagination_class=None)
    def tasks(self, request, pk=None):
        tasks = TASKS.base(self.organization).filter(order_id=self.order_pk()).order_by(*OrderTask._meta.ordering)
        return Response(OrderTaskSerializer(self.rows(tasks, resource=TASKS), many=True).data)

    @extend_schema(request=OrderTaskCreateSerializer, responses={201: OrderTaskSerializer})
    @tasks.mapping.post
    def create_task(self, request, pk=None):
        data = self.validated(OrderTaskCreateSerializer)
        order = self.get_object()
        task = order_task_create(order=order, **data)
        return self.respond(task, http_status.HTTP_201_CREATED, resource=TASKS)

    @extend_schema(request=None, responses={200: OrderMessageSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="messages", filter_backends=[], pagination_class=None)
    def messages(self, request, pk=None):
        messages = MESSAGES.base(self.organization).filter(order_id=self.order_pk()).order_by(*OrderMessage._meta.ordering)
        return Response(OrderMessageSerializer(self.rows(messages, resource=MESSAGES), many=True).data)

    @extend_schema(request=OrderMessageCreateSerializer, responses={201: OrderMessageCreatedSerializer})
    @messages.mapping.post
    def create_message(self, request, pk=None):
        data = self.validated(OrderMessageCreateSerializer)
        order = self.get_object()
        message = order_message_create(order=order, author=request.user, **data)
        return self.respond(message, http_status.HTTP_201_CREATED, OrderMessageCreatedSerializer, resource=MESSAGES)


# queries: token 1 + task lookup 1 + the service's + the task read back 1 (employees embedded on PostgreSQL)
class OrderTaskViewSet(OrgViewSet):
    """`/api/order-tasks/{id}`: update, hard delete, complete / reopen. A task of a soft-deleted order is 404."""

    resource = TASKS

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

    resource = MESSAGES

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        order_message_delete(message=self.get_object())
        return self.no_content()
