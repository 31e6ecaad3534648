"""`/api/orders`: list, create, retrieve, update, delete (contract orders.md)."""
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from events.models import Event
from orders.models import Order, OrderEmployee, OrderTag, Tag
from orders.services import set_order_employees, set_order_tags, tags_find_or_create
from serviceengine.api.fields import format_datetime
from tests import factories
from tests.helpers import (
    assert_constant_queries,
    assert_detail,
    assert_envelope,
    count_queries,
)
from tests.orders.factories import make_message, make_order, make_task

URL = "/api/orders"
NUMBER = re.compile(r"[A-Z0-9]{8}")


def detail(order_id):
    return f"{URL}/{order_id}"


def post(api, body):
    return api.post(URL, data=body, format="json")


def put(api, order_id, body):
    return api.put(detail(order_id), data=body, format="json")


@pytest.fixture
def client_user(org):
    address = factories.make_address(org, line_2=None, state="Greater London")
    return factories.make_client(
        org, email="ada@engines.example.com", name_f="Ada", name_l="Byron", company="Engines Ltd", address=address
    )


@pytest.fixture
def service(org):
    return factories.make_service(org, name="Monthly SEO Package", price=Decimal("299.00"), currency="EUR")


def client_object(user):
    address = user.address
    return {
        "id": str(user.id),
        "name": f"{user.name_f} {user.name_l}".strip(),
        "name_f": user.name_f,
        "name_l": user.name_l,
        "email": user.email,
        "company": user.company,
        "phone": user.phone,
        "address": None
        if address is None
        else {
            "id": str(address.id),
            "line_1": address.line_1,
            "line_2": address.line_2,
            "city": address.city,
            "state": address.state,
            "postcode": address.postcode,
            "country": address.country,
        },
        "role": {"id": str(user.role.id), "name": user.role.name},
    }


def employee_object(user):
    return {"id": str(user.id), "name_f": user.name_f, "name_l": user.name_l, "role_id": str(user.role_id)}


# --- create ---------------------------------------------------------------------------------------------------


def test_create_with_service_returns_the_full_order(api, org, owner, client_user, service):
    body = {
        "user_id": str(client_user.id),
        "service_id": str(service.id),
        "status": 1,
        "employees": [str(owner.id)],
        "tags": ["priority", "vip"],
        "note": "Rush job",
        "metadata": [{"title": "source", "value": "api"}],
        "date_due": "2026-02-21",
    }
    response = post(api, body)
    assert response.status_code == 201, response.content
    data = response.json()
    order = Order.unscoped.get(pk=data["id"])
    assert NUMBER.fullmatch(data["number"])
    assert data == {
        "id": str(order.id),
        "number": order.number,
        "created_at": format_datetime(order.created_at),
        "updated_at": format_datetime(order.updated_at),
        "last_message_at": None,
        "date_started": None,
        "date_completed": None,
        "date_due": "2026-02-21T00:00:00+00:00",
        "client": client_object(client_user),
        "tags": ["priority", "vip"],
        "status": "In Progress",
        "status_id": 1,
        "price": "299.00",
        "quantity": 1,
        "invoice_id": None,
        "service": "Monthly SEO Package",
        "service_id": str(service.id),
        "user_id": str(client_user.id),
        "employees": [employee_object(owner)],
        "note": "Rush job",
        "form_data": {},
        "paysys": None,
        "currency": "EUR",
        "metadata": {"source": "api"},
        "engagement_id": None,  # engagements.md: only proposal sign sets it
    }
    assert list(data)[:9] == [
        "id", "number", "created_at", "updated_at", "last_message_at", "date_started", "date_completed", "date_due",
        "client",
    ]
    assert list(data)[9:] == [
        "tags", "status", "status_id", "price", "quantity", "invoice_id", "service", "service_id", "user_id",
        "employees", "note", "form_data", "paysys", "currency", "metadata", "engagement_id",
    ]
    assert data["created_at"] == data["updated_at"]
    assert order.organization_id == org.id


def test_create_answers_the_retrieve_body_byte_for_byte_and_the_event_data(api, org, owner, client_user, service):
    # The create body is the `order.created` event's rendering (orders/views.py), not a read of its own.
    body = {
        "user_id": str(client_user.id), "service_id": str(service.id), "employees": [str(owner.id)],
        "tags": ["Priority", "vip"], "note": "Rush é\u2028job", "metadata": [{"title": "a", "value": "b"}],
        "date_started": "2026-01-02T03:04:05.678+02:00", "created_at": "2025-12-01",
    }
    response = post(api, body)
    assert response.status_code == 201, response.content
    retrieved = api.get(detail(response.json()["id"]))
    assert response.content == retrieved.content
    assert response["Content-Type"] == retrieved["Content-Type"]
    [event] = Event.objects.for_org(org).filter(type="order.created")
    assert event.data == response.json()


