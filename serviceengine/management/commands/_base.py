"""Shared behaviour of the project's commands: bad input exits non-zero with a one-line reason and writes
nothing; success prints the created value as the last line of stdout."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from serviceengine.core.errors import DomainError
from serviceengine.models import Organization


class ContractCommand(BaseCommand):
    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                value = self.run(**options)
        except DomainError as exc:
            raise CommandError(exc.detail or exc.message) from None
        self.stdout.write(str(value))

    def run(self, **options):
        raise NotImplementedError

    @staticmethod
    def organization(slug: str) -> Organization:
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organization with slug {slug!r}.")
        return org
