from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    """`/api/subscriptions`: subscriptions that issue (and send) one invoice per period (issue 16)."""

    name = "subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.registry import client_attr, register
        from events.rendering import viewset_renderer

        register(
            "subscription",
            types=[
                "subscription.created", "subscription.updated", "subscription.paused", "subscription.resumed",
                "subscription.canceled", "subscription.invoice_created",
            ],
            render=viewset_renderer("subscriptions.views.SubscriptionViewSet"),
            model="subscriptions.Subscription",
            client=client_attr("client_id"),  # in the client's activity (GET /api/clients/{id}/activity)
        )
