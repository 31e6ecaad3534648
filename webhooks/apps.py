from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Signed outbound webhooks (issue 13): endpoints, one delivery per event and subscribed endpoint, sent by
    the worker with retries."""

    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events import services as event_services
        from events.registry import register, register_types
        from events.rendering import viewset_renderer
        from jobs.periodic import on_tick

        from . import services

        register(
            "webhook_endpoint",
            types=[f"webhook_endpoint.{verb}" for verb in ("created", "updated", "deleted", "disabled")],
            render=viewset_renderer("webhooks.views.WebhookEndpointViewSet"),
            model="webhooks.WebhookEndpoint",
        )
        register_types(["webhook.test"], object_type="webhook_endpoint")
        if services.fan_out not in event_services.EVENT_RECORDED_HOOKS:
            event_services.EVENT_RECORDED_HOOKS.append(services.fan_out)
        on_tick(services.deliveries_enqueue_due)
