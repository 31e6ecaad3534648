from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Background jobs on Django's Tasks API (the `django-tasks` backport): periodic jobs without cron, and the
    `db_worker` command that also schedules them."""

    name = "jobs"
    default_auto_field = "django.db.models.BigAutoField"
