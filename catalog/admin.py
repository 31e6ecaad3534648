"""Admin for the service catalog: services (soft-deleted rows visible and restorable) with their assigned team
members, and service folders. Everything is scoped to the staff account's organization by `TenantAdmin`.

Services are written through `catalog.services` (issue 12), like the API's, with the staff account as the events'
actor: adding is `service_create`, changing `service_update` (folder and team members included), deleting the soft
`service_delete`. A new service starts at sort order 0 without an image, as through the API; both can be changed
afterwards."""
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db.models import Count, Q

from serviceengine.admin import SoftDeleteAdminMixin, TenantAdmin, scoped_choices
from serviceengine.admin_workflows import ServiceFormAdminMixin, adopt
from serviceengine.core.services import columns_of
from serviceengine.models import User

from .models import Service, ServiceEmployee, ServiceFolder
from .services import service_create, service_delete, service_update


class ServiceAdminForm(forms.ModelForm):
    """The service's columns plus its assigned team members, which the services set with the service."""

    assigned_employees = forms.ModelMultipleChoiceField(
        queryset=User.all_objects.none(), required=False, label="Assigned team members",
        widget=FilteredSelectMultiple("team members", is_stacked=False),
    )

    class Meta:
        model = Service
        exclude = ("employees",)

    def clean_metadata(self):
        return self.cleaned_data.get("metadata") or {}  # the column is NOT NULL; blank means none


@admin.register(Service)
class ServiceAdmin(ServiceFormAdminMixin, SoftDeleteAdminMixin, TenantAdmin):
    list_display = (
        "name", "recurring", "price", "currency", "folder", "public", "sort_order", "deleted_at", "created_at",
    )
    list_select_related = ("folder",)
    # Folder choices come only from folders used by the (scoped) changelist rows.
    list_filter = ("recurring", "currency", "public", ("folder", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "description")
    autocomplete_fields = ("folder",)
    readonly_fields = ("deleted_at", "created_at", "updated_at")
    form = ServiceAdminForm
    exclude = ("employees",)
    ordering = ("sort_order", "name", "id")
    service_error_fields = {"folder_id": "folder", "employees": "assigned_employees"}

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            fields += ["sort_order", "image"]  # a new service starts at 0 without an image (service_create)
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        base_init = form.__init__
        members = scoped_choices(User, request).filter(role__dashboard_access__gt=0)

        def __init__(self, *args, **kw):
            base_init(self, *args, **kw)
            self.fields["assigned_employees"].queryset = members
            if obj is not None:
                links = ServiceEmployee.objects.for_org(obj.organization_id).filter(service=obj).order_by("id")
                self.initial["assigned_employees"] = [link.user_id for link in links]

        return type(form.__name__, (form,), {"__init__": __init__})

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        # The instance's values: the form applied what was posted and kept the defaults of what was omitted.
        names = [name for name in form.changed_data if name in data] if change else list(data)
        changes = columns_of(Service, {name: getattr(obj, name) for name in names if hasattr(obj, name)})
        if not change or "folder" in form.changed_data:
            folder = data.get("folder")
            if folder is not None:
                changes["folder_id"] = str(folder.pk)
            elif change:
                changes["folder_id"] = ""
        if not change or "assigned_employees" in form.changed_data:
            changes["employees"] = [str(user.pk) for user in data.get("assigned_employees") or ()]
        if change:
            if changes:
                service_update(service=obj, changes=changes)
            return
        adopt(obj, service_create(organization=obj.organization, data=changes))

    def save_related(self, request, form, formsets, change):
        form.save_m2m = lambda: None  # the team members went through the services with the service
        super().save_related(request, form, formsets, change)

    # Deleting a service is a soft delete, as through the API (orders and items keep referencing it); the
    # restore action undoes it. No bulk hard delete.

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def soft_delete_row(self, service):
        service_delete(service=service)


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
