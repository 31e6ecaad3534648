"""Admin of proposals and invoices (items inline), coupons and subscriptions; tenant-scoped through the core
`TenantAdmin`. Workflows go through `billing.services`, exactly as the API does (issue 12): proposals are sent and
signed on the client's behalf, invoices sent, marked paid and charged by changelist actions, one service call per
row, a refused row reported with `message_user` and the others done. Proposals and invoices are created and edited
through the API (which validates services, computes totals and numbers invoices; an item edit would replace the
items and their order links), so the admin shows them read-only and cannot add them; deleting an invoice goes
through `invoice_delete`. Soft-deleted rows are listed and can be restored."""
import re

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from serviceengine.admin import SoftDeleteAdminMixin, TenantAdmin, TenantInline
from serviceengine.admin_lists import client_filter, date_filter
from serviceengine.admin_workflows import ServiceFormAdminMixin, action_input, run_per_row
from serviceengine.core.errors import DomainError

from . import documents, services
from .serializers import COUPON_CODE_MESSAGE, COUPON_CODE_PATTERN
from .models import (
    Coupon, Invoice, InvoiceItem, Payment, Proposal, ProposalItem, ProposalSignature, StripeEvent, Subscription,
)


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


def origin(request) -> str:
    """The origin of e-mailed client links sent from the admin: PUBLIC_BASE_URL, else the admin's own origin."""
    from django.conf import settings

    return (getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/") or f"{request.scheme}://{request.get_host()}"


class ProposalSignatureInline(ReadOnlyInline):
    """The signature evidence (issue 15)."""

    model = ProposalSignature
    fields = ("name", "email", "ip_address", "user_agent", "signed_at", "method", "document_sha256")
    verbose_name = verbose_name_plural = "signature evidence"


class PdfAdminMixin:
    """A `PDF` link on the change page and the changelist, served by the admin (staff session, tenant-scoped
    through `get_object`, which uses the scoped `get_queryset`)."""

    def render_pdf(self, obj) -> tuple[bytes, str]:
        raise NotImplementedError

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        extra = [path("<path:object_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="%s_%s_pdf" % info)]
        return extra + super().get_urls()

    def pdf_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        body, filename = self.render_pdf(obj)
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response

    @admin.display(description="PDF")
    def pdf_link(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        info = self.model._meta.app_label, self.model._meta.model_name
        return format_html('<a href="{}">PDF</a>', reverse("admin:%s_%s_pdf" % info, args=[obj.pk]))


class WorkflowAdmin(SoftDeleteAdminMixin, TenantAdmin):
    """Soft-deletable rows created and edited by the API: no add form, a read-only change page (no service edits
    them field by field), no bulk hard delete (soft delete instead), and actions calling the workflows."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        # Rows are read-only; asked without a row (Django asks before it finds the row), the answer stays the base's,
        # so another organization's id is redirected like an unknown one rather than refused with a 403.
        return obj is None and super().has_change_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def run_workflow(self, request, queryset, workflow, label, done: str):
        """Call `workflow` for each selected row; a DomainError is reported for that row, the others go on."""
        run_per_row(self, request, queryset, workflow, label=label, done=done)


class ProposalSignForm(forms.Form):
    """Signing on the client's behalf: the agency records that the client agreed (by e-mail, phone, in person)."""

    signer_name = forms.CharField(
        max_length=255, required=False, label="Signed by",
        help_text="The person who agreed for the client; blank: the client's name on each proposal.",
    )
    confirm = forms.BooleanField(
        label="The client agreed to these proposals", help_text="Stored with the signature evidence (method: admin).",
    )


class InvoiceChargeForm(forms.Form):
    payment_method_id = forms.CharField(
        max_length=255, label="Payment method",
        help_text="The client's Stripe payment method (pm_…), charged once per invoice.",
    )


@admin.register(Proposal)
class ProposalAdmin(PdfAdminMixin, WorkflowAdmin):
    list_display = (
        "client_email", "client_name", "status", "total", "created_at", "sent_at", "signed_at", "deleted_at", "pdf_link",
    )
    list_filter = ("status", date_filter("created_at"), date_filter("sent_at"), date_filter("signed_at"))
    search_fields = ("client_email", "client_name_f", "client_name_l", "client_company")
    list_select_related = ()
    raw_id_fields = ("converted_order",)
    readonly_fields = (
        "status", "total", "sent_at", "signed_at", "converted_order", "created_at", "updated_at", "deleted_at",
        "pdf_link",
    )
    inlines = (ProposalItemInline, ProposalSignatureInline)
    actions = ("send_selected", "sign_selected", *SoftDeleteAdminMixin.actions)
    ordering = ("-created_at", "id")

    @admin.display(description="client name")
    def client_name(self, obj):
        return f"{obj.client_name_f} {obj.client_name_l}".strip()

    def render_pdf(self, obj):
        signature = ProposalSignature.objects.for_org(obj.organization_id).filter(proposal=obj).first()
        return documents.proposal_pdf(obj, obj.organization, signature=signature), f"proposal-{obj.pk}.pdf"

    @admin.action(description="Send selected proposals")
    def send_selected(self, request, queryset):
        self.run_workflow(
            request,
            queryset,
            lambda proposal: services.proposal_send(proposal=proposal, base_url=origin(request)),
            lambda proposal: proposal.client_email,
            "Sent {count} proposal(s).",
        )

    @admin.action(description="Sign selected proposals on the client's behalf")
    def sign_selected(self, request, queryset):
        """`proposal_sign` with the evidence of who recorded it: the name typed (else the client's), the proposal's
        e-mail, the staff's connection and method "admin"; the event's actor is the staff account. Each proposal
        opens its order (and engagement) as when the client signs on their page."""
        form, page = action_input(
            self, request, queryset, ProposalSignForm,
            title="Sign proposals on the client's behalf",
            explanation="Each proposal is signed as agreed by its client and opens its order, as when the client "
                        "signs.",
            submit_label="Sign",
        )
        if form is None:
            return page
        signer = services.Signer(
            name=form.cleaned_data["signer_name"].strip() or None,
            ip_address=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            method="admin",
        )
        self.run_workflow(
            request,
            queryset,
            lambda proposal: services.proposal_sign(proposal=proposal, signer=signer),
            lambda proposal: proposal.client_email,
            "Signed {count} proposal(s).",
        )


@admin.register(Invoice)
class InvoiceAdmin(PdfAdminMixin, WorkflowAdmin):
    list_display = (
        "number", "user", "status", "total", "currency", "date_due", "date_paid", "paysys", "deleted_at", "pdf_link",
    )
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
        "charge_attempts", "paysys", "ip_address", "employee_id", "created_at", "updated_at", "deleted_at", "pdf_link",
    )
    inlines = (InvoiceItemInline, PaymentInline)
    actions = ("send_selected", "mark_paid_selected", "charge_selected", *SoftDeleteAdminMixin.actions)
    ordering = ("-created_at", "id")

    def soft_delete_row(self, invoice):
        services.invoice_delete(invoice=invoice)

    def render_pdf(self, obj):
        return documents.invoice_pdf(obj, obj.organization), f"invoice-{obj.number}.pdf"

    @admin.action(description="Send selected invoices to their clients")
    def send_selected(self, request, queryset):
        self.run_workflow(
            request,
            queryset,
            lambda invoice: services.invoice_send(invoice=invoice, base_url=origin(request)),
            lambda invoice: invoice.number,
            "Sent {count} invoice(s).",
        )

    @admin.action(description="Mark selected invoices paid (manual payment)")
    def mark_paid_selected(self, request, queryset):
        self.run_workflow(
            request,
            queryset,
            lambda invoice: services.invoice_mark_paid(invoice=invoice),
            lambda invoice: invoice.number,
            "Marked {count} invoice(s) paid.",
        )

    @admin.action(description="Charge selected invoices (payment provider)")
    def charge_selected(self, request, queryset):
        """`invoice_charge` per invoice. The changelist runs no transaction, so the service's three steps stand
        as in the API: the claim committed, the provider called holding no lock, the outcome applied after."""
        form, page = action_input(
            self, request, queryset, InvoiceChargeForm,
            title="Charge invoices",
            explanation="Each invoice is charged its total through the payment provider with this payment method.",
            submit_label="Charge",
        )
        if form is None:
            return page
        self.run_workflow(
            request,
            queryset,
            lambda invoice: services.invoice_charge(
                invoice=invoice,
                payment_method_id=form.cleaned_data["payment_method_id"].strip(),
                ip_address=request.META.get("REMOTE_ADDR"),
            ),
            lambda invoice: invoice.number,
            "Charged {count} invoice(s).",
        )


class CouponForm(forms.ModelForm):
    """The coupon form checks the same rules as the API (`billing.services.coupon_check`), reported on the field
    they concern; `CouponAdmin.save_model` then writes through the services."""

    class Meta:
        model = Coupon
        fields = ["code", *services.COUPON_TERMS, "max_redemptions", "expires_at"]
        help_texts = {
            "amount": "Percent off (0.01–100) for percent coupons, an amount in the currency for fixed ones.",
            "service_ids": 'Ids of the services it applies to, e.g. ["…"]; [] = any service.',
        }

    organization = None  # the staff account's organization on add (set by CouponAdmin.get_form)

    def clean_code(self):
        code = (self.cleaned_data.get("code") or "").strip()
        if not re.fullmatch(COUPON_CODE_PATTERN, code):
            raise forms.ValidationError(COUPON_CODE_MESSAGE)
        return code

    def clean_service_ids(self):
        value = self.cleaned_data.get("service_ids")
        if value in (None, ""):
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise forms.ValidationError("A list of service ids.")
        return value

    def coupon_data(self) -> dict:
        """The fields to write: all of them on add, the changed ones on change (a PUT's partial update)."""
        names = self._meta.fields
        if self.instance.pk:
            names = [name for name in names if name in self.changed_data]
        return {name: self.cleaned_data.get(name) for name in names}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        organization = self.instance.organization_id if self.instance.pk else (
            cleaned.get("organization") or self.organization
        )
        if organization is None:
            return cleaned
        try:
            services.coupon_check(
                organization=organization, data=self.coupon_data(), coupon=self.instance if self.instance.pk else None
            )
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return cleaned


@admin.register(Coupon)
class CouponAdmin(ServiceFormAdminMixin, SoftDeleteAdminMixin, TenantAdmin):
    """Coupons, written through `billing.services` like the API (events recorded with the admin as actor);
    `times_redeemed` is counted by the invoices only. Deleting is the API's soft delete; restore undoes it."""

    form = CouponForm
    list_display = (
        "code", "type", "amount", "currency", "duration", "times_redeemed", "max_redemptions", "expires_at",
        "deleted_at", "created_at",
    )
    list_select_related = ()
    list_filter = ("type", "duration", "currency", date_filter("expires_at"), date_filter("created_at"))
    search_fields = ("code",)
    readonly_fields = ("times_redeemed", "created_at", "updated_at", "deleted_at")
    ordering = ("-created_at", "id")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        from serviceengine.admin import staff_organization

        form.organization = staff_organization(request)
        return form

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        data = form.coupon_data()
        if change:
            saved = services.coupon_update(coupon=obj, changes=data)
        else:
            organization = obj.organization if request.user.is_superuser else form.organization
            saved = services.coupon_create(organization=organization, data=data)
        obj.pk, obj.organization_id = saved.pk, saved.organization_id
        obj.created_at, obj.updated_at = saved.created_at, saved.updated_at

    def delete_model(self, request, obj):
        if obj.deleted_at is None:
            services.coupon_delete(coupon=obj)

    @admin.action(description="Soft-delete selected")
    def soft_delete_selected(self, request, queryset):
        rows = [coupon for coupon in queryset if coupon.deleted_at is None]
        for coupon in rows:
            services.coupon_delete(coupon=coupon)
        self.message_user(request, f"Deleted {len(rows)} row(s).", messages.SUCCESS)

    @admin.action(description="Restore selected (undo soft delete)")
    def restore_selected(self, request, queryset):
        count = 0
        for coupon in queryset:
            if coupon.deleted_at is None:
                continue
            try:
                services.coupon_restore(coupon=coupon)
            except DomainError as exc:
                self.message_user(request, f"{coupon.code}: {exc.message}", messages.ERROR)
            else:
                count += 1
        self.message_user(request, f"Restored {count} row(s).", messages.SUCCESS)


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


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    """Stripe events as received and processed (issue 15), read-only. Superusers see every event; an
    organization's staff see the events that were matched to one of its invoices."""

    list_display = ("stripe_id", "type", "status", "received_at", "processed_at", "invoice_ref", "note")
    list_filter = ("status", "type")
    search_fields = ("stripe_id", "type", "note")
    readonly_fields = (
        "stripe_id", "type", "livemode", "status", "note", "organization_ref", "invoice_ref", "received_at",
        "processed_at", "payload",
    )
    ordering = ("-received_at", "-id")

    def get_queryset(self, request):
        from serviceengine.admin import staff_organization

        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        org = staff_organization(request)
        return qs.filter(organization_ref=org.pk) if org else qs.none()

    def _allowed(self, request) -> bool:
        from serviceengine.admin import is_tenant_staff

        return request.user.is_active and (request.user.is_superuser or is_tenant_staff(request))

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
