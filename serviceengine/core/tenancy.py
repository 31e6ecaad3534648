"""Model bases: UUID primary keys, timestamps, tenancy and soft delete.

Every organization-owned model inherits `TenantModel`. Its `objects` manager is an `OrgQuerySet` that is always
narrowed with `.for_org(org)`; `all_objects` is the unscoped manager kept for the admin, migrations and repair.
Soft-deletable models list `SoftDeleteMixin` first, so `objects` also hides deleted rows.
"""
import uuid

from django.core.exceptions import ValidationError
from django.db import models
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


class OrgQuerySet(models.QuerySet):
    """A queryset that knows how to narrow itself to one organization."""

    def for_org(self, org):
        if org is None:
            raise ValueError("for_org() needs an organization")
        return self.filter(organization=org)


class LiveOrgQuerySet(OrgQuerySet):
    """Org-scoped queryset that also offers the soft-delete operations."""

    def soft_delete(self):
        now = timezone.now()
        return self.update(deleted_at=now, updated_at=now)


class LiveOrgManager(models.Manager.from_queryset(LiveOrgQuerySet)):
    """Default manager of soft-deletable models: rows with `deleted_at` set are invisible."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class TenantModel(BaseModel):
    """A row owned by one organization. Related rows must belong to the same organization (checked in `clean`)."""

    organization = models.ForeignKey("serviceengine.Organization", on_delete=models.PROTECT, related_name="+")

    objects = OrgQuerySet.as_manager()  # always followed by .for_org()
    all_objects = models.Manager()  # unscoped: admin, migrations, repair

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
            related = field.related_model.all_objects.filter(pk=related_id).values_list("organization_id", flat=True)
            if related.first() not in (None, self.organization_id):
                raise ValidationError({field.name: "Belongs to another organization."})


class SoftDeleteMixin(models.Model):
    """`deleted_at` marks a row deleted. `objects` hides such rows; `with_deleted` (org-scoped) sees them."""

    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = LiveOrgManager()
    with_deleted = OrgQuerySet.as_manager()

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
