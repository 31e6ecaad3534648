
import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill_organization(apps, schema_editor):
    """Each junction row takes the organization of the row it hangs from (historical models, plain base managers)."""
    ServiceEmployee = apps.get_model("catalog", "ServiceEmployee")
    Service_ = apps.get_model("catalog", "Service")
    ServiceEmployee._base_manager.update(
        organization_id=Subquery(Service_._base_manager.filter(pk=OuterRef("service_id")).values("organization_id")[:1])
    )
    if schema_editor.connection.vendor == "postgresql":
        # Fire the new foreign keys' deferred checks now: PostgreSQL refuses to ALTER a table (NOT NULL, below)
        # that still has pending trigger events in the same transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0003_list_indexes'),
        ('serviceengine', '0007_junction_org_and_org_leading_keys'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='serviceemployee',
            options={'default_manager_name': 'all_objects', 'ordering': ['id']},
        ),
        migrations.AlterModelManagers(
            name='serviceemployee',
            managers=[
                ('all_objects', django.db.models.manager.Manager()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name='serviceemployee',
            name='service_employee_unique',
        ),
        migrations.AddField(
            model_name='serviceemployee',
            name='organization',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.RunPython(backfill_organization, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='serviceemployee',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.AddConstraint(
            model_name='serviceemployee',
            constraint=models.UniqueConstraint(fields=('organization', 'service', 'user'), name='service_employee_unique_per_org'),
        ),
    ]
