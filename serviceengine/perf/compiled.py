"""Compiled read queries: the ORM writes the SQL once, hot read paths run it with new values.

Turning a queryset into SQL costs Django 0.2 to 0.9 ms per query on a small machine (joins, column lists,
ordering), several times what PostgreSQL needs to answer the hot reads of this API: the token lookup, a page of
orders, one order, and the employees and tags of a page. `CompiledQuery` builds such a query through the ORM once
per thread and shape, with stand-in values whose positions among the SQL parameters it records, then executes the
same SQL through Django's cursor (so query logging, `CaptureQueriesContext` and the execute wrappers see it) with
the request's values. Rows come back through the ORM's own converters, as:

- `Row` objects (`rows()`): plain attribute bags nested by relation (`user__address__city` →
  `row.user.address.city`, a null relation → `None`), carrying the model's own properties and methods
  (`full_name`, `status_label`) so the serializers read them as they read model instances; or
- model instances (`instances()`), built with `Model.from_db` as the ORM would.

Only shapes whose SQL does not depend on the values may be compiled: comparisons with a value, `IN` lists
(compiled per length), and a trailing page: `LIMIT` written in the SQL (one statement per page size), `OFFSET` too for
first pages and a parameter otherwise. PostgreSQL cannot cost a generic plan for an unknown limit or offset and would
plan the prepared statement again on every run. Each shape is compiled twice, with two sets of stand-ins: the SQL and
every parameter but the stand-ins' must come out the same, and each stand-in must be a parameter (as is, or prepared
as the ORM prepares it: `_forms`), else the shape is refused (`NotCompilable`) and the caller uses the ORM. A
`CompiledCount` runs `SELECT COUNT(*)` over such a query (what `QuerySet.count()` answers).

A thread keeps at most `MAX_SHAPES` compiled shapes per query (the oldest go first): filtered lists have many shapes.
"""
import functools
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.conf import settings
from django.db import connections

FRAMEWORK_MODULES = ("django.", "builtins", "rest_framework.")  # their attributes are not copied onto rows
MAX_SHAPES = 256  # compiled shapes a thread keeps per query


class NotCompilable(ValueError):
    """The SQL of this shape depends on its values, or a value is not among its parameters: use the ORM."""


class MissingColumn(LookupError):
    """A read asked a `Row` for an attribute its query did not select. Not an AttributeError on purpose: DRF
    turns those into `null` (or drops the key), which is how a forgotten column would go unnoticed."""


def strict_reads() -> bool:
    """Whether a missing attribute on a `Row` raises `MissingColumn` (development and tests: `READ_STRICT`,
    default `DEBUG`) rather than an AttributeError that DRF renders as null (production)."""
    return getattr(settings, "READ_STRICT", False)


class Row:
    """A read-only row of a compiled query (see the module docstring)."""

    @property
    def pk(self):
        return self.id

    def __getattr__(self, name):  # only called for attributes the row does not have
        if name.startswith("_") or not strict_reads():
            raise AttributeError(name)
        raise MissingColumn(f"{type(self).__name__}.{name} was not selected: the read plan misses it "
                            f"(serviceengine/perf/shape.py)")

    def __repr__(self):
        return f"<{type(self).__name__} {self.__dict__!r}>"


@functools.cache
def row_class(model) -> type:
    """A `Row` subclass that carries the project-defined properties and methods of `model` (not Django's)."""
    attrs = {}
    for klass in reversed(model.__mro__):
        if klass.__module__.startswith(FRAMEWORK_MODULES):
            continue
        for name, value in vars(klass).items():
            if name.startswith("__") or name in ("Meta", "objects", "all_objects", "with_deleted", "unscoped"):
                continue
            if isinstance(value, (property, functools.cached_property)) or callable(value) and hasattr(value, "__code__"):
                attrs[name] = value
    return type(f"{model.__name__}Row", (Row,), attrs)


def pk_value(row_or_pk) -> uuid.UUID:
    """The id of a row given as the row or as its id (a UUID or its text), as a UUID: what a compiled query takes
    for an id (its SQL was written with UUID stand-ins; a text id would not be recognized as one)."""
    pk = getattr(row_or_pk, "pk", row_or_pk)
    return pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))


