from django.apps import AppConfig


class EventsConfig(AppConfig):
    """The event log (one event per change, in the change's transaction) and its registry of event types."""

    name = "events"
    default_auto_field = "django.db.models.BigAutoField"
