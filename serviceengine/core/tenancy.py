"""Model bases: UUID primary keys, timestamps, tenancy that fails closed, and soft delete.

Every organization-owned model inherits `TenantModel` (or `OrgOwned`, for junction rows that keep an integer id).
Its managers are fail-closed: a query through `objects`, `with_deleted` or `all_objects` (the default manager,
soft-deleted rows included) that is not narrowed to one organization raises `UnscopedQuery` when it is compiled
(executed, or embedded as a subquery), and so do `update()` and `delete()`. A query is narrowed when

- it went through `.for_org(org)`, or
- its WHERE has a top-level `organization = …` (e.g. `filter(organization_id=row.organization_id)`), or a
  top-level `pk IN (<a narrowed query>)`, or
- it is a related manager or prefetch of a row that itself belongs to an organization (`order.tasks.all()`,
  `prefetch_related("employee_links")`): the parent row pins the organization.

`unscoped` is the one plain manager: use it only where a comment says why (migrations use historical models and
are unaffected; the superuser admin; the token lookup, which is how the organization is learnt). Inserts
(`create`, `bulk_create`, `save`) are not checked: the row names its organization. `_base_manager` (used by
foreign-key access, `save()`, `refresh_from_db()` and deletion cascades, all of which start from a row) is plain.
Soft-deletable models list `SoftDeleteMixin` first, so `objects` also hides deleted rows.
"""
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.expressions import Col
from django.db.models.lookups import Exact, In
from django.db.models.sql import AND, Query
from django.utils import timezone


class UpdatedAtField(models.DateTimeField):
    """`auto_now`, except on insert when `created_at` was not given explicitly: then both stamps are the same
    instant, as in the contract's examples (a backdated row gets `updated_at` = now)."""

    def __init__(self, *args, **kwargs):
        kwargs["auto_now"] = True
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        if add and not getattr(model_instance, "_created_at_given", True) and model_instance.created_at is not None:
            value = model_instance.created_at
        else:
            value = timezone.now()
        setattr(model_instance, self.attname, value)
        return value


