"""Render an object exactly as its retrieve endpoint does, from a service (no request at hand)."""
import json

from django.utils.module_loading import import_string

from serviceengine.api.renderers import FastJSONRenderer


def to_json_value(data):
    """`data` as the API writes it in a body (strings for UUIDs, money and timestamps), as plain JSON values."""
    return json.loads(FastJSONRenderer().render(data))


def viewset_renderer(viewset_class, *, action: str = "retrieve"):
    """A renderer for the registry (`viewset_class` may be a dotted path, imported on first use): reads the object
    through `viewset_class`'s resource, as its retrieve endpoint does (serviceengine/api/resource.py: the one read
    path), and renders it with the serializer of `action`."""

    def render(obj) -> dict:
        cls = import_string(viewset_class) if isinstance(viewset_class, str) else viewset_class
        resource = cls.resource
        serializer = resource.list_read if action == "list" and resource.list_read else resource.read
        fresh = resource.reader(serializer).one(obj.organization_id, obj.pk)
        if fresh is None:  # not visible to the retrieve endpoint (already soft-deleted): render the row at hand
            fresh = obj
        return to_json_value(serializer(fresh).data)

    return render
