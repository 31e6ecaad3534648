"""What a read serializer reads, derived from its fields: the columns to select and the child rows to attach.

`shape_of(serializer_class, model)` walks the serializer's readable fields (nested serializers too) and turns
each field's source path into `values_list()` names of `model`:

- a column (`status`, `folder_id`) is itself; a path through a foreign key (`user.address.city`) joins it and
  also selects every joined relation's `id` (so a null relation is told apart from a row of nulls);
- a nested serializer over a foreign key (`client = ClientSerializer(source="user")`) joins it, and its own
  fields are planned under that prefix;
- a `many=True` serializer, or a field with an `item_path` (`PluckField`), over a reverse foreign key
  (`employee_links`, `items`, `messages`) is a child kind: its rows are loaded for a whole page at once, ordered by
  the child model's `Meta.ordering`, with the columns its serializer reads (joins included). A resource may say
  otherwise for a relation with `Children(...)`: which child rows (`scope`), computed values (`annotations`), the
  order they are shown in (`order`), and at most `limit` per parent, the first by `limit_by` (the newest 20);
- a model property or a serializer method (`SerializerMethodField`) reads what its `@reads(...)` declares
  (serviceengine/core/reads.py); one without the declaration is refused here, at the first request;
- a resource's declared annotations (`spent_total`) are selected by name.

The result is the only list of what a read loads: the compiled queries, the ORM path of filtered lists and the
derived ORM loading (`select_related`/`prefetch_related`, for the admin and the equivalence tests) all use it.
"""
from dataclasses import dataclass, field
from typing import Callable

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import OuterRef, Subquery
from rest_framework import serializers


@dataclass(frozen=True, eq=False)
class Children:
    """How a resource loads one child kind (keyed by the reverse relation's name in `Resource(children=...)`), where
    the default (every row of the relation, in the child model's `Meta.ordering`) is not what the serializer shows.

    - `scope`: `qs → qs`, which child rows (e.g. the live ones); same SQL shape for every value;
    - `annotations`: name → a callable returning an expression, read by the child serializer by name;
    - `order`: the order the rows are shown in (`order_by()` arguments; default the child model's ordering);
    - `limit`: at most this many rows per parent, the first by `limit_by` (default `order`), e.g. the newest 20
      shown oldest first: `order=("created_at", "id"), limit=20, limit_by=("-created_at", "-id")`.
    """

    scope: Callable | None = None
    annotations: dict = field(default_factory=dict)
    order: tuple | None = None
    limit: int | None = None
    limit_by: tuple | None = None


@dataclass
class ChildShape:
    """Rows of `model` whose `parent` column (an attname) points at the read rows, attached as `attr` lists."""

    attr: str
    model: type
    parent: str
    columns: list = field(default_factory=list)
    spec: Children = field(default_factory=Children)

    @property
    def order(self) -> tuple:
        return tuple(self.spec.order or self.model._meta.ordering or ("id",))

    @property
    def joins(self) -> list[str]:
        return _joins(self.columns)

    def queryset(self, queryset=None):
        """The child rows to show, from `queryset` (default: every row of the child model; callers narrow it to
        the parents): scoped, annotated, limited per parent and ordered. One definition for the reader's queries
        and the ORM's prefetches."""
        spec = self.spec
        queryset = self.model._base_manager.all() if queryset is None else queryset
        if spec.scope is not None:
            queryset = spec.scope(queryset)
        if spec.annotations:
            queryset = queryset.annotate(**{name: make() for name, make in spec.annotations.items()})
        if spec.limit is not None:
            # The first `limit` of each parent: a correlated `id IN (… ORDER BY … LIMIT n)` over the parent's own
            # rows, which an index on (parent, order) answers without reading the whole thread.
            first = self.model._base_manager.filter(**{self.parent: OuterRef(self.parent)})
            if spec.scope is not None:
                first = spec.scope(first)
            first = first.order_by(*(spec.limit_by or self.order)).values("pk")[: spec.limit]
            queryset = queryset.filter(pk__in=Subquery(first))
        return queryset.order_by(*self.order)


@dataclass
class Shape:
    model: type
    columns: list = field(default_factory=list)
    children: list = field(default_factory=list)

    @property
    def joins(self) -> list[str]:
        """The `select_related()` paths the columns go through."""
        return _joins(self.columns)


def _joins(columns) -> list[str]:
    joins = []
    for column in columns:
        parts = column.split("__")[:-1]
        for end in range(1, len(parts) + 1):
            path = "__".join(parts[:end])
            if path not in joins:
                joins.append(path)
    return joins


def _unwrap(attribute):
    """The function behind a property, cached_property or method (or None)."""
    if isinstance(attribute, property):
        return attribute.fget
    return getattr(attribute, "func", attribute) if callable(attribute) or hasattr(attribute, "func") else None


