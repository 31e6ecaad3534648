"""`python manage.py create_org SLUG --name "NAME"` → prints the new organization's id."""
from django.core.management.base import CommandError

from serviceengine.models import Organization
from serviceengine.core.services import organization_create

from ._base import ContractCommand


class Command(ContractCommand):
    help = "Create an organization (the tenant). Prints its id."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="unique, lowercase words joined by hyphens, e.g. acme-studio")
        parser.add_argument("--name", required=True, help="display name")

    def run(self, *, slug, name, **options):
        name = name.strip()
        if not name:
            raise CommandError("--name must not be empty.")
        if Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"An organization with slug {slug!r} already exists.")
        return organization_create(slug=slug, name=name).id
