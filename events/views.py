"""`/api/events`: the organization's event log, newest first (issue 13)."""
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from .models import Event
from .serializers import EventSerializer


class EventViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Read-only. Filters: `type` ($eq/$in), `object_id` ($eq), `created_at` ($lt/$gt); sort `created_at`."""

    # queries (list):     token 1 + count 1 + page 1 = 3, whatever the page size
    # queries (retrieve): token 1 + event 1 = 2

    model = Event
    sync = False  # immutable: followed by `created_at` (no `updated_at` filter or sort, issue 14)
    serializer_class = EventSerializer
    filter_fields = {
        "type": "str",
        "object_id": "uuid",
        "created_at": "datetime",
    }
    sort_fields = {"created_at": "created_at"}
