from django.apps import AppConfig


class SearchConfig(AppConfig):
    """`GET /api/search` and the full-text (GIN) indexes behind it and behind every list's `search=`."""

    name = "search"
    default_auto_field = "django.db.models.BigAutoField"
