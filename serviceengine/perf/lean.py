"""The one read path: every list page, retrieve, nested list and write response reads `Row` objects here.

A `Reader` is built from a model, a read serializer and the queryset of the rows a caller may see
(`base(org_id)`); what it selects is derived from the serializer (serviceengine/perf/shape.py). It answers

- `page(org, sort, limit, offset)`: an unfiltered list page as a compiled query (serviceengine/perf/compiled.py:
  SQL written once per thread and shape); for a counted model the page rows also carry the live total;
- `one(org, pk)`: one row by primary key, compiled the same way;
- `rows(queryset, limit, offset)`: any other list (filtered, nested) from a queryset narrowed from `base`: the
  ORM writes that SQL, the rows are built the same way.

Child kinds (an order's employees and tags, an invoice's items) are loaded for all the rows at once. On
PostgreSQL, a kind whose columns JSON carries faithfully (strings, numbers, booleans, ids) comes inside the row
query as one JSON array per row (`JSONB_AGG` in a correlated subquery over the child's foreign-key index): a
retrieve or a page is then one query after the token. Other kinds (dates, decimals) take one query per kind
for the whole page, as every kind does on SQLite.

The serializers cannot tell a `Row` from a model instance; tests/perf/test_read_equivalence.py renders every
resource both ways (this path, and DRF's own rendering of ORM instances) with every field filled and compares the
bytes. A `Row` missing an attribute raises in development and tests (see `compiled.MissingColumn`).
"""
from collections import defaultdict

from django.contrib.postgres.aggregates import JSONBAgg
from django.db import connection
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import JSONObject

from serviceengine.api.filtering import sort_ordering
from serviceengine.models import LiveCount
from serviceengine.perf.counts import COUNTED

from .compiled import CompiledQuery, Many, nest, selected_names
from .shape import shape_of

EMBEDDED = "embedded_children_"  # annotation names of the children arrays (PostgreSQL)
TOTAL = "live_total_"  # annotation name of the total carried by page rows
JSON_FAITHFUL = {"CharField", "TextField", "UUIDField", "ForeignKey", "OneToOneField", "IntegerField",
                 "BigIntegerField", "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
                 "BooleanField", "AutoField", "BigAutoField", "SmallAutoField"}


def _field(model, path: str):
    """The model field a `values_list()` path names (`user__name_f` → User.name_f, `role_id` → the foreign key)."""
    *relations, leaf = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(leaf)


def _org_id(organization):
    return getattr(organization, "pk", organization)


def embeddable(child) -> bool:
    """Whether a child kind can come as a JSON array inside the row query: model columns JSON carries faithfully,
    no computed values and no per-parent limit (those take their own query)."""
    if child.spec.annotations or child.spec.limit is not None:
        return False
    return all(_field(child.model, column).get_internal_type() in JSON_FAITHFUL for column in child.columns)


