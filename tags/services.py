"""Tag workflows (`/api/tags`): create, rename/recolour, delete. Names are unique per organization ignoring case
(400 on `name`), also under concurrency (the case-insensitive unique constraint decides the race). Each change
records its event (`tag.created|updated|deleted`) in its own transaction; tags that orders and tickets create by
name record `tag.created` too (orders.services.tags_find_or_create)."""
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from events.services import record_event, snapshot
from orders.models import Order, OrderTag, Tag
from serviceengine.core.errors import DomainError
from support.models import Ticket, TicketTag

NAME_TAKEN = "The name has already been taken."


class _Unset:
    def __repr__(self):
        return "UNSET"


UNSET = _Unset()  # "not sent" in partial updates, distinct from None


def _name_taken(organization, name: str, *, exclude=None) -> bool:
    rows = Tag.objects.for_org(organization).annotate(lower_name=Lower("name")).filter(lower_name=name.lower())
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return rows.exists()


def _save_unique(tag: Tag, **save_kwargs) -> Tag:
    """Save inside a savepoint: a concurrent request that took the name first makes this one a 400, not a 500."""
    try:
        with transaction.atomic():
            tag.save(**save_kwargs)
    except IntegrityError:
        raise DomainError(400, field="name", message=NAME_TAKEN) from None
    return tag


@transaction.atomic
def tag_create(*, organization, name: str, color: str | None = None) -> Tag:
    """Create a tag. Raises DomainError(400, name) when the organization has a tag of that name in any case."""
    if _name_taken(organization, name):
        raise DomainError(400, field="name", message=NAME_TAKEN)
    tag = Tag(organization=organization, name=name, color=color.lower() if color else None)
    _save_unique(tag, force_insert=True)
    record_event("tag.created", tag)
    return tag


@transaction.atomic
def tag_update(*, tag: Tag, name=UNSET, color=UNSET) -> Tag:
    """Partial update: `name` (unique ignoring case, 400), `color` (`None` clears it). `updated_at` is now."""
    tag = Tag.objects.for_org(tag.organization_id).select_for_update().get(pk=tag.pk)
    before = snapshot(tag)
    if name is not UNSET:
        if _name_taken(tag.organization_id, name, exclude=tag):
            raise DomainError(400, field="name", message=NAME_TAKEN)
        tag.name = name
    if color is not UNSET:
        tag.color = color.lower() if color else None
    _save_unique(tag)
    record_event("tag.updated", tag, previous=before)
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag) -> None:
    """Hard delete: the tag leaves every order and ticket it was on (their links go with it), and those orders
    and tickets get `updated_at` = now, so incremental sync sees their changed `tags`."""
    organization_id = tag.organization_id
    tag = Tag.objects.for_org(organization_id).select_for_update().filter(pk=tag.pk).first()
    if tag is None:  # deleted by a concurrent request
        raise DomainError(404, detail="Not Found")
    record_event("tag.deleted", tag)  # before the delete: the tag as it was, with its usage counts
    now = timezone.now()
    order_ids = OrderTag.objects.for_org(organization_id).filter(tag=tag).values("order_id")
    ticket_ids = TicketTag.objects.for_org(organization_id).filter(tag=tag).values("ticket_id")
    Order.with_deleted.for_org(organization_id).filter(pk__in=order_ids).update(updated_at=now)
    Ticket.with_deleted.for_org(organization_id).filter(pk__in=ticket_ids).update(updated_at=now)
    tag.delete()
