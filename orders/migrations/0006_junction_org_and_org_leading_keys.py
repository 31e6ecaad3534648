
import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill_organization(apps, schema_editor):
    """Each junction row takes the organization of the row it hangs from (historical models, plain base managers)."""
    OrderEmployee = apps.get_model("orders", "OrderEmployee")
    Order_ = apps.get_model("orders", "Order")
    OrderEmployee._base_manager.update(
        organization_id=Subquery(Order_._base_manager.filter(pk=OuterRef("order_id")).values("organization_id")[:1])
    )
    OrderTag = apps.get_model("orders", "OrderTag")
    Order_ = apps.get_model("orders", "Order")
    OrderTag._base_manager.update(
        organization_id=Subquery(Order_._base_manager.filter(pk=OuterRef("order_id")).values("organization_id")[:1])
    )
    TaskEmployee = apps.get_model("orders", "TaskEmployee")
    OrderTask_ = apps.get_model("orders", "OrderTask")
    TaskEmployee._base_manager.update(
        organization_id=Subquery(OrderTask_._base_manager.filter(pk=OuterRef("task_id")).values("organization_id")[:1])
    )
    if schema_editor.connection.vendor == "postgresql":
        # Fire the new foreign keys' deferred checks now: PostgreSQL refuses to ALTER a table (NOT NULL, below)
        # that still has pending trigger events in the same transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0005_order_engagement_id'),
        ('serviceengine', '0007_junction_org_and_org_leading_keys'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='orderemployee',
            options={'default_manager_name': 'all_objects', 'ordering': ['id']},
        ),
        migrations.AlterModelOptions(
            name='ordertag',
            options={'default_manager_name': 'all_objects', 'ordering': ['id']},
        ),
        migrations.AlterModelOptions(
            name='taskemployee',
            options={'default_manager_name': 'all_objects', 'ordering': ['id']},
        ),
        migrations.AlterModelManagers(
            name='orderemployee',
            managers=[
                ('all_objects', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name='ordertag',
            managers=[
                ('all_objects', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name='taskemployee',
            managers=[
                ('all_objects', django.db.models.manager.Manager()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name='orderemployee',
            name='order_employee_unique',
        ),
        migrations.RemoveConstraint(
            model_name='ordertag',
            name='order_tag_unique',
        ),
        migrations.RemoveConstraint(
            model_name='taskemployee',
            name='task_employee_unique',
        ),
        migrations.RemoveIndex(
            model_name='ordermessage',
            name='message_order_created',
        ),
        migrations.RemoveIndex(
            model_name='ordertask',
            name='task_order_sort',
        ),
        migrations.AddField(
            model_name='orderemployee',
            name='organization',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.AddField(
            model_name='ordertag',
            name='organization',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.AddField(
            model_name='taskemployee',
            name='organization',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.RunPython(backfill_organization, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='orderemployee',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.AlterField(
            model_name='ordertag',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.AlterField(
            model_name='taskemployee',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='serviceengine.organization'),
        ),
        migrations.AddIndex(
            model_name='ordermessage',
            index=models.Index(fields=['organization', 'order', 'created_at', 'id'], name='message_org_order_created'),
        ),
        migrations.AddIndex(
            model_name='ordertask',
            index=models.Index(fields=['organization', 'order', 'sort_order', 'created_at', 'id'], name='task_org_order_sort'),
        ),
        migrations.AddConstraint(
            model_name='orderemployee',
            constraint=models.UniqueConstraint(fields=('organization', 'order', 'user'), name='order_employee_unique_per_org'),
        ),
        migrations.AddConstraint(
            model_name='ordertag',
            constraint=models.UniqueConstraint(fields=('organization', 'order', 'tag'), name='order_tag_unique_per_org'),
        ),
        migrations.AddConstraint(
            model_name='taskemployee',
            constraint=models.UniqueConstraint(fields=('organization', 'task', 'user'), name='task_employee_unique_per_org'),
        ),
    ]
