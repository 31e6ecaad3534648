
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('serviceengine', '0006_token_scope_rate_limit'),
    ]

    operations = [
        migrations.AlterField(
            model_name='apitoken',
            name='token_hash',
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AddIndex(
            model_name='apitoken',
            index=models.Index(fields=['token_hash'], name='token_hash_lookup'),
        ),
        migrations.AddConstraint(
            model_name='apitoken',
            constraint=models.UniqueConstraint(fields=('organization', 'token_hash'), name='api_token_hash_unique_per_org'),
        ),
    ]
