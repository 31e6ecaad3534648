"""Admin for the service catalog: services (soft-deleted rows visible and restorable), their assigned team
members, and service folders. Everything is scoped to the staff account's organization by `TenantAdmin`."""
from django.contrib import admin
from django.db.models import Count, Q

from serviceengine.admin import (
    SoftDeleteAdminMixin, TenantAdmin, TenantInline, scoped_choices,
)
from serviceengine.models import User

from .models import Service, ServiceEmployee, ServiceFolder
from .services import service_delete


class ServiceEmployeeInline(TenantInline, admin.TabularInline):
    """Assigned team members (junction rows carry their service's organization)."""

    model = ServiceEmployee
    autocomplete_fields = ("user",)
    verbose_name = "assigned team member"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = scoped_choices(User, request).filter(role__dashboard_access__gt=0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Service)
class ServiceAdmin(SoftDeleteAdminMixin, TenantAdmin):
    list_display = (
        "name", "recurring", "price", "currency", "folder", "public", "sort_order", "deleted_at", "created_at",
    )
    list_select_related = ("folder",)
    # Folder choices come only from folders used by the (scoped) changelist rows.
    list_filter = ("recurring", "currency", "public", ("folder", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "description")
    autocomplete_fields = ("folder",)
    readonly_fields = ("deleted_at", "created_at", "updated_at")
    exclude = ("employees",)
    inlines = [ServiceEmployeeInline]
    ordering = ("sort_order", "name", "id")

    # Deleting a service is a soft delete, as through the API (orders and items keep referencing it); the
    # restore action undoes it. No bulk hard delete.

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_deleted_objects(self, objs, request):
        return [str(obj) for obj in objs], {"services": len(objs)}, set(), []

    def delete_model(self, request, obj):
        if obj.deleted_at is None:
            service_delete(service=obj)


@admin.register(ServiceFolder)
class ServiceFolderAdmin(TenantAdmin):
    list_display = ("name", "sort_order", "live_services", "created_at")
    list_filter = ("created_at",)
    search_fields = ("name",)
    list_select_related = ()
    ordering = ("sort_order", "name", "id")

    def get_queryset(self, request):
        # One annotated query for the changelist, whatever the number of folders.
        live = Count("services", filter=Q(services__deleted_at__isnull=True))
        return super().get_queryset(request).annotate(live_service_count=live)

    @admin.display(description="services", ordering="live_service_count")
    def live_services(self, obj):
        return obj.live_service_count
