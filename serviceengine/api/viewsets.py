"""`OrgViewSet`: the base of every resource viewset.

- The queryset comes only from `model.objects.for_org(request.organization)`; subclasses may not define
  `queryset` or `get_queryset` (a `TypeError` at import time), they refine it in `scope_queryset()`.
- Bodies are parsed by `body()` with the contract's rules (README §2, §7.1), never by DRF's parsers, and
  validated by `validated()` before the path id is looked up (README §6: schema errors beat 404).
- A path id that is not a UUID, unknown, of another organization or soft-deleted is one and the same 404.
- Incremental sync (issue 14): a model with `updated_at` gets `filters[updated_at][$gt|$lt|…]` and
  `sort=updated_at:asc|desc` on its list without declaring them (`__init_subclass__` adds both), so a client
  mirrors the organization by asking for what changed since its last sync. An append-only log sets `sync = False`.
"""
import json

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, RequestDataTooBig
from django.db import transaction
from rest_framework import status as http_status
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from serviceengine.perf.counts import live_total
from serviceengine.core.services import parse_uuid

from . import messages as msg
from .filtering import ContractFilterBackend, ContractSortBackend, has_filters
from .pagination import EnvelopePagination
from .search import ContractSearchBackend


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def is_json_media_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def parse_json_body(request):
    """The request body as JSON per the contract: JSON when the Content-Type is JSON or absent; an empty body,
    another content type or malformed JSON is a 400 keyed `root`. Oversized bodies raise RequestDataTooBig (413)."""
    raw = request._request.body
    if not raw.strip():
        raise ValidationError({"root": [msg.FIELD_REQUIRED]})
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type and not is_json_media_type(content_type):
        raise ValidationError({"root": [msg.OBJECT_TYPE]})
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationError({"root": [msg.JSON_DECODE]}) from None


SYNC_FIELD = "updated_at"


def has_updated_at(model) -> bool:
    if model is None:
        return False
    try:
        model._meta.get_field(SYNC_FIELD)
    except FieldDoesNotExist:
        return False
    return True


