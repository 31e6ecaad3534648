from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0006_junction_org_and_org_leading_keys'),
    ]

    operations = [
        migrations.AddField(
            model_name='invoice',
            name='charge_claimed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
