"""POST /api/tickets (contract tickets.md): shapes, defaults, validation, references and tenant isolation."""
import json
import uuid

import pytest
from django.utils import timezone

from orders.models import Tag
from serviceengine.api.fields import format_datetime
from support.models import Ticket, TicketEmployee, TicketTag
from tests import factories
from tests.helpers import assert_detail, assert_envelope
from tests.support.conftest import TICKET_KEYS, client_body, employee_body

URL = "/api/tickets"
CLIENT_MISSING = {"user_id": ["The specified client does not exist."]}
ORDER_MISSING = {"order_id": ["The specified order does not exist."]}
EMPLOYEE_MISSING = {"employees": ["The specified employee does not exist."]}


def post(api, body):
    return api.post(URL, data=body, format="json")


def test_create_minimal_ticket_returns_the_whole_object(api, client_user):
    response = post(api, {"user_id": str(client_user.id), "subject": "  Cannot access the report  "})
    assert response.status_code == 201, response.content
    body = response.json()
    assert list(body) == TICKET_KEYS
    ticket = Ticket.objects.for_org(client_user.organization).get()
    assert body == {
        "id": str(ticket.id),
        "subject": "Cannot access the report",
        "user_id": str(client_user.id),
        "order_id": None,
        "status": "Open",
        "status_id": 1,
        "source": "API",
        "note": None,
        "form_data": {},
        "metadata": {},
        "tags": [],
        "employees": [],
        "client": client_body(client_user),
        "order": None,
        "messages": [],
        "created_at": format_datetime(ticket.created_at),
        "updated_at": format_datetime(ticket.created_at),
        "last_message_at": None,
        "date_closed": None,
    }


def test_create_with_every_field(api, org, client_user, order, staff, owner):
    body = {
        "user_id": str(client_user.id),
        "subject": "Report",
        "status": 2,
        "order_id": str(order.id),
        "employees": [str(staff.id), str(owner.id)],
        "tags": ["urgent", "billing"],
        "note": "Customer needs assistance",
        "metadata": {"channel": "email", "nested": {"a": [1, 2.5, None, True]}, "empty": {}},
    }
    response = post(api, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "Pending" and data["status_id"] == 2
    assert data["order_id"] == str(order.id)
    assert data["order"] == {
        "id": str(order.id),
        "status": "In Progress",
        "service": "Monthly SEO Package",
        "price": 299.0,
        "quantity": 1,
        "created_at": format_datetime(order.created_at),
    }
    assert data["employees"] == [employee_body(staff), employee_body(owner)]
    assert data["tags"] == ["urgent", "billing"]
    assert data["note"] == "Customer needs assistance"
    assert data["metadata"] == body["metadata"]
    assert data["form_data"] == {} and data["source"] == "API"


def test_order_price_is_a_json_number(api, client_user, order):
    response = post(api, {"user_id": str(client_user.id), "subject": "S", "order_id": str(order.id)})
    raw = json.loads(response.content)
    assert isinstance(raw["order"]["price"], float) and raw["order"]["price"] == 299.0
    assert b'"price":299.0' in response.content.replace(b" ", b"")


def test_create_closed_leaves_date_closed_null(api, client_user):
    # contract defect 34: only updates stamp date_closed
    data = post(api, {"user_id": str(client_user.id), "subject": "S", "status": 3}).json()
    assert data["status"] == "Closed" and data["status_id"] == 3
    assert data["date_closed"] is None


@pytest.mark.parametrize("extra", [{"status": None}, {}])
def test_status_null_or_absent_is_open(api, client_user, extra):
    data = post(api, {"user_id": str(client_user.id), "subject": "S", **extra}).json()
    assert data["status_id"] == 1 and data["status"] == "Open"


@pytest.mark.parametrize("extra", [{"order_id": ""}, {"order_id": None}, {"note": None}, {"metadata": None},
                                   {"employees": None}, {"tags": None}, {"employees": [], "tags": []}])
def test_empty_or_null_optional_fields_are_absent(api, client_user, extra):
    response = post(api, {"user_id": str(client_user.id), "subject": "S", **extra})
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["order_id"], data["order"], data["note"], data["metadata"]) == (None, None, None, {})
    assert (data["employees"], data["tags"]) == ([], [])


def test_status_coercion(api, client_user):
    assert post(api, {"user_id": str(client_user.id), "subject": "S", "status": "3"}).json()["status_id"] == 3
    assert post(api, {"user_id": str(client_user.id), "subject": "S", "status": 2.0}).json()["status_id"] == 2


def test_any_user_of_the_organization_is_accepted(api, staff):
    data = post(api, {"user_id": str(staff.id), "subject": "Internal"}).json()
    assert data["user_id"] == str(staff.id)
    assert data["client"]["role"]["name"] == "Administrator"


def test_uppercase_user_id_is_accepted(api, client_user):
    assert post(api, {"user_id": str(client_user.id).upper(), "subject": "S"}).status_code == 201


