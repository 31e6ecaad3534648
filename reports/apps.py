from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Read-only reports over the organization's data (`/api/reports/*`) and the admin dashboard built on them."""

    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"
