"""Client workflows. `client_create` is also used by billing (proposal sign, invoice by email)."""
from django.db import transaction
from django.utils import timezone

from serviceengine.models import Role, User


@transaction.atomic
def client_create(*, organization, email: str, name_f: str = "", name_l: str = "", **fields) -> User:
    """Create a client (the client role, status 1, balance 0, a generated affiliate id and link: contract
    §10.10). `email` must already be validated; it is stored lower-cased. Raises DomainError(500,
    "Client role not configured") when no client role exists. Uniqueness of the email within the
    organization is the caller's check (the database constraint backs it)."""
    role = Role.objects.client_role()
    aff_id, aff_link = User.new_affiliate()
    values = {
        "status": 1,
        "custom_fields": {},
        "created_at": timezone.now(),
        **{k: v for k, v in fields.items() if v is not None},
    }
    return User.all_objects.create(
        organization=organization,
        email=email.strip().lower(),
        name_f=name_f,
        name_l=name_l,
        role=role,
        aff_id=aff_id,
        aff_link=aff_link,
        **values,
    )


def user_by_email(*, organization, email: str) -> User | None:
    """The organization's user (any role) with this email, compared lower-cased."""
    return User.objects.for_org(organization).filter(email=email.strip().lower()).first()
