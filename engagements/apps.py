from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.registry import register
        from events.rendering import viewset_renderer

        # engagements.md Decision 18; `data` is each object as its retrieve endpoint renders it.
        register(
            "engagement",
            types=["engagement.created", "engagement.updated", "engagement.closed"],
            render=viewset_renderer("engagements.views.EngagementViewSet"),
        )
        register(
            "project",
            types=["project.created", "project.updated", "project.deleted", "project.phase_changed"],
            render=viewset_renderer("engagements.views.ProjectViewSet"),
        )
        register(
            "conversation",
            types=["conversation.created", "conversation.updated", "conversation.deleted"],
            render=viewset_renderer("engagements.views.ConversationViewSet"),
        )
        register(
            "conversation_message",
            types=["conversation_message.created", "conversation_message.deleted"],
            render=render_message,
        )


def render_message(message) -> dict:
    """A message has no retrieve endpoint: the Message object as the messages list renders it."""
    from events.rendering import to_json_value

    from .models import ConversationMessage
    from .serializers import MessageSerializer

    fresh = (
        ConversationMessage.with_deleted.for_org(message.organization_id)
        .select_related("sender", "sender__role")
        .filter(pk=message.pk)
        .first()
    )
    return to_json_value(MessageSerializer(fresh or message).data)
