from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.registry import client_attr, register
        from events.rendering import viewset_renderer

        register(
            "client",
            types=["client.created", "client.updated", "client.deleted"],
            render=viewset_renderer("clients.views.ClientViewSet"),
            client=client_attr("pk"),
        )
