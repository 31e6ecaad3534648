"""`python manage.py seed_demo` → idempotent demo data for the organization `demo`; prints a usable token last.

The demo token is derived from SECRET_KEY, so a second run finds it (and everything else) already there,
creates nothing, and prints the same token. Each app contributes through an optional `<app>.demo.seed()`.
"""
import hashlib
import hmac
import importlib

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from serviceengine.models import ApiToken, Organization, User, hash_token
from serviceengine.core.services import staff_role

DEMO_SLUG = "demo"
OWNER_EMAIL = "owner@demo.example.com"
# tags before orders and tickets: they tag by name and find the coloured demo tags.
APP_SEEDERS = (
    "clients.demo", "catalog.demo", "tags.demo", "orders.demo", "billing.demo", "support.demo", "engagements.demo",
    "subscriptions.demo",
)


def demo_token_value() -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), b"service-engine-x demo token", hashlib.sha256).hexdigest()
    return f"sx_demo_{digest[:40]}"


class Command(BaseCommand):
    help = "Create (once) demo data for the organization 'demo' and print its API token."

    @transaction.atomic
    def handle(self, *args, **options):
        org, _ = Organization.objects.get_or_create(slug=DEMO_SLUG, defaults={"name": "Demo Agency"})
        owner = User.objects.for_org(org).filter(email=OWNER_EMAIL).first()
        if owner is None:
            owner = User.all_objects.create(
                organization=org, email=OWNER_EMAIL, name_f="Dana", name_l="Owner", role=staff_role()
            )
        raw = demo_token_value()
        # unscoped: token hashes are unique across organizations (ApiToken.issue).
        if not ApiToken.unscoped.filter(token_hash=hash_token(raw)).exists():
            ApiToken.issue(organization=org, user=owner, name="Demo token", raw=raw)
        for module_name in APP_SEEDERS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                continue
            module.seed(organization=org, owner=owner)
        self.stdout.write(f"Demo organization: {org.slug} ({org.id})")
        self.stdout.write(raw)
