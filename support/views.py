"""`/api/tickets`: list, create, retrieve, update (PUT, partial) and soft delete (contract tickets.md)."""
from drf_spectacular.utils import extend_schema
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceengine.api.resource import Resource
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from . import services
from .filters import TICKET_FILTER_FIELDS, TICKET_SEARCH_FIELDS, TICKET_SORT_FIELDS
from .models import Ticket, TicketMessage
from .serializers import (
    TicketCreateSerializer,
    TicketListSerializer,
    TicketMessageCreateSerializer,
    TicketMessageSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)

TICKETS = Resource(
    model=Ticket,
    read=TicketSerializer,
    list_read=TicketListSerializer,  # list rows carry no order and no messages
    create=TicketCreateSerializer,
    update=TicketUpdateSerializer,
    filters=TICKET_FILTER_FIELDS,
    sorts=TICKET_SORT_FIELDS,
    counted=True,
    search=TICKET_SEARCH_FIELDS,
)
MESSAGES = Resource(
    model=TicketMessage,
    read=TicketMessageSerializer,
    create=TicketMessageCreateSerializer,
    scope=lambda qs: qs.filter(ticket__deleted_at__isnull=True),  # a message of a soft-deleted ticket is 404
)


class TicketViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Tickets of the token's organization; soft-deleted ones are invisible (404, excluded from lists)."""

    # queries (PostgreSQL; SQLite adds one per embedded kind):
    #   list     = token 1 + page 1 (user, address, role joined; employees and tags embedded; the live total) = 2
    #   retrieve = token 1 + ticket 1 (same joins, the order too; employees, tags and messages embedded) = 2
    #   messages = token 1 + ticket 1 (exists) + count 1 + page 1 = 4
    resource = TICKETS

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
        return MESSAGES.base(self.organization).filter(ticket=ticket).order_by(*TicketMessage._meta.ordering)

    @extend_schema(request=None, responses={200: TicketMessageSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="messages", filter_backends=[])
    def messages(self, request, pk=None):
        """The ticket's messages, oldest first, in the list envelope (staff-only ones included: the token is staff)."""
        self.paginator.parse_params(request)  # contract §6: a bad `page`/`limit` is 400 before the path id's 404
        ticket = self.get_object()
        messages = self.messages_queryset(ticket)
        reader = MESSAGES.reader()
        page = self.paginator.paginate_rows(
            request, messages.count, lambda limit, offset: (reader.rows(messages, limit, offset), None)
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
        return self.respond(message, http_status.HTTP_201_CREATED, resource=MESSAGES)


# queries: token 1 + message 1 + ticket lock 1 + delete 1 + newest 1 + ticket update 1
class TicketMessageViewSet(OrgViewSet):
    """`DELETE /api/ticket-messages/{id}`: hard delete. A message of a soft-deleted ticket is 404."""

    resource = MESSAGES

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.ticket_message_delete(message=self.get_object())
        return self.no_content()
