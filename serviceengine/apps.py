from django.apps import AppConfig


class ServiceEngineConfig(AppConfig):
    """The project package doubles as the core app: tenancy, people, roles, tokens and the API plumbing."""

    name = "serviceengine"
    verbose_name = "Service Engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .api import schema  # noqa: F401  registers the OpenAPI extensions
