"""Admin of tickets: messages inline, employees and tags on the ticket's form; tenant-scoped through the core
admin base.

Every write goes through `support.services` (issue 12), so the API's rules apply and events name the staff
account: a ticket is added by `ticket_create` (source "Admin") and changed by `ticket_update` (the `date_closed`
rule, `ticket.closed` when it enters Closed); its client is fixed once it exists, as in the API. New messages go
through `ticket_message_create` (the ticket's `last_message_at` follows) and deletions through
`ticket_message_delete`; no service edits a message, so existing ones are read-only. The changelist closes
tickets (`ticket_close`) and soft-deletes them (`ticket_delete`). A refused write is shown on the form after a
full rollback (`ServiceFormAdminMixin`).
"""
from django import forms
from django.contrib import admin

from serviceengine.admin import SoftDeleteAdminMixin, TenantAdmin, TenantInline, scoped_choices
from serviceengine.admin_lists import assignee_filter, client_filter, date_filter
from serviceengine.admin_workflows import (
    ServiceFormAdminMixin, TeamAndTagsForm, admin_team_member, adopt, run_per_row, show_team_and_tags,
)
from serviceengine.models import User

from . import services
from .models import Ticket, TicketEmployee, TicketMessage, TicketTag

UPDATABLE = ("subject", "status", "note", "metadata")


class TicketAdminForm(TeamAndTagsForm):
    """The ticket's columns plus its employees and tags, which the services set together with the ticket."""

    class Meta:
        model = Ticket
        fields = "__all__"  # narrowed by TicketAdmin.fields

    def clean_metadata(self):
        metadata = self.cleaned_data.get("metadata")
        if metadata in (None, ""):
            return {}
        if not isinstance(metadata, dict):
            raise forms.ValidationError("Metadata is a JSON object.")
        return metadata


class TicketMessageInline(TenantInline, admin.TabularInline):
    """New messages and deletions only: no service edits a message."""

    model = TicketMessage
    fields = ("user", "message", "staff_only", "files", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    ordering = ("created_at", "id")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ServiceFormAdminMixin, SoftDeleteAdminMixin, TenantAdmin):
    form = TicketAdminForm
    list_display = ("subject", "user", "status", "order", "last_message_at", "date_closed", "created_at", "deleted_at")
    list_select_related = ("user", "order")
    list_filter = (
        "status", client_filter(), assignee_filter(), date_filter("created_at"), date_filter("last_message_at"),
    )
    search_fields = ("subject", "note", "user__email", "user__name_f", "user__name_l", "user__company")
    autocomplete_fields = ("user", "order")  # orders registers Order with search_fields
    fields = (
        "user", "subject", "status", "order", "assigned_employees", "tag_names", "note", "metadata", "source",
        "form_data", "last_message_at", "date_closed", "created_at", "updated_at", "deleted_at", "organization",
    )
    readonly_fields = (
        "source", "form_data", "last_message_at", "date_closed", "created_at", "updated_at", "deleted_at",
    )
    inlines = (TicketMessageInline,)
    ordering = ("-created_at", "id")
    actions = ("close_selected", *SoftDeleteAdminMixin.actions)
    service_error_fields = {"user_id": "user", "order_id": "order", "employees": "assigned_employees"}

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("user")  # the ticket's client is fixed (the update service has no such change)
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        base_init = form.__init__
        members = scoped_choices(User, request).filter(role__dashboard_access__gt=0)

        def __init__(self, *args, **kw):
            base_init(self, *args, **kw)
            show_team_and_tags(self, members, obj, TicketEmployee, TicketTag, "ticket")

        return type(form.__name__, (form,), {"__init__": __init__})

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {}
            for name in form.changed_data:
                if name == "order":
                    changes["order_id"] = str(data["order"].pk) if data["order"] else ""
                elif name == "assigned_employees":
                    changes["employee_ids"] = [str(user.pk) for user in data["assigned_employees"]]
                elif name == "tag_names":
                    changes["tag_names"] = data["tag_names"]
                elif name in UPDATABLE:
                    changes[name] = data[name]
            if changes:
                services.ticket_update(ticket=obj, **changes)
            return
        ticket = services.ticket_create(
            organization=obj.organization,
            user_id=str(data["user"].pk),
            subject=data["subject"],
            status=data["status"],
            order_id=str(data["order"].pk) if data.get("order") else None,
            employee_ids=[str(user.pk) for user in data["assigned_employees"]],
            tag_names=data["tag_names"],
            note=data.get("note"),
            metadata=data.get("metadata") or {},
            source="Admin",
        )
        adopt(obj, ticket)

    def save_related(self, request, form, formsets, change):
        form.save_m2m = lambda: None  # employees and tags went through the services with the ticket
        super().save_related(request, form, formsets, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not TicketMessage:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # fills new_objects / deleted_objects; writes nothing
        for message in formset.deleted_objects:
            services.ticket_message_delete(message=message)
        for message in formset.new_objects:
            services.ticket_message_create(
                ticket=form.instance,
                user=message.user or admin_team_member(request, form.instance.organization_id),
                message=message.message,
                staff_only=message.staff_only,
                files=message.files,
            )

    def soft_delete_row(self, ticket):
        services.ticket_delete(ticket=ticket)

    @admin.action(description="Close selected tickets")
    def close_selected(self, request, queryset):
        run_per_row(self, request, queryset, lambda ticket: services.ticket_close(ticket=ticket), label=str,
                    done="Closed {count} ticket(s).")
