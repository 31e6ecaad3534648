"""Admin for webhook endpoints and deliveries (issue 13). Every change goes through `webhooks.services` (so it
records its event with the admin user as actor); the secret is shown once, in a message, when an endpoint is
created or its secret rotated, and never in a form or a list."""
from django import forms
from django.contrib import admin, messages

from serviceengine.admin import TenantAdmin
from serviceengine.core.errors import DomainError

from . import services
from .models import EndpointStatus, WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    class Meta:
        model = WebhookEndpoint
        fields = ["url", "enabled_events", "description", "status"]

    def _service_check(self, check, value):
        try:
            return check(value)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_url(self):
        return self._service_check(services._validate_url, self.cleaned_data["url"])

    def clean_enabled_events(self):
        value = self.cleaned_data["enabled_events"]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise forms.ValidationError('A list of event types, e.g. ["order.created"] or ["*"].')
        return self._service_check(services._validate_events, value)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "status", "enabled_events", "consecutive_failures", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("url", "description")
    list_select_related = ()
    readonly_fields = ("consecutive_failures", "disabled_at", "created_at", "updated_at")
    actions = ["enable_selected", "disable_selected", "rotate_secret_selected", "test_selected"]

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in ("url", "enabled_events", "description")}
        if change:
            saved = services.webhook_endpoint_update(endpoint=obj, status=form.cleaned_data["status"], **data)
        else:
            organization = obj.organization if request.user.is_superuser else None
            from serviceengine.admin import staff_organization

            saved = services.webhook_endpoint_create(organization=organization or staff_organization(request), **data)
            self.message_user(request, f"Signing secret (shown only now): {saved.secret}", messages.WARNING)
        obj.pk, obj.secret, obj.created_at, obj.updated_at = saved.pk, saved.secret, saved.created_at, saved.updated_at

    def delete_model(self, request, obj):
        services.webhook_endpoint_delete(endpoint=obj)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_delete(endpoint=endpoint)

    @admin.action(description="Enable selected endpoints")
    def enable_selected(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_update(endpoint=endpoint, status=EndpointStatus.ENABLED)
        self.message_user(request, f"Enabled {len(queryset)} endpoint(s).", messages.SUCCESS)

    @admin.action(description="Disable selected endpoints")
    def disable_selected(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_update(endpoint=endpoint, status=EndpointStatus.DISABLED)
        self.message_user(request, f"Disabled {len(queryset)} endpoint(s).", messages.SUCCESS)

    @admin.action(description="Rotate the signing secret (the new one is shown once)")
    def rotate_secret_selected(self, request, queryset):
        for endpoint in queryset:
            rotated = services.webhook_endpoint_rotate_secret(endpoint=endpoint)
            self.message_user(request, f"{rotated.url}: new signing secret {rotated.secret}", messages.WARNING)

    @admin.action(description="Send a webhook.test event")
    def test_selected(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_test(endpoint=endpoint)
        self.message_user(request, f"Queued {len(queryset)} test delivery(ies).", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TenantAdmin):
    list_display = ("created_at", "event_type", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at")
    list_filter = ("status", "event_type", "created_at")
    search_fields = ("event_type", "=event__id")
    list_select_related = ("endpoint",)
    raw_id_fields = ("endpoint", "event")
    exclude = ("lock_token", "locked_until")
    actions = ["retry_selected"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in WebhookDelivery._meta.fields if f.name not in ("lock_token", "locked_until")]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return obj is None and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Retry selected deliveries now")
    def retry_selected(self, request, queryset):
        for delivery in queryset:
            services.webhook_delivery_retry(delivery=delivery)
        self.message_user(request, f"Queued {len(queryset)} delivery(ies) again.", messages.SUCCESS)
