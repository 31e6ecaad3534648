"""`OrgViewSet`: the base of every resource viewset.

- The rows come only from the resource's `base(org)` (`model.objects.for_org(request.organization)`, then its
  `scope`); subclasses may not define `queryset` or `get_queryset` (a `TypeError` at import time).
- Bodies are parsed by `body()` with the contract's rules (README §2, §7.1), never by DRF's parsers, and
  validated by `validated()` before the path id is looked up (README §6: schema errors beat 404).
- A path id that is not a UUID, unknown, of another organization or soft-deleted is one and the same 404.
- Incremental sync (issue 14): a model with `updated_at` gets `filters[updated_at][$gt|$lt|…]` and
  `sort=updated_at:asc|desc` on its list without declaring them (the `Resource` adds both), so a client
  mirrors the organization by asking for what changed since its last sync. An append-only log sets
  `Resource(sync=False)`.
"""
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from rest_framework import status as http_status
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from serviceengine.perf.counts import live_total
from serviceengine.core.services import parse_uuid

from . import messages as msg
from .filtering import ContractFilterBackend, ContractSortBackend, has_filters, parse_filters
from .pagination import EnvelopePagination
from .search import SEARCH_PARAM, ContractSearchBackend
from .resource import SYNC_FIELD, Resource


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


DEFAULT_FILTER_BACKENDS = [ContractFilterBackend, ContractSearchBackend, ContractSortBackend]


def has_updated_at(model) -> bool:
    return model is not None and any(f.name == SYNC_FIELD for f in model._meta.concrete_fields)


