from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.registry import client_attr, client_via, register
        from events.rendering import viewset_renderer

        # engagements.md Decision 18; `data` is each object as its retrieve endpoint renders it (a conversation
        # under the default `include_internal=false`), read through the viewset's resource. A message has no
        # retrieve endpoint: it renders as the messages list and its POST render it.
        register(
            "engagement",
            types=["engagement.created", "engagement.updated", "engagement.closed"],
            render=viewset_renderer("engagements.views.EngagementViewSet"),
            model="engagements.Engagement",
            client=client_attr("client_id"),
        )
        register(
            "project",
            types=["project.created", "project.updated", "project.deleted", "project.phase_changed"],
            render=viewset_renderer("engagements.views.ProjectViewSet"),
            model="engagements.Project",
            client=client_via("engagement", "client_id"),
        )
        register(
            "conversation",
            types=["conversation.created", "conversation.updated", "conversation.deleted"],
            render=viewset_renderer("engagements.views.ConversationViewSet"),
            model="engagements.Conversation",
            client=client_via("engagement", "client_id"),
        )
        register(
            "conversation_message",
            types=["conversation_message.created", "conversation_message.deleted"],
            render=viewset_renderer("engagements.views.ConversationMessageViewSet"),
            model="engagements.ConversationMessage",
            client=client_via("conversation", "engagement__client_id"),
        )