class OrgViewSet(viewsets.GenericViewSet):
    """Tenant-scoped viewset. Subclasses set `model`, `serializer_class` (the read shape), `select`/`prefetch`,
    `filter_fields`/`sort_fields` for lists, and implement their write actions by calling services."""

    model = None
    select: tuple = ()  # FK/O2O joins the read serializer needs
    prefetch: tuple = ()  # collections (Prefetch objects when filtered)
    only: tuple = ()  # when set, the columns to load (own and joined); the query budget tests catch a missing one
    lean = None  # a LeanReader: unfiltered lists and retrieves through compiled queries (serviceengine/perf/lean.py)
    filter_fields: dict = {}
    sort_fields: dict = {}
    # `search=` over these text columns (serviceengine/api/search.py); None: the model's own text columns.
    search_fields: tuple | None = None
    filter_backends = [ContractFilterBackend, ContractSearchBackend, ContractSortBackend]
    # Incremental sync by `updated_at` (filters and sort added by __init_subclass__); False only for append-only
    # logs whose rows never change (events), which clients follow by `created_at`.
    sync = True
    pagination_class = EnvelopePagination
    lookup_value_regex = "[^/]+"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if {"queryset", "get_queryset"} & cls.__dict__.keys():
            raise TypeError(f"{cls.__name__}: refine the queryset with scope_queryset(), never queryset/get_queryset")
        if cls.sync and has_updated_at(cls.model):
            if SYNC_FIELD not in cls.filter_fields:
                cls.filter_fields = {**cls.filter_fields, SYNC_FIELD: "datetime"}
            if SYNC_FIELD not in cls.sort_fields:
                cls.sort_fields = {**cls.sort_fields, SYNC_FIELD: SYNC_FIELD}

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        view = super().as_view(actions, **initkwargs)
        # ATOMIC_REQUESTS is replaced by `dispatch` below: reads run in autocommit (no BEGIN/COMMIT round trips; their
        # statements see committed data one by one either way under READ COMMITTED), writes in one transaction.
        view._non_atomic_requests = set(settings.DATABASES)
        return view

    request_transaction = True  # whether this request runs in its own transaction (read by the exception handler)

    def dispatch(self, request, *args, **kwargs):
        if request.method in SAFE_METHODS:
            self.request_transaction = False
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    @property
    def organization(self):
        return self.request.organization

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication first (contract §6)
        # 413 on every route, also where the body is ignored and never read (send, sign, mark_paid, complete,
        # DELETE): such a request must not act as if the body were fine (contract §2).
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and declared_length(request) > limit:
            raise RequestDataTooBig(msg.BODY_TOO_LARGE)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular's schema pass has no organization
            return self.model.objects.none()
        qs = self.model.objects.for_org(self.request.organization)
        qs = self.scope_queryset(qs)
        if self.select:
            qs = qs.select_related(*self.select)
        if self.prefetch:
            qs = qs.prefetch_related(*self.prefetch)
        if self.only:
            qs = qs.only(*self.only)
        return qs

    def scope_queryset(self, qs):
        return qs

    def get_object(self):
        pk = parse_uuid(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        if pk is None:
            raise NotFound(msg.NOT_FOUND)
        obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            raise NotFound(msg.NOT_FOUND)
        return obj

    def body(self):
        return parse_json_body(self.request)

    def validated(self, serializer_class, **context) -> dict:
        """Parse and validate the body with `serializer_class`; raises the 400 envelope listing every error."""
        serializer = serializer_class(data=self.body(), context={"request": self.request, "view": self, **context})
        if not serializer.is_valid():
            # `_errors`, not `.errors`: a top-level list (body not an object) is valid here and becomes `root`.
            raise ValidationError(serializer._errors)
        return serializer.validated_data

    def read(self, instance, serializer_class=None):
        return (serializer_class or self.get_serializer_class())(instance, context=self.get_serializer_context()).data

    def respond(self, instance, status=http_status.HTTP_200_OK, serializer_class=None):
        """Re-read the written row through the scoped queryset (so the response has the same shape and query
        plan as a retrieve) and render it."""
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(self.read(fresh, serializer_class), status=status)

    def list_response(self, request):
        if self.lean is not None and not has_filters(request):
            return self.lean_list_response(request)
        errors = {}
        try:
            self.paginator.parse_params(request)
        except ValidationError as exc:
            errors.update(exc.detail)
        try:
            queryset = self.filter_queryset(self.get_queryset())
        except ValidationError as exc:
            errors.update(exc.detail)
        if errors:
            raise ValidationError(errors)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def lean_list_response(self, request):
        """An unfiltered list through `self.lean` (compiled queries, `Row` objects): same body as the ORM path."""
        sort = ContractSortBackend().sort_key(request, self)
        organization = self.organization
        rows = self.paginator.paginate_rows(
            request,
            lambda: self.list_total(self.get_queryset()),
            lambda limit, offset: self.lean.page(organization, sort, limit, offset),
        )
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def list_total(self, queryset) -> int:
        """`meta.total` of a list of `queryset`: the trigger-kept live count when the request has no filters and
        the model is counted (serviceengine/perf/counts.py), else a COUNT of the queryset."""
        total = None if has_filters(self.request) else live_total(self.model, self.organization)
        return queryset.count() if total is None else total

    def lean_object(self):
        """`get_object()` through `self.lean`: the same 404 for a malformed, unknown or other organization's id."""
        pk = parse_uuid(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        row = None if pk is None else self.lean.one(self.organization, pk)
        if row is None:
            raise NotFound(msg.NOT_FOUND)
        return row

    def no_content(self):
        return Response(status=http_status.HTTP_204_NO_CONTENT)


class ListMixin:
    """`GET /api/<resource>`: filters, sort and the list envelope."""

    def list(self, request, *args, **kwargs):
        return self.list_response(request)


class RetrieveMixin:
    """`GET /api/<resource>/{id}`."""

    def retrieve(self, request, *args, **kwargs):
        if self.lean is not None:
            return Response(self.read(self.lean_object()))
        return Response(self.read(self.get_object()))
