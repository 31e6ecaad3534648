"""Admin of orders (their tasks and messages inline), of tasks and of tags; tenant-scoped through the core
`TenantAdmin`. Soft-deleted orders are listed (filter "deleted") and can be restored.

Every write goes through `orders.services` (issue 12), so the API's rules apply and events name the staff account:
- an order is added by `order_create` and changed by `order_update`, with its employees and tags as fields of the
  order's form (the services replace those sets); the client, number, price, quantity and currency are fixed once
  the order exists (the API's update ignores them too);
- tasks inline are created, updated, completed/reopened and deleted by the task services;
- messages inline are added by `order_message_create` and deleted by `order_message_delete`; there is no service
  that edits a message, so existing messages are read-only;
- the task changelist completes and reopens tasks (`order_task_complete` / `order_task_reopen`);
- soft delete is `order_delete`.
A refused write is shown on the form after a full rollback (`ServiceFormAdminMixin`).
"""
from django import forms
from django.contrib import admin

from serviceengine.admin import SoftDeleteAdminMixin, TenantAdmin, TenantInline, scoped_choices
from serviceengine.admin_lists import assignee_filter, client_filter, date_filter
from serviceengine.admin_workflows import (
    ServiceFormAdminMixin, TeamAndTagsForm, admin_team_member, adopt, error_text, run_per_row, show_team_and_tags,
)
from serviceengine.core.errors import DomainError
from serviceengine.models import User
from tags import services as tag_services

from . import services
from .models import Order, OrderEmployee, OrderMessage, OrderTag, OrderTask, Tag

# The order's columns an update may set (the API's update serializer's; `service` is the link, `service_name`
# the snapshot). Everything else is fixed once the order exists.
UPDATABLE = ("service", "service_name", "status", "note", "metadata", "date_started", "date_completed", "date_due")
TASK_COLUMNS = ("name", "sort_order", "is_public", "for_client", "deadline", "due_at")


def metadata_items(metadata) -> list[dict]:
    """The stored `{title: value}` map as the `[{title, value}]` list the services take (contract §10.7)."""
    return [{"title": str(title), "value": value} for title, value in (metadata or {}).items()]


class OrderAdminForm(TeamAndTagsForm):
    """The order's columns plus its employees and tags, which the services set together with the order."""

    class Meta:
        model = Order
        fields = "__all__"  # narrowed by OrderAdmin.fields

    def clean_metadata(self):
        metadata = self.cleaned_data.get("metadata")
        if metadata in (None, ""):
            return {}
        if not isinstance(metadata, dict):
            raise forms.ValidationError('Metadata is a JSON object of titles and values, e.g. {"Brief": "…"}.')
        return metadata

    def clean(self):
        cleaned = super().clean()
        if self.instance._state.adding and not cleaned.get("service") and not cleaned.get("service_name"):
            self.add_error("service_name", services.SERVICE_REQUIRED)
        # A superuser's choices span organizations: the team must be the order's (order_create takes rows as given).
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        members = cleaned.get("assigned_employees") or ()
        if organization is not None and any(member.organization_id != organization.pk for member in members):
            self.add_error("assigned_employees", "Employees must belong to the order's organization.")
        return cleaned


class OrderTaskInline(TenantInline, admin.TabularInline):
    model = OrderTask
    fields = ("name", "sort_order", "is_public", "for_client", "deadline", "due_at", "is_complete", "completed_at")
    readonly_fields = ("completed_at",)


class OrderMessageInline(TenantInline, admin.TabularInline):
    """New messages and deletions only: no service edits a message."""

    model = OrderMessage
    fields = ("user", "message", "is_public", "files", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)

    def has_change_permission(self, request, obj=None):
        return False


def _task_error(task_name: str, exc: DomainError) -> DomainError:
    """A task service's refusal, named after its task: the order's form shows it above the fields."""
    return DomainError(exc.status, detail=f"Task “{task_name}”: {error_text(exc)}")


