"""Admin for the event log: read-only, searchable by type and object id, filterable by type and date."""
from django.contrib import admin
from django.http import HttpResponse

from serviceengine.api.renderers import FastJSONRenderer

from serviceengine.admin import TenantAdmin

from .models import Event
from .serializers import event_body


@admin.register(Event)
class EventAdmin(TenantAdmin):
    list_display = ("created_at", "type", "object_type", "object_id", "actor_type", "actor_name")
    list_filter = ("type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("type", "=object_id")
    list_select_related = ()
    readonly_fields = [f.name for f in Event._meta.fields]
    date_hierarchy = "created_at"
    ordering = ("-created_at", "id")

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        # Read-only; without an object, as for deletes below: the "does not exist" redirect, not a 403.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Events are never deleted by hand (the retention job does it). Without an object (an unknown or other
        # organization's id) the answer is the admin's usual "does not exist" redirect, not a 403 that would
        # tell the id exists.
        return obj is None and super().has_delete_permission(request, obj)

    actions = ["export_json"]

    @admin.action(description="Export selected events as JSON (the API's Event objects)")
    def export_json(self, request, queryset):
        body = [event_body(event) for event in queryset.order_by("-created_at", "id")]
        response = HttpResponse(FastJSONRenderer().render(body), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="events.json"'
        return response

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
