"""Admin for clients: the organization's users with the client role, their address chosen by autocomplete
and summarised read-only. Scoped to the staff account's organization by `TenantAdmin`."""
from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from serviceengine.admin import TenantAdmin, scoped_choices
from serviceengine.models import User

from .models import Client
from serviceengine.core.errors import DomainError

from .services import EMAIL_TAKEN, client_delete, client_delete_refusal, client_role


class ClientAdminForm(forms.ModelForm):
    """Emails are stored lower-cased and unique within the organization (any role), like the API."""

    class Meta:
        model = Client
        fields = "__all__"  # narrowed by ClientAdmin.fields

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        organization_id = self.instance.organization_id
        if organization_id:
            taken = User.all_objects.filter(organization_id=organization_id, email__iexact=email)
            if taken.exclude(pk=self.instance.pk).exists():
                raise forms.ValidationError(EMAIL_TAKEN)
        return email


@admin.register(Client)
class ClientAdmin(TenantAdmin):
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
        if not change:
            # New clients get the client role and an affiliate id/link, as through the API (contract §10.10).
            obj.role = client_role()
            obj.aff_id, obj.aff_link = User.new_affiliate()
        super().save_model(request, obj, form, change)

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
        deleted = 0
        for client in queryset:
            try:
                client_delete(client=client)
            except DomainError as exc:
                self.message_user(request, f"{client}: {exc.detail}", messages.ERROR)
            else:
                deleted += 1
        if deleted:
            self.message_user(request, f"Deleted {deleted} client(s).", messages.SUCCESS)
