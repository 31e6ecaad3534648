"""Lean reads: an endpoint's list page and retrieve row as compiled queries returning `Row` objects.

A viewset that sets `lean = LeanReader(...)` answers unfiltered lists (any sort, any page) and retrieves through it;
lists with `filters[...]` and every write keep the ORM path. Both paths select the same columns and run the same
number of queries; the read serializers cannot tell a `Row` from a model instance (tests/perf/test_lean_reads.py
renders every lean endpoint both ways and compares the bodies).
"""
from collections import defaultdict
from dataclasses import dataclass

from .compiled import CompiledQuery, Many
from .filtering import sort_ordering


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
        live = model.objects  # the default manager: live rows only for soft-deletable models
        self._page = CompiledQuery(
            model,
            lambda org_id, shape: live.for_org(org_id).order_by(*sort_ordering(*shape)).values_list(*self.columns),
        )
        self._one = CompiledQuery(
            model, lambda org_id, pk: live.for_org(org_id).filter(pk=pk).values_list(*self.columns)
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
            )
            for child in self.children
        ]

    def page(self, organization, sort: tuple[str, bool], limit: int, offset: int) -> list:
        rows = self._page.rows(organization.pk, shape=sort, page=(limit, offset))
        self._attach(rows)
        return rows

    def one(self, organization, pk):
        rows = self._one.rows(organization.pk, pk)
        self._attach(rows)
        return rows[0] if rows else None

    def _attach(self, rows: list) -> None:
        if not rows:
            return
        ids = Many(row.id for row in rows)
        for child, query in self._children:
            groups = defaultdict(list)
            for linked in query.rows(ids):
                groups[getattr(linked, child.parent)].append(linked)
            for row in rows:
                setattr(row, child.to_attr, groups.get(row.id, []))
