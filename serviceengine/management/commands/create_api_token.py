"""`python manage.py create_api_token ORG_SLUG [--user EMAIL] [--name NAME] [--expires-at ISO8601]
[--scope read|write] [--rate-limit N/second|minute|hour]` → prints the raw token, the only time it is ever shown
(only its SHA-256 hash is stored)."""
from django.core.management.base import CommandError
from django.utils import timezone

from serviceengine.api.fields import parse_datetime_input
from serviceengine.core.rates import normalize_rate
from serviceengine.models import User
from serviceengine.core.services import api_token_create

from ._base import ContractCommand


class Command(ContractCommand):
    help = (
        "Issue an API token for a team member of an organization and print it. Without --user, the "
        "organization's oldest team member is used (an 'API User' team member is created if there is none)."
    )

    def add_arguments(self, parser):
        parser.add_argument("org_slug")
        parser.add_argument("--user", default=None, help="email of a team member of the organization")
        parser.add_argument("--name", default="API token", help="a label for the token")
        parser.add_argument("--expires-at", default=None, dest="expires_at", help="ISO 8601 date-time (UTC if no offset)")
        parser.add_argument(
            "--scope", default="write", choices=["read", "write"], help="read: GET and HEAD only; write (default): every method"
        )
        parser.add_argument(
            "--rate-limit", default="", dest="rate_limit",
            help="this token's limit, N/second, N/minute or N/hour (default: the server's API_RATE_LIMIT)",
        )

    def run(self, *, org_slug, user, name, expires_at, scope="write", rate_limit="", **options):
        org = self.organization(org_slug)
        if not name.strip():
            raise CommandError("--name must not be empty.")
        if rate_limit:
            try:
                rate_limit = normalize_rate(rate_limit)
            except ValueError:
                raise CommandError(f"--rate-limit is N/second, N/minute or N/hour, got {rate_limit!r}") from None
        expiry = None
        if expires_at is not None:
            expiry = parse_datetime_input(expires_at)
            if expiry is None:
                raise CommandError(f"--expires-at is not an ISO 8601 date-time: {expires_at!r}")
            if expiry <= timezone.now():
                raise CommandError("--expires-at must be in the future.")
        member = None
        if user is not None:
            member = User.objects.for_org(org).filter(email=user.strip().lower()).select_related("role").first()
            if member is None:
                raise CommandError(f"No user {user!r} in organization {org_slug!r}.")
            if member.role.dashboard_access <= 0:
                raise CommandError(f"{user!r} is not a team member (their role has no dashboard access).")
        _token, raw = api_token_create(
            organization=org, user=member, name=name.strip(), expires_at=expiry, scope=scope, rate_limit=rate_limit
        )
        return raw
