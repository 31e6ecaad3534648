from django.apps import AppConfig


class TeamConfig(AppConfig):
    """`/api/team`: read-only view of the organization's team members (users whose role has dashboard access)."""

    name = "team"
    default_auto_field = "django.db.models.BigAutoField"
