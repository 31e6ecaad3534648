"""`/api/events`: the organization's event log, newest first (issue 13)."""
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
