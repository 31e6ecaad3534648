from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.registry import client_attr, client_via, register
        from events.rendering import viewset_renderer

        register(
            "order",
            types=["order.created", "order.updated", "order.deleted", "order.status_changed"],
            render=viewset_renderer("orders.views.OrderViewSet"),
            model="orders.Order",
            client=client_attr("user_id"),
        )
        register(
            "order_task",
            types=[f"order_task.{verb}" for verb in ("created", "updated", "deleted", "completed", "uncompleted")],
            render=viewset_renderer("orders.views.OrderTaskViewSet"),
            model="orders.OrderTask",
            client=client_via("order", "user_id"),
        )
        register(
            "order_message",
            types=["order_message.created", "order_message.deleted"],
            render=viewset_renderer("orders.views.OrderMessageViewSet"),
            model="orders.OrderMessage",
            client=client_via("order", "user_id"),
        )