class Joined:
    """A row of `model` with the rows its foreign keys join (what `select_related` loads), read through a compiled
    `values_list(*joined.columns)`: `related` maps each relation name to the columns to load (None: every column).
    `load(alias, values)` builds each row with `Model.from_db`, as the ORM does, and caches the joined rows on the
    first."""

    def __init__(self, model, related: dict):
        def every(m):
            return [f.attname for f in m._meta.concrete_fields]

        self.parts = [(None, model, every(model))]
        for name, names in related.items():
            relation = model._meta.get_field(name)
            self.parts.append((relation, relation.related_model, names or every(relation.related_model)))
        self.columns = [
            (f"{relation.name}__" if relation else "") + name for relation, _m, names in self.parts for name in names
        ]

    def load(self, alias: str, values):
        start, row = 0, None
        for relation, model, names in self.parts:
            instance = model.from_db(alias, names, values[start : start + len(names)])
            start += len(names)
            if relation is None:
                row = instance
            else:
                relation.set_cached_value(row, instance)
        return row


class Many:
    """A parameter that is a list of values: `IN (...)` compiled once per list length."""

    def __init__(self, values):
        self.values = list(values)


@dataclass
class _Compiled:
    sql: str
    params: list
    slots: list  # (position in params, argument index, element index or None, transform)
    compiler: object
    converters: dict
    names: list
    build: object = field(default=None)


_EPOCH = datetime(2400, 1, 1, tzinfo=dt_timezone.utc)


def _stand_in(value, taken: set):
    """A value of the same type as `value`, no other value of the query has (`taken`: those of this compilation).
    Integers stay within the smallest integer column's range (0..32767): out of its range, the ORM writes no
    comparison at all (`IntegerFieldOverflow`), so callers pass only values within their column's range."""
    while True:
        if isinstance(value, uuid.UUID):
            stand_in = uuid.uuid4()
        elif isinstance(value, str):
            stand_in = f"__compiled_{uuid.uuid4().hex}__"
        elif isinstance(value, bool):
            raise TypeError("CompiledQuery cannot stand in for bool values (two values: make them part of the shape)")
        elif isinstance(value, int):
            stand_in = random.randrange(10_000, 32_767)
        elif isinstance(value, Decimal):
            stand_in = Decimal(random.randrange(10**12, 10**13)).scaleb(-4)  # 8 integer digits, 4 decimal places
        elif isinstance(value, datetime):
            stand_in = _EPOCH + timedelta(microseconds=random.randrange(1, 10**15))
        else:
            raise TypeError(f"CompiledQuery cannot stand in for {type(value).__name__} values")
        if stand_in not in taken:
            taken.add(stand_in)
            return stand_in


def _forms(stand_in, connection) -> list:
    """The ways the ORM may have prepared a stand-in value for the database, with how to prepare a real one."""
    forms = [(stand_in, None)]
    if isinstance(stand_in, uuid.UUID):
        forms += [(stand_in.hex, lambda v: v.hex if isinstance(v, uuid.UUID) else uuid.UUID(str(v)).hex),
                  (str(stand_in), str)]
    elif isinstance(stand_in, datetime):
        adapt = connection.ops.adapt_datetimefield_value  # what DateTimeField.get_db_prep_value does (SQLite: text)
        adapted = adapt(stand_in)
        if adapted != stand_in:
            forms.append((adapted, adapt))
    return forms


def _base_type(value) -> type:
    """The type a parameter is matched by: `int` for the backend's integer wrappers (psycopg `Int2`...)."""
    for base in (bool, int, str):
        if isinstance(value, base):
            return base
    return type(value)


def _same(first, again) -> bool:
    """Whether two writings of a constant parameter are the same value (wrappers such as psycopg's `Jsonb` do not
    compare equal: their text then decides)."""
    return first == again or (type(first) is type(again) and repr(first) == repr(again))


def _wrapped(wrapper, transform):
    return lambda value: wrapper(transform(value) if transform else value)


