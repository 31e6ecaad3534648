from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.registry import client_attr, client_via, register
        from events.rendering import viewset_renderer

        register(
            "ticket",
            types=["ticket.created", "ticket.updated", "ticket.deleted", "ticket.closed"],
            render=viewset_renderer("support.views.TicketViewSet"),
            model="support.Ticket",
            client=client_attr("user_id"),
        )
        # A message has no retrieve endpoint: `data` is the message as `GET /api/tickets/{id}/messages` lists it.
        register(
            "ticket_message",
            types=["ticket_message.created", "ticket_message.deleted"],
            render=viewset_renderer("support.views.TicketMessageViewSet"),
            model="support.TicketMessage",
            client=client_via("ticket", "user_id"),
        )
