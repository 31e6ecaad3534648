"""`/api/services` (contract services.md): list, create, retrieve, partial update and soft delete of the
organization's service catalog. Soft-deleted services are invisible to every endpoint (`Service.objects`)."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status

from serviceengine.api.resource import Resource
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from . import services
from .models import Service
from .serializers import ServiceSerializer, ServiceUpdateSerializer, ServiceWriteSerializer

SERVICES = Resource(
    model=Service,
    read=ServiceSerializer,
    create=ServiceWriteSerializer,
    update=ServiceUpdateSerializer,
    filters={
        "id": "uuid", "name": "str", "recurring": "int", "public": "bool", "price": "decimal", "currency": "str",
        "folder_id": "uuid", "created_at": "datetime",
    },
    sorts={
        "id": "id", "name": "name", "price": "price", "recurring": "recurring", "public": "public",
        "sort_order": "sort_order", "created_at": "created_at",
    },
    counted=True,
    search=("name", "description"),  # GIN-indexed (search/migrations)
)


@extend_schema(tags=["services"])
@extend_schema_view(
    list=extend_schema(
        summary="List services", description="The organization's live services, filtered, sorted and paginated."
    ),
    retrieve=extend_schema(summary="Retrieve a service"),
    create=extend_schema(
        summary="Create a service",
        description="422 `folder_id` for a folder outside the organization, then 422 `employees` for the first id "
        "that is not a team member of it.",
    ),
    update=extend_schema(
        summary="Update a service",
        description="Partial update: `null` leaves a field unchanged; `folder_id: \"\"` clears the folder; `employees` "
        "and `metadata` replace the stored values when sent.",
    ),
    destroy=extend_schema(
        summary="Delete a service", description="Soft delete: the service disappears from every endpoint."
    ),
)
class ServiceViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Every column the Service object shows lives on the row itself (`folder_id` is the FK column)."""

    # queries: list = token 1 + page 1 (the live total inside) = 2; retrieve = token 1 + row 1 = 2
    resource = SERVICES

    @extend_schema(request=ServiceWriteSerializer, responses={201: ServiceSerializer})
    def create(self, request, *args, **kwargs):
        data = self.validated(ServiceWriteSerializer)
        service = services.service_create(organization=self.organization, data=data)
        return self.respond(service, status.HTTP_201_CREATED)

    @extend_schema(request=ServiceUpdateSerializer, responses={200: ServiceSerializer})
    def update(self, request, *args, **kwargs):
        changes = self.validated(ServiceUpdateSerializer)
        service = services.service_update(service=self.get_object(), changes=changes)
        return self.respond(service)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, *args, **kwargs):
        services.service_delete(service=self.get_object())
        return self.no_content()
