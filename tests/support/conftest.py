"""Fixtures of the support tests: a client with an address, an order, a second team member, expected shapes."""
from decimal import Decimal

import pytest

from serviceengine.api.fields import format_datetime
from tests import factories

LIST_KEYS = [
    "id", "subject", "user_id", "order_id", "status", "status_id", "source", "note", "form_data", "metadata",
    "tags", "employees", "client", "created_at", "updated_at", "last_message_at", "date_closed",
]
TICKET_KEYS = LIST_KEYS[:13] + ["order", "messages"] + LIST_KEYS[13:]


@pytest.fixture
def client_user(org):
    address = factories.make_address(org, line_2="Floor 2", state="Greater London", name_f="Ada", tax_id="GB1")
    return factories.make_client(
        org, email="ada@engines.example.com", name_f="Ada", name_l="Byron", company="Engines Ltd",
        phone="+44 20 0000", balance=Decimal("12.5"), address=address,
    )


@pytest.fixture
def order(org, client_user):
    return factories.make_order(org, client_user, service_name="Monthly SEO Package", price=Decimal("299.00"), status=1)


@pytest.fixture
def staff(org):
    return factories.make_team_member(org, email="alice@acme.example.com", name_f="Alice", name_l="Anders")


def role_body(role) -> dict:
    body = {"id": str(role.id), "name": role.name}
    body.update({f: getattr(role, f) for f in role.LEVEL_FIELDS})
    body.update({f: getattr(role, f) for f in role.FLAG_FIELDS})
    body.update({"created_at": format_datetime(role.created_at), "updated_at": format_datetime(role.updated_at)})
    return body


def address_body(address) -> dict | None:
    if address is None:
        return None
    keys = ["line_1", "line_2", "city", "state", "country", "postcode", "name_f", "name_l", "tax_id", "company_name",
            "company_vat"]
    return {
        "id": str(address.id),
        **{k: getattr(address, k) for k in keys},
        "created_at": format_datetime(address.created_at),
        "updated_at": format_datetime(address.updated_at),
    }


def client_body(user) -> dict:
    user.refresh_from_db()
    balance = f"{user.balance:.2f}"
    return {
        "id": str(user.id),
        "name": f"{user.name_f} {user.name_l}".strip(),
        "name_f": user.name_f,
        "name_l": user.name_l,
        "email": user.email,
        "company": user.company,
        "phone": user.phone,
        "balance": "0.00" if balance in ("0.00", "-0.00") else balance,
        "address": address_body(user.address),
        "role": role_body(user.role),
    }


def employee_body(user) -> dict:
    return {"id": str(user.id), "name_f": user.name_f, "name_l": user.name_l, "role_id": str(user.role_id)}
