"""The one read path: every list page, retrieve, nested list and write response reads `Row` objects here.

A `Reader` is built from a model, a read serializer and the queryset of the rows a caller may see
(`base(org_id)`); what it selects is derived from the serializer (serviceengine/perf/shape.py). It answers

- `page(org, sort, limit, offset)`: an unfiltered list page as a compiled query (serviceengine/perf/compiled.py:
  SQL written once per thread and shape); for a counted model the page rows also carry the live total;
- `one(org, pk)`: one row by primary key, compiled the same way;
- `filtered(org, conditions, sort)`: a filtered list (serviceengine/api/filtering.py `Condition`s): its pages
  and its COUNT compiled per *shape* (which fields, operators, `$in` lengths, nulls and booleans, the sort), the
  filter values substituted as parameters; a shape whose SQL depends on its values (an integer beyond its column's
  range, which the ORM turns into no comparison at all) or over `MAX_IN` values goes through the ORM instead;
- `rows(queryset, limit, offset)`: any other list (searched, nested) from a queryset narrowed from `base`: the
  ORM writes that SQL, the rows are built the same way.

Child kinds (an order's employees and tags, an invoice's items) are loaded for all the rows at once. On
PostgreSQL, a kind comes inside the row query as one JSON array per row (`JSONB_AGG` in a correlated subquery over
the child's foreign-key index): a retrieve or a page is then one query after the token. JSON carries strings,
integers, booleans, ids and jsonb values as they are; datetimes and dates come as JSON's ISO text and decimals as
their text, turned back into exactly what psycopg loads (`JSON_DECODED`); a kind limited per parent (the newest 20)
is limited inside its array's subquery. On SQLite every kind takes one query for the whole page.

The serializers cannot tell a `Row` from a model instance; tests/perf/test_read_equivalence.py renders every
resource both ways (this path, and DRF's own rendering of ORM instances) with every field filled and compares the
bytes. A `Row` missing an attribute raises in development and tests (see `compiled.MissingColumn`).
"""
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.contrib.postgres.aggregates import JSONBAgg
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Count, F, OuterRef, Subquery, Sum, TextField, Value
from django.db.models.functions import Cast, JSONObject

from serviceengine.api.filtering import NULL, apply_condition, sort_ordering
from serviceengine.models import LiveCount
from serviceengine.perf.counts import COUNTED

from .compiled import CompiledCount, CompiledQuery, Many, NotCompilable, nest, pk_value, selected_names
from .shape import shape_of

EMBEDDED = "embedded_children_"  # annotation names of the children arrays (PostgreSQL)
TOTAL = "live_total_"  # annotation name of the total carried by page rows
JSON_FAITHFUL = {"CharField", "TextField", "UUIDField", "ForeignKey", "OneToOneField", "IntegerField",
                 "BigIntegerField", "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
                 "BooleanField", "AutoField", "BigAutoField", "SmallAutoField"}
# Columns JSON carries in another form, turned back into exactly what psycopg loads (the connection's time zone is
# UTC: Django sets it, and psycopg loads timestamptz in `timezone.utc`): a timestamptz as JSON writes it
# ("2026-01-02T03:04:05.123456+00:00"), a date ("2026-01-02"), a numeric as its text (a JSON number would come back a
# float), a jsonb value as itself (what JSONField's `json.loads` of its text gives; a custom decoder is refused).
_JSON_TEXT = {"DecimalField"}  # sent as text inside the JSON object
JSON_DECODED = {
    "DateTimeField": datetime.fromisoformat,
    "DateField": date.fromisoformat,
    "DecimalField": Decimal,
    "JSONField": None,
}
MAX_IN = 100  # `$in` values a compiled filtered list takes (one statement per length); longer lists use the ORM


def _field(model, path: str):
    """The model field a `values_list()` path names (`user__name_f` → User.name_f, `role_id` → the foreign key)."""
    *relations, leaf = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(leaf)


def _kind(child, column) -> str | None:
    """The internal type of a child column (an annotation's output field for computed values), or None when JSON
    cannot carry it faithfully (a JSONField with its own decoder)."""
    if column in child.spec.annotations:
        fld = child.queryset().query.annotations[column].output_field
    else:
        fld = _field(child.model, column)
    if getattr(fld, "decoder", None) is not None:
        return None
    return fld.get_internal_type()


def embeddable(child) -> bool:
    """Whether a child kind can come as a JSON array inside the row query: columns (and computed values) JSON carries
    as they are or in a form turned back exactly (`JSON_DECODED`). A per-parent limit is the same
    `id IN (… ORDER BY … LIMIT n)` inside the array's subquery (`ChildShape.queryset`)."""
    kinds = (_kind(child, column) for column in child.columns)
    return all(kind in JSON_FAITHFUL or kind in JSON_DECODED for kind in kinds)


