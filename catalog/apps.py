from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.registry import register
        from events.rendering import viewset_renderer

        register(
            "service",
            types=["service.created", "service.updated", "service.deleted"],
            render=viewset_renderer("catalog.views.ServiceViewSet"),
            model="catalog.Service",
        )
