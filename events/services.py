"""Recording events (issue 13). How other apps use it:

    from events.services import record_event, snapshot

    @transaction.atomic
    def order_update(*, order, **changes):
        before = snapshot(order)                          # the object as GET /api/orders/{id} renders it now
        ... make the change ...
        record_event("order.updated", order, previous=before)

    def order_delete(*, order):
        record_event("order.deleted", order)              # BEFORE the delete: `data` is the object as it was
        ... delete ...

Rules:
- Call `record_event` inside the service's `@transaction.atomic`, after the change (before it, for deletes): the
  event commits or rolls back with the change. Never in `on_commit`.
- `data` defaults to the object rendered by its type's registered renderer (its retrieve endpoint's shape);
  pass `data=` only for objects that have no renderer.
- `previous=` (a `snapshot()` taken before the change) yields Stripe-style `previous_attributes`: the top-level
  fields whose value changed, with their old values (`updated_at` is left out: it changes on every update).
- The actor is taken from `events`' context (`jobs.actors`): the API token, the admin user, or `system`.
- Webhook deliveries for the event are created in the same transaction and sent by the worker after commit.
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jobs.actors import current_actor
from jobs.periodic import every_organization

from . import registry
from .models import Event

IGNORED_CHANGES = frozenset({"updated_at"})

# Hooks run inside record_event's transaction with the new event (the webhooks app adds its fan-out here).
EVENT_RECORDED_HOOKS: list = []

# Where `record_event` leaves, on the instance it rendered, the rendering (read with `rendered()`).
RENDERED_ATTR = "_event_rendered"


def object_type_of(obj) -> str:
    return registry.MODEL_TYPES.get(obj._meta.label) or obj._meta.model_name


def snapshot(obj, *, object_type: str | None = None) -> dict:
    """The object as its retrieve endpoint renders it right now (pass to `record_event(previous=...)`)."""
    return registry.renderer(object_type or object_type_of(obj))(obj)


def rendered(obj) -> dict | None:
    """`obj` as the last `record_event` about this very instance rendered it with its type's renderer (its retrieve
    endpoint's body, as JSON values), or None when no event rendered it. A write whose service records that event
    after its last change answers with this instead of reading and rendering the row once more: the same reader
    and serializer, in the same transaction, give the same body."""
    return getattr(obj, RENDERED_ATTR, None)


def changed_attributes(before: dict, after: dict) -> dict:
    """The top-level keys whose value differs, with their values in `before`."""
    return {
        key: value
        for key, value in before.items()
        if key not in IGNORED_CHANGES and (key not in after or after[key] != value)
    }


def record_event(
    event_type: str,
    obj=None,
    *,
    organization=None,
    data: dict | None = None,
    previous: dict | None = None,
    object_type: str | None = None,
    object_id=None,
    actor: dict | None = None,
    client_id=None,
) -> Event:
    """Record one event of a registered `event_type` about `obj`, in the caller's transaction.

    `data` defaults to `obj` rendered like its retrieve endpoint; `previous` is a `snapshot()` from before the
    change (updates only). `client_id` defaults to the client the object type's registration finds (the client's
    activity). Raises `ValueError` for an unregistered event type (a programming error)."""
    if not registry.is_known(event_type):
        raise ValueError(f"Unknown event type {event_type!r}: register it in events.registry")
    object_type = object_type or (object_type_of(obj) if obj is not None else registry.EVENT_TYPES[event_type])
    # Only a rendering of `obj` as its own type is what its retrieve endpoint answers (see `rendered()`).
    rendered_here = data is None and obj is not None and object_type == object_type_of(obj)
    if data is None:
        data = registry.renderer(object_type)(obj) if obj is not None else {}
    # The id only: loading the organization row for it would be one more query per change.
    organization_id = organization.pk if organization is not None else obj.organization_id
    actor = actor or current_actor()
    if client_id is None:
        client_id = registry.client_of(object_type, obj)
    # One transaction with the change: the caller's (no savepoint of its own, which would be two more statements
    # per event: nothing recovers from a failure here, it fails the change), or its own when called outside one.
    with transaction.atomic(savepoint=False):
        event = Event.all_objects.create(
            organization_id=organization_id,
            type=event_type,
            object_type=object_type,
            object_id=object_id if object_id is not None else obj.pk,
            data=data,
            previous_attributes=changed_attributes(previous, data) if previous is not None else {},
            actor_type=actor["type"],
            actor_id=actor.get("id"),
            actor_name=actor.get("name") or actor["type"],
            client_id=client_id,
        )
        if hasattr(client_id, "resolve_expression"):
            # Computed by the INSERT: left deferred (read from the row if asked for), never the expression itself.
            del event.client_id
        for hook in EVENT_RECORDED_HOOKS:
            hook(event)
    if rendered_here:
        setattr(obj, RENDERED_ATTR, data)
    return event


def event_list(organization):
    """The organization's events, newest first."""
    return Event.objects.for_org(organization).order_by("-created_at", "id")


def events_assign_client(*, organization_id, object_type: str, object_id, client_id) -> int:
    """Give the client to the earlier events of an object that had none when they were recorded (a proposal made
    out to an e-mail before its client existed, once signing finds or creates the client). Returns how many."""
    return (
        Event.objects.for_org(organization_id)
        .filter(object_type=object_type, object_id=object_id, client_id__isnull=True)
        .update(client_id=client_id)
    )


def events_purge_expired(*, now=None, batch_size: int = 1000) -> int:
    """Delete events older than `EVENT_RETENTION_DAYS`, in batches; returns how many. Idempotent."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENT_RETENTION_DAYS)
    deleted = 0
    while True:
        # unscoped: the purge spans every organization by design (a system job).
        events = every_organization(Event)
        ids = list(events.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += events.filter(pk__in=ids).delete()[0]