def nest(model, names: list[str]):
    """A function turning a result tuple into a nested Row, for the selected `names` (attnames and relation paths)."""
    tree: dict = {}
    for index, name in enumerate(names):
        node = tree
        *relations, leaf = name.split("__")
        for relation in relations:
            node = node.setdefault(relation, {})
        node[leaf] = index
    return _builder(model, tree)


def _builder(model, tree: dict):
    cls = row_class(model)
    plain = [(name, index) for name, index in tree.items() if isinstance(index, int)]
    nested = []
    for name, subtree in tree.items():
        if isinstance(subtree, dict):
            related = model._meta.get_field(name).related_model
            if "id" not in subtree:
                raise ValueError(f"{model.__name__}.{name}: select its `id` so a null relation can be told apart")
            nested.append((name, subtree["id"], _builder(related, subtree)))
    new = object.__new__

    def build(values):
        row = new(cls)
        attrs = row.__dict__
        for name, index in plain:
            attrs[name] = values[index]
        for name, id_index, child in nested:
            attrs[name] = None if values[id_index] is None else child(values)
        return row

    return build


def selected_names(query) -> list[str]:
    """The names of a `values_list()` query's result columns, in the order of its SQL (Django 5.2 selects them
    in the order they were asked for, `query.selected`; before, extra, then columns, then annotations)."""
    if getattr(query, "selected", None):
        return list(query.selected)
    return [*query.extra_select, *query.values_select, *query.annotation_select]


