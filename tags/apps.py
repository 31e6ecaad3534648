from django.apps import AppConfig


class TagsConfig(AppConfig):
    """`/api/tags`: the API over `orders.Tag` (the model stays where orders and tickets link it)."""

    name = "tags"
    default_auto_field = "django.db.models.BigAutoField"
