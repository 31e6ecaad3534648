from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.registry import register

        # engagements.md Decision 18; `data` is each object as its retrieve endpoint renders it.
        register(
            "engagement",
            types=["engagement.created", "engagement.updated", "engagement.closed"],
            render=legacy_renderer("engagements.views.EngagementViewSet"),
        )
        register(
            "project",
            types=["project.created", "project.updated", "project.deleted", "project.phase_changed"],
            render=legacy_renderer("engagements.views.ProjectViewSet"),
        )
        register(
            "conversation",
            types=["conversation.created", "conversation.updated", "conversation.deleted"],
            render=legacy_renderer("engagements.views.ConversationViewSet"),
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


def legacy_renderer(path: str):
    """The object as its retrieve endpoint renders it, through the viewset's own scoped queryset (these viewsets
    are not declared with `Resource` yet: issue 12a)."""

    def render(obj) -> dict:
        from types import SimpleNamespace

        from django.utils.module_loading import import_string

        from events.rendering import to_json_value

        view = import_string(path)()
        view.action = "retrieve"
        view.format_kwarg = None
        view.kwargs = {"pk": str(obj.pk)}
        view.request = SimpleNamespace(organization=obj.organization_id, query_params={}, user=None, auth=None)
        fresh = view.get_queryset().filter(pk=obj.pk).first() or obj
        return to_json_value(view.read(fresh))

    return render
