"""`/api/events`: the organization's event log, newest first (issue 13); `/api/clients/{id}/activity`: the events
about one client (issue 16)."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError

from clients.models import Client
from serviceengine.api import messages as msg
from serviceengine.api.resource import Resource
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from .models import Event
from .serializers import EventSerializer

EVENTS = Resource(
    model=Event,
    read=EventSerializer,
    filters={"type": "str", "object_id": "uuid", "created_at": "datetime"},
    sorts={"created_at": "created_at"},
    sync=False,  # immutable: followed by `created_at` (no `updated_at` filter or sort, issue 14)
)


class EventViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Read-only. Filters: `type` ($eq/$in), `object_id` ($eq), `created_at` ($lt/$gt); sort `created_at`."""

    # queries (list):     token 1 + count 1 + page 1 = 3, whatever the page size
    # queries (retrieve): token 1 + event 1 = 2

    resource = EVENTS


class ClientActivityViewSet(OrgViewSet):
    """`GET /api/clients/{id}/activity`: the events about a client — the client itself, its orders (with their
    tasks and messages), proposals, invoices, tickets (with their messages), engagements, projects and
    conversations (with their messages) — newest first, with the events list's envelope, filters and sort.

    Each event stores the client its object is about when it is recorded (`Event.client_id`, found through the
    events registry's `client=`), so the list is one indexed range, whatever happened to the objects since."""

    # queries: token 1 + client 1 (exists) + count 1 + page 1 = 4, whatever the page size
    resource = EVENTS

    @extend_schema(
        request=None,
        responses={
            200: EventSerializer(many=True),
            400: OpenApiResponse(description="`query.page`, `query.limit` or a filter is invalid."),
            404: OpenApiResponse(description="Not a client of the organization."),
        },
    )
    @action(detail=True, methods=["get"], url_path="activity")
    def activity(self, request, pk=None):
        errors = {}  # contract §6: the whole query string is checked before the path id
        try:
            self.paginator.parse_params(request)
        except ValidationError as exc:
            errors.update(exc.detail)
        try:
            events = self.filter_queryset(self.get_queryset())
        except ValidationError as exc:
            errors.update(exc.detail)
        if errors:
            raise ValidationError(errors)
        client_id = self.path_pk()
        if not Client.objects.for_org(self.organization).filter(pk=client_id).exists():
            raise NotFound(msg.NOT_FOUND)
        events = events.filter(client_id=client_id)
        reader = self.resource.reader(EventSerializer)
        page = self.paginator.paginate_rows(
            request, events.count, lambda limit, offset: (reader.rows(events, limit, offset), None)
        )
        return self.get_paginated_response(EventSerializer(page, many=True).data)
