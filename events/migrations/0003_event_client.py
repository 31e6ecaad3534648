"""`Event.client_id` (the client an event is about, for `GET /api/clients/{id}/activity`) and its index, and the
backfill of the events recorded before it: the client is read from each event's `data` (the object as it was
rendered), through the parent row where the object only names its parent (a task's order, a message's ticket or
conversation). Events whose client cannot be found (a proposal to an e-mail that never became a client, a parent
deleted since) keep none."""
import uuid

from django.db import migrations, models

BATCH = 1000


def _uuid(value):
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _nested(data, key, field):
    inner = data.get(key)
    return inner.get(field) if isinstance(inner, dict) else None


# object type → how its client is read from the event (a client's own events: the object itself).
DIRECT = {
    "client": lambda event: event.object_id,
    "order": lambda event: _uuid(event.data.get("user_id")),
    "ticket": lambda event: _uuid(event.data.get("user_id")),
    "invoice": lambda event: _uuid(_nested(event.data, "client", "id")),
    "engagement": lambda event: _uuid(event.data.get("client_id")),
    "project": lambda event: _uuid(_nested(event.data, "engagement", "client_id")),
}
VIA_PARENT = {  # object type → (parent key in data, parent model, the client's path from it)
    "order_task": ("order_id", ("orders", "Order"), "user_id"),
    "order_message": ("order_id", ("orders", "Order"), "user_id"),
    "ticket_message": ("ticket_id", ("support", "Ticket"), "user_id"),
    "conversation": ("engagement_id", ("engagements", "Engagement"), "client_id"),
    "conversation_message": ("conversation_id", ("engagements", "Conversation"), "engagement__client_id"),
}


def backfill_client(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    User = apps.get_model("serviceengine", "User")
    types = [*DIRECT, *VIA_PARENT, "proposal"]
    pending = Event._base_manager.filter(client_id__isnull=True, object_type__in=types).order_by("pk")
    last = None
    while True:
        batch_qs = pending if last is None else pending.filter(pk__gt=last)
        batch = list(batch_qs.only("id", "organization_id", "object_type", "object_id", "data")[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        wanted = {}  # (parent model, path) → {parent id}
        for event in batch:
            event.data = event.data if isinstance(event.data, dict) else {}
            if event.object_type in VIA_PARENT:
                key, model, path = VIA_PARENT[event.object_type]
                parent = _uuid(event.data.get(key))
                if parent:
                    wanted.setdefault((model, path), set()).add(parent)
        found = {}
        for (model, path), ids in wanted.items():
            rows = apps.get_model(*model)._base_manager.filter(pk__in=ids).values_list("pk", path)
            found[(model, path)] = dict(rows)
        emails = {
            (e.organization_id, str(e.data.get("client_email") or "").strip().lower())
            for e in batch if e.object_type == "proposal"
        }
        users = {}
        for organization_id in {org for org, _email in emails}:
            addresses = [email for org, email in emails if org == organization_id and email]
            rows = User._base_manager.filter(organization_id=organization_id, email__in=addresses)
            users.update({(organization_id, email): pk for pk, email in rows.values_list("pk", "email")})
        changed = []
        for event in batch:
            if event.object_type in DIRECT:
                client = DIRECT[event.object_type](event)
            elif event.object_type in VIA_PARENT:
                key, model, path = VIA_PARENT[event.object_type]
                client = found.get((model, path), {}).get(_uuid(event.data.get(key)))
            else:
                client = users.get((event.organization_id, str(event.data.get("client_email") or "").strip().lower()))
            if client:
                event.client_id = client
                changed.append(event)
        Event._base_manager.bulk_update(changed, ["client_id"])


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0002_remove_event_event_created'),
        ('serviceengine', '0007_junction_org_and_org_leading_keys'),
        ('orders', '0006_junction_org_and_org_leading_keys'),
        ('support', '0004_junction_org_and_org_leading_keys'),
        ('engagements', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='client_id',
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(('client_id__isnull', False)), fields=['organization', 'client_id', '-created_at', 'id'], name='event_org_client'),
        ),
        migrations.RunPython(backfill_client, migrations.RunPython.noop),
    ]
