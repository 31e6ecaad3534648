"""Seed the two global roles the contract assumes exist from the start (README §10.3)."""
import uuid

from django.db import migrations

LEVELS = (
    "dashboard_access", "order_access", "order_management", "ticket_access", "ticket_management",
    "invoice_access", "invoice_management", "clients", "services", "coupons", "forms", "messaging", "affiliates",
)
FLAGS = (
    "settings_company", "settings_payments", "settings_team", "settings_modules", "settings_integrations",
    "settings_orders", "settings_tickets", "settings_accounts", "settings_messages", "settings_tags",
    "settings_sidebar", "settings_dashboard", "settings_templates", "settings_emails", "settings_language",
    "settings_logs",
)


def seed_roles(apps, schema_editor):
    Role = apps.get_model("serviceengine", "Role")
    if not Role.objects.filter(name="Administrator").exists():
        Role.objects.create(id=uuid.uuid4(), name="Administrator", **{f: 3 for f in LEVELS}, **{f: True for f in FLAGS})
    if not Role.objects.filter(name="Client").exists():
        Role.objects.create(id=uuid.uuid4(), name="Client", **{f: 0 for f in LEVELS}, **{f: False for f in FLAGS})


class Migration(migrations.Migration):
    dependencies = [("serviceengine", "0001_initial")]

    operations = [migrations.RunPython(seed_roles, migrations.RunPython.noop)]
