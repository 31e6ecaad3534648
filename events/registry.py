"""The registry of event types: which object types exist, their event types, and how each object is rendered.

Apps register their resources once, from their `AppConfig.ready()`:

    from events.registry import register

    register("order", types=["order.created", "order.updated", ...], render=render_order)

`render(obj) -> dict` returns the object exactly as its retrieve endpoint renders it (JSON-ready); the helper
`events.rendering.viewset_renderer(OrderViewSet)` builds one from a viewset. Types not tied to a rendered
object (such as `webhook.test`) are registered with `register_types([...])`.

`client=` names the client an object is about, so that its events appear in `GET /api/clients/{id}/activity`
(the event's `client_id`, stored when it is recorded): `client_attr("user_id")` for a row that holds the client,
`client_via("order", "user_id")` for a row whose parent does (read from the parent when it is loaded, else as a
subquery inside the event's INSERT: never one more statement). Object types without a client leave it out.
"""
from collections.abc import Callable, Iterable

from django.db.models import Subquery

OBJECT_RENDERERS: dict[str, Callable] = {}
EVENT_TYPES: dict[str, str] = {}  # event type → object type
MODEL_TYPES: dict[str, str] = {}  # model label ("orders.OrderTask") → object type ("order_task")
CLIENTS: dict[str, Callable] = {}  # object type → obj → the client's id, an expression giving it, or None


def register(
    object_type: str,
    *,
    types: Iterable[str],
    render: Callable | None = None,
    model: str = "",
    client: Callable | None = None,
) -> None:
    """Declare an object type, its event types (each `<object_type>.<verb>`) and its renderer. `model` (a label
    such as "orders.OrderTask") makes `record_event(type, obj)` find the object type from the instance; `client`
    (`client_attr` / `client_via`) finds the client the object is about."""
    if model:
        MODEL_TYPES[model] = object_type
    if render is not None:
        OBJECT_RENDERERS[object_type] = render
    if client is not None:
        CLIENTS[object_type] = client
    for event_type in types:
        EVENT_TYPES[event_type] = object_type


def client_attr(attname: str) -> Callable:
    """The client is the row's own column `attname` (`"user_id"`; `"pk"` for a client itself)."""
    return lambda obj: getattr(obj, attname)


def client_via(relation: str, path: str) -> Callable:
    """The client is found from the row's parent `relation` (a foreign key's name) at `path` (`"user_id"`,
    `"engagement__client_id"`): taken from the parent when the row has it loaded, otherwise a subquery that the
    event's INSERT evaluates (narrowed to the row's organization; soft-deleted parents included)."""

    def resolve(obj):
        field = obj._meta.get_field(relation)
        parent_id = getattr(obj, field.attname)
        if parent_id is None:
            return None
        if "__" not in path and field.is_cached(obj):
            value = getattr(field.get_cached_value(obj), path, None)
            if value is not None:  # (a stand-in parent built from an id alone has none: ask the database)
                return value
        parents = field.related_model.all_objects.filter(organization_id=obj.organization_id, pk=parent_id)
        return Subquery(parents.values(path)[:1])

    return resolve


def client_of(object_type: str, obj):
    """The client `obj` is about (an id, an expression for the INSERT, or None)."""
    find = CLIENTS.get(object_type)
    return find(obj) if find is not None and obj is not None else None


def register_types(types: Iterable[str], *, object_type: str = "") -> None:
    """Declare event types without a renderer (the caller passes `data` itself)."""
    for event_type in types:
        EVENT_TYPES.setdefault(event_type, object_type or event_type.rsplit(".", 1)[0])


def is_known(event_type: str) -> bool:
    return event_type in EVENT_TYPES


def event_types() -> list[str]:
    """Every registered event type, sorted."""
    return sorted(EVENT_TYPES)


def renderer(object_type: str) -> Callable:
    try:
        return OBJECT_RENDERERS[object_type]
    except KeyError:
        raise LookupError(f"No renderer registered for object type {object_type!r} (events.registry.register)") from None