def test_create_with_only_a_custom_service_name(api, client_user):
    response = post(api, {"user_id": str(client_user.id), "service": "Custom logo"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["service"], data["service_id"], data["price"], data["currency"]) == ("Custom logo", None, "0.00", "USD")
    assert (data["status"], data["status_id"], data["quantity"], data["tags"], data["employees"]) == ("Unpaid", 0, 1, [], [])
    assert data["metadata"] == {} and data["form_data"] == {} and data["paysys"] is None


def test_create_with_service_and_custom_name_keeps_the_name_but_snapshots_price(api, client_user, service):
    response = post(api, {"user_id": str(client_user.id), "service_id": str(service.id), "service": "Special SEO"})
    data = response.json()
    assert (data["service"], data["service_id"], data["price"], data["currency"]) == (
        "Special SEO", str(service.id), "299.00", "EUR",
    )


def test_create_with_a_service_without_price_or_currency(api, org, client_user):
    service = factories.make_service(org, name="Free consult", price=None, currency="")
    data = post(api, {"user_id": str(client_user.id), "service_id": str(service.id)}).json()
    assert (data["price"], data["currency"]) == ("0.00", "USD")


def test_service_changes_after_creation_do_not_touch_the_snapshot(api, client_user, service):
    order_id = post(api, {"user_id": str(client_user.id), "service_id": str(service.id)}).json()["id"]
    service.name, service.price, service.currency = "Renamed", Decimal("1.00"), "GBP"
    service.save()
    data = api.get(detail(order_id)).json()
    assert (data["service"], data["price"], data["currency"]) == ("Monthly SEO Package", "299.00", "EUR")


def test_create_leaves_client_and_service_rows_unchanged(api, client_user, service):
    before_client, before_service = client_user.updated_at, service.updated_at
    post(api, {"user_id": str(client_user.id), "service_id": str(service.id)})
    client_user.refresh_from_db()
    service.refresh_from_db()
    assert (client_user.updated_at, service.updated_at) == (before_client, before_service)


def test_a_team_member_is_accepted_as_the_client(api, owner):
    response = post(api, {"user_id": str(owner.id), "service": "Internal"})
    assert response.status_code == 201
    assert response.json()["client"]["role"]["name"] == "Administrator"


def test_client_without_address(api, org):
    user = factories.make_client(org)
    data = post(api, {"user_id": str(user.id), "service": "X"}).json()
    assert data["client"] == client_object(user)
    assert data["client"]["address"] is None


def test_client_name_is_trimmed(api, org):
    user = factories.make_client(org, name_f="Ada", name_l="")
    assert post(api, {"user_id": str(user.id), "service": "X"}).json()["client"]["name"] == "Ada"


def test_custom_number_is_kept(api, client_user):
    data = post(api, {"user_id": str(client_user.id), "service": "X", "number": "CUSTOM-1"}).json()
    assert data["number"] == "CUSTOM-1"


def test_empty_number_is_generated(api, client_user):
    assert NUMBER.fullmatch(post(api, {"user_id": str(client_user.id), "service": "X", "number": ""}).json()["number"])


def test_number_taken_in_the_organization_is_400(api, org, client_user):
    make_order(org, number="TAKEN001")
    response = post(api, {"user_id": str(client_user.id), "service": "X", "number": "TAKEN001"})
    assert_envelope(response, 400, {"number": ["The order number has already been taken."]})


def test_number_of_a_soft_deleted_order_is_still_taken(api, org, client_user):
    make_order(org, number="GONE0001", deleted_at=timezone.now())
    response = post(api, {"user_id": str(client_user.id), "service": "X", "number": "GONE0001"})
    assert_envelope(response, 400, {"number": ["The order number has already been taken."]})


def test_number_of_another_organization_is_free(api, other_org, client_user):
    make_order(other_org, number="SHARED01")
    response = post(api, {"user_id": str(client_user.id), "service": "X", "number": "SHARED01"})
    assert response.status_code == 201 and response.json()["number"] == "SHARED01"


def test_generated_numbers_are_unique(api, client_user):
    numbers = {post(api, {"user_id": str(client_user.id), "service": "X"}).json()["number"] for _ in range(10)}
    assert len(numbers) == 10 and all(NUMBER.fullmatch(n) for n in numbers)


def test_generated_number_collision_is_retried_through_the_api(api, org, client_user, monkeypatch):
    make_order(org, number="COLLIDE1")
    draws = iter(["COLLIDE1", "COLLIDE1", "FRESH001"])
    monkeypatch.setattr("orders.services.order_number_generate", lambda: next(draws))
    response = post(api, {"user_id": str(client_user.id), "service": "X"})
    assert response.status_code == 201, response.content
    assert response.json()["number"] == "FRESH001"


@pytest.mark.parametrize(
    "status_id,label", [(0, "Unpaid"), (1, "In Progress"), (2, "Completed"), (3, "Cancelled"), (4, "On Hold")]
)
def test_status_label_and_id(api, client_user, status_id, label):
    data = post(api, {"user_id": str(client_user.id), "service": "X", "status": status_id}).json()
    assert (data["status"], data["status_id"]) == (label, status_id)


def test_status_string_integer_is_coerced(api, client_user):
    assert post(api, {"user_id": str(client_user.id), "service": "X", "status": "3"}).json()["status_id"] == 3


def test_unknown_stored_status_reads_unknown(api, org):
    order = make_order(org, status=9)
    assert api.get(detail(order.id)).json()["status"] == "Unknown"


@pytest.mark.parametrize(
    "value,message",
    [
        (-1, "Input should be greater than or equal to 0"),
        (5, "Input should be less than or equal to 4"),
        (1.5, "Input should be a valid integer, got a number with a fractional part"),
        ("x", "Input should be a valid integer, unable to parse string as an integer"),
        ([], "Input should be a valid integer"),
    ],
)
def test_status_schema_errors(api, client_user, value, message):
    assert_envelope(post(api, {"user_id": str(client_user.id), "service": "X", "status": value}), 400, {"status": [message]})


def test_user_id_is_required(api):
    assert_envelope(post(api, {"service": "X"}), 400, {"user_id": ["Field required"]})


@pytest.mark.parametrize("value", [None, 5, ["a"]])
def test_user_id_must_be_a_string(api, value):
    assert_envelope(post(api, {"user_id": value, "service": "X"}), 400, {"user_id": ["Input should be a valid string"]})


def test_schema_errors_are_listed_together_in_table_order(api):
    response = post(
        api,
        {
            "date_due": "soon",
            "metadata": "x",
            "tags": [1],
            "employees": "x",
            "status": 9,
            "service": 3,
            "service_id": 4,
            "note": 1,
            "number": 2,
            "created_at": "yesterday",
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "user_id": ["Field required"],
        "service_id": ["Input should be a valid string"],
        "service": ["Input should be a valid string"],
        "status": ["Input should be less than or equal to 4"],
        "employees": ["Input should be a valid list"],
        "tags.0": ["Input should be a valid string"],
        "note": ["Input should be a valid string"],
        "number": ["Input should be a valid string"],
        "metadata": ["Input should be a valid list"],
        "created_at": ["Input should be a valid datetime"],
        "date_due": ["Input should be a valid datetime"],
    }


def test_over_long_strings_are_rejected(api, client_user):
    response = post(api, {"user_id": str(client_user.id), "service": "s" * 256, "number": "n" * 51, "tags": ["t" * 256]})
    assert_envelope(
        response,
        400,
        {
            "service": ["String should have at most 255 characters"],
            "tags.0": ["String should have at most 255 characters"],
            "number": ["String should have at most 50 characters"],
        },
    )


def test_empty_tag_name_is_rejected(api, client_user):
    response = post(api, {"user_id": str(client_user.id), "service": "X", "tags": ["ok", ""]})
    assert_envelope(response, 400, {"tags.1": ["String should have at least 1 character"]})


def test_non_string_employee_is_a_schema_error(api, client_user):
    response = post(api, {"user_id": str(client_user.id), "service": "X", "employees": ["x", 5]})
    assert_envelope(response, 400, {"employees.1": ["Input should be a valid string"]})


def test_user_id_not_a_uuid(api):
    assert_envelope(post(api, {"user_id": "nope", "service": "X"}), 400, {"user_id": ["The user_id must be a valid UUID."]})


def test_user_id_format_is_checked_before_the_service_presence(api):
    assert_envelope(post(api, {"user_id": "nope"}), 400, {"user_id": ["The user_id must be a valid UUID."]})


def test_unknown_client(api):
    response = post(api, {"user_id": str(uuid.uuid4()), "service": "X"})
    assert_envelope(response, 422, {"user_id": ["The specified client does not exist."]})


def test_client_of_another_organization(api, other_org):
    stranger = factories.make_client(other_org)
    response = post(api, {"user_id": str(stranger.id), "service": "X"})
    assert_envelope(response, 422, {"user_id": ["The specified client does not exist."]})


def test_unknown_client_is_checked_before_the_service_presence(api):
    response = post(api, {"user_id": str(uuid.uuid4())})
    assert_envelope(response, 422, {"user_id": ["The specified client does not exist."]})


@pytest.mark.parametrize("body", [{}, {"service_id": "", "service": ""}, {"service_id": None, "service": None}])
def test_service_or_service_id_is_required(api, client_user, body):
    response = post(api, {"user_id": str(client_user.id), **body})
    assert_envelope(response, 400, {"service": ["Either service_id or service must be provided."]})


def test_empty_service_id_with_a_name_is_a_custom_order(api, client_user):
    data = post(api, {"user_id": str(client_user.id), "service_id": "", "service": "Custom"}).json()
    assert (data["service_id"], data["service"]) == (None, "Custom")


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted"])
def test_service_that_does_not_exist(api, org, other_org, client_user, kind):
    service_id = {
        "malformed": lambda: "nope",
        "unknown": lambda: str(uuid.uuid4()),
        "other_org": lambda: str(factories.make_service(other_org).id),
        "deleted": lambda: str(factories.make_service(org, deleted_at=timezone.now()).id),
    }[kind]()
    response = post(api, {"user_id": str(client_user.id), "service_id": service_id, "service": "X"})
    assert_envelope(response, 422, {"service_id": ["The specified service does not exist."]})


def test_service_is_checked_before_employees(api, client_user):
    response = post(api, {"user_id": str(client_user.id), "service_id": "nope", "employees": ["bad"]})
    assert_envelope(response, 422, {"service_id": ["The specified service does not exist."]})


def test_employees_are_checked_before_the_number(api, org, client_user):
    make_order(org, number="TAKEN002")
    response = post(api, {"user_id": str(client_user.id), "service": "X", "employees": ["bad"], "number": "TAKEN002"})
    assert_envelope(response, 422, {"employees": ["Employee with ID bad does not exist."]})


@pytest.mark.parametrize("kind", ["malformed", "unknown", "client", "other_org"])
def test_employee_must_be_a_team_member_of_the_organization(api, org, other_org, owner, client_user, kind):
    bad = {
        "malformed": lambda: "not-a-uuid",
        "unknown": lambda: str(uuid.uuid4()),
        "client": lambda: str(client_user.id),
        "other_org": lambda: str(factories.make_team_member(other_org).id),
    }[kind]()
    response = post(api, {"user_id": str(client_user.id), "service": "X", "employees": [str(owner.id), bad]})
    assert_envelope(response, 422, {"employees": [f"Employee with ID {bad} does not exist."]})
    assert not Order.unscoped.exists()


def test_employee_id_is_reported_as_sent(api, client_user):
    upper = str(uuid.uuid4()).upper()
    response = post(api, {"user_id": str(client_user.id), "service": "X", "employees": [upper]})
    assert_envelope(response, 422, {"employees": [f"Employee with ID {upper} does not exist."]})


def test_duplicate_employees_collapse_in_assignment_order(api, org, owner, client_user):
    second = factories.make_team_member(org, name_f="Bea")
    ids = [str(second.id), str(owner.id), str(second.id), str(owner.id).upper()]
    data = post(api, {"user_id": str(client_user.id), "service": "X", "employees": ids}).json()
    assert data["employees"] == [employee_object(second), employee_object(owner)]
    assert OrderEmployee.unscoped.count() == 2


def test_empty_employee_and_tag_lists(api, client_user):
    data = post(api, {"user_id": str(client_user.id), "service": "X", "employees": [], "tags": []}).json()
    assert (data["employees"], data["tags"]) == ([], [])


def test_tags_found_or_created_duplicates_collapse_assignment_order(api, org, client_user):
    existing = Tag.unscoped.create(organization=org, name="vip")
    data = post(api, {"user_id": str(client_user.id), "service": "X", "tags": ["zeta", "vip", "alpha", "zeta"]}).json()
    assert data["tags"] == ["zeta", "vip", "alpha"]
    assert Tag.unscoped.filter(organization=org).count() == 3
    assert Tag.unscoped.get(organization=org, name="vip").pk == existing.pk


def test_tags_ignore_case_and_are_not_trimmed(api, org, client_user):
    # contract §10.5 (with the tags resource): names equal ignoring case are one tag; no trimming.
    data = post(api, {"user_id": str(client_user.id), "service": "X", "tags": ["VIP", "vip", " vip "]}).json()
    assert data["tags"] == ["VIP", " vip "]


def test_tags_are_per_organization(api, org, other_org, client_user):
    foreign = Tag.unscoped.create(organization=other_org, name="vip")
    post(api, {"user_id": str(client_user.id), "service": "X", "tags": ["vip"]})
    mine = Tag.unscoped.get(organization=org, name="vip")
    assert mine.pk != foreign.pk
    assert OrderTag.unscoped.get().tag_id == mine.pk


def test_metadata_array_becomes_an_object(api, client_user):
    metadata = [
        {"title": "category", "value": "seo"},
        {"title": "tier", "value": "silver"},
        {"title": "", "value": "skipped"},
        {"title": "no_value"},
        {"title": "nulled", "value": None},
        {"title": "tier", "value": "gold"},
    ]
    data = post(api, {"user_id": str(client_user.id), "service": "X", "metadata": metadata}).json()
    assert data["metadata"] == {"category": "seo", "tier": "gold", "no_value": "", "nulled": ""}


def test_metadata_element_errors(api, client_user):
    metadata = [{"title": "ok"}, "x", {"value": "v"}, {"title": 1, "value": 2}, None]
    response = post(api, {"user_id": str(client_user.id), "service": "X", "metadata": metadata})
    obj = "Input should be a valid dictionary or object to extract fields from"
    assert_envelope(
        response,
        400,
        {
            "metadata.1": [obj],
            "metadata.2.title": ["Field required"],
            "metadata.3.title": ["Input should be a valid string"],
            "metadata.3.value": ["Input should be a valid string"],
            "metadata.4": [obj],
        },
    )


def test_dates_and_backdated_created_at(api, client_user):
    body = {
        "user_id": str(client_user.id),
        "service": "X",
        "created_at": "2025-01-02T03:04:05.123456",
        "date_started": "2025-01-03T10:00:00+02:00",
        "date_completed": "2025-01-04",
        "date_due": "2025-01-05T00:00:00Z",
    }
    data = post(api, body).json()
    assert data["created_at"] == "2025-01-02T03:04:05.123456+00:00"
    assert data["date_started"] == "2025-01-03T08:00:00+00:00"
    assert data["date_completed"] == "2025-01-04T00:00:00+00:00"
    assert data["date_due"] == "2025-01-05T00:00:00+00:00"


def test_ignored_fields_on_create(api, client_user):
    body = {
        "user_id": str(client_user.id),
        "service": "X",
        "quantity": 7,
        "price": 99,
        "currency": "GBP",
        "form_data": {"a": 1},
        "paysys": "stripe",
        "invoice_id": str(uuid.uuid4()),
        "org_id": str(uuid.uuid4()),
        "id": str(uuid.uuid4()),
    }
    response = post(api, body)
    data = response.json()
    assert response.status_code == 201
    assert (data["quantity"], data["price"], data["currency"], data["form_data"], data["paysys"], data["invoice_id"]) == (
        1, "0.00", "USD", {}, None, None,
    )
    assert data["id"] != body["id"]


def test_schema_error_rolls_back_nothing_written(api, client_user):
    post(api, {"user_id": str(client_user.id), "service": "X", "tags": ["new"], "employees": ["bad"]})
    assert not Order.unscoped.exists() and not Tag.unscoped.exists()


# --- list -----------------------------------------------------------------------------------------------------


def test_list_envelope_with_embedded_objects(api, org, owner, client_user):
    order = make_order(org, client_user, employees=[owner], tags=["b", "a"], service_name="Work")
    response = api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["links"] == {
        "first": "http://testserver/api/orders?page=1&limit=20",
        "last": "http://testserver/api/orders?page=1&limit=20",
        "prev": None,
        "next": None,
    }
    assert body["meta"] == {
        "current_page": 1, "from": 1, "to": 1, "last_page": 1, "per_page": 20, "total": 1,
        "path": "http://testserver/api/orders",
    }
    [row] = body["data"]
    assert row == api.get(detail(order.id)).json()
    assert (row["tags"], row["employees"], row["client"]) == (["b", "a"], [employee_object(owner)], client_object(client_user))


def test_list_hides_soft_deleted_and_other_organizations(api, org, other_org):
    live = make_order(org)
    make_order(org, deleted_at=timezone.now())
    make_order(other_org)
    body = api.get(URL).json()
    assert [row["id"] for row in body["data"]] == [str(live.id)]
    assert body["meta"]["total"] == 1


def test_list_default_sort_is_newest_first(api, org):
    old = make_order(org, created_at=datetime(2025, 1, 1, tzinfo=UTC))
    new = make_order(org, created_at=datetime(2025, 6, 1, tzinfo=UTC))
    assert [row["id"] for row in api.get(URL).json()["data"]] == [str(new.id), str(old.id)]


def test_list_sort_by_number_ascending(api, org):
    b, a = make_order(org, number="BBBBBBBB"), make_order(org, number="AAAAAAAA")
    assert [row["id"] for row in api.get(URL, {"sort": "number:asc"}).json()["data"]] == [str(a.id), str(b.id)]


def test_list_filters_restrict_rows_and_total(api, org, service):
    client = factories.make_client(org)
    match = make_order(org, client, status=2, service=service)
    make_order(org, client, status=1, service=service)
    make_order(org, status=2)
    params = {"filters[status][$eq]": "2", "filters[user_id][$eq]": str(client.id)}
    body = api.get(URL, params).json()
    assert [row["id"] for row in body["data"]] == [str(match.id)] and body["meta"]["total"] == 1
    null_service = api.get(URL, {"filters[service_id][$eq]": "null"}).json()
    assert null_service["meta"]["total"] == 1


def test_list_filter_in_and_price(api, org):
    a, b = make_order(org, price=Decimal("10.00")), make_order(org, price=Decimal("50.00"))
    make_order(org, price=Decimal("90.00"))
    body = api.get(f"{URL}?filters[id][$in][]={a.id}&filters[id][$in][]={b.id}&filters[price][$gt]=20").json()
    assert [row["id"] for row in body["data"]] == [str(b.id)]


def test_list_bad_filter_value_is_400(api):
    assert_envelope(api.get(URL, {"filters[status][$eq]": "x"}), 400, {"filters[status][$eq]": ["The filter value is invalid."]})


def test_list_bad_paging_is_400(api):
    assert_envelope(api.get(URL, {"limit": "0"}), 400, {"query.limit": ["Input should be greater than or equal to 1"]})


def test_list_query_count_1_vs_5_rows_within_budget(api, org):
    members = [factories.make_team_member(org) for _ in range(2)]

    def add_row():
        make_order(org, factories.make_client(org, address=factories.make_address(org)), employees=members, tags=["x", "y"])

    assert assert_constant_queries(api, URL, add_row, budget=6) <= 5


def test_list_query_count_is_constant_from_1_to_100_rows(api, org):
    members = [factories.make_team_member(org) for _ in range(3)]
    make_order(org, factories.make_client(org, address=factories.make_address(org)), employees=members, tags=["a", "b"])
    one_resp, one = count_queries(lambda: api.get(URL, {"limit": 100}))
    for i in range(99):
        client = factories.make_client(org, address=factories.make_address(org))
        make_order(org, client, employees=members[: 1 + i % 3], tags=[f"t{i}", "a"])
    many_resp, many = count_queries(lambda: api.get(URL, {"limit": 100}))
    assert len(one_resp.json()["data"]) == 1 and len(many_resp.json()["data"]) == 100
    assert len(one) == len(many) <= 6, "\n".join(many)


def test_retrieve_query_count_is_constant_from_1_to_50_employees_and_tags(api, org):
    order = make_order(org, factories.make_client(org, address=factories.make_address(org)))
    members = [factories.make_team_member(org) for _ in range(50)]
    set_order_employees(order, members[:1])
    set_order_tags(order, tags_find_or_create(organization=org, names=["t0"]))
    _, one = count_queries(lambda: api.get(detail(order.id)))
    set_order_employees(order, members)
    set_order_tags(order, tags_find_or_create(organization=org, names=[f"t{i}" for i in range(50)]))
    response, many = count_queries(lambda: api.get(detail(order.id)))
    assert len(response.json()["employees"]) == 50 and len(response.json()["tags"]) == 50
    assert len(one) == len(many) <= 6, "\n".join(many)
    list_one = count_queries(lambda: api.get(URL))[1]
    assert len(list_one) <= 6


def test_list_query_count_with_1_vs_50_employees_and_tags(api, org):
    members = [factories.make_team_member(org) for _ in range(50)]
    make_order(org, employees=members[:1], tags=["x"])
    _, one = count_queries(lambda: api.get(URL))
    make_order(org, employees=members, tags=[f"t{i}" for i in range(50)])
    _, many = count_queries(lambda: api.get(URL))
    assert len(one) == len(many) <= 6


# --- retrieve -------------------------------------------------------------------------------------------------


def test_retrieve_has_the_same_shape_as_create(api, client_user, service, owner):
    created = post(api, {"user_id": str(client_user.id), "service_id": str(service.id), "employees": [str(owner.id)], "tags": ["x"]}).json()
    assert api.get(detail(created["id"])).json() == created


def test_retrieve_reflects_last_message_at(api, org, owner):
    order = make_order(org)
    message = api.post(f"{detail(order.id)}/messages", {"message": "hi"}, format="json").json()
    assert api.get(detail(order.id)).json()["last_message_at"] == message["created_at"]


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted"])
def test_retrieve_not_found(api, org, other_org, kind):
    order_id = {
        "malformed": lambda: "not-a-uuid",
        "unknown": lambda: uuid.uuid4(),
        "other_org": lambda: make_order(other_org).id,
        "deleted": lambda: make_order(org, deleted_at=timezone.now()).id,
    }[kind]()
    assert_detail(api.get(detail(order_id)), 404, "Not Found")


def test_retrieve_accepts_an_uppercase_uuid(api, org):
    order = make_order(org)
    assert api.get(detail(str(order.id).upper())).json()["id"] == str(order.id)


# --- update ---------------------------------------------------------------------------------------------------


@pytest.fixture
def order(org, owner, client_user, service):
    return make_order(
        org,
        client_user,
        service=service,
        service_name="Monthly SEO Package",
        price=Decimal("299.00"),
        currency="EUR",
        number="ORIG0001",
        note="original",
        metadata={"a": "1"},
        date_due=datetime(2026, 3, 1, tzinfo=UTC),
        employees=[owner],
        tags=["keep"],
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_update_changes_only_what_is_sent(api, order):
    before = api.get(detail(order.id)).json()
    response = put(api, order.id, {"note": "changed"})
    assert response.status_code == 200, response.content
    after = response.json()
    assert after["note"] == "changed"
    assert after["updated_at"] > before["updated_at"]
    assert {k: v for k, v in after.items() if k not in ("note", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("note", "updated_at")
    }
    assert api.get(detail(order.id)).json() == after


def test_update_empty_body_object_changes_nothing_but_updated_at(api, order):
    before = api.get(detail(order.id)).json()
    after = put(api, order.id, {}).json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {k: v for k, v in before.items() if k != "updated_at"}


def test_update_nulls_mean_unchanged(api, order):
    body = {k: None for k in ("service_id", "service", "status", "employees", "tags", "note", "metadata", "date_started", "date_completed", "date_due")}
    before = api.get(detail(order.id)).json()
    after = put(api, order.id, body).json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {k: v for k, v in before.items() if k != "updated_at"}


def test_update_every_field(api, org, order):
    member = factories.make_team_member(org, name_f="Zed")
    body = {
        "service": "Renamed work",
        "status": 4,
        "employees": [str(member.id)],
        "tags": ["new", "keep"],
        "note": "n",
        "metadata": [{"title": "k", "value": "v"}],
        "date_started": "2026-01-02",
        "date_completed": "2026-01-03T12:00:00+00:00",
        "date_due": "2026-01-04",
    }
    data = put(api, order.id, body).json()
    assert data["service"] == "Renamed work"
    assert (data["status"], data["status_id"]) == ("On Hold", 4)
    assert data["employees"] == [employee_object(member)]
    assert data["tags"] == ["new", "keep"]
    assert data["metadata"] == {"k": "v"}
    assert (data["date_started"], data["date_completed"], data["date_due"]) == (
        "2026-01-02T00:00:00+00:00", "2026-01-03T12:00:00+00:00", "2026-01-04T00:00:00+00:00",
    )


def test_update_answers_the_retrieve_body_byte_for_byte_and_the_event_data(api, org, order):
    # The update body is the `order.updated` event's rendering (orders/views.py), not a read of its own.
    member = factories.make_team_member(org)
    body = {"status": 2, "employees": [str(member.id)], "tags": ["Zeta", "alpha"], "note": "é\u2028"}
    response = put(api, order.id, body)
    assert response.status_code == 200, response.content
    retrieved = api.get(detail(order.id))
    assert response.content == retrieved.content
    assert response["Content-Type"] == retrieved["Content-Type"]
    for event_type in ("order.updated", "order.status_changed"):
        [event] = Event.objects.for_org(org).filter(type=event_type)
        assert event.data == response.json()


def test_update_unknown_order_is_404_before_the_body_references(api):
    assert_detail(put(api, uuid.uuid4(), {"service_id": str(uuid.uuid4()), "employees": ["x"]}), 404, "Not Found")


def test_update_empty_lists_clear_employees_tags_and_metadata(api, order):
    data = put(api, order.id, {"employees": [], "tags": [], "metadata": []}).json()
    assert (data["employees"], data["tags"], data["metadata"]) == ([], [], {})
    assert not OrderEmployee.unscoped.filter(order=order).exists() and not OrderTag.unscoped.filter(order=order).exists()


def test_update_tags_replace_and_reuse(api, org, order):
    data = put(api, order.id, {"tags": ["b", "keep", "b"]}).json()
    assert data["tags"] == ["b", "keep"]
    assert Tag.unscoped.filter(organization=org, name="keep").count() == 1


def test_update_empty_service_id_unlinks_without_touching_the_snapshot(api, order):
    data = put(api, order.id, {"service_id": ""}).json()
    assert (data["service_id"], data["service"], data["price"], data["currency"]) == (
        None, "Monthly SEO Package", "299.00", "EUR",
    )


def test_update_service_id_links_another_service_without_touching_the_snapshot(api, org, order):
    other = factories.make_service(org, name="Other", price=Decimal("5.00"), currency="GBP")
    data = put(api, order.id, {"service_id": str(other.id)}).json()
    assert (data["service_id"], data["service"], data["price"], data["currency"]) == (
        str(other.id), "Monthly SEO Package", "299.00", "EUR",
    )


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted"])
def test_update_service_that_does_not_exist(api, org, other_org, order, kind):
    service_id = {
        "malformed": lambda: "nope",
        "unknown": lambda: str(uuid.uuid4()),
        "other_org": lambda: str(factories.make_service(other_org).id),
        "deleted": lambda: str(factories.make_service(org, deleted_at=timezone.now()).id),
    }[kind]()
    response = put(api, order.id, {"service_id": service_id, "employees": ["bad"]})
    assert_envelope(response, 422, {"service_id": ["The specified service does not exist."]})


@pytest.mark.parametrize("kind", ["malformed", "unknown", "client", "other_org"])
def test_update_bad_employee(api, org, other_org, order, client_user, kind):
    bad = {
        "malformed": lambda: "x",
        "unknown": lambda: str(uuid.uuid4()),
        "client": lambda: str(client_user.id),
        "other_org": lambda: str(factories.make_team_member(other_org).id),
    }[kind]()
    response = put(api, order.id, {"employees": [bad], "note": "not written"})
    assert_envelope(response, 422, {"employees": [f"Employee with ID {bad} does not exist."]})
    order.refresh_from_db()
    assert order.note == "original"


def test_update_empty_service_name_is_rejected(api, order):
    assert_envelope(put(api, order.id, {"service": ""}), 400, {"service": ["String should have at least 1 character"]})


def test_update_schema_errors(api, order):
    response = put(api, order.id, {"status": 5, "tags": "x", "date_due": "later", "metadata": [{"title": 3}]})
    assert_envelope(
        response,
        400,
        {
            "status": ["Input should be less than or equal to 4"],
            "tags": ["Input should be a valid list"],
            "metadata.0.title": ["Input should be a valid string"],
            "date_due": ["Input should be a valid datetime"],
        },
    )


def test_update_ignores_non_updatable_fields(api, order, org):
    other_client = factories.make_client(org)
    before = api.get(detail(order.id)).json()
    body = {
        "number": "CHANGED1",
        "user_id": str(other_client.id),
        "created_at": "2020-01-01",
        "price": 1,
        "quantity": 9,
        "currency": "JPY",
    }
    after = put(api, order.id, body).json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {k: v for k, v in before.items() if k != "updated_at"}


def test_update_schema_error_beats_unknown_id(api):
    assert_envelope(put(api, uuid.uuid4(), {"status": "x"}), 400, {"status": ["Input should be a valid integer, unable to parse string as an integer"]})


def test_update_malformed_body(api, order):
    response = api.put(detail(order.id), data="{", content_type="application/json")
    assert_envelope(response, 400, {"root": ["JSON decode error"]})


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted"])
def test_update_not_found(api, org, other_org, kind):
    order_id = {
        "malformed": lambda: "nope",
        "unknown": lambda: uuid.uuid4(),
        "other_org": lambda: make_order(other_org).id,
        "deleted": lambda: make_order(org, deleted_at=timezone.now()).id,
    }[kind]()
    assert_detail(put(api, order_id, {"note": "x"}), 404, "Not Found")


def test_patch_is_not_allowed(api, order):
    assert_detail(api.patch(detail(order.id), {"note": "x"}, format="json"), 405, "Method Not Allowed")


# --- delete ---------------------------------------------------------------------------------------------------


def test_delete_soft_deletes_and_hides_everything(api, org, order, owner):
    task = make_task(order)
    message = make_message(order, owner)
    response = api.delete(detail(order.id))
    assert response.status_code == 204 and response.content == b""
    order.refresh_from_db()
    assert order.deleted_at is not None
    assert_detail(api.get(detail(order.id)), 404, "Not Found")
    assert_detail(api.delete(detail(order.id)), 404, "Not Found")
    assert_detail(api.get(f"{detail(order.id)}/tasks"), 404, "Not Found")
    assert_detail(api.get(f"{detail(order.id)}/messages"), 404, "Not Found")
    assert_detail(api.put(f"/api/order-tasks/{task.id}", {"name": "x"}, format="json"), 404, "Not Found")
    assert_detail(api.post(f"/api/order-tasks/{task.id}/complete"), 404, "Not Found")
    assert_detail(api.delete(f"/api/order-messages/{message.id}"), 404, "Not Found")
    # rows stay in the database
    assert task.__class__.unscoped.filter(pk=task.pk).exists()
    assert OrderEmployee.unscoped.filter(order=order).exists() and OrderTag.unscoped.filter(order=order).exists()


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org"])
def test_delete_not_found(api, other_org, kind):
    order_id = {"malformed": lambda: "x", "unknown": lambda: uuid.uuid4(), "other_org": lambda: make_order(other_org).id}[kind]()
    assert_detail(api.delete(detail(order_id)), 404, "Not Found")


def test_other_organization_cannot_touch_my_order(other_api, order):
    assert_detail(other_api.get(detail(order.id)), 404, "Not Found")
    assert_detail(put(other_api, order.id, {"note": "x"}), 404, "Not Found")
    assert_detail(other_api.delete(detail(order.id)), 404, "Not Found")
    order.refresh_from_db()
    assert order.deleted_at is None and order.note == "original"


# --- auth and routing -----------------------------------------------------------------------------------------

ID = "00000000-0000-4000-8000-000000000000"
ROUTES = [
    ("get", "/api/orders"),
    ("post", "/api/orders"),
    ("get", f"/api/orders/{ID}"),
    ("put", f"/api/orders/{ID}"),
    ("delete", f"/api/orders/{ID}"),
    ("get", f"/api/orders/{ID}/tasks"),
    ("post", f"/api/orders/{ID}/tasks"),
    ("get", f"/api/orders/{ID}/messages"),
    ("post", f"/api/orders/{ID}/messages"),
    ("put", f"/api/order-tasks/{ID}"),
    ("delete", f"/api/order-tasks/{ID}"),
    ("post", f"/api/order-tasks/{ID}/complete"),
    ("delete", f"/api/order-tasks/{ID}/complete"),
    ("delete", f"/api/order-messages/{ID}"),
]


@pytest.mark.parametrize("method,path", ROUTES)
def test_every_endpoint_requires_a_token(anon, db, method, path):
    response = anon.generic(method.upper(), path, data="{", content_type="application/json")
    assert_detail(response, 401, "Unauthorized")


@pytest.mark.parametrize(
    "method,path",
    [
        ("patch", f"/api/orders/{ID}"),
        ("put", "/api/orders"),
        ("delete", "/api/orders"),
        ("put", f"/api/orders/{ID}/tasks"),
        ("delete", f"/api/orders/{ID}/messages"),
        ("get", f"/api/order-tasks/{ID}"),
        ("patch", f"/api/order-tasks/{ID}"),
        ("get", f"/api/order-tasks/{ID}/complete"),
        ("put", f"/api/order-tasks/{ID}/complete"),
        ("get", f"/api/order-messages/{ID}"),
        ("put", f"/api/order-messages/{ID}"),
    ],
)
def test_unrouted_methods_answer_405(api, method, path):
    assert_detail(getattr(api, method)(path), 405, "Method Not Allowed")


@pytest.mark.parametrize("path", ["/api/order-tasks", "/api/order-messages"])
def test_collection_paths_without_routes_are_404(api, path):
    assert_detail(api.get(path), 404, "Not Found")
