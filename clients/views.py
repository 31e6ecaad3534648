"""`/api/clients` (contract clients.md): list, create, retrieve, update and hard delete of the organization's
clients. Team members' ids answer 404 here, and without a client role every endpoint answers 500."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status

from serviceengine.api.schema import CLIENT_ROLE_MISSING, error_response
from serviceengine.api.resource import Resource
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from . import services
from .models import Client
from .serializers import ClientSerializer, ClientUpdateSerializer, ClientWriteSerializer

CLIENTS = Resource(
    model=Client,
    read=ClientSerializer,
    create=ClientWriteSerializer,
    update=ClientUpdateSerializer,
    filters={"id": "uuid", "email": "str", "status": "int", "balance": "decimal", "created_at": "datetime"},
    sorts={
        "id": "id", "email": "email", "name_f": "name_f", "name_l": "name_l", "status": "status",
        "balance": "balance", "created_at": "created_at",
    },
    annotations={"spent_total": services.paid_invoices_total},
    search=("name_f", "name_l", "email", "company"),  # GIN-indexed (search/migrations)
)


@extend_schema(tags=["clients"])
@extend_schema_view(
    list=extend_schema(
        summary="List clients",
        description="The organization's clients, filtered, sorted and paginated.",
        responses={200: ClientSerializer(many=True), 500: CLIENT_ROLE_MISSING},
    ),
    retrieve=extend_schema(
        summary="Retrieve a client",
        description="A client with its address, role and `spent`.",
        responses={200: ClientSerializer, 500: CLIENT_ROLE_MISSING},
    ),
    create=extend_schema(
        summary="Create a client", description="400 `email` when another user of the organization has it."
    ),
    update=extend_schema(
        summary="Update a client",
        description="Partial update: only the fields sent (and not null) change; `address` replaces the six lines.",
    ),
    destroy=extend_schema(
        summary="Delete a client",
        description="Hard delete; 409 while the client has orders, invoices, tickets or subscriptions.",
    ),
)
class ClientViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Clients are users whose role has `dashboard_access = 0` (`Client.objects`); `spent` is an annotation.

    The client role is checked after the body and query are validated and before the path id (contract §6). Reads
    check it only when they find no row: a client row proves a client role exists (`Client.objects` is the users
    whose role has `dashboard_access = 0`, what `client_role()` looks for), so a read that finds rows answers as
    the check would have, one query cheaper.
    """

    # queries: list = token 1 + count 1 + page 1 (role, address joined; spent subquery) = 3, + client role 1 when
    #          the page is empty; retrieve = token 1 + row 1 = 2, + client role 1 before a 404
    resource = CLIENTS

    def when_nothing_read(self):
        services.client_role()

    @extend_schema(request=ClientWriteSerializer, responses={201: ClientSerializer, 500: CLIENT_ROLE_MISSING})
    def create(self, request, *args, **kwargs):
        data = dict(self.validated(ClientWriteSerializer))
        status_id = data.pop("status_id", None)
        client = services.client_create(organization=self.organization, status=status_id, **data)
        return self.respond(client, status.HTTP_201_CREATED)

    @extend_schema(request=ClientUpdateSerializer, responses={200: ClientSerializer, 500: CLIENT_ROLE_MISSING})
    def update(self, request, *args, **kwargs):
        changes = self.validated(ClientUpdateSerializer)
        services.client_role()
        client = services.client_update(client=self.get_object(), changes=changes)
        return self.respond(client)

    @extend_schema(
        request=None,
        responses={
            204: None,
            409: error_response(
                "The client still has orders, invoices, tickets or subscriptions "
                "(`Cannot delete client with existing orders`, ...)."
            ),
            500: CLIENT_ROLE_MISSING,
        },
    )
    def destroy(self, request, *args, **kwargs):
        services.client_role()
        services.client_delete(client=self.get_object())
        return self.no_content()
