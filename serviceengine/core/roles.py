"""The two global roles every installation starts with (contract §10.3): Administrator and Client."""
import uuid

LEVEL_FIELDS = (
    "dashboard_access", "order_access", "order_management", "ticket_access", "ticket_management",
    "invoice_access", "invoice_management", "clients", "services", "coupons", "forms", "messaging", "affiliates",
)
FLAG_FIELDS = (
    "settings_company", "settings_payments", "settings_team", "settings_modules", "settings_integrations",
    "settings_orders", "settings_tickets", "settings_accounts", "settings_messages", "settings_tags",
    "settings_sidebar", "settings_dashboard", "settings_templates", "settings_emails", "settings_language",
    "settings_logs",
)


def ensure_default_roles(role_model) -> None:
    """Create Administrator (all levels 3, all flags on) and Client (all 0, all off) when missing.

    Takes the model as an argument so the data migration can pass its historical model."""
    if not role_model.objects.filter(name="Administrator").exists():
        role_model.objects.create(
            id=uuid.uuid4(), name="Administrator", **{f: 3 for f in LEVEL_FIELDS}, **{f: True for f in FLAG_FIELDS}
        )
    if not role_model.objects.filter(name="Client").exists():
        role_model.objects.create(
            id=uuid.uuid4(), name="Client", **{f: 0 for f in LEVEL_FIELDS}, **{f: False for f in FLAG_FIELDS}
        )
