from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Client pages"

    def ready(self):
        from events.registry import register, register_types
        from events.rendering import viewset_renderer

        # The client loop's own event types (issue 15); billing registers the invoice's others with the same renderer.
        register(
            "invoice",
            types=["invoice.sent", "invoice.updated", "invoice.payment_failed"],
            render=viewset_renderer("billing.views.InvoiceViewSet"),
        )
        register_types(["email.failed"], object_type="email")
