"""Admin of proposals and invoices (items inline), coupons and subscriptions; tenant-scoped through the core
`TenantAdmin`. Workflows go through `billing.services`, exactly as the API does: proposals are sent and invoices
marked paid by admin actions, which report a refused transition with `message_user`. Proposals and invoices are
created through the API (which validates services, computes totals and numbers invoices), so the admin shows their
money, numbers and statuses read-only and cannot add them. Soft-deleted rows are listed and can be restored."""
from django.contrib import admin, messages

from serviceengine.admin import SoftDeleteAdminMixin, TenantAdmin, TenantInline
from serviceengine.admin_lists import client_filter, date_filter
from serviceengine.core.errors import DomainError

from . import services
from .models import Coupon, Invoice, InvoiceItem, Payment, Proposal, ProposalItem, Subscription


class ReadOnlyInline(TenantInline, admin.TabularInline):
    """Children whose totals belong to a workflow: shown, never edited here."""

    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProposalItemInline(ReadOnlyInline):
    model = ProposalItem
    fields = ("service", "quantity", "price", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service")


class InvoiceItemInline(ReadOnlyInline):
    model = InvoiceItem
    fields = ("name", "quantity", "amount", "discount", "total", "service", "order", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service", "order")


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("provider", "transaction_id", "amount", "currency", "created_at")


class WorkflowAdmin(SoftDeleteAdminMixin, TenantAdmin):
    """Soft-deletable rows created by the API: no add form, and no bulk hard delete (soft delete instead)."""

    def has_add_permission(self, request, *args):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def run_workflow(self, request, queryset, workflow, label, done: str):
        """Call `workflow` for each selected row; a DomainError is reported for that row, the others go on."""
        count = 0
        for obj in queryset:
            try:
                workflow(obj)
            except DomainError as exc:
                self.message_user(request, f"{label(obj)}: {exc.detail or exc.message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done.format(count=count), messages.SUCCESS)


@admin.register(Proposal)
class ProposalAdmin(WorkflowAdmin):
    list_display = ("client_email", "client_name", "status", "total", "created_at", "sent_at", "signed_at", "deleted_at")
    list_filter = ("status", date_filter("created_at"), date_filter("sent_at"), date_filter("signed_at"))
    search_fields = ("client_email", "client_name_f", "client_name_l", "client_company")
    list_select_related = ()
    raw_id_fields = ("converted_order",)
    readonly_fields = (
        "status", "total", "sent_at", "signed_at", "converted_order", "created_at", "updated_at", "deleted_at",
    )
    inlines = (ProposalItemInline,)
    actions = ("send_selected", *SoftDeleteAdminMixin.actions)
    ordering = ("-created_at", "id")

    @admin.display(description="client name")
    def client_name(self, obj):
        return f"{obj.client_name_f} {obj.client_name_l}".strip()

    @admin.action(description="Send selected proposals")
    def send_selected(self, request, queryset):
        self.run_workflow(
            request,
            queryset,
            lambda proposal: services.proposal_send(proposal=proposal),
            lambda proposal: proposal.client_email,
            "Sent {count} proposal(s).",
        )


@admin.register(Invoice)
class InvoiceAdmin(WorkflowAdmin):
    list_display = ("number", "user", "status", "total", "currency", "date_due", "date_paid", "paysys", "deleted_at")
    list_select_related = ("user",)
    list_filter = (
        "status", client_filter(), date_filter("created_at"), date_filter("date_due"), date_filter("date_paid"),
        "currency", "paysys",
    )
    search_fields = ("number", "note", "user__email", "user__name_f", "user__name_l", "user__company")
    autocomplete_fields = ("user", "coupon")
    readonly_fields = (
        "number", "number_seq", "number_prefix", "status", "subtotal", "tax", "tax_name", "tax_percent", "total",
        "credit", "currency", "billing_address", "date_paid", "transaction_id", "stripe_payment_intent_id",
        "charge_attempts", "paysys", "ip_address", "employee_id", "created_at", "updated_at", "deleted_at",
    )
    inlines = (InvoiceItemInline, PaymentInline)
    actions = ("mark_paid_selected", *SoftDeleteAdminMixin.actions)
    ordering = ("-created_at", "id")

    @admin.action(description="Mark selected invoices paid (manual payment)")
    def mark_paid_selected(self, request, queryset):
        self.run_workflow(
            request,
            queryset,
            lambda invoice: services.invoice_mark_paid(invoice=invoice),
            lambda invoice: invoice.number,
            "Marked {count} invoice(s) paid.",
        )


@admin.register(Coupon)
class CouponAdmin(TenantAdmin):
    list_display = ("code", "type", "discount", "expires_at", "created_at")
    list_filter = ("type",)
    search_fields = ("code",)
    ordering = ("code", "id")


@admin.register(Subscription)
class SubscriptionAdmin(TenantAdmin):
    """Created by mark_paid for recurring invoices; shown for reference (they block deleting the client)."""

    list_display = ("user", "invoice", "status", "r_period_l", "r_period_t", "created_at")
    list_select_related = ("user", "invoice")
    list_filter = ("status", "r_period_t")
    search_fields = ("user__email", "invoice__number")
    autocomplete_fields = ("user",)
    raw_id_fields = ("invoice",)
    ordering = ("-created_at", "id")
