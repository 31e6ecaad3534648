"""The registry of event types: which object types exist, their event types, and how each object is rendered.

Apps register their resources once, from their `AppConfig.ready()`:

    from events.registry import register

    register("order", types=["order.created", "order.updated", ...], render=render_order)

`render(obj) -> dict` returns the object exactly as its retrieve endpoint renders it (JSON-ready); the helper
`events.rendering.viewset_renderer(OrderViewSet)` builds one from a viewset. Types not tied to a rendered
object (such as `webhook.test`) are registered with `register_types([...])`.
"""
from collections.abc import Callable, Iterable

OBJECT_RENDERERS: dict[str, Callable] = {}
EVENT_TYPES: dict[str, str] = {}  # event type → object type
MODEL_TYPES: dict[str, str] = {}  # model label ("orders.OrderTask") → object type ("order_task")


def register(object_type: str, *, types: Iterable[str], render: Callable | None = None, model: str = "") -> None:
    """Declare an object type, its event types (each `<object_type>.<verb>`) and its renderer. `model` (a label
    such as "orders.OrderTask") makes `record_event(type, obj)` find the object type from the instance."""
    if model:
        MODEL_TYPES[model] = object_type
    if render is not None:
        OBJECT_RENDERERS[object_type] = render
    for event_type in types:
        EVENT_TYPES[event_type] = object_type


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
