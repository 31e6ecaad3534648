"""Plain factory functions: explicit organization, keyword overrides, no magic."""
import itertools
from decimal import Decimal

from django.utils import timezone

from serviceengine.models import Address, ApiToken, Organization, Role, User
from serviceengine.core.roles import ensure_default_roles

_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


def make_org(**over) -> Organization:
    # Transactional tests flush the tables, migration-seeded roles included: put them back first.
    ensure_default_roles(Role)
    i = n()
    fields = {"slug": f"org-{i}", "name": f"Org {i}"}
    fields.update(over)
    return Organization.objects.create(**fields)


def admin_role() -> Role:
    return Role.objects.get(name="Administrator")


def client_role() -> Role:
    return Role.objects.client_role()


def make_team_member(org, **over) -> User:
    i = n()
    fields = {"email": f"staff{i}@agency.example.com", "name_f": f"Staff{i}", "name_l": "Member", "role": admin_role()}
    fields.update(over)
    return User.unscoped.create(organization=org, **fields)


def make_address(org, **over) -> Address:
    fields = {"line_1": "12 Analytical Row", "city": "London", "country": "GB", "postcode": "N1 9GU"}
    fields.update(over)
    return Address.unscoped.create(organization=org, **fields)


def make_client(org, **over) -> User:
    i = n()
    aff_id, aff_link = User.new_affiliate()
    fields = {
        "email": f"client{i}@example.com",
        "name_f": f"Client{i}",
        "name_l": "Person",
        "role": client_role(),
        "aff_id": aff_id,
        "aff_link": aff_link,
        "balance": Decimal("0.00"),
    }
    fields.update(over)
    return User.unscoped.create(organization=org, **fields)


def make_token(org, user=None, **over) -> tuple[ApiToken, str]:
    user = user or make_team_member(org)
    token, raw = ApiToken.issue(organization=org, user=user, **over)
    # Stamp last_used_at so the throttled write stays out of query counts (STYLE §6).
    ApiToken.unscoped.filter(pk=token.pk).update(last_used_at=timezone.now())
    token.refresh_from_db()
    return token, raw


def make_service(org, **over):
    from catalog.models import Service

    fields = {"name": f"Service {n()}", "price": Decimal("100.00"), "currency": "USD", "recurring": 0}
    fields.update(over)
    return Service.unscoped.create(organization=org, **fields)


def make_order(org, client=None, **over):
    from orders.models import Order

    client = client or make_client(org)
    fields = {"number": f"N{n():07d}", "user": client, "service_name": "Custom work", "price": Decimal("0.00")}
    fields.update(over)
    return Order.unscoped.create(organization=org, **fields)