def _decoders(child) -> list:
    """Per column of an embedded child kind, what turns its JSON value back into the loaded value (None: as is)."""
    return [JSON_DECODED.get(_kind(child, column)) for column in child.columns]


def _encoded(child, column):
    """The expression a child column is written with inside the JSON object."""
    if _kind(child, column) in _JSON_TEXT:
        return Cast(F(column), TextField())
    return F(column)


class Reader:
    """Rows of `model` shaped for `serializer_class`; `base(org_id)` is the queryset of visible rows (scope and
    annotations applied, unordered is fine), `annotations` the names it adds, `children` the `Children`
    declarations of its child kinds by relation name (serviceengine/perf/shape.py), `ordering(path, ascending)` the
    `order_by()` arguments of a sort (default `sort_ordering`); `total_in_page`: an unfiltered page of a model that is
    not counted carries its COUNT (`page()`)."""

    def __init__(self, model, serializer_class, base, *, annotations=(), counted=False, children=None,
                 ordering=sort_ordering, total_in_page=False):
        self.model = model
        self.ordering = ordering
        self.total_in_page = total_in_page
        self.serializer_class = serializer_class
        self.base = base
        self.shape = shape_of(serializer_class, model, annotations, children)
        self.columns = tuple(self.shape.columns)
        self.children = tuple(self.shape.children)
        self.counted = counted and model._meta.label in COUNTED
        self._embedded = [child for child in self.children if embeddable(child)]
        # per embedded kind, (column index, converter) of the columns JSON does not carry as they are
        self._decode = {id(child): [(i, convert) for i, convert in enumerate(_decoders(child)) if convert is not None]
                        for child in self._embedded}
        self._page = CompiledQuery(
            model,
            lambda org_id, shape: self._select(
                self._with_total(base(org_id), org_id).order_by(*self.ordering(*shape)), embed=self._embeds()
            ),
        )
        self._one = CompiledQuery(model, lambda org_id, pk: self._select(base(org_id).filter(pk=pk).order_by(),
                                                                            embed=self._embeds()))
        # Filtered lists: shape = (sort, filters) for pages, filters for counts (see `_plan`).
        self._filtered_page = CompiledQuery(
            model,
            lambda org_id, *values, shape: self._select(
                self._narrow(base(org_id), shape[1], values).order_by(*self.ordering(*shape[0])), embed=self._embeds()
            ),
        )
        self._filtered_count = CompiledCount(
            model, lambda org_id, *values, shape: self._narrow(base(org_id), shape, values).order_by().values_list("pk")
        )
        self._int_ranges = {}
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
        """For a counted model, every page row also carries the trigger-kept total (serviceengine/perf/counts.py);
        with `total_in_page`, the COUNT of `base(org_id)` (a subquery PostgreSQL runs once per statement): one round
        trip fewer than asking for it apart. An empty page carries nothing: the caller asks then."""
        if self.counted:
            total = (
                LiveCount.objects.filter(organization_id=org_id, table=COUNTED[self.model._meta.label])
                .order_by()
                .values("table")
                .annotate(total=Sum("n"))
                .values("total")
            )
        elif self.total_in_page:
            # grouped by a constant, which the ORM leaves out of GROUP BY: one row, the COUNT of every visible row
            total = self.base(org_id).order_by().annotate(one_=Value(1)).values("one_").annotate(
                total=Count("*")).values("total")
        else:
            return queryset
        return queryset.annotate(**{TOTAL: Subquery(total)})

    def _select(self, queryset, *, embed: bool):
        extra = [TOTAL] if TOTAL in queryset.query.annotations else []
        if not embed or not self._embedded:
            return queryset.values_list(*self.columns, *extra)
        embedded = {}
        for index, child in enumerate(self.children):
            if child not in self._embedded:
                continue
            columns = {f"c{i}": _encoded(child, column) for i, column in enumerate(child.columns)}
            rows = (
                child.queryset(child.model._base_manager.filter(**{child.parent: OuterRef("id")}))
                .order_by()
                .values(child.parent)
                .annotate(rows=JSONBAgg(JSONObject(**columns), order_by=child.order))
                .values("rows")
            )
            embedded[f"{EMBEDDED}{index}"] = Subquery(rows)
        return queryset.annotate(**embedded).values_list(*self.columns, *extra, *embedded)

    # ---- reads

    def page(self, organization, sort: tuple[str, bool], limit: int, offset: int) -> tuple[list, int | None]:
        """The rows of one unfiltered page, and the total when the rows carry it (a counted model or
        `total_in_page`, a page with rows); otherwise None."""
        rows = self._page.rows(pk_value(organization), shape=sort, page=(limit, offset))
        total = None
        for row in rows:
            total = row.__dict__.pop(TOTAL, None)
        self._attach(rows)
        return rows, (None if total is None else int(total))

    def one(self, organization, pk):
        """The row with this primary key among `base(organization)` (an organization or its id), or None."""
        rows = self._one.rows(pk_value(organization), pk)
        self._attach(rows)
        return rows[0] if rows else None

    def filtered(self, organization, conditions, sort: tuple[str, bool]) -> "Filtered":
        """A filtered list of `base(organization)`: `conditions` (serviceengine/api/filtering.py), in this order,
        sorted by `sort`; read its pages and its total from the result."""
        return Filtered(self, pk_value(organization), conditions, sort)

    def _plan(self, conditions) -> tuple | None:
        """(filters, values): the shape of `conditions` (path, operator, and how its value comes: "one" or "many"
        parameters, "null", or ("fixed", value) for booleans, two values only) and their parameters; None when
        they cannot be parameters of a compiled query."""
        filters, values = [], []
        for condition in conditions:
            path, op, value = condition.path, condition.op, condition.value
            if value is NULL:
                filters.append((path, op, "null"))
            elif condition.kind == "bool":
                filters.append((path, op, ("fixed", tuple(value) if op == "$in" else value)))
            elif op == "$in":
                if len(value) > MAX_IN:
                    return None
                filters.append((path, op, "many"))
                values.append(Many(value))
            else:
                if condition.kind == "int" and not self._in_range(path, value):
                    return None
                filters.append((path, op, "one"))
                values.append(value)
        return tuple(filters), tuple(values)

    def _in_range(self, path: str, value: int) -> bool:
        """Whether `value` is within the range of the integer column `path` names (beyond it, the ORM writes no
        comparison: `IntegerFieldOverflow`); False when `path` is not a model field."""
        bounds = self._int_ranges.get(path)
        if bounds is None:
            try:
                bounds = connection.ops.integer_field_range(_field(self.model, path).get_internal_type())
            except (FieldDoesNotExist, KeyError, AttributeError):  # an annotation, or not an integer column
                bounds = (0, -1)
            self._int_ranges[path] = bounds
        low, high = bounds
        return (low is None or value >= low) and (high is None or value <= high)

    @staticmethod
    def _narrow(queryset, filters, values):
        """`queryset` narrowed by a plan's `filters`, `values` standing for its parameters, in order."""
        values = iter(values)
        for path, op, how in filters:
            if how == "null":
                value = NULL
            elif how in ("one", "many"):
                value = next(values)
            else:
                value = list(how[1]) if op == "$in" else how[1]
            queryset = apply_condition(queryset, path, op, value)
        return queryset

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
                decode = self._decode[id(child)]
                for row in rows:
                    items = row.__dict__.pop(name) or []
                    children = []
                    for item in items:
                        values = [item[key] for key in keys]
                        for column, convert in decode:
                            if values[column] is not None:
                                values[column] = convert(values[column])
                        children.append(build(values))
                    setattr(row, child.attr, children)
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