@admin.register(Order)
class OrderAdmin(ServiceFormAdminMixin, SoftDeleteAdminMixin, TenantAdmin):
    form = OrderAdminForm
    list_display = ("number", "user", "service_name", "status", "price", "currency", "created_at", "deleted_at")
    list_select_related = ("user",)
    list_filter = (
        "status", client_filter(), assignee_filter(), date_filter("created_at"), date_filter("date_due"), "currency",
    )
    search_fields = ("number", "service_name", "note", "user__email", "user__name_f", "user__name_l", "user__company")
    autocomplete_fields = ("user",)
    raw_id_fields = ("service",)
    fields = (
        "user", "number", "service", "service_name", "price", "currency", "quantity", "status", "assigned_employees",
        "tag_names", "note", "metadata", "date_started", "date_completed", "date_due", "paysys", "form_data",
        "invoice_id", "engagement_id", "last_message_at", "created_at", "updated_at", "deleted_at", "organization",
    )
    readonly_fields = (
        "paysys", "form_data", "invoice_id", "engagement_id", "last_message_at", "created_at", "updated_at",
        "deleted_at",
    )
    inlines = (OrderTaskInline, OrderMessageInline)
    ordering = ("-created_at", "id")
    service_error_fields = {
        "user_id": "user", "service_id": "service", "service": "service_name", "employees": "assigned_employees",
        "tags": "tag_names",
    }

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Numbers never change (contract §10.8); the client, price, quantity and currency are the snapshot
            # taken at creation, which the update service leaves alone.
            fields += ["user", "number", "price", "currency", "quantity"]
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        base_init = form.__init__
        members = scoped_choices(User, request).filter(role__dashboard_access__gt=0)

        def __init__(self, *args, **kw):
            base_init(self, *args, **kw)
            if "number" in self.fields:
                self.fields["number"].required = False
                self.fields["number"].help_text = "Blank: a new unique number is generated."
            if "service_name" in self.fields:
                self.fields["service_name"].required = False
                self.fields["service_name"].help_text = "Blank: the linked service's name."
            show_team_and_tags(self, members, obj, OrderEmployee, OrderTag, "order")

        return type(form.__name__, (form,), {"__init__": __init__})

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {}
            for name in form.changed_data:
                if name == "service":
                    changes["service_id"] = str(data["service"].pk) if data["service"] else ""
                elif name == "service_name":
                    changes["service"] = data["service_name"]
                elif name == "metadata":
                    changes["metadata"] = metadata_items(data["metadata"])
                elif name == "assigned_employees":
                    changes["employees"] = [str(user.pk) for user in data["assigned_employees"]]
                elif name == "tag_names":
                    changes["tags"] = data["tag_names"]
                elif name in UPDATABLE:
                    changes[name] = data[name]
            if changes:
                services.order_update(order=obj, changes=changes)
            return
        organization = obj.organization
        service = data.get("service")
        order = services.order_create(
            organization=organization,
            user=data["user"],
            service=service,
            service_name=data.get("service_name") or service.name,
            price=data["price"],
            currency=data["currency"],
            quantity=data["quantity"],
            status=data["status"],
            number=data.get("number") or None,
            note=data.get("note"),
            metadata=data.get("metadata") or {},
            date_started=data.get("date_started"),
            date_completed=data.get("date_completed"),
            date_due=data.get("date_due"),
            employees=list(data["assigned_employees"]),
            tag_names=data["tag_names"],
        )
        adopt(obj, order)

    def save_related(self, request, form, formsets, change):
        form.save_m2m = lambda: None  # employees and tags went through the services with the order
        super().save_related(request, form, formsets, change)

    def save_formset(self, request, form, formset, change):
        order = form.instance
        if formset.model is OrderTask:
            return self._save_tasks(request, order, formset)
        if formset.model is OrderMessage:
            return self._save_messages(request, order, formset)
        return super().save_formset(request, form, formset, change)

    def _save_tasks(self, request, order, formset):
        formset.save(commit=False)  # fills new_objects / changed_objects / deleted_objects; writes nothing
        for task in formset.deleted_objects:
            services.order_task_delete(task=task)
        for task, changed in formset.changed_objects:
            wanted_complete = task.is_complete  # the submitted value (the update below returns the stored row)
            try:
                changes = {name: getattr(task, name) for name in changed if name in TASK_COLUMNS}
                if changes:
                    task = services.order_task_update(task=task, changes=changes)
                if "is_complete" in changed:
                    self._set_complete(request, task, task_complete=wanted_complete)
            except DomainError as exc:
                raise _task_error(task.name, exc) from None
        for task in formset.new_objects:
            try:
                created = services.order_task_create(
                    order=order, **{name: getattr(task, name) for name in TASK_COLUMNS}
                )
                if task.is_complete:
                    self._set_complete(request, created, task_complete=True)
            except DomainError as exc:
                raise _task_error(task.name, exc) from None

    @staticmethod
    def _set_complete(request, task, *, task_complete: bool):
        if task_complete:
            services.order_task_complete(task=task, user=admin_team_member(request, task.organization_id))
        else:
            services.order_task_reopen(task=task)

    def _save_messages(self, request, order, formset):
        formset.save(commit=False)
        for message in formset.deleted_objects:
            services.order_message_delete(message=message)
        for message in formset.new_objects:
            services.order_message_create(
                order=order,
                author=message.user or admin_team_member(request, order.organization_id),
                message=message.message,
                is_public=message.is_public,
                files=message.files,
            )

    def soft_delete_row(self, order):
        services.order_delete(order=order)


