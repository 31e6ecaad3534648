from django.apps import AppConfig


class TagsConfig(AppConfig):
    """`/api/tags`: the API over `orders.Tag` (the model stays where orders and tickets link it)."""

    name = "tags"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.registry import register

        register("tag", types=["tag.created", "tag.updated", "tag.deleted"], render=render_tag, model="orders.Tag")


def render_tag(tag) -> dict:
    """The tag as `GET /api/tags/{id}` renders it, usage counts included (read through the resource). A row that
    already carries both counts (a tag just created by name from an order or ticket: 0 and 0) renders as it is."""
    from events.rendering import to_json_value, viewset_renderer

    from .serializers import TagSerializer

    if hasattr(tag, "orders_count") and hasattr(tag, "tickets_count"):
        return to_json_value(TagSerializer(tag).data)
    return viewset_renderer("tags.views.TagViewSet")(tag)
