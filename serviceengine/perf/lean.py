"""Lean reads: an endpoint's list page and retrieve row as compiled queries returning `Row` objects.

A viewset that sets `lean = LeanReader(...)` answers unfiltered lists (any sort, any page) and retrieves through it;
lists with `filters[...]` and every write keep the ORM path. Both paths read the same columns, and the read
serializers cannot tell a `Row` from a model instance (tests/perf/test_lean_reads.py renders every lean endpoint
both ways, on SQLite and PostgreSQL, and compares the bodies byte for byte).

Children (an order's employees and tags) come, on PostgreSQL, inside the row query as one JSON array per kind and
row (`JSONB_AGG` in a correlated subquery over the junction's index): a retrieve or a page is then one query after
the token (a page's rows also carry its total). On SQLite they take one query per kind for the whole page. JSON carries
strings, numbers and booleans faithfully, and ids as their text (what the serializers print anyway), so child
columns are limited to such fields (checked when the reader is built).
"""
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.postgres.aggregates import JSONBAgg
from django.db import connection
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import JSONObject

from serviceengine.perf.counts import COUNTED
from serviceengine.models import LiveCount

from .compiled import CompiledQuery, Many, nest
from serviceengine.api.filtering import sort_ordering

EMBEDDED = "embedded_children_"  # annotation names of the children arrays (PostgreSQL)
TOTAL = "live_total_"  # annotation name of the total carried by page rows
JSON_FAITHFUL = {"CharField", "TextField", "UUIDField", "ForeignKey", "IntegerField", "BigIntegerField",
                 "SmallIntegerField", "PositiveIntegerField", "BooleanField"}


def _field(model, path: str):
    """The model field a `values_list()` path names (`user__name_f` → User.name_f, `role_id` → the foreign key)."""
    *relations, leaf = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(leaf)


@dataclass(frozen=True)
class Children:
    """Rows of `model` whose `parent` column points at the read rows, in `order`, attached as `to_attr` lists."""

    to_attr: str
    model: type
    parent: str
    columns: tuple
    order: tuple = ("id",)


class LeanReader:
    """`columns` are `values_list()` names of `model` (attnames, and relation paths such as `user__address__city`
    that include the relation's `id`); `children` are loaded for every page or row in one query each."""

    def __init__(self, model, columns, children=()):
        self.model = model
        self.columns = tuple(columns)
        self.children = tuple(children)
        for child in self.children:
            for column in child.columns:
                field = _field(child.model, column)
                if field.get_internal_type() not in JSON_FAITHFUL:
                    kind = field.get_internal_type()
                    raise ValueError(f"{child.model.__name__}.{column}: a {kind} cannot be embedded")
        live = model.objects  # the default manager: live rows only for soft-deletable models
        self._page = CompiledQuery(
            model,
            lambda org_id, shape: self._select(
                self._with_total(live.for_org(org_id), org_id).order_by(*sort_ordering(*shape)), embed=self._embeds()
            ),
        )
        self._one = CompiledQuery(
            model, lambda org_id, pk: self._select(live.for_org(org_id).filter(pk=pk).order_by(), embed=self._embeds())
        )
        self._children = [
            (
                child,
                CompiledQuery(
                    child.model,
                    lambda ids, child=child: child.model._default_manager.filter(**{f"{child.parent}__in": ids})
                    .order_by(*child.order)
                    .values_list(child.parent, *child.columns),
                ),
                nest(child.model, list(child.columns)),
            )
            for child in self.children
        ]

    @staticmethod
    def _embeds() -> bool:
        """Whether rows embed their children: on PostgreSQL, one JSON array per child kind inside the row query
        (one round trip instead of 1 + one per kind; the prepared statement keeps its plan, so the correlated
        subqueries are planned once per connection, not per request)."""
        return connection.vendor == "postgresql"

    def _with_total(self, queryset, org_id):
        """For a counted model, every page row also carries the trigger-kept total (serviceengine/perf/counts.py), one
        round trip fewer than asking for it apart. An empty page carries nothing: the caller asks then."""
        table = COUNTED.get(self.model._meta.label)
        if table is None:
            return queryset
        total = (
            LiveCount.objects.filter(organization_id=org_id, table=table)
            .order_by()
            .values("table")
            .annotate(total=Sum("n"))
            .values("total")
        )
        return queryset.annotate(**{TOTAL: Subquery(total)})

    def _select(self, queryset, *, embed: bool):
        extra = [TOTAL] if TOTAL in queryset.query.annotations else []
        if not embed:
            return queryset.values_list(*self.columns, *extra)
        embedded = {}
        for index, child in enumerate(self.children):
            rows = (
                child.model._default_manager.filter(**{child.parent: OuterRef("id")})
                .order_by()
                .values(child.parent)
                .annotate(rows=JSONBAgg(JSONObject(**{f"c{i}": F(c) for i, c in enumerate(child.columns)}),
                                        order_by=child.order))
                .values("rows")
            )
            embedded[f"{EMBEDDED}{index}"] = Subquery(rows)
        return queryset.annotate(**embedded).values_list(*self.columns, *extra, *embedded)

    def page(self, organization, sort: tuple[str, bool], limit: int, offset: int) -> tuple[list, int | None]:
        """The rows of one page, and the unfiltered total when the rows carry it (a counted model, a page with
        rows); otherwise None."""
        rows = self._page.rows(organization.pk, shape=sort, page=(limit, offset))
        total = None
        for row in rows:
            total = row.__dict__.pop(TOTAL, None)
        self._attach(rows, embedded=self._embeds())
        return rows, (None if total is None else int(total))

    def one(self, organization, pk):
        rows = self._one.rows(organization.pk, pk)
        self._attach(rows, embedded=self._embeds())
        return rows[0] if rows else None

    def _attach(self, rows: list, *, embedded: bool) -> None:
        if not rows:
            return
        if embedded:
            for index, (child, _query, build) in enumerate(self._children):
                name, keys = f"{EMBEDDED}{index}", [f"c{i}" for i in range(len(child.columns))]
                for row in rows:
                    embedded = row.__dict__.pop(name) or []
                    setattr(row, child.to_attr, [build([item[key] for key in keys]) for item in embedded])
            return
        ids = Many(row.id for row in rows)
        for child, query, _build in self._children:
            groups = defaultdict(list)
            for linked in query.rows(ids):
                groups[getattr(linked, child.parent)].append(linked)
            for row in rows:
                setattr(row, child.to_attr, groups.get(row.id, []))
