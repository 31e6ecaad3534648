"""The two open endpoints (contract §12) and the JSON fallbacks for unknown routes."""
from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import messages as msg
from serviceengine.requestid import request_id_of

from .exceptions import internal_error_body, is_database_unavailable
from .fields import format_datetime

HealthSerializer = inline_serializer(
    "Health",
    {"status": serializers.ChoiceField(["healthy", "unhealthy"]), "version": serializers.CharField(), "timestamp": serializers.DateTimeField()},
)


class OpenView(APIView):
    """No authentication: the Authorization header is ignored entirely, even an invalid one."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


@extend_schema(auth=[], responses={200: HealthSerializer, 503: HealthSerializer}, summary="Health check (probes the database)")
class HealthView(OpenView):
    def get(self, request):
        healthy = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as exc:  # noqa: BLE001 - any failure to reach the database means unhealthy
            healthy = False
            if not is_database_unavailable(exc):
                raise
        body = {
            "status": "healthy" if healthy else "unhealthy",
            "version": settings.APP_VERSION,
            "timestamp": format_datetime(timezone.now()),
        }
        return Response(body, status=200 if healthy else 503)


IndexSerializer = inline_serializer(
    "ApiIndex",
    {"name": serializers.CharField(), "version": serializers.CharField(), "endpoints": serializers.DictField(child=serializers.CharField())},
)


# Beside the contract's seven entries, which never change (contract §12: later resources may be listed beside them).
LATER_RESOURCES = {
    "tags": "/api/tags",
    "team": "/api/team",
    "coupons": "/api/coupons",
    "subscriptions": "/api/subscriptions",
    "engagements": "/api/engagements",
    "projects": "/api/projects",
    "conversations": "/api/conversations",
    "events": "/api/events",
    "webhook_endpoints": "/api/webhook-endpoints",
    "reports": "/api/reports/summary",
    "docs": "/api/docs",
}


@extend_schema(auth=[], responses={200: IndexSerializer}, summary="API index")
class IndexView(OpenView):
    def get(self, request):
        return Response(
            {
                "name": "Service Engine X API",
                "version": settings.APP_VERSION,
                "endpoints": {
                    "health": "/api/health",
                    "clients": "/api/clients",
                    "services": "/api/services",
                    "orders": "/api/orders",
                    "proposals": "/api/proposals",
                    "invoices": "/api/invoices",
                    "tickets": "/api/tickets",
                    **LATER_RESOURCES,
                },
            }
        )


# The open endpoints need no transaction, and must answer (health: 503) while the database is down.
health_view = transaction.non_atomic_requests(HealthView.as_view())
index_view = transaction.non_atomic_requests(IndexView.as_view())


def not_found(request, exception=None, **kwargs):
    return JsonResponse({"detail": msg.NOT_FOUND}, status=404)


def server_error(request, *args, **kwargs):
    request_id = request_id_of(request)
    return JsonResponse(internal_error_body(request_id), status=500, headers={"X-Request-Id": request_id})


def bad_request(request, exception=None, *args, **kwargs):
    return JsonResponse({"message": msg.INVALID_DATA, "errors": {"root": ["Bad request"]}}, status=400)
