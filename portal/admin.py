"""Client links in the admin: who got a link to what, until when; revoke action (through `portal.links`)."""
from django.contrib import admin, messages

from serviceengine.admin import TenantAdmin

from . import links
from .models import ClientLink


@admin.register(ClientLink)
class ClientLinkAdmin(TenantAdmin):
    list_display = ("kind", "object_id", "created_at", "expires_at", "revoked_at")
    list_filter = ("kind",)
    search_fields = ("object_id",)
    readonly_fields = ("kind", "object_id", "created_at", "expires_at", "revoked_at", "last_opened_at")
    actions = ("revoke_selected",)
    ordering = ("-created_at", "id")

    def has_add_permission(self, request, *args):
        return False

    @admin.action(description="Revoke selected links")
    def revoke_selected(self, request, queryset):
        count = 0
        for link in queryset:
            links.revoke(link=link)
            count += 1
        self.message_user(request, f"Revoked {count} link(s).", messages.SUCCESS)
