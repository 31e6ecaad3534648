"""Render an object exactly as its retrieve endpoint does, from a service (no request at hand)."""
import json
from types import SimpleNamespace

from django.utils.module_loading import import_string

from serviceengine.api.renderers import FastJSONRenderer


def to_json_value(data):
    """`data` as the API writes it in a body (strings for UUIDs, money and timestamps), as plain JSON values."""
    return json.loads(FastJSONRenderer().render(data))


def viewset_renderer(viewset_class, *, action: str = "retrieve"):
    """A renderer for the registry (`viewset_class` may be a dotted path, imported on first use): loads the object through `viewset_class`'s scoped retrieve queryset (its
    joins and prefetches) and renders it with the serializer the retrieve action uses."""

    def render(obj) -> dict:
        cls = import_string(viewset_class) if isinstance(viewset_class, str) else viewset_class
        view = cls()
        view.action = action
        view.format_kwarg = None
        view.kwargs = {view.lookup_url_kwarg or view.lookup_field: str(obj.pk)}
        view.request = SimpleNamespace(organization=obj.organization, query_params={}, user=None, auth=None)
        fresh = view.get_queryset().filter(pk=obj.pk).first()
        if fresh is None:  # not visible to the retrieve endpoint (already soft-deleted): render the row at hand
            fresh = obj
        return to_json_value(view.read(fresh))

    return render
