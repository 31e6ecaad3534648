"""Admin of subscriptions, tenant-scoped through the core `TenantAdmin`. Subscriptions are created and edited
through the API (which resolves the client and services, checks the schedule and issues the first invoice), so
the admin shows them read-only with their lines, and changes their status only through the same services as the
API: the pause, resume and cancel actions report a refused transition with `message_user`."""
from django.contrib import admin, messages

from serviceengine.admin import TenantAdmin, TenantInline
from serviceengine.admin_lists import client_filter, date_filter
from serviceengine.core.errors import DomainError

from . import services
from .models import Subscription, SubscriptionItem


class SubscriptionItemInline(TenantInline, admin.TabularInline):
    model = SubscriptionItem
    fields = ("name", "service", "quantity", "price", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service")


@admin.register(Subscription)
class SubscriptionAdmin(TenantAdmin):
    list_display = (
        "client", "status", "interval", "interval_count", "currency", "start_date", "next_invoice_at",
        "invoices_count", "canceled_at", "created_at",
    )
    list_select_related = ("client",)
    list_filter = ("status", "interval", client_filter("client"), date_filter("next_invoice_at"), "currency")
    search_fields = ("client__email", "client__name_f", "client__name_l", "client__company", "coupon_code")
    raw_id_fields = ("client", "latest_invoice")
    readonly_fields = (
        "client", "status", "currency", "interval", "interval_count", "start_date", "current_period_start",
        "current_period_end", "next_invoice_at", "coupon_code", "invoices_count", "latest_invoice", "canceled_at",
        "created_at", "updated_at",
    )
    inlines = (SubscriptionItemInline,)
    actions = ("pause_selected", "resume_selected", "cancel_selected")
    ordering = ("-created_at", "id")

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        # A subscription ends by being canceled (its invoices keep pointing at it): no row can be deleted. Without
        # a row the answer stays yes, so that an unknown or other organization's id redirects like everywhere else.
        return obj is None

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _run(self, request, queryset, workflow, done: str):
        count = 0
        for subscription in queryset:
            try:
                workflow(subscription=subscription)
            except DomainError as exc:
                self.message_user(request, f"{subscription.pk}: {exc.detail or exc.message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done.format(count=count), messages.SUCCESS)

    @admin.action(description="Pause selected subscriptions")
    def pause_selected(self, request, queryset):
        self._run(request, queryset, services.subscription_pause, "Paused {count} subscription(s).")

    @admin.action(description="Resume selected subscriptions")
    def resume_selected(self, request, queryset):
        self._run(request, queryset, services.subscription_resume, "Resumed {count} subscription(s).")

    @admin.action(description="Cancel selected subscriptions")
    def cancel_selected(self, request, queryset):
        self._run(request, queryset, services.subscription_cancel, "Canceled {count} subscription(s).")
