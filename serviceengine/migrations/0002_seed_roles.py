"""Seed the two global roles the contract assumes exist from the start (README §10.3)."""
from django.db import migrations

from serviceengine.core.roles import ensure_default_roles


def seed_roles(apps, schema_editor):
    ensure_default_roles(apps.get_model("serviceengine", "Role"))


class Migration(migrations.Migration):
    dependencies = [("serviceengine", "0001_initial")]

    operations = [migrations.RunPython(seed_roles, migrations.RunPython.noop)]
