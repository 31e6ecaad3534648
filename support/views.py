"""`/api/tickets`: list, create, retrieve, update (PUT, partial) and soft delete (contract tickets.md)."""
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceengine.perf.prefetch import member_links, tag_links
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from . import services
from .filters import TICKET_FILTER_FIELDS, TICKET_SEARCH_FIELDS, TICKET_SORT_FIELDS
from .models import Ticket, TicketEmployee, TicketMessage, TicketTag
from .serializers import (
    TicketCreateSerializer,
    TicketListSerializer,
    TicketMessageCreateSerializer,
    TicketMessageSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)

# Nested message routes only need the ticket to exist: no joins, no prefetches for them.
NESTED_ACTIONS = {"messages", "create_message"}
TICKET_SELECT = ("user", "user__address", "user__role", "order")
TICKET_PREFETCH = (
    # Junction rows ordered by id: that is the assignment order the contract returns.
    Prefetch("employee_links", queryset=member_links(TicketEmployee, "ticket"), to_attr="employee_list"),
    Prefetch("tag_links", queryset=tag_links(TicketTag, "ticket"), to_attr="tag_list"),
)


class TicketViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Tickets of the token's organization; soft-deleted ones are invisible (404, excluded from lists)."""

    # queries (list):     token 1 + count 1 + page 1 (user, address, role, order joined) + employees 1 + tags 1 = 5
    # queries (retrieve): token 1 + ticket 1 (same joins) + employees 1 + tags 1 + messages 1 = 5
    # queries (messages): token 1 + ticket 1 (no joins) + count 1 + page 1 = 4

    model = Ticket
    serializer_class = TicketListSerializer
    filter_fields = TICKET_FILTER_FIELDS
    search_fields = TICKET_SEARCH_FIELDS
    sort_fields = TICKET_SORT_FIELDS

    @property
    def select(self):
        return () if getattr(self, "action", None) in NESTED_ACTIONS else TICKET_SELECT

    @property
    def prefetch(self):
        return () if getattr(self, "action", None) in NESTED_ACTIONS else TICKET_PREFETCH

    def scope_queryset(self, qs):
        if self.action in NESTED_ACTIONS:
            return qs
        if self.action == "list":  # list rows carry no messages
            return qs
        # Messages are reached only through their (already scoped) ticket; all_objects is the plain manager.
        messages = TicketMessage.all_objects.order_by("created_at", "id")
        return qs.prefetch_related(Prefetch("messages", queryset=messages, to_attr="message_list"))

    def get_serializer_class(self):
        return TicketListSerializer if self.action == "list" else TicketSerializer

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request):
        data = self.validated(TicketCreateSerializer)
        ticket = services.ticket_create(organization=self.organization, **data)
        return self.respond(ticket, http_status.HTTP_201_CREATED)

    @extend_schema(request=TicketUpdateSerializer, responses={200: TicketSerializer})
    def update(self, request, pk=None):
        data = self.validated(TicketUpdateSerializer)  # contract §6: schema errors before the path id
        ticket = services.ticket_update(ticket=self.get_object(), **data)
        return self.respond(ticket)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.ticket_delete(ticket=self.get_object())
        return self.no_content()

    def messages_queryset(self, ticket):
        return TicketMessage.objects.for_org(self.organization).filter(ticket=ticket).order_by("created_at", "id")

    @extend_schema(request=None, responses={200: TicketMessageSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="messages", filter_backends=[])
    def messages(self, request, pk=None):
        """The ticket's messages, oldest first, in the list envelope (staff-only ones included: the token is staff)."""
        ticket = self.get_object()
        messages = self.messages_queryset(ticket)
        page = self.paginator.paginate_rows(
            request, messages.count, lambda limit, offset: (list(messages[offset : offset + limit]), None)
        )
        return self.get_paginated_response(TicketMessageSerializer(page, many=True).data)

    @extend_schema(request=TicketMessageCreateSerializer, responses={201: TicketMessageSerializer})
    @messages.mapping.post
    def create_message(self, request, pk=None):
        """Post a message as the token's user. A staff reply never changes the ticket's status (a Closed ticket
        stays Closed: README "Ticket messages"); the ticket's `last_message_at` becomes the message's `created_at`."""
        data = self.validated(TicketMessageCreateSerializer)
        ticket = self.get_object()
        message = services.ticket_message_create(ticket=ticket, user=request.user, **data)
        fresh = self.messages_queryset(ticket).get(pk=message.pk)
        return Response(TicketMessageSerializer(fresh).data, status=http_status.HTTP_201_CREATED)


# queries: token 1 + message 1 + ticket lock 1 + delete 1 + newest 1 + ticket update 1
class TicketMessageViewSet(OrgViewSet):
    """`DELETE /api/ticket-messages/{id}`: hard delete. A message of a soft-deleted ticket is 404."""

    model = TicketMessage
    serializer_class = TicketMessageSerializer

    def scope_queryset(self, qs):
        return qs.filter(ticket__deleted_at__isnull=True)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.ticket_message_delete(message=self.get_object())
        return self.no_content()