class _Planner:
    def __init__(self, model, annotations=(), *, allow_children=True, children=None):
        self.shape = Shape(model)
        self.annotations = set(annotations)
        self.allow_children = allow_children
        self.children = children or {}

    def add(self, column: str) -> None:
        if column not in self.shape.columns:
            self.shape.columns.append(column)

    # ---- serializers

    def serializer(self, serializer_class, model, prefix: str) -> None:
        template = serializer_class() if isinstance(serializer_class, type) else serializer_class
        self.add(f"{prefix}id" if prefix else "id")
        for fld in template._readable_fields:
            where = f"{type(template).__name__}.{fld.field_name}"
            if isinstance(fld, serializers.SerializerMethodField):
                method = getattr(type(template), fld.method_name)
                self.declared(method, model, prefix, where)
            elif isinstance(fld, serializers.ListSerializer):
                self.child(model, prefix, fld.source_attrs, fld.child, where)
            elif getattr(fld, "item_path", None) is not None:
                self.child(model, prefix, fld.source_attrs, fld.item_path, where)
            elif isinstance(fld, serializers.BaseSerializer):
                related, relation_prefix = self.relation(model, prefix, fld.source_attrs, where)
                self.serializer(fld, related, relation_prefix)
            elif fld.source == "*":
                raise ImproperlyConfigured(f"{where}: source='*' cannot be planned; name the attributes it reads")
            else:
                self.path(model, prefix, fld.source_attrs, where)

    def declared(self, func, model, prefix, where) -> None:
        paths = getattr(func, "reads", None)
        if paths is None:
            raise ImproperlyConfigured(f"{where}: declare what it reads with @reads(...) (serviceengine/core/reads.py)")
        for path in paths:
            self.path(model, prefix, path.split("."), where)
        for relation, serializer_class in getattr(func, "reads_nested", {}).items():
            related, relation_prefix = self.relation(model, prefix, relation.split("."), where)
            self.serializer(serializer_class, related, relation_prefix)

    # ---- attribute paths

    def _field(self, model, name):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            return None

    def relation(self, model, prefix, attrs, where):
        """Join the foreign keys of `attrs`; the related model and the prefix of its columns."""
        for attr in attrs:
            fld = self._field(model, attr)
            # a foreign key, or the reverse side of a one-to-one (`proposal.signature`): at most one row, a LEFT JOIN
            if fld is None or not (fld.many_to_one and fld.concrete or fld.one_to_one):
                raise ImproperlyConfigured(f"{where}: {model.__name__}.{attr} is not a foreign key to join")
            prefix = f"{prefix}{fld.name}__"
            self.add(f"{prefix}id")
            model = fld.related_model
        return model, prefix

    def path(self, model, prefix, attrs, where) -> None:
        attr, rest = attrs[0], list(attrs[1:])
        if not prefix and attr in self.annotations and not rest:
            self.add(attr)
            return
        fld = self._field(model, attr)
        if fld is not None and fld.concrete:
            if fld.is_relation and attr == fld.attname and not rest:  # `user_id`: the column itself
                self.add(f"{prefix}{attr}")
                return
            if fld.is_relation:
                if not rest:
                    raise ImproperlyConfigured(f"{where}: {model.__name__}.{attr} is an object; render it with a serializer")
                related, relation_prefix = self.relation(model, prefix, [attr], where)
                self.path(related, relation_prefix, rest, where)
                return
            if rest:
                raise ImproperlyConfigured(f"{where}: {model.__name__}.{attr} has no attributes to follow")
            self.add(f"{prefix}{attr}")
            return
        if fld is not None and fld.one_to_one:  # the reverse side of a one-to-one
            related, relation_prefix = self.relation(model, prefix, [attr], where)
            if not rest:
                raise ImproperlyConfigured(f"{where}: {model.__name__}.{attr} is an object; render it with a serializer")
            self.path(related, relation_prefix, rest, where)
            return
        if fld is not None:
            raise ImproperlyConfigured(f"{where}: {model.__name__}.{attr} is a collection; use a many=True serializer")
        func = _unwrap(getattr(model, attr, None))
        if func is None:
            raise ImproperlyConfigured(f"{where}: {model.__name__} has no column, relation or property {attr!r}")
        if rest:
            raise ImproperlyConfigured(f"{where}: {model.__name__}.{attr} is computed; it cannot be followed")
        self.declared(func, model, prefix, where)

    # ---- children

    def child(self, model, prefix, attrs, reads, where) -> None:
        if prefix or len(attrs) != 1 or not self.allow_children:
            raise ImproperlyConfigured(f"{where}: child rows only of the read row itself, one level deep")
        relation = self._field(model, attrs[0])
        if relation is None or not relation.one_to_many:
            raise ImproperlyConfigured(f"{where}: {model.__name__}.{attrs[0]} is not a reverse foreign key")
        child_model, parent = relation.related_model, relation.field.attname
        spec = self.children.get(attrs[0]) or Children()
        planner = _Planner(child_model, tuple(spec.annotations), allow_children=False)
        planner.add(parent)
        if isinstance(reads, str):  # an item path (PluckField)
            planner.add("id")
            planner.path(child_model, "", reads.split("."), where)
        else:
            planner.serializer(reads, child_model, "")
        self.shape.children.append(ChildShape(attrs[0], child_model, parent, planner.shape.columns, spec))


def shape_of(serializer_class, model, annotations=(), children=None) -> Shape:
    """The shape of `serializer_class` over `model`; `annotations` are the names the rows carry, `children` the
    `Children` declarations by relation name."""
    planner = _Planner(model, annotations, children=children)
    planner.serializer(serializer_class, model, "")
    return planner.shape
