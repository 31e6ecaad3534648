
import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill_organization(apps, schema_editor):
    """Each junction row takes the organization of the row it hangs from (historical models, plain base managers)."""
    TicketEmployee = apps.get_model("support", "TicketEmployee")
    Ticket_ = apps.get_model("support", "Ticket")
    TicketEmployee._base_manager.update(
        organization_id=Subquery(Ticket_._base_manager.filter(pk=OuterRef("ticket_id")).values("organization_id")[:1])
    )
    TicketTag = apps.get_model("support", "TicketTag")
    Ticket_ = apps.get_model("support", "Ticket")
    TicketTag._base_manager.update(
        organization_id=Subquery(Ticket_._base_manager.filter(pk=OuterRef("ticket_id")).values("organization_id")[:1])
    )
    if schema_editor.connection.vendor == "postgresql":
        # Fire the new foreign keys' deferred checks now: PostgreSQL refuses to ALTER a table (NOT NULL, below)
        # that still has pending trigger events in the same transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0006_junction_org_and_org_leading_keys'),
        ('serviceengine', '0007_junction_org_and_org_leading_keys'),
        ('support', '0003_list_indexes'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='ticketemployee',
            options={'default_manager_name': 'all_objects', 'ordering': ['id']},
        ),
        migrations.AlterModelOptions(
            name='tickettag',
            options={'default_manager_name': 'all_objects', 'ordering': ['id']},
        ),
        migrations.AlterModelManagers(
            name='ticketemployee',
            managers=[
                ('all_objects', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name='tickettag',
            managers=[
                ('all_objects', django.db.models.manager.Manager()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name='ticketemployee',
            name='ticket_employee_unique',
        ),
        migrations.RemoveConstraint(
            model_name='tickettag',
            name='ticket_tag_unique',
        ),
        migrations.RemoveIndex(
            model_name='ticketmessage',
            name='ticket_message_created',
        ),
        migrations.AddField(
            model_name='ticketemployee',
            name='organization',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.AddField(
            model_name='tickettag',
            name='organization',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.RunPython(backfill_organization, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='ticketemployee',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.AlterField(
            model_name='tickettag',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.AddIndex(
            model_name='ticketmessage',
            index=models.Index(fields=['organization', 'ticket', 'created_at', 'id'], name='ticket_message_org_created'),
        ),
        migrations.AddConstraint(
            model_name='ticketemployee',
            constraint=models.UniqueConstraint(fields=('organization', 'ticket', 'user'), name='ticket_employee_unique_per_org'),
        ),
        migrations.AddConstraint(
            model_name='tickettag',
            constraint=models.UniqueConstraint(fields=('organization', 'ticket', 'tag'), name='ticket_tag_unique_per_org'),
        ),
    ]
