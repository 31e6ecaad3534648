from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Client pages"

    def ready(self):
        from events.registry import register_types

        # The client loop's own event types (issue 15); billing registers the invoice's renderer and other types.
        register_types(["invoice.sent"], object_type="invoice")
        register_types(["email.failed"], object_type="email")
