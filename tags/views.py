"""`/api/tags`: list, create, retrieve, update (PUT, partial) and delete. Tags are hard-deleted: deleting one
removes it from every order and ticket."""
from drf_spectacular.utils import extend_schema
from rest_framework import status as http_status

from orders.models import OrderTag, Tag
from serviceengine.api.resource import Resource
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin
from serviceengine.perf.counts import usage_subquery
from support.models import TicketTag

from . import services
from .filters import TAG_FILTER_FIELDS, TAG_SORT_FIELDS
from .serializers import TagCreateSerializer, TagListSerializer, TagSerializer, TagUpdateSerializer

TAGS = Resource(
    model=Tag,
    read=TagSerializer,
    list_read=TagListSerializer,  # the usage counts are the retrieve's only
    create=TagCreateSerializer,
    update=TagUpdateSerializer,
    filters=TAG_FILTER_FIELDS,
    sorts=TAG_SORT_FIELDS,
    # Live orders / tickets carrying the tag, kept by triggers (serviceengine/perf/counts.py USAGE): a few rows
    # summed instead of every link of the tag joined to its order's deleted_at.
    annotations={
        "orders_count": lambda: usage_subquery(OrderTag),
        "tickets_count": lambda: usage_subquery(TicketTag),
    },
)


# queries: list = token 1 + count 1 + page 1 = 3; retrieve = token 1 + tag 1 (usage counts as subqueries) = 2
class TagViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """The organization's tags with their usage counts."""

    resource = TAGS

    @extend_schema(request=TagCreateSerializer, responses={201: TagSerializer})
    def create(self, request):
        data = self.validated(TagCreateSerializer)
        tag = services.tag_create(organization=self.organization, **data)
        return self.respond(tag, http_status.HTTP_201_CREATED)

    @extend_schema(request=TagUpdateSerializer, responses={200: TagSerializer})
    def update(self, request, pk=None):
        data = self.validated(TagUpdateSerializer)  # contract §6: schema errors before the path id
        tag = services.tag_update(tag=self.get_object(), **data)
        return self.respond(tag)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.tag_delete(tag=self.get_object())
        return self.no_content()
