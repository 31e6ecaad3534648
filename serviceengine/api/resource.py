"""One declaration per resource: `Resource(...)`, set as the `resource` of its viewset.

    ORDERS = Resource(
        model=Order,
        read=OrderSerializer,                 # the object every read and write response renders
        create=OrderCreateSerializer,         # write bodies (validated by the viewset, applied by the services)
        update=OrderUpdateSerializer,
        filters=ORDER_FILTER_FIELDS,          # filters[...] of the list (serviceengine/api/filtering.py)
        sorts=ORDER_SORT_FIELDS,              # sort=... of the list
        counted=True,                         # meta.total from the trigger-kept live count (perf/counts.py)
    )

Optional: `list_read` (a lighter serializer for list rows), `scope` (narrows the visible rows beyond the
organization, `qs → qs`, same SQL shape for every value), `annotations` (name → a callable returning the
expression; a read field reads it by name), `children` (reverse relation name → `Children(...)`: which child rows
a nested list shows, in what order, how many per parent, with what computed values; serviceengine/perf/shape.py),
`search` (the `search=` columns), `ordering` (`(path, ascending)` → the `order_by()` of a list's sort, when not
`sort_ordering`'s), `total_in_page` (an unfiltered page of an uncounted resource brings its COUNT along),
`sync=False` (no `updated_at` filter and sort: append-only logs; every other resource with
`updated_at` gets both).

Everything else is derived: the columns, joins and child rows every read loads come from the read serializers'
fields (serviceengine/perf/shape.py: add a field to the serializer and it is loaded, on every endpoint, through
one path — serviceengine/perf/lean.py); the ORM loading for callers that want model instances (`orm()`:
`select_related`/`prefetch_related` from the same shape); the fields a write may set are the keys the write
serializer validated (`serviceengine.core.services.assign`); the filter/sort index test and the counted tables
read the declarations (`declared()`).
"""
from dataclasses import dataclass, field
from typing import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch

from serviceengine.api.filtering import sort_ordering
from serviceengine.perf.counts import COUNTED
from serviceengine.perf.lean import Reader
from serviceengine.perf.shape import Children

__all__ = ["Children", "Resource", "declared"]

_DECLARED: list["Resource"] = []
SYNC_FIELD = "updated_at"


@dataclass(eq=False)
class Resource:
    model: type
    read: type
    list_read: type | None = None
    create: type | None = None
    update: type | None = None
    filters: dict = field(default_factory=dict)
    sorts: dict = field(default_factory=dict)
    counted: bool = False
    scope: Callable | None = None
    annotations: dict = field(default_factory=dict)
    children: dict = field(default_factory=dict)  # reverse relation name → Children (serviceengine/perf/shape.py)
    search: tuple | None = None  # `search=` columns (serviceengine/api/search.py); None: the model's text columns
    sync: bool = True  # `filters[updated_at]` and `sort=updated_at` (issue 14); False for append-only logs
    ordering: Callable = sort_ordering  # (path, ascending) → the `order_by()` arguments of a list's sort
    # An unfiltered page of a resource that is not `counted` carries its COUNT (one statement instead of two).
    total_in_page: bool = False

    def __post_init__(self):
        self.filters, self.sorts = dict(self.filters), dict(self.sorts)
        if self.sync and any(f.name == SYNC_FIELD for f in self.model._meta.concrete_fields):
            self.filters.setdefault(SYNC_FIELD, "datetime")
            self.sorts.setdefault(SYNC_FIELD, SYNC_FIELD)
        if self.counted and self.model._meta.label not in COUNTED:
            raise ImproperlyConfigured(
                f"{self.model._meta.label} is declared counted: add its table to COUNTED (serviceengine/perf/counts.py)"
                " and a migration installing its triggers"
            )
        for name, spec in self.children.items():
            relation = next((f for f in self.model._meta.get_fields() if f.name == name), None)
            if relation is None or not relation.one_to_many or not isinstance(spec, Children):
                raise ImproperlyConfigured(f"{self.model.__name__}: children[{name!r}] must map a reverse foreign key "
                                           "to a Children(...)")
        self._readers = {}
        _DECLARED.append(self)

    # ---- the visible rows

    def base(self, organization):
        """The rows of `organization` this resource shows (default manager: live rows only), scoped and
        annotated; unordered. `organization` may be an id."""
        queryset = self.model.objects.for_org(organization)
        if self.scope is not None:
            queryset = self.scope(queryset)
        if self.annotations:
            queryset = queryset.annotate(**{name: make() for name, make in self.annotations.items()})
        return queryset

    # ---- reads

    def reader(self, serializer_class=None) -> Reader:
        """The reader of rows shaped for `serializer_class` (default: `read`), built once."""
        serializer_class = serializer_class or self.read
        reader = self._readers.get(serializer_class)
        if reader is None:
            reader = self._readers[serializer_class] = Reader(
                self.model, serializer_class, self.base, annotations=tuple(self.annotations), counted=self.counted,
                children=self.children, ordering=self.ordering, total_in_page=self.total_in_page,
            )
        return reader

    def orm(self, organization, serializer_class=None):
        """`base()` loading model instances with what `serializer_class` reads: `select_related` of its joins and
        a prefetch per child kind (the rows its `Children` declaration shows, else every row in the child model's
        ordering). For callers that need instances (the admin, the equivalence tests); the API reads through
        `reader()`."""
        shape = self.reader(serializer_class).shape
        queryset = self.base(organization)
        if shape.joins:
            queryset = queryset.select_related(*shape.joins)
        prefetches = []
        for child in shape.children:
            children = child.queryset()
            if child.joins:
                children = children.select_related(*child.joins)
            prefetches.append(Prefetch(child.attr, queryset=children))
        return queryset.prefetch_related(*prefetches) if prefetches else queryset

    def read_serializers(self) -> list[type]:
        return [s for s in (self.read, self.list_read) if s is not None]

    def write_serializers(self) -> list[type]:
        return [s for s in (self.create, self.update) if s is not None]

    def __repr__(self):
        return f"<Resource {self.model._meta.label} {self.read.__name__}>"


def declared() -> list[Resource]:
    """Every declared resource (the URLconf imports every viewset module, hence every declaration)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the views)
    return list(_DECLARED)