class Reader:
    """Rows of `model` shaped for `serializer_class`; `base(org_id)` is the queryset of visible rows (scope and
    annotations applied, unordered is fine), `annotations` the names it adds, `children` the `Children`
    declarations of its child kinds by relation name (serviceengine/perf/shape.py)."""

    def __init__(self, model, serializer_class, base, *, annotations=(), counted=False, children=None):
        self.model = model
        self.serializer_class = serializer_class
        self.base = base
        self.shape = shape_of(serializer_class, model, annotations, children)
        self.columns = tuple(self.shape.columns)
        self.children = tuple(self.shape.children)
        self.counted = counted and model._meta.label in COUNTED
        self._embedded = [child for child in self.children if embeddable(child)]
        self._page = CompiledQuery(
            model,
            lambda org_id, shape: self._select(
                self._with_total(base(org_id), org_id).order_by(*sort_ordering(*shape)), embed=self._embeds()
            ),
        )
        self._one = CompiledQuery(model, lambda org_id, pk: self._select(base(org_id).filter(pk=pk).order_by(),
                                                                            embed=self._embeds()))
        self._child_queries = [
            (
                child,
                nest(child.model, list(child.columns)),
                CompiledQuery(
                    child.model,
                    lambda ids, child=child: child.queryset(
                        child.model._base_manager.filter(**{f"{child.parent}__in": ids})
                    ).values_list(*child.columns),
                ),
            )
            for child in self.children
        ]

    @staticmethod
    def _embeds() -> bool:
        """Whether rows embed their (JSON-faithful) children: on PostgreSQL, one JSON array per child kind inside the
        row query (one round trip instead of 1 + one per kind; the prepared statement keeps its plan)."""
        return connection.vendor == "postgresql"

    def _with_total(self, queryset, org_id):
        """For a counted model, every page row also carries the trigger-kept total (serviceengine/perf/counts.py),
        one round trip fewer than asking for it apart. An empty page carries nothing: the caller asks then."""
        if not self.counted:
            return queryset
        total = (
            LiveCount.objects.filter(organization_id=org_id, table=COUNTED[self.model._meta.label])
            .order_by()
            .values("table")
            .annotate(total=Sum("n"))
            .values("total")
        )
        return queryset.annotate(**{TOTAL: Subquery(total)})

    def _select(self, queryset, *, embed: bool):
        extra = [TOTAL] if TOTAL in queryset.query.annotations else []
        if not embed or not self._embedded:
            return queryset.values_list(*self.columns, *extra)
        embedded = {}
        for index, child in enumerate(self.children):
            if child not in self._embedded:
                continue
            rows = (
                child.queryset(child.model._base_manager.filter(**{child.parent: OuterRef("id")}))
                .order_by()
                .values(child.parent)
                .annotate(rows=JSONBAgg(JSONObject(**{f"c{i}": F(c) for i, c in enumerate(child.columns)}),
                                        order_by=child.order))
                .values("rows")
            )
            embedded[f"{EMBEDDED}{index}"] = Subquery(rows)
        return queryset.annotate(**embedded).values_list(*self.columns, *extra, *embedded)

    # ---- reads

    def page(self, organization, sort: tuple[str, bool], limit: int, offset: int) -> tuple[list, int | None]:
        """The rows of one unfiltered page, and the total when the rows carry it (a counted model, a page with
        rows); otherwise None."""
        rows = self._page.rows(_org_id(organization), shape=sort, page=(limit, offset))
        total = None
        for row in rows:
            total = row.__dict__.pop(TOTAL, None)
        self._attach(rows)
        return rows, (None if total is None else int(total))

    def one(self, organization, pk):
        """The row with this primary key among `base(organization)` (an organization or its id), or None."""
        rows = self._one.rows(_org_id(organization), pk)
        self._attach(rows)
        return rows[0] if rows else None

    def rows(self, queryset, limit: int | None = None, offset: int = 0) -> list:
        """The rows of `queryset` (narrowed from `base`, ordered), optionally one page of them."""
        selected = self._select(queryset, embed=self._embeds())
        if limit is not None:
            selected = selected[offset : offset + limit]
        build = nest(self.model, selected_names(selected.query))
        rows = [build(values) for values in selected]
        self._attach(rows)
        return rows

    def _attach(self, rows: list) -> None:
        if not rows:
            return
        embeds = self._embeds()
        pending = []
        for index, (child, build, query) in enumerate(self._child_queries):
            if embeds and child in self._embedded:
                name = f"{EMBEDDED}{index}"
                keys = [f"c{i}" for i in range(len(child.columns))]
                for row in rows:
                    items = row.__dict__.pop(name) or []
                    setattr(row, child.attr, [build([item[key] for key in keys]) for item in items])
            else:
                pending.append((child, query))
        if not pending:
            return
        ids = Many(row.id for row in rows)
        for child, query in pending:
            groups = defaultdict(list)
            for linked in query.rows(ids):
                groups[getattr(linked, child.parent)].append(linked)
            for row in rows:
                setattr(row, child.attr, groups.get(row.id, []))
