"""The event log: one row per change made through a service (issue 13)."""
from django.db import models

from serviceengine.core.tenancy import TenantModel


class Event(TenantModel):
    """A change, as it was recorded in the change's own transaction. Immutable: nothing updates an event;
    the retention job deletes old ones. `data` is the object as its retrieve endpoint rendered it after the
    change (before it, for deletes); `previous_attributes` the changed top-level fields' old values."""

    type = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.UUIDField()
    data = models.JSONField(default=dict)
    previous_attributes = models.JSONField(default=dict)
    actor_type = models.CharField(max_length=20, default="system")
    actor_id = models.CharField(max_length=100, null=True, blank=True)
    actor_name = models.CharField(max_length=255, default="system")
    # The client the object is about (the registry's `client=`), stored when the event is recorded, for
    # `GET /api/clients/{id}/activity`. A plain id, not a foreign key: the log outlives the rows it tells about
    # (a deleted client's events stay until the retention purge), and a foreign key would bring an index of its
    # own that does not lead with the organization.
    client_id = models.UUIDField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        indexes = [
            # the list (newest first) and its filters all lead with the organization
            models.Index(fields=["organization", "-created_at", "id"], name="event_org_created"),
            models.Index(fields=["organization", "type", "-created_at"], name="event_org_type"),
            models.Index(fields=["organization", "object_id"], name="event_org_object"),
            # a client's activity, newest first (only the events about a client)
            models.Index(
                fields=["organization", "client_id", "-created_at", "id"],
                name="event_org_client",
                condition=models.Q(client_id__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.object_id}"

    @property
    def actor(self) -> dict:
        return {"type": self.actor_type, "id": self.actor_id, "name": self.actor_name}

    @property
    def object_ref(self) -> dict:
        return {"type": self.object_type, "id": str(self.object_id)}
