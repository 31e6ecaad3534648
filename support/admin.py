"""Admin of tickets: messages, employees and tags inline; tenant-scoped through the core admin base.

New messages added inline go through `ticket_message_create`, so the ticket's `last_message_at` follows them;
a status change made here applies the same `date_closed` rule as the API.
"""
from django.contrib import admin
from django.utils import timezone

from serviceengine.admin import SoftDeleteAdminMixin, TenantAdmin, TenantInline, scoped_choices
from serviceengine.admin_lists import assignee_filter, client_filter, date_filter
from serviceengine.models import User

from .models import Ticket, TicketEmployee, TicketMessage, TicketTag
from .services import ticket_message_create


class TicketJunctionInline(TenantInline):
    """Junction rows carry their ticket's organization: scoped like every org-owned inline."""


class TicketEmployeeInline(TicketJunctionInline, admin.TabularInline):
    model = TicketEmployee
    autocomplete_fields = ("user",)
    verbose_name = "employee"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":  # the dashboard_access rule (contract §10.2)
            kwargs["queryset"] = scoped_choices(User, request).filter(role__dashboard_access__gt=0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TicketTagInline(TicketJunctionInline, admin.TabularInline):
    model = TicketTag
    autocomplete_fields = ("tag",)  # orders registers Tag with search_fields
    verbose_name = "tag"


class TicketMessageInline(TenantInline, admin.TabularInline):
    model = TicketMessage
    fields = ("user", "message", "staff_only", "files", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    ordering = ("created_at", "id")


@admin.register(Ticket)
class TicketAdmin(SoftDeleteAdminMixin, TenantAdmin):
    list_display = ("subject", "user", "status", "order", "last_message_at", "date_closed", "created_at", "deleted_at")
    list_select_related = ("user", "order")
    list_filter = (
        "status", client_filter(), assignee_filter(), date_filter("created_at"), date_filter("last_message_at"),
    )
    search_fields = ("subject", "note", "user__email", "user__name_f", "user__name_l", "user__company")
    autocomplete_fields = ("user", "order")  # orders registers Order with search_fields
    readonly_fields = ("last_message_at", "date_closed", "created_at", "updated_at", "deleted_at")
    inlines = (TicketEmployeeInline, TicketTagInline, TicketMessageInline)
    ordering = ("-created_at", "id")

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:
            previous = Ticket.all_objects.for_org(obj.organization_id).get(pk=obj.pk)
            obj.date_closed = previous.date_closed_after(obj.status, at=timezone.now())
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not TicketMessage:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for message in formset.deleted_objects:
            message.delete()
        for message in instances:
            if message._state.adding:  # new: through the service, which stamps last_message_at
                ticket_message_create(
                    ticket=form.instance,
                    user=message.user,
                    message=message.message,
                    staff_only=message.staff_only,
                    files=message.files,
                )
            else:
                message.save()
        formset.save_m2m()
