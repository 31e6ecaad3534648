"""`python manage.py create_team_member ORG_SLUG EMAIL --name-f FIRST --name-l LAST` → prints the user id."""
from django.core.management.base import CommandError
from email_validator import EmailNotValidError, validate_email

from serviceengine.models import Role
from serviceengine.core.services import team_member_create

from ._base import ContractCommand


class Command(ContractCommand):
    help = "Create a team member (a user whose role has dashboard access) in an organization. Prints its id."

    def add_arguments(self, parser):
        parser.add_argument("org_slug")
        parser.add_argument("email")
        parser.add_argument("--name-f", required=True, dest="name_f", help="first name")
        parser.add_argument("--name-l", required=True, dest="name_l", help="last name")
        parser.add_argument("--role", default=None, help="role name (default: the highest role with dashboard access)")

    def run(self, *, org_slug, email, name_f, name_l, role, **options):
        org = self.organization(org_slug)
        try:
            validate_email(email.strip(), check_deliverability=False)
        except EmailNotValidError as exc:
            raise CommandError(f"Invalid email: {exc}") from None
        if not name_f.strip() or not name_l.strip():
            raise CommandError("--name-f and --name-l must not be empty.")
        role_obj = None
        if role is not None:
            role_obj = Role.objects.filter(name=role).first()
            if role_obj is None:
                raise CommandError(f"No role named {role!r}.")
        return team_member_create(organization=org, email=email, name_f=name_f, name_l=name_l, role=role_obj).id
