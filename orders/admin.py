"""Admin of orders (with their tasks, messages, employees and tags inline) and of tags; tenant-scoped through the
core `TenantAdmin`. Soft-deleted orders are listed (filter "deleted") and can be restored."""
from django.contrib import admin

from serviceengine.admin import (
    SoftDeleteAdminMixin,
    TenantAdmin,
    TenantInline,
    scoped_choices,
)
from serviceengine.models import User
from serviceengine.admin_lists import assignee_filter, client_filter, date_filter

from .models import Order, OrderEmployee, OrderMessage, OrderTag, OrderTask, Tag


class OrderJunctionInline(TenantInline, admin.TabularInline):
    """Junction rows carry their order's organization: scoped like every org-owned inline."""


class OrderEmployeeInline(OrderJunctionInline):
    model = OrderEmployee
    autocomplete_fields = ("user",)
    verbose_name = "employee"
    verbose_name_plural = "employees"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = scoped_choices(User, request).filter(role__dashboard_access__gt=0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OrderTagInline(OrderJunctionInline):
    model = OrderTag
    autocomplete_fields = ("tag",)
    verbose_name = "tag"
    verbose_name_plural = "tags"


class OrderTaskInline(TenantInline, admin.TabularInline):
    model = OrderTask
    fields = ("name", "sort_order", "is_public", "for_client", "deadline", "due_at", "is_complete", "completed_at")
    readonly_fields = ("completed_at",)


class OrderMessageInline(TenantInline, admin.TabularInline):
    model = OrderMessage
    fields = ("user", "message", "is_public", "files", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)


@admin.register(Order)
class OrderAdmin(SoftDeleteAdminMixin, TenantAdmin):
    list_display = ("number", "user", "service_name", "status", "price", "currency", "created_at", "deleted_at")
    list_select_related = ("user",)
    list_filter = (
        "status", client_filter(), assignee_filter(), date_filter("created_at"), date_filter("date_due"), "currency",
    )
    search_fields = ("number", "service_name", "note", "user__email", "user__name_f", "user__name_l", "user__company")
    autocomplete_fields = ("user",)
    raw_id_fields = ("service",)
    readonly_fields = ("last_message_at", "invoice_id", "created_at", "updated_at", "deleted_at")
    inlines = (OrderEmployeeInline, OrderTagInline, OrderTaskInline, OrderMessageInline)
    ordering = ("-created_at", "id")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("number")  # numbers never change after creation (contract §10.8)
        return fields


@admin.register(Tag)
class TagAdmin(TenantAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    list_filter = (date_filter("created_at"),)
    ordering = ("name", "id")
