"""`/api/webhook-endpoints` (+ `/rotate_secret`, `/test`, `/deliveries`) and `/api/webhook-deliveries/{id}/retry`
(issue 13). Same conventions as every resource: the list envelope, `{message, errors}`, 404 for other
organizations' ids; the body is validated before the path id is looked up (contract §6)."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from . import services
from .models import WebhookDelivery, WebhookEndpoint
from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)


class WebhookEndpointViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Endpoints of the token's organization. The secret is shown only by create and rotate_secret."""

    # queries (list):       token 1 + count 1 + page 1 = 3
    # queries (retrieve):   token 1 + endpoint 1 = 2
    # queries (deliveries): token 1 + endpoint 1 + count 1 + page 1 = 4

    model = WebhookEndpoint
    serializer_class = WebhookEndpointSerializer
    filter_fields = {"status": "str", "created_at": "datetime"}
    sort_fields = {"created_at": "created_at"}
    search_fields = ("url", "description")

    @extend_schema(request=WebhookEndpointCreateSerializer, responses={201: WebhookEndpointWithSecretSerializer})
    def create(self, request):
        data = self.validated(WebhookEndpointCreateSerializer)
        endpoint = services.webhook_endpoint_create(organization=self.organization, **data)
        return self.respond(endpoint, http_status.HTTP_201_CREATED, WebhookEndpointWithSecretSerializer)

    @extend_schema(request=WebhookEndpointUpdateSerializer, responses={200: WebhookEndpointSerializer})
    def update(self, request, pk=None):
        changes = self.validated(WebhookEndpointUpdateSerializer)
        endpoint = services.webhook_endpoint_update(endpoint=self.get_object(), **changes)
        return self.respond(endpoint)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.webhook_endpoint_delete(endpoint=self.get_object())
        return self.no_content()

    @extend_schema(request=None, responses={200: WebhookEndpointWithSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate_secret")
    def rotate_secret(self, request, pk=None):
        endpoint = services.webhook_endpoint_rotate_secret(endpoint=self.get_object())
        return self.respond(endpoint, serializer_class=WebhookEndpointWithSecretSerializer)

    @extend_schema(
        request=None,
        responses={202: OpenApiResponse(WebhookDeliverySerializer, description="The `webhook.test` delivery, queued.")},
    )
    @action(detail=True, methods=["post"], url_path="test")
    def test(self, request, pk=None):
        delivery = services.webhook_endpoint_test(endpoint=self.get_object())
        fresh = WebhookDelivery.objects.for_org(self.organization).get(pk=delivery.pk)
        return Response(WebhookDeliverySerializer(fresh).data, status=http_status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="deliveries", filter_backends=[])
    def deliveries(self, request, pk=None):
        """The endpoint's deliveries, newest first, in the list envelope."""
        self.paginator.parse_params(request)  # contract §6: a bad `page`/`limit` is 400 before the path id's 404
        endpoint = self.get_object()
        rows = WebhookDelivery.objects.for_org(self.organization).filter(endpoint=endpoint).order_by("-created_at", "id")
        page = self.paginator.paginate_rows(
            request, rows.count, lambda limit, offset: (list(rows[offset : offset + limit]), None)
        )
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookDeliveryViewSet(OrgViewSet):
    """`POST /api/webhook-deliveries/{id}/retry`: one more attempt, now."""

    model = WebhookDelivery
    serializer_class = WebhookDeliverySerializer

    @extend_schema(
        request=None,
        responses={202: OpenApiResponse(WebhookDeliverySerializer, description="The delivery, queued again.")},
    )
    @action(detail=True, methods=["post"], url_path="retry")
    def retry(self, request, pk=None):
        delivery = services.webhook_delivery_retry(delivery=self.get_object())
        fresh = WebhookDelivery.objects.for_org(self.organization).get(pk=delivery.pk)
        return Response(WebhookDeliverySerializer(fresh).data, status=http_status.HTTP_202_ACCEPTED)