class CompiledQuery:
    """`CompiledQuery(model, build)`: `build(*values)` returns a `values_list(...)` queryset of `model` (ordered,
    unsliced). `rows(*values, shape=..., page=(limit, offset))` runs it. `shape` names what else changes the SQL
    (the sort order, say); `build` receives it as the keyword `shape` when given."""

    def __init__(self, model, build, *, alias: str = "default"):
        self.model = model
        self.build = build
        self.alias = alias
        self._local = threading.local()

    def _write(self, values: tuple, shape) -> tuple:
        """The SQL of the shape, written by the ORM with fresh stand-ins: (queryset, compiler, sql, params, slots)."""
        stand_ins, taken = [], set()
        for value in values:
            if isinstance(value, Many):
                stand_ins.append(Many(_stand_in(v, taken) for v in value.values))
            else:
                stand_ins.append(_stand_in(value, taken))
        args = [s.values if isinstance(s, Many) else s for s in stand_ins]
        queryset = self.build(*args, shape=shape) if shape is not None else self.build(*args)
        connection = connections[self.alias]
        compiler = queryset.query.get_compiler(using=self.alias)
        sql, params = compiler.as_sql()
        params = list(params)
        wanted = {}
        for arg_index, stand_in in enumerate(stand_ins):
            elements = enumerate(stand_in.values) if isinstance(stand_in, Many) else [(None, stand_in)]
            for element_index, value in elements:
                for form, transform in _forms(value, connection):
                    wanted[(_base_type(form), form)] = (arg_index, element_index, type(form), transform)
        slots = []
        for position, param in enumerate(params):
            try:
                key = wanted.get((_base_type(param), param))  # typed: True == 1 == Decimal(1) must not match
            except TypeError:  # unhashable parameter (a list): never a stand-in
                key = None
            if key is not None:
                arg_index, element_index, form_type, transform = key
                if type(param) is not form_type:  # wrapped by the backend (psycopg's Int2 for a smallint column)
                    transform = _wrapped(type(param), transform)
                slots.append((position, arg_index, element_index, transform))
        expected = sum(len(s.values) if isinstance(s, Many) else 1 for s in stand_ins)
        if len({(a, e) for _, a, e, _ in slots}) != expected:
            raise NotCompilable(
                f"CompiledQuery({self.model.__name__}): every value must appear among the SQL parameters"
            )
        return queryset, compiler, sql, params, slots

    def _compile(self, values: tuple, shape, page: tuple | None) -> _Compiled:
        queryset, compiler, sql, params, slots = self._write(values, shape)
        # Written again with other stand-ins, the SQL and the other parameters must not change: otherwise the SQL
        # depends on the values (or a stand-in met an equal constant) and running it with new values would be wrong.
        _q, _c, sql_again, params_again, slots_again = self._write(values, shape)
        positions = {slot[0] for slot in slots}
        if (
            sql_again != sql
            or [slot[:3] for slot in slots_again] != [slot[:3] for slot in slots]
            or len(params_again) != len(params)
            or not all(_same(first, again) for i, (first, again) in enumerate(zip(params, params_again))
                       if i not in positions)
        ):
            raise NotCompilable(f"CompiledQuery({self.model.__name__}): the SQL of this shape depends on its values")
        if page is not None:
            limit, first = page
            sql = f"{sql} LIMIT {int(limit)} OFFSET " + ("0" if first else "%s")
            if not first:
                params.append(0)
        names = selected_names(queryset.query)
        columns = [column[0] for column in compiler.select[: compiler.col_count]]
        return _Compiled(sql, params, slots, compiler, compiler.get_converters(columns), names,
                         nest(self.model, names))

    def _get(self, values: tuple, shape, page: tuple | None) -> _Compiled:
        cache = getattr(self._local, "cache", None)
        if cache is None:
            cache = self._local.cache = {}
        key = (shape, page, tuple(len(v.values) if isinstance(v, Many) else None for v in values))
        compiled = cache.get(key)
        if compiled is None:
            if len(cache) >= MAX_SHAPES:
                del cache[next(iter(cache))]
            try:
                compiled = self._compile(values, shape, page)
            except NotCompilable as exc:
                compiled = str(exc)  # refused once, refused every time: not written again on each request
            cache[key] = compiled
        if isinstance(compiled, str):
            raise NotCompilable(compiled)
        return compiled

    def _execute(self, values: tuple, shape, page) -> tuple[_Compiled, list]:
        compiled = self._get(values, shape, None if page is None else (page[0], page[1] == 0))
        params = list(compiled.params)
        for position, arg_index, element_index, transform in compiled.slots:
            value = values[arg_index]
            if element_index is not None:
                value = value.values[element_index]
            params[position] = transform(value) if transform else value
        if page is not None and page[1] != 0:
            params[-1] = page[1]
        with connections[self.alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters and rows:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return compiled, rows

    def rows(self, *values, shape=None, page=None) -> list:
        """The result as nested `Row` objects."""
        compiled, rows = self._execute(values, shape, page)
        build = compiled.build
        return [build(row) for row in rows]

    def instances(self, *values, shape=None, page=None) -> list:
        """The result as instances of the model, built with `Model.from_db` as the ORM builds them: the query
        selects columns of the model itself by attname (`organization_id`), in any order; the others are deferred."""
        compiled, rows = self._execute(values, shape, page)
        index = {name: position for position, name in enumerate(compiled.names)}
        fields = [f.attname for f in self.model._meta.concrete_fields if f.attname in index]
        positions = [index[name] for name in fields]
        from_db = self.model.from_db
        return [from_db(self.alias, fields, [row[position] for position in positions]) for row in rows]

    def tuples(self, *values, shape=None, page=None) -> tuple[list[str], list]:
        """The selected names and the converted result tuples."""
        compiled, rows = self._execute(values, shape, page)
        return compiled.names, rows


class CompiledCount(CompiledQuery):
    """`CompiledCount(model, build)`: `count(*values, shape=...)` is the number of rows of `build(*values)` (a
    `values_list()` queryset; its order does not matter), `SELECT COUNT(*)` over its compiled SQL: what
    `QuerySet.count()` answers, with the SQL written once per thread and shape."""

    def _compile(self, values: tuple, shape, page: tuple | None) -> _Compiled:
        compiled = super()._compile(values, shape, None)
        compiled.sql = f"SELECT COUNT(*) FROM ({compiled.sql}) counted"
        compiled.converters, compiled.names, compiled.build = {}, ["count"], None
        return compiled

    def count(self, *values, shape=None) -> int:
        _compiled, rows = self._execute(values, shape, None)
        return int(rows[0][0])
