from django.apps import AppConfig


class ServiceEngineConfig(AppConfig):
    """The project package doubles as the core app: tenancy, people, roles, tokens and the API plumbing."""

    name = "serviceengine"
    verbose_name = "Service Engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate, pre_migrate

        from .api import schema  # noqa: F401  registers the OpenAPI extensions

        post_migrate.connect(_ensure_count_triggers, sender=self, dispatch_uid="serviceengine.ensure_count_triggers")
        pre_migrate.connect(_drop_sqlite_usage_triggers, sender=self, dispatch_uid="serviceengine.drop_usage_triggers")


def _drop_sqlite_usage_triggers(sender, using="default", **kwargs):
    """Before every `migrate` on SQLite: drop the usage-count triggers, which post_migrate puts back (and recounts).
    A usage trigger on one table reads another (a tag link reads its order's `deleted_at`), and SQLite refuses to
    rename a rebuilt table while a trigger elsewhere names it: any migration that rebuilds `orders_order` would fail."""
    from django.db import connections

    from .perf import counts

    connection = connections[using]
    if connection.vendor == "sqlite" and "serviceengine_usagecount" in connection.introspection.table_names():
        counts.uninstall_usage(connection)


def _ensure_count_triggers(sender, using="default", **kwargs):
    """After every `migrate` (and test flush): the live-count and usage-count triggers are verified and reinstalled
    where a migration dropped them (serviceengine/perf/counts.py)."""
    from django.db import connections

    from .perf import counts

    connection = connections[using]
    if connection.vendor in ("postgresql", "sqlite"):
        counts.ensure_triggers(connection)