class OrgViewSet(viewsets.GenericViewSet):
    """Tenant-scoped viewset. Subclasses set `resource` (serviceengine/api/resource.py: model, read and write
    serializers, filters, sorts, counted totals, scope) and implement their write actions by calling services.
    `model`, `serializer_class`, `filter_fields` and `sort_fields` are taken from it. (A viewset that sets those
    four itself instead gets a resource built from them.)

    Every read goes through the resource's reader (serviceengine/perf/lean.py): lists (filtered or not),
    retrieves, nested lists (`rows()`) and the bodies writes return (`respond()`)."""

    resource = None
    model = None
    filter_fields: dict = {}
    sort_fields: dict = {}
    # `search=` over these text columns (serviceengine/api/search.py); None: the model's own text columns.
    search_fields: tuple | None = None
    filter_backends = list(DEFAULT_FILTER_BACKENDS)
    # Incremental sync by `updated_at` (filters and sort added by __init_subclass__); False only for append-only
    # logs whose rows never change (events), which clients follow by `created_at`.
    sync = True
    pagination_class = EnvelopePagination
    lookup_value_regex = "[^/]+"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if {"queryset", "get_queryset", "scope_queryset"} & cls.__dict__.keys():
            raise TypeError(f"{cls.__name__}: narrow the rows with Resource(scope=...), never queryset/get_queryset")
        resource = cls.__dict__.get("resource")
        if resource is None and cls.__dict__.get("model") is not None:
            resource = cls.resource = Resource(
                model=cls.model, read=cls.serializer_class, filters=cls.filter_fields, sorts=cls.sort_fields,
                search=cls.search_fields, sync=cls.sync,
            )
        if resource is not None:
            cls.model = resource.model
            cls.serializer_class = resource.read
            cls.filter_fields = resource.filters
            cls.sort_fields = resource.sorts
            cls.search_fields = resource.search
            cls.sync = resource.sync

    request_transaction = True  # whether this request runs in its own transaction (read by the exception handler)
    # Write actions that manage their own transactions (e.g. `charge`, which calls a payment provider between two).
    non_atomic_actions: frozenset = frozenset()

    def dispatch(self, request, *args, **kwargs):
        # The one place where a request's transaction is decided: reads run in autocommit (no BEGIN/COMMIT round
        # trips; their statements see committed data one by one either way under READ COMMITTED), writes in one
        # transaction, except the actions that manage their own.
        action = getattr(self, "action_map", {}).get(request.method.lower())
        if request.method in SAFE_METHODS or action in self.non_atomic_actions:
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

    def get_serializer_class(self):
        if getattr(self, "action", None) == "list" and self.resource.list_read is not None:
            return self.resource.list_read
        return self.resource.read

    def get_queryset(self):
        """The organization's visible rows as model instances (writes look their row up here)."""
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular's schema pass has no organization
            return self.model.objects.none()
        return self.resource.base(self.request.organization)

    def path_pk(self):
        """The path id as a UUID; a malformed one is the same 404 as an unknown one."""
        pk = parse_uuid(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        if pk is None:
            raise NotFound(msg.NOT_FOUND)
        return pk

    def get_object(self):
        obj = self.get_queryset().filter(pk=self.path_pk()).first()
        if obj is None:
            raise NotFound(msg.NOT_FOUND)
        return obj

    def path_ref(self):
        """An unsaved stand-in for the path's row (`pk` and `organization_id` only), for a service that reads the
        row itself under its lock, so the request reads it once; the service answers 404 when it is not there."""
        return self.model(pk=self.path_pk(), organization_id=self.organization.pk)

    def when_nothing_read(self) -> None:
        """Called when a read found no row (a retrieve about to answer 404, a list page without rows), once the
        query is validated. A precondition that any row found already proves (clients: a client row implies a
        client role) is checked here, so the reads that find rows do not pay a query for it; raising here answers
        exactly as raising before the read would (contract §6 order: before the path id)."""

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

    def read_row(self, pk, serializer_class=None, resource=None):
        """One row through the reader of `resource` (default: this viewset's), or None."""
        resource = resource or self.resource
        return resource.reader(serializer_class or resource.read).one(self.organization, pk)

    def respond(self, instance, status=http_status.HTTP_200_OK, serializer_class=None, resource=None):
        """Read the written row back through the reader (same shape and path as a retrieve) and render it."""
        resource = resource or self.resource
        serializer_class = serializer_class or resource.read
        row = self.read_row(instance.pk, serializer_class, resource)
        return Response(self.read(row, serializer_class), status=status)

    def rows(self, queryset, serializer_class=None, resource=None) -> list:
        """Every row of `queryset` (narrowed from the resource's `base()` and ordered) through its reader: the
        nested lists."""
        resource = resource or self.resource
        return resource.reader(serializer_class or resource.read).rows(queryset)

    def compiles_filters(self, request) -> bool:
        """Whether this list's filters are exactly `filters[...]` of `filter_fields` and the sort of `sort_fields`
        (the default backends, no `search`): then the reader compiles the filtered list from the parsed conditions
        (serviceengine/perf/lean.py `Reader.filtered`) instead of the ORM building it on every request."""
        return (
            list(self.filter_backends) == DEFAULT_FILTER_BACKENDS
            and type(self).filter_queryset is OrgViewSet.filter_queryset
            and bool(self.sort_fields)
            and SEARCH_PARAM not in request.query_params
        )

    def list_response(self, request):
        errors = {}
        try:
            self.paginator.parse_params(request)
        except ValidationError as exc:
            errors.update(exc.detail)
        filtered = has_filters(request)
        compiled = filtered and self.compiles_filters(request)
        try:
            if compiled:
                conditions = parse_filters(request, self) if self.filter_fields else []  # the backend's errors
            else:
                queryset = self.filter_queryset(self.get_queryset())
        except ValidationError as exc:
            errors.update(exc.detail)
        if errors:
            raise ValidationError(errors)
        reader = self.resource.reader(self.get_serializer_class())
        organization = self.organization
        if compiled:
            listing = reader.filtered(organization, conditions, ContractSortBackend().sort_key(request, self))
            rows = self.paginator.paginate_rows(
                request, listing.count, lambda limit, offset: (listing.page(limit, offset), None)
            )
        elif filtered:
            rows = self.paginator.paginate_rows(
                request, queryset.count, lambda limit, offset: (reader.rows(queryset, limit, offset), None)
            )
        else:
            sort = ContractSortBackend().sort_key(request, self)
            rows = self.paginator.paginate_rows(
                request,
                lambda: self.list_total(queryset),
                lambda limit, offset: reader.page(organization, sort, limit, offset),
            )
        if not rows:
            self.when_nothing_read()
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def list_total(self, queryset) -> int:
        """`meta.total` of a list of `queryset`: the trigger-kept live count when the request has no filters and
        the resource is counted (serviceengine/perf/counts.py), else a COUNT of the queryset."""
        total = None
        if self.resource.counted and not has_filters(self.request):
            total = live_total(self.model, self.organization)
        return queryset.count() if total is None else total

    def retrieve_response(self):
        try:
            row = self.read_row(self.path_pk(), self.get_serializer_class())
        except NotFound:  # a malformed id
            self.when_nothing_read()
            raise
        if row is None:
            self.when_nothing_read()
            raise NotFound(msg.NOT_FOUND)
        return Response(self.read(row))

    def no_content(self):
        return Response(status=http_status.HTTP_204_NO_CONTENT)


class ListMixin:
    """`GET /api/<resource>`: filters, sort and the list envelope."""

    def list(self, request, *args, **kwargs):
        return self.list_response(request)


class RetrieveMixin:
    """`GET /api/<resource>/{id}`."""

    def retrieve(self, request, *args, **kwargs):
        return self.retrieve_response()