class BaseModel(models.Model):
    """UUID primary key plus timestamps. `created_at` has a default (not auto_now_add) so it can be backdated."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=False)
    updated_at = UpdatedAtField()

    class Meta:
        abstract = True

    def __init__(self, *args, **kwargs):
        self._created_at_given = "created_at" in kwargs
        super().__init__(*args, **kwargs)


class UnscopedQuery(RuntimeError):
    """A query on an organization-owned model that was not narrowed to an organization (see the module docstring)."""


def is_narrowed(query) -> bool:
    """Whether a query of an org-owned model is narrowed to one organization (see the module docstring)."""
    if getattr(query, "org_scoped", False) or query.is_empty():
        return True
    where = query.where
    if where.connector != AND or where.negated:
        return False
    base = query.base_table
    for child in where.children:
        if not isinstance(child.lhs if hasattr(child, "lhs") else None, Col) or child.lhs.alias != base:
            continue
        if isinstance(child, Exact) and child.lhs.target.name == "organization":
            return True
        # `pk__in=<a narrowed query>` (the admin's related-only filters): only that organization's ids.
        if isinstance(child, In) and child.lhs.target.primary_key and isinstance(child.rhs, OrgQuery):
            if is_narrowed(child.rhs):
                return True
    return False


def _refuse(query, action: str):
    raise UnscopedQuery(
        f"{action} {query.model.__name__} not narrowed to an organization: use .for_org(org), a related manager of "
        f"a scoped row, or {query.model.__name__}.unscoped where a comment says why"
    )


class OrgQuery(Query):
    """The SQL query of an `OrgQuerySet`: refuses to compile (to run, or to be embedded as a subquery) unless it
    is narrowed to an organization. `org_scoped` travels with every clone."""

    org_scoped = False

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        if not is_narrowed(self):
            _refuse(self, "Query on")
        return super().get_compiler(using, connection, elide_empty)


class OrgQuerySet(models.QuerySet):
    """A queryset of an org-owned model that fails closed: it only runs once narrowed to one organization."""

    def __init__(self, model=None, query=None, using=None, hints=None):
        super().__init__(model, query if query is not None else OrgQuery(model), using, hints)

    def for_org(self, org):
        """Narrow to one organization (an Organization or its id)."""
        if org is None:
            raise ValueError("for_org() needs an organization")
        qs = self.filter(organization=org)
        qs.query.org_scoped = True
        return qs

    def _add_hints(self, **hints):
        # Related managers and prefetches pass the row they start from: a row of an organization pins it.
        super()._add_hints(**hints)
        instance = hints.get("instance")
        if instance is not None and (
            getattr(instance, "organization_id", None) is not None or instance._meta.label == "serviceengine.Organization"
        ):
            self.query.org_scoped = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            if isinstance(obj, OrgOwned):
                obj.fill_organization()
        return super().bulk_create(objs, *args, **kwargs)

    def _check(self, action: str):
        if not is_narrowed(self.query):
            _refuse(self.query, action)

    def update(self, **kwargs):
        self._check("update() of")
        return super().update(**kwargs)

    update.alters_data = True

    def _update(self, values):
        self._check("update() of")
        return super()._update(values)

    _update.alters_data = True

    def delete(self):
        self._check("delete() of")
        return super().delete()

    delete.alters_data = True

    def _raw_delete(self, using):
        self._check("delete() of")
        return super()._raw_delete(using)

    _raw_delete.alters_data = True

    def _combine_scope(self, other, combined):
        # `a | b` is narrowed only when both sides are: the OR would otherwise widen a scoped query.
        combined.query.org_scoped = is_narrowed(self.query) and is_narrowed(other.query)
        return combined

    def __or__(self, other):
        return self._combine_scope(other, super().__or__(other))

    def __xor__(self, other):
        return self._combine_scope(other, super().__xor__(other))


class LiveOrgQuerySet(OrgQuerySet):
    """Org-scoped queryset that also offers the soft-delete operations."""

    def soft_delete(self):
        now = timezone.now()
        return self.update(deleted_at=now, updated_at=now)


class LiveOrgManager(models.Manager.from_queryset(LiveOrgQuerySet)):
    """Default manager of soft-deletable models: rows with `deleted_at` set are invisible."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class OrgOwned(models.Model):
    """A row owned by one organization, with fail-closed managers (module docstring). Junction rows inherit it
    directly (they keep their integer id, which records assignment order); entities inherit `TenantModel`."""

    organization = models.ForeignKey("serviceengine.Organization", on_delete=models.PROTECT, related_name="+")

    objects = OrgQuerySet.as_manager()  # always followed by .for_org()
    all_objects = OrgQuerySet.as_manager()  # the default manager: fail-closed, soft-deleted rows included
    unscoped = models.Manager()  # the one unscoped manager: only where a comment says why

    # Junctions: the foreign key whose row's organization a new row takes when none is given (`save`,
    # `bulk_create`, and so Django's own `add()`/`set()` of a many-to-many relation).
    org_from: str | None = None

    class Meta:
        abstract = True
        default_manager_name = "all_objects"

    def fill_organization(self):
        if self.organization_id is None and self.org_from:
            parent = getattr(self, self.org_from)
            if parent is not None:
                self.organization_id = parent.organization_id

    def save(self, *args, **kwargs):
        self.fill_organization()
        super().save(*args, **kwargs)

    def _get_unique_checks(self, exclude=None, include_meta_constraints=False):
        # Form validation's uniqueness queries go through the (fail-closed) default manager: look within the
        # row's organization. Only the primary key (a random UUID) is unique on its own in a tenant table, and
        # a collision there still fails the insert.
        unique_checks, date_checks = super()._get_unique_checks(exclude, include_meta_constraints)
        scoped = [
            (model, fields if "organization" in fields else ("organization", *fields))
            for model, fields in unique_checks
        ]
        return scoped, date_checks


def is_org_owned(model) -> bool:
    return issubclass(model, OrgOwned)


class TenantModel(BaseModel, OrgOwned):
    """A row owned by one organization. Related rows must belong to the same organization (checked in `clean`)."""

    class Meta:
        abstract = True
        default_manager_name = "all_objects"

    def clean(self):
        super().clean()
        if not self.organization_id:
            return
        for field in self._meta.concrete_fields:
            if not field.is_relation or field.name == "organization":
                continue
            if not issubclass(field.related_model, TenantModel):
                continue
            related_id = getattr(self, field.attname)
            if related_id is None:
                continue
            # unscoped: this check exists to see a row of another organization.
            related = field.related_model.unscoped.filter(pk=related_id).values_list("organization_id", flat=True)
            if related.first() not in (None, self.organization_id):
                raise ValidationError({field.name: "Belongs to another organization."})


class SoftDeleteMixin(models.Model):
    """`deleted_at` marks a row deleted. `objects` hides such rows; `with_deleted` (org-scoped) sees them."""

    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = LiveOrgManager()
    with_deleted = OrgQuerySet.as_manager()  # org-scoped, deleted rows included

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def soft_delete(self):
        self.deleted_at = timezone.now()
        self.save(update_fields=["deleted_at", "updated_at"])


def live_index(*fields: str, name: str) -> models.Index:
    """An index over the live rows of a soft-deletable model (`deleted_at IS NULL`), for its API list queries,
    which always carry that condition: smaller than a full index, and a list's COUNT over it is an index-only
    scan. The admin, which also sees deleted rows, uses the organization's foreign-key index instead."""
    return models.Index(fields=list(fields), name=name, condition=models.Q(deleted_at__isnull=True))
