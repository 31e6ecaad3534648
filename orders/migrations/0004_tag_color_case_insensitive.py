"""Tags: a colour, and names unique per organization ignoring case. Tags that differ only in case are merged into
the oldest one first (their order and ticket links move to it), so the new constraint can be created."""
import django.db.models.functions.text
from django.db import migrations, models


def merge_case_duplicates(apps, schema_editor):
    Tag = apps.get_model("orders", "Tag")
    OrderTag = apps.get_model("orders", "OrderTag")
    TicketTag = apps.get_model("support", "TicketTag")
    keep = {}
    for tag in Tag._default_manager.order_by("created_at", "id").iterator():
        key = (tag.organization_id, tag.name.lower())
        survivor = keep.setdefault(key, tag)
        if survivor.pk == tag.pk:
            continue
        for link_model, parent in ((OrderTag, "order_id"), (TicketTag, "ticket_id")):
            linked = set(link_model.objects.filter(tag_id=survivor.pk).values_list(parent, flat=True))
            for link in link_model.objects.filter(tag_id=tag.pk):
                if getattr(link, parent) in linked:
                    link.delete()
                else:
                    link.tag_id = survivor.pk
                    link.save(update_fields=["tag"])
        tag.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0003_list_indexes"),
        ("serviceengine", "0005_live_counts"),
        ("support", "0003_list_indexes"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="tag",
            name="tag_name_unique_per_org",
        ),
        migrations.AddField(
            model_name="tag",
            name="color",
            field=models.CharField(blank=True, max_length=7, null=True),
        ),
        migrations.RunPython(merge_case_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="tag",
            constraint=models.UniqueConstraint(
                models.F("organization"),
                django.db.models.functions.text.Lower("name"),
                name="tag_name_ci_unique_per_org",
            ),
        ),
    ]
