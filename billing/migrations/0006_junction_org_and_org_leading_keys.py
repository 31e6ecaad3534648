
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0005_proposal_converted_engagement'),
        ('serviceengine', '0007_junction_org_and_org_leading_keys'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='payment',
            name='one_payment_per_invoice',
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.UniqueConstraint(fields=('organization', 'invoice'), name='one_payment_per_invoice_per_org'),
        ),
    ]
