from django.apps import AppConfig


class ServiceEngineConfig(AppConfig):
    """The project package doubles as the core app: tenancy, people, roles, tokens and the API plumbing."""

    name = "serviceengine"
    verbose_name = "Service Engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .api import schema  # noqa: F401  registers the OpenAPI extensions

        post_migrate.connect(_ensure_count_triggers, sender=self, dispatch_uid="serviceengine.ensure_count_triggers")


def _ensure_count_triggers(sender, using="default", **kwargs):
    """After every `migrate` (and test flush): the live-count triggers are verified and reinstalled where a migration
    dropped them (serviceengine/perf/counts.py)."""
    from django.db import connections

    from .perf import counts

    connection = connections[using]
    if connection.vendor in ("postgresql", "sqlite"):
        counts.ensure_triggers(connection)
