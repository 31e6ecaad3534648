"""`/api/tickets`: list, create, retrieve, update (PUT, partial) and soft delete (contract tickets.md)."""
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status as http_status

from serviceengine.perf.prefetch import member_links, tag_links
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from . import services
from .filters import TICKET_FILTER_FIELDS, TICKET_SORT_FIELDS
from .models import Ticket, TicketEmployee, TicketMessage, TicketTag
from .serializers import TicketCreateSerializer, TicketListSerializer, TicketSerializer, TicketUpdateSerializer


class TicketViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Tickets of the token's organization; soft-deleted ones are invisible (404, excluded from lists)."""

    # queries (list):     token 1 + count 1 + page 1 (user, address, role, order joined) + employees 1 + tags 1 = 5
    # queries (retrieve): token 1 + ticket 1 (same joins) + employees 1 + tags 1 + messages 1 = 5

    model = Ticket
    serializer_class = TicketListSerializer
    select = ("user", "user__address", "user__role", "order")
    prefetch = (
        # Junction rows ordered by id: that is the assignment order the contract returns.
        Prefetch("employee_links", queryset=member_links(TicketEmployee, "ticket"), to_attr="employee_list"),
        Prefetch("tag_links", queryset=tag_links(TicketTag, "ticket"), to_attr="tag_list"),
    )
    filter_fields = TICKET_FILTER_FIELDS
    sort_fields = TICKET_SORT_FIELDS

    def scope_queryset(self, qs):
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