def test_client_without_address_and_zero_balance(api, org):
    user = factories.make_client(org, company=None, phone=None)
    client = post(api, {"user_id": str(user.id), "subject": "S"}).json()["client"]
    assert client["address"] is None
    assert client["balance"] == "0.00"
    assert client == client_body(user)


def test_duplicates_collapse_keeping_first_occurrence(api, org, client_user, staff, owner):
    body = {
        "user_id": str(client_user.id),
        "subject": "S",
        "employees": [str(staff.id), str(owner.id), str(staff.id), str(staff.id).upper()],
        "tags": ["b", "a", "b"],
    }
    data = post(api, body).json()
    assert [e["id"] for e in data["employees"]] == [str(staff.id), str(owner.id)]
    assert data["tags"] == ["b", "a"]
    assert TicketEmployee.unscoped.count() == 2 and TicketTag.unscoped.count() == 2


def test_tags_are_found_or_created_per_organization(api, org, other_org, client_user):
    existing = Tag.unscoped.create(organization=org, name="vip")
    Tag.unscoped.create(organization=other_org, name="new")
    data = post(api, {"user_id": str(client_user.id), "subject": "S", "tags": ["vip", "new", "VIP"]}).json()
    # Names equal ignoring case are one tag, listed with its stored spelling (contract §10.5, clarifications).
    assert data["tags"] == ["vip", "new"]
    assert Tag.objects.for_org(org).filter(name="vip").get() == existing
    assert Tag.objects.for_org(org).count() == 2
    assert Tag.objects.for_org(other_org).count() == 1


def test_employees_in_assignment_order(api, org, client_user):
    members = [factories.make_team_member(org) for _ in range(3)]
    ids = [str(m.id) for m in reversed(members)]
    data = post(api, {"user_id": str(client_user.id), "subject": "S", "employees": ids}).json()
    assert [e["id"] for e in data["employees"]] == ids


# --- schema (400) ---------------------------------------------------------------------------------------------


def test_missing_required_fields(api):
    assert_envelope(post(api, {}), 400, {"user_id": ["Field required"], "subject": ["Field required"]})


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("user_id", None, "Input should be a valid string"),
        ("user_id", 5, "Input should be a valid string"),
        ("subject", None, "Input should be a valid string"),
        ("subject", "", "String should have at least 1 character"),
        ("subject", "   \n\t", "String should have at least 1 character"),
        ("subject", "x" * 256, "String should have at most 255 characters"),
        ("subject", ["x"], "Input should be a valid string"),
        ("status", 0, "Input should be greater than or equal to 1"),
        ("status", 4, "Input should be less than or equal to 3"),
        ("status", 1.5, "Input should be a valid integer, got a number with a fractional part"),
        ("status", "open", "Input should be a valid integer, unable to parse string as an integer"),
        ("status", [1], "Input should be a valid integer"),
        ("order_id", 5, "Input should be a valid string"),
        ("employees", "abc", "Input should be a valid list"),
        ("employees", {"a": 1}, "Input should be a valid list"),
        ("tags", "urgent", "Input should be a valid list"),
        ("note", 5, "Input should be a valid string"),
        ("metadata", [], "Input should be a valid dictionary"),
        ("metadata", "x", "Input should be a valid dictionary"),
        ("metadata", 3, "Input should be a valid dictionary"),
    ],
)
def test_schema_errors(api, client_user, field, value, message):
    body = {"user_id": str(client_user.id), "subject": "S", field: value}
    assert_envelope(post(api, body), 400, {field: [message]})


def test_subject_of_255_characters_is_accepted(api, client_user):
    assert post(api, {"user_id": str(client_user.id), "subject": "x" * 255}).status_code == 201


@pytest.mark.parametrize(
    "field,value,errors",
    [
        ("employees", ["ok", 5], {"employees.1": ["Input should be a valid string"]}),
        ("employees", [None], {"employees.0": ["Input should be a valid string"]}),
        ("tags", ["ok", ""], {"tags.1": ["String should have at least 1 character"]}),
        ("tags", [7], {"tags.0": ["Input should be a valid string"]}),
        ("tags", ["x" * 256], {"tags.0": ["String should have at most 255 characters"]}),
    ],
)
def test_array_element_errors_are_keyed_by_index(api, client_user, field, value, errors):
    assert_envelope(post(api, {"user_id": str(client_user.id), "subject": "S", field: value}), 400, errors)


