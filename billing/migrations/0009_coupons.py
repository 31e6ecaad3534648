
import django.db.models.functions.text
from django.db import migrations, models


def normalize_legacy_coupons(apps, schema_editor):
    """Coupons typed in the admin before issue 16: a free-text type becomes `fixed`, and a fixed coupon without a
    currency is in USD (the only currency invoices had). Of codes equal ignoring case in one organization the
    oldest stays live and the others are soft-deleted (their invoices keep them), so the new constraint holds."""
    from django.utils import timezone

    Coupon = apps.get_model('billing', 'Coupon')
    manager = Coupon._default_manager
    manager.exclude(type__in=['percent', 'fixed']).update(type='fixed')
    manager.filter(type='fixed', currency__isnull=True).update(currency='USD')
    seen = set()
    for coupon in manager.order_by('created_at', 'id').iterator():
        key = (coupon.organization_id, coupon.code.lower())
        if key in seen:
            manager.filter(pk=coupon.pk).update(deleted_at=timezone.now())
        seen.add(key)


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0008_proposalsignature_admin_method'),
        ('serviceengine', '0007_junction_org_and_org_leading_keys'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='coupon',
            options={'default_manager_name': 'all_objects', 'ordering': ['-created_at', 'id']},
        ),
        migrations.RemoveConstraint(
            model_name='coupon',
            name='coupon_code_unique_per_org',
        ),
        # The admin-only coupon's `discount` is the API's `amount` (issue 16).
        migrations.RenameField(model_name='coupon', old_name='discount', new_name='amount'),
        migrations.AddField(
            model_name='coupon',
            name='currency',
            field=models.CharField(blank=True, max_length=3, null=True),
        ),
        migrations.AddField(
            model_name='coupon',
            name='deleted_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='coupon',
            name='duration',
            field=models.CharField(choices=[('once', 'Once'), ('forever', 'Forever'), ('repeating', 'Repeating')], default='once', max_length=20),
        ),
        migrations.AddField(
            model_name='coupon',
            name='duration_in_periods',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='coupon',
            name='max_redemptions',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='coupon',
            name='service_ids',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='coupon',
            name='times_redeemed',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='invoice',
            name='discount',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=18),
        ),
        migrations.AlterField(
            model_name='coupon',
            name='type',
            field=models.CharField(choices=[('percent', 'Percent'), ('fixed', 'Fixed amount')], default='fixed', max_length=20),
        ),
        migrations.RunPython(normalize_legacy_coupons, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='coupon',
            index=models.Index(condition=models.Q(('deleted_at__isnull', True)), fields=['organization', '-created_at', 'id'], name='coupon_org_created'),
        ),
        migrations.AddConstraint(
            model_name='coupon',
            constraint=models.UniqueConstraint(models.F('organization'), django.db.models.functions.text.Lower('code'), condition=models.Q(('deleted_at__isnull', True)), name='coupon_org_code_ci_live'),
        ),
        migrations.AddConstraint(
            model_name='coupon',
            constraint=models.CheckConstraint(condition=models.Q(('max_redemptions__isnull', True), ('times_redeemed__lte', models.F('max_redemptions')), _connector='OR'), name='coupon_redemptions_within_max'),
        ),
    ]