class Filtered:
    """A filtered list (`Reader.filtered`): `page(limit, offset)` and `count()` run compiled queries when the
    conditions plan (`Reader._plan`) and their shape compiles; otherwise the ORM builds them from `base` (the same
    conditions, in the same order: what `ContractFilterBackend` does)."""

    def __init__(self, reader: Reader, org_id, conditions, sort):
        self.reader, self.org_id, self.conditions, self.sort = reader, org_id, conditions, sort
        self.plan = reader._plan(conditions)

    def queryset(self):
        queryset = self.reader.base(self.org_id)
        for condition in self.conditions:
            queryset = apply_condition(queryset, condition.path, condition.op, condition.value)
        return queryset

    def page(self, limit: int, offset: int) -> list:
        reader = self.reader
        if self.plan is not None:
            filters, values = self.plan
            try:
                rows = reader._filtered_page.rows(self.org_id, *values, shape=(self.sort, filters),
                                                  page=(limit, offset))
            except NotCompilable:
                pass
            else:
                reader._attach(rows)
                return rows
        return reader.rows(self.queryset().order_by(*reader.ordering(*self.sort)), limit, offset)

    def count(self) -> int:
        if self.plan is not None:
            filters, values = self.plan
            try:
                return self.reader._filtered_count.count(self.org_id, *values, shape=filters)
            except NotCompilable:
                pass
        return self.queryset().count()