def test_every_failing_field_is_listed_in_table_order(api):
    body = {"metadata": 1, "note": 1, "tags": 1, "employees": 1, "order_id": 1, "status": 9, "subject": "",
            "user_id": 1}
    response = post(api, body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [
        "user_id", "subject", "status", "order_id", "employees", "tags", "note", "metadata"
    ]


def test_metadata_with_a_null_character_is_a_400(api, client_user):
    body = {"user_id": str(client_user.id), "subject": "S", "metadata": {"a": ["x\u0000y"]}}
    assert_envelope(post(api, body), 400, {"metadata": ["String should not contain null characters"]})


def test_malformed_body(api):
    assert_envelope(api.post(URL, data="{", content_type="application/json"), 400, {"root": ["JSON decode error"]})
    assert_envelope(api.post(URL, data="", content_type="application/json"), 400, {"root": ["Field required"]})
    assert_envelope(
        api.post(URL, data="[]", content_type="application/json"),
        400,
        {"root": ["Input should be a valid dictionary or object to extract fields from"]},
    )


def test_schema_errors_come_before_reference_checks(api):
    body = {"user_id": str(uuid.uuid4()), "subject": " ", "order_id": str(uuid.uuid4())}
    assert_envelope(post(api, body), 400, {"subject": ["String should have at least 1 character"]})


def test_unauthenticated(anon, client_user):
    response = anon.post(URL, data={"user_id": str(client_user.id), "subject": "S"}, format="json")
    assert_detail(response, 401, "Unauthorized")


def test_unknown_fields_and_read_only_fields_are_ignored(api, client_user):
    body = {
        "user_id": str(client_user.id), "subject": "S", "source": "Email", "form_data": {"x": 1},
        "id": str(uuid.uuid4()), "date_closed": "2020-01-01", "last_message_at": "2020-01-01", "whatever": 1,
    }
    data = post(api, body).json()
    assert data["source"] == "API" and data["form_data"] == {}
    assert data["id"] != body["id"] and data["date_closed"] is None and data["last_message_at"] is None


# --- references (422) and tenant isolation -----------------------------------------------------------------------


@pytest.mark.parametrize("user_id", ["abc", "", str(uuid.uuid4()), "12345678-1234-1234-1234-12345678901"])
def test_unknown_user_is_422(api, user_id):
    assert_envelope(post(api, {"user_id": user_id, "subject": "S"}), 422, CLIENT_MISSING)


def test_other_organizations_client_is_422(api, other_org):
    foreign = factories.make_client(other_org)
    assert_envelope(post(api, {"user_id": str(foreign.id), "subject": "S"}), 422, CLIENT_MISSING)
    assert not Ticket.unscoped.exists()


@pytest.mark.parametrize("order_id", ["abc", str(uuid.uuid4())])
def test_unknown_order_is_422(api, client_user, order_id):
    body = {"user_id": str(client_user.id), "subject": "S", "order_id": order_id}
    assert_envelope(post(api, body), 422, ORDER_MISSING)


def test_other_organizations_order_is_422(api, client_user, other_org):
    foreign = factories.make_order(other_org)
    body = {"user_id": str(client_user.id), "subject": "S", "order_id": str(foreign.id)}
    assert_envelope(post(api, body), 422, ORDER_MISSING)


def test_soft_deleted_order_is_422(api, client_user, order):
    order.soft_delete()
    body = {"user_id": str(client_user.id), "subject": "S", "order_id": str(order.id)}
    assert_envelope(post(api, body), 422, ORDER_MISSING)


def test_order_of_another_client_of_the_organization_is_accepted(api, org, client_user):
    other_clients_order = factories.make_order(org)
    body = {"user_id": str(client_user.id), "subject": "S", "order_id": str(other_clients_order.id)}
    assert post(api, body).json()["order_id"] == str(other_clients_order.id)


@pytest.mark.parametrize("kind", ["client", "other_org_member", "unknown", "not_uuid", "empty"])
def test_bad_employee_is_422_without_the_id(api, org, other_org, client_user, staff, kind):
    bad = {
        "client": lambda: str(factories.make_client(org).id),
        "other_org_member": lambda: str(factories.make_team_member(other_org).id),
        "unknown": lambda: str(uuid.uuid4()),
        "not_uuid": lambda: "abc",
        "empty": lambda: "",
    }[kind]()
    body = {"user_id": str(client_user.id), "subject": "S", "employees": [str(staff.id), bad], "tags": ["fresh"]}
    assert_envelope(post(api, body), 422, EMPLOYEE_MISSING)
    assert not Ticket.unscoped.exists()
    assert not Tag.unscoped.filter(name="fresh").exists()


def test_user_is_checked_before_order_and_order_before_employees(api, client_user):
    bad_order = str(uuid.uuid4())
    body = {"user_id": str(uuid.uuid4()), "subject": "S", "order_id": bad_order, "employees": ["x"]}
    assert_envelope(post(api, body), 422, CLIENT_MISSING)
    body["user_id"] = str(client_user.id)
    assert_envelope(post(api, body), 422, ORDER_MISSING)


def test_created_ticket_belongs_to_the_token_organization(api, org, client_user, other_api):
    ticket_id = post(api, {"user_id": str(client_user.id), "subject": "S"}).json()["id"]
    assert Ticket.unscoped.get(pk=ticket_id).organization_id == org.id
    assert other_api.get(f"{URL}/{ticket_id}").status_code == 404


def test_created_at_equals_updated_at_on_create(api, client_user):
    before = timezone.now()
    data = post(api, {"user_id": str(client_user.id), "subject": "S"}).json()
    assert data["created_at"] == data["updated_at"]
    assert Ticket.unscoped.get(pk=data["id"]).created_at >= before
