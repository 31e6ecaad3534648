"""A test-only viewset over the core Address model, exercising OrgViewSet, the contract fields, the paginator,
filters and the exception handler without depending on any resource app."""
from datetime import datetime
from decimal import Decimal

from django.urls import include, path
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from serviceengine.api.fields import (
    BoolField, DateTimeInField, EmailField, IntField, ListOf, MoneyField, ObjectField, StrField, UTCDateTimeField,
    format_datetime,
)
from serviceengine.api.serializers import ContractSerializer
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin
from serviceengine.core.errors import DomainError
from serviceengine.models import Address
from serviceengine.urls import handler400, handler404, handler500  # noqa: F401  same JSON error pages
from serviceengine.urls import urlpatterns as project_urlpatterns


class NestedSerializer(ContractSerializer):
    city = StrField(max_length=5)
    code = IntField(required=False)


class ProbeWriteSerializer(ContractSerializer):
    name = StrField(trim=True, min_length=1, max_length=10)
    email = EmailField(required=False)
    count = IntField(required=False, min_value=0, max_value=5)
    price = MoneyField(required=False)
    flag = BoolField(required=False, nullable=False, default=True)
    extra = ObjectField(required=False)
    tags = ListOf(StrField(min_length=1), required=False)
    when = DateTimeInField(required=False)
    nested = NestedSerializer(required=False)
    items = ListOf(NestedSerializer(), required=False, min_items=1)
    clearable = StrField(required=False, nullable=True)


class AddressReadSerializer(ContractSerializer):
    id = serializers.UUIDField(read_only=True)
    city = serializers.CharField(read_only=True, allow_null=True)
    created_at = UTCDateTimeField()


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    return value


class ProbeViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    model = Address
    serializer_class = AddressReadSerializer
    filter_fields = {"id": "uuid", "city": "str", "created_at": "datetime", "country": ("country", "str")}
    sort_fields = {"id": "id", "city": "city", "created_at": "created_at"}

    def create(self, request):
        return Response({"validated": plain(dict(self.validated(ProbeWriteSerializer)))}, status=201)

    def update(self, request, pk=None):
        self.validated(ProbeWriteSerializer)
        return Response(self.read(self.get_object()))

    @action(detail=False, methods=["get"])
    def boom(self, request):
        raise RuntimeError("secret internals: password=hunter2")

    @action(detail=False, methods=["post"])
    def domain(self, request):
        raise DomainError(422, field="user_id", message="The specified client does not exist.")


router = SimpleRouter(trailing_slash=False)
router.register("probes", ProbeViewSet, basename="probe")

urlpatterns = [path("api/", include(router.urls)), *project_urlpatterns]
