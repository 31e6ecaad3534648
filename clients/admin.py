"""Admin for clients: the organization's users with the client role, their address chosen by autocomplete
and summarised read-only. Scoped to the staff account's organization by `TenantAdmin`.

Writes go through `clients.services` (issue 12), like the API's, with the staff account as the events' actor:
adding is `client_create` (client role, affiliate id and link), changing is `client_update` (e-mail unique in the
organization), deleting is `client_delete` (refused while the client has dependants)."""
from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from serviceengine.admin import TenantAdmin, scoped_choices
from serviceengine.admin_workflows import ServiceFormAdminMixin, adopt, run_per_row
from serviceengine.models import User

from .models import Client
from .services import EMAIL_TAKEN, client_create, client_delete, client_delete_refusal, client_update

# The client's columns the admin form writes (through the services); the rest are read-only.
COLUMNS = (
    "email", "name_f", "name_l", "company", "phone", "tax_id", "note", "status", "optin", "stripe_id",
    "custom_fields", "created_at",
)


class ClientAdminForm(forms.ModelForm):
    """Emails are stored lower-cased and unique within the organization (any role), like the API."""

    class Meta:
        model = Client
        fields = "__all__"  # narrowed by ClientAdmin.fields

    def clean_custom_fields(self):
        return self.cleaned_data.get("custom_fields") or {}  # the column is NOT NULL; blank means none

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        organization_id = self.instance.organization_id
        if organization_id:
            taken = User.all_objects.filter(organization_id=organization_id, email__iexact=email)
            if taken.exclude(pk=self.instance.pk).exists():
                raise forms.ValidationError(EMAIL_TAKEN)
        return email


@admin.register(Client)
class ClientAdmin(ServiceFormAdminMixin, TenantAdmin):
    form = ClientAdminForm
    list_display = ("email", "name_f", "name_l", "company", "status", "balance", "address_summary", "created_at")
    list_select_related = ("role", "address")
    # No filter over address columns: its choices would be read from every organization's addresses.
    list_filter = ("status", ("address", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("email", "name_f", "name_l", "company")
    autocomplete_fields = ("address",)
    fields = (
        "email", "name_f", "name_l", "company", "phone", "tax_id", "address", "address_summary", "note", "status",
        "balance", "optin", "stripe_id", "custom_fields", "role", "aff_id", "aff_link", "created_at",
        "organization",
    )
    readonly_fields = ("address_summary", "balance", "role", "aff_id", "aff_link")
    ordering = ("-created_at", "id")
    actions = ["delete_clients"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(role__dashboard_access=0)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "address":
            kwargs["queryset"] = scoped_choices(db_field.related_model, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="address")
    def address_summary(self, obj):
        address = obj.address if obj and obj.address_id else None
        if address is None:
            return "—"
        parts = (address.line_1, address.line_2, address.city, address.state, address.postcode, address.country)
        return ", ".join(p for p in parts if p) or "(empty address)"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            # The instance's values: the form applied what was posted and kept what was omitted.
            changes = {name: getattr(obj, name) for name in form.changed_data if name in COLUMNS}
            if "status" in changes:
                changes["status_id"] = changes.pop("status")
            if "address" in form.changed_data:
                changes["address_ref"] = data["address"]
            if changes:
                client_update(client=obj, changes=changes)
            return
        address = data.get("address")
        client = client_create(
            organization=obj.organization,
            address_id=address.pk if address is not None else None,
            **{name: getattr(obj, name) for name in COLUMNS if name in data},
        )
        adopt(obj, client)

    # Deleting goes through `client_delete`, like the API: refused while the client has orders, invoices,
    # tickets or subscriptions (Django's own delete would silently detach invoices).

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        client = self.get_object(request, object_id)
        refusal = client_delete_refusal(client=client) if client is not None else None
        if refusal is not None:
            self.message_user(request, f"{client}: {refusal}", messages.ERROR)
            change_url = reverse("admin:clients_client_change", args=[client.pk], current_app=self.admin_site.name)
            return HttpResponseRedirect(change_url)
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        client_delete(client=obj)

    @admin.action(description="Delete selected clients (refused for clients with dependants)")
    def delete_clients(self, request, queryset):
        run_per_row(self, request, queryset, lambda client: client_delete(client=client), label=str,
                    done="Deleted {count} client(s).")