@admin.register(OrderTask)
class OrderTaskAdmin(TenantAdmin):
    """Every task of the organization, to complete or reopen in bulk; tasks are added, edited and deleted on their
    order's page (through the task services)."""

    list_display = ("name", "order", "is_complete", "completed_at", "due_at", "deadline", "created_at")
    list_select_related = ("order",)
    list_filter = ("is_complete", "is_public", "for_client", date_filter("due_at"), date_filter("created_at"))
    search_fields = ("name", "description", "order__number", "order__service_name")
    raw_id_fields = ("order",)
    readonly_fields = ("completed_by", "completed_at", "created_at", "updated_at")
    ordering = ("-created_at", "id")
    actions = ("complete_selected", "reopen_selected")

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        # Read-only rows; without a row (asked before Django finds it) the base's answer, so another organization's
        # id is redirected like an unknown one.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return obj is None and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Complete selected tasks")
    def complete_selected(self, request, queryset):
        def complete(task):
            if task.is_complete:
                return False
            services.order_task_complete(task=task, user=admin_team_member(request, task.organization_id))

        run_per_row(self, request, queryset, complete, label=str, done="Completed {count} task(s).",
                    unchanged="already complete.")

    @admin.action(description="Reopen selected tasks")
    def reopen_selected(self, request, queryset):
        def reopen(task):
            if not task.is_complete:
                return False
            services.order_task_reopen(task=task)

        run_per_row(self, request, queryset, reopen, label=str, done="Reopened {count} task(s).",
                    unchanged="not complete.")


@admin.register(Tag)
class TagAdmin(ServiceFormAdminMixin, TenantAdmin):
    """Tags through `tags.services` (the API's): names unique ignoring case, colours lower-cased, and a delete that
    touches the orders and tickets it leaves (incremental sync sees them)."""

    list_display = ("name", "color", "created_at")
    fields = ("name", "color", "created_at", "updated_at", "organization")
    readonly_fields = ("created_at", "updated_at")
    search_fields = ("name",)
    list_filter = (date_filter("created_at"),)
    ordering = ("name", "id")
    actions = ("delete_tags",)

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in ("name", "color")}
            if changes:
                tag_services.tag_update(tag=obj, **changes)
            return
        tag = tag_services.tag_create(
            organization=obj.organization, name=form.cleaned_data["name"], color=form.cleaned_data.get("color")
        )
        adopt(obj, tag)

    def delete_model(self, request, obj):
        tag_services.tag_delete(tag=obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete selected tags (removed from their orders and tickets)")
    def delete_tags(self, request, queryset):
        run_per_row(self, request, queryset, lambda tag: tag_services.tag_delete(tag=tag), label=str,
                    done="Deleted {count} tag(s).")
