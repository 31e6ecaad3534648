"""`/api/services` against contract services.md: shapes, validation, references, soft delete, lists, queries."""
import re
import uuid
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal

import pytest

from catalog.models import Service, ServiceEmployee
from tests import factories
from tests.catalog.factories import make_folder
from tests.helpers import assert_constant_queries, assert_detail, assert_envelope, count_queries

URL = "/api/services"
SERVICE_KEYS = [
    "id", "name", "description", "image", "recurring", "price", "pretty_price", "currency", "f_price", "f_period_l",
    "f_period_t", "r_price", "r_period_l", "r_period_t", "recurring_action", "multi_order", "request_orders",
    "max_active_requests", "deadline", "public", "sort_order", "group_quantities", "folder_id", "metadata",
    "braintree_plan_id", "hoth_product_key", "hoth_package_name", "provider_id", "provider_service_id",
    "created_at", "updated_at",
]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$")
MINIMAL = {"name": "Logo", "recurring": 0, "currency": "USD"}
FOLDER_MISSING = {"folder_id": ["The specified folder does not exist."]}


def post(api, body):
    return api.post(URL, data=body, format="json")


def put(api, pk, body):
    return api.put(f"{URL}/{pk}", data=body, format="json")


def created(response) -> dict:
    assert response.status_code == 201, response.content
    return response.json()


def employees_of(service_id):
    return list(ServiceEmployee.unscoped.filter(service_id=service_id).order_by("id").values_list("user_id", flat=True))


# --- create -------------------------------------------------------------------------------------------------


def test_create_minimal_returns_the_full_service_object(api, org):
    body = created(post(api, MINIMAL))
    assert list(body) == SERVICE_KEYS
    assert TIMESTAMP.match(body["created_at"]) and TIMESTAMP.match(body["updated_at"])
    assert body == {
        "id": body["id"], "name": "Logo", "description": None, "image": None, "recurring": 0, "price": None,
        "pretty_price": "$0.00", "currency": "USD", "f_price": None, "f_period_l": None, "f_period_t": None,
        "r_price": None, "r_period_l": None, "r_period_t": None, "recurring_action": None, "multi_order": True,
        "request_orders": False, "max_active_requests": None, "deadline": None, "public": True, "sort_order": 0,
        "group_quantities": False, "folder_id": None, "metadata": {}, "braintree_plan_id": None,
        "hoth_product_key": None, "hoth_package_name": None, "provider_id": None, "provider_service_id": None,
        "created_at": body["created_at"], "updated_at": body["updated_at"],
    }
    assert Service.unscoped.get(pk=body["id"]).organization_id == org.id


def test_create_with_every_field(api, org, owner):
    folder = make_folder(org)
    body = created(post(api, {
        "name": "  Monthly SEO Package ", "description": "Keyword research", "recurring": "1", "currency": " usd ",
        "price": 299, "f_price": "299.00", "f_period_l": 1, "f_period_t": "M", "r_price": 199.005, "r_period_l": 1.0,
        "r_period_t": "Y", "recurring_action": 2, "deadline": 30, "public": "no", "employees": [str(owner.id)],
        "group_quantities": 1, "multi_order": False, "request_orders": "yes", "max_active_requests": 3,
        "metadata": [{"title": "category", "value": "seo"}, {"title": "tier"}], "folder_id": str(folder.id),
        "braintree_plan_id": "bt", "hoth_product_key": "hk", "hoth_package_name": "hp", "provider_id": 4,
        "provider_service_id": 5,
    }))
    assert body == {
        "id": body["id"], "name": "Monthly SEO Package", "description": "Keyword research", "image": None,
        "recurring": 1, "price": "299.00", "pretty_price": "$299.00", "currency": "USD", "f_price": "299.00",
        "f_period_l": 1, "f_period_t": "M", "r_price": "199.01", "r_period_l": 1, "r_period_t": "Y",
        "recurring_action": 2, "multi_order": False, "request_orders": True, "max_active_requests": 3,
        "deadline": 30, "public": False, "sort_order": 0, "group_quantities": True, "folder_id": str(folder.id),
        "metadata": {"category": "seo", "tier": ""}, "braintree_plan_id": "bt", "hoth_product_key": "hk",
        "hoth_package_name": "hp", "provider_id": 4, "provider_service_id": 5,
        "created_at": body["created_at"], "updated_at": body["updated_at"],
    }
    assert employees_of(body["id"]) == [owner.id]
    assert isinstance(Service.unscoped.get(pk=body["id"]).price, Decimal)


def test_create_ignores_sort_order_image_and_read_only_fields(api, org, other_org):
    body = created(post(api, {
        **MINIMAL, "sort_order": 9, "image": "x.png", "id": str(uuid.uuid4()), "pretty_price": "£1",
        "created_at": "2020-01-01", "updated_at": "2020-01-01", "deleted_at": "2020-01-01",
        "org_id": str(other_org.id), "unknown": [1],
    }))
    assert body["sort_order"] == 0 and body["image"] is None and body["pretty_price"] == "$0.00"
    assert not body["created_at"].startswith("2020")
    service = Service.unscoped.get(pk=body["id"])
    assert service.organization_id == org.id and service.deleted_at is None


def test_create_metadata_rules(api):
    body = created(post(api, {**MINIMAL, "metadata": [
        {"title": "a", "value": "1"}, {"title": "", "value": "skipped"}, {"title": "a", "value": "2"},
        {"title": "b", "extra": 5},
    ]}))
    assert body["metadata"] == {"a": "2", "b": ""}
    assert created(post(api, {**MINIMAL, "metadata": []}))["metadata"] == {}
    assert created(post(api, {**MINIMAL, "metadata": None}))["metadata"] == {}


def test_create_duplicate_employees_are_collapsed(api, org, owner):
    other = factories.make_team_member(org)
    body = created(post(api, {**MINIMAL, "employees": [str(owner.id), str(other.id), str(owner.id).upper()]}))
    assert sorted(employees_of(body["id"])) == sorted([owner.id, other.id])
    assert "employees" not in body


def test_create_empty_folder_id_counts_as_absent(api):
    assert created(post(api, {**MINIMAL, "folder_id": ""}))["folder_id"] is None


def test_create_required_fields(api):
    assert_envelope(post(api, {}), 400, {
        "name": ["Field required"], "recurring": ["Field required"], "currency": ["Field required"],
    })


def test_create_lists_every_failing_field_in_table_order(api):
    response = post(api, {
        "name": "  ", "description": 1, "recurring": 3, "currency": "", "price": "abc", "f_price": [],
        "f_period_l": 1.5, "f_period_t": "m", "r_price": "NaN", "r_period_l": "x", "r_period_t": 5,
        "recurring_action": {}, "deadline": "1.5", "public": None, "employees": "x", "group_quantities": "maybe",
        "multi_order": None, "request_orders": [], "max_active_requests": True and "z", "metadata": {},
        "folder_id": 5, "braintree_plan_id": "x" * 256, "hoth_product_key": 1, "hoth_package_name": "x" * 256,
        "provider_id": "p", "provider_service_id": 2.5,
    })
    assert_envelope(response, 400, {
        "name": ["String should have at least 1 character"],
        "description": ["Input should be a valid string"],
        "recurring": ["Input should be less than or equal to 2"],
        "currency": ["String should have at least 1 character"],
        "price": ["Input should be a valid number, unable to parse string as a number"],
        "f_price": ["Input should be a valid number"],
        "f_period_l": ["Input should be a valid integer, got a number with a fractional part"],
        "f_period_t": ["Value error, Period type must be D, W, M, or Y"],
        "r_price": ["Input should be a finite number"],
        "r_period_l": ["Input should be a valid integer, unable to parse string as an integer"],
        "r_period_t": ["Input should be a valid string"],
        "recurring_action": ["Input should be a valid integer"],
        "deadline": ["Input should be a valid integer, unable to parse string as an integer"],
        "public": ["Input should be a valid boolean"],
        "employees": ["Input should be a valid list"],
        "group_quantities": ["Input should be a valid boolean, unable to interpret input"],
        "multi_order": ["Input should be a valid boolean"],
        "request_orders": ["Input should be a valid boolean"],
        "max_active_requests": ["Input should be a valid integer, unable to parse string as an integer"],
        "metadata": ["Input should be a valid list"],
        "folder_id": ["Input should be a valid string"],
        "braintree_plan_id": ["String should have at most 255 characters"],
        "hoth_product_key": ["Input should be a valid string"],
        "hoth_package_name": ["String should have at most 255 characters"],
        "provider_id": ["Input should be a valid integer, unable to parse string as an integer"],
        "provider_service_id": ["Input should be a valid integer, got a number with a fractional part"],
    })
    assert list(response.json()["errors"])[:4] == ["name", "description", "recurring", "currency"]


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("name", "", "String should have at least 1 character"),
        ("name", "x" * 256, "String should have at most 255 characters"),
        ("name", None, "Input should be a valid string"),
        ("recurring", -1, "Input should be greater than or equal to 0"),
        ("recurring", None, "Input should be a valid integer"),
        ("currency", "   ", "String should have at least 1 character"),
        ("currency", "EURO", "String should have at most 3 characters"),
        ("currency", 840, "Input should be a valid string"),
        ("f_period_t", "", "Value error, Period type must be D, W, M, or Y"),
        ("r_period_t", "MM", "Value error, Period type must be D, W, M, or Y"),
        ("public", None, "Input should be a valid boolean"),
        ("group_quantities", None, "Input should be a valid boolean"),
        ("request_orders", None, "Input should be a valid boolean"),
    ],
)
def test_create_field_errors(api, field, value, message):
    assert_envelope(post(api, {**MINIMAL, field: value}), 400, {field: [message]})


def test_create_currency_trimmed_and_upper_cased(api):
    assert created(post(api, {**MINIMAL, "currency": " eur "}))["currency"] == "EUR"


@pytest.mark.parametrize(
    "metadata,errors",
    [
        ([1], {"metadata.0": ["Input should be a valid dictionary or object to extract fields from"]}),
        ([{"value": "x"}], {"metadata.0.title": ["Field required"]}),
        ([{"title": None}], {"metadata.0.title": ["Input should be a valid string"]}),
        ([{"title": "a", "value": 3}], {"metadata.0.value": ["Input should be a valid string"]}),
        ([{"title": "a"}, {"title": 1}], {"metadata.1.title": ["Input should be a valid string"]}),
    ],
)
def test_create_metadata_errors(api, metadata, errors):
    assert_envelope(post(api, {**MINIMAL, "metadata": metadata}), 400, errors)


def test_create_employee_element_errors_are_keyed_by_index(api, owner):
    assert_envelope(post(api, {**MINIMAL, "employees": [str(owner.id), 5, None]}), 400, {
        "employees.1": ["Input should be a valid string"], "employees.2": ["Input should be a valid string"],
    })


@pytest.mark.parametrize("make", ["malformed", "unknown", "other_org"])
def test_create_unknown_folder_is_422(api, other_org, make):
    folder_id = {"malformed": "nope", "unknown": str(uuid.uuid4()), "other_org": None}[make]
    if folder_id is None:
        folder_id = str(make_folder(other_org).id)
    assert_envelope(post(api, {**MINIMAL, "folder_id": folder_id}), 422, FOLDER_MISSING)
    assert Service.unscoped.count() == 0


def test_create_reports_the_first_bad_employee_in_the_order_sent(api, org, other_org, owner):
    client = factories.make_client(org)
    stranger = factories.make_team_member(other_org)
    unknown = str(uuid.uuid4())
    for bad in ("nope", unknown, str(client.id), str(stranger.id)):
        body = {**MINIMAL, "employees": [str(owner.id), bad, "also-bad"]}
        assert_envelope(post(api, body), 422, {"employees": [f"Employee with ID {bad} does not exist."]})
    assert Service.unscoped.count() == 0


def test_create_folder_is_checked_before_employees(api):
    body = {**MINIMAL, "folder_id": str(uuid.uuid4()), "employees": ["nope"]}
    assert_envelope(post(api, body), 422, FOLDER_MISSING)


def test_create_schema_errors_come_before_reference_checks(api):
    body = {**MINIMAL, "name": "", "folder_id": str(uuid.uuid4()), "employees": ["nope"]}
    assert_envelope(post(api, body), 400, {"name": ["String should have at least 1 character"]})


@pytest.mark.parametrize(
    "currency,price,expected",
    [
        ("USD", "1500", "$1500.00"), ("EUR", "49.9", "€49.90"), ("GBP", "0.5", "£0.50"), ("CAD", None, "CA$0.00"),
        ("AUD", "1234567.89", "A$1234567.89"), ("JPY", "300", "JPY 300.00"), ("chf", "-5.5", "CHF -5.50"),
    ],
)
def test_pretty_price(api, currency, price, expected):
    body = {**MINIMAL, "currency": currency}
    if price is not None:
        body["price"] = price
    assert created(post(api, body))["pretty_price"] == expected


# --- retrieve -----------------------------------------------------------------------------------------------


def test_retrieve(api, org):
    folder = make_folder(org)
    service = factories.make_service(org, folder=folder, metadata={"k": "v"}, price=Decimal("10"), currency="GBP")
    body = api.get(f"{URL}/{service.id}").json()
    assert list(body) == SERVICE_KEYS
    assert (body["folder_id"], body["metadata"], body["price"], body["pretty_price"]) == (
        str(folder.id), {"k": "v"}, "10.00", "£10.00",
    )
    assert body["created_at"] == service.created_at.isoformat()


@pytest.mark.parametrize("pk", ["nope", "123", str(uuid.uuid4())])
def test_retrieve_unknown_is_404(api, pk):
    assert_detail(api.get(f"{URL}/{pk}"), 404, "Not Found")


def test_other_organizations_service_is_404_everywhere(api, other_org):
    service = factories.make_service(other_org, name="Theirs")
    assert_detail(api.get(f"{URL}/{service.id}"), 404, "Not Found")
    assert_detail(put(api, service.id, {"name": "Mine"}), 404, "Not Found")
    assert_detail(api.delete(f"{URL}/{service.id}"), 404, "Not Found")
    service.refresh_from_db()
    assert service.name == "Theirs" and service.deleted_at is None


def test_retrieve_query_count(api, org, owner):
    service = factories.make_service(org, folder=make_folder(org))
    ServiceEmployee.unscoped.create(service=service, user=owner)
    response, sql = count_queries(lambda: api.get(f"{URL}/{service.id}"))
    assert response.status_code == 200 and len(sql) <= 2, "\n".join(sql)  # token 1 + row 1


# --- update -------------------------------------------------------------------------------------------------


def test_update_changes_only_the_fields_sent(api, org):
    folder = make_folder(org)
    service = factories.make_service(
        org, name="Old", description="D", price=Decimal("5"), public=False, folder=folder, metadata={"a": "1"},
    )
    response = put(api, service.id, {"name": " New ", "currency": "eur", "sort_order": 4})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["currency"], body["sort_order"], body["pretty_price"]) == ("New", "EUR", 4, "€5.00")
    assert (body["description"], body["public"], body["folder_id"], body["metadata"]) == (
        "D", False, str(folder.id), {"a": "1"},
    )
    assert body == api.get(f"{URL}/{service.id}").json()
    assert body["updated_at"] > body["created_at"]


def test_update_null_means_unchanged(api, org, owner):
    folder = make_folder(org)
    service = factories.make_service(
        org, description="D", price=Decimal("5"), public=False, multi_order=False, folder=folder,
        metadata={"a": "1"}, deadline=3,
    )
    ServiceEmployee.unscoped.create(service=service, user=owner)
    before = api.get(f"{URL}/{service.id}").json()
    body = put(api, service.id, {
        "name": None, "description": None, "recurring": None, "currency": None, "price": None, "public": None,
        "multi_order": None, "group_quantities": None, "request_orders": None, "folder_id": None, "metadata": None,
        "employees": None, "deadline": None, "sort_order": None, "f_period_t": None,
    }).json()
    assert {k: v for k, v in body.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert employees_of(service.id) == [owner.id]


def test_update_every_field(api, org, owner):
    service = factories.make_service(org)
    folder = make_folder(org)
    body = put(api, service.id, {
        "name": "N", "description": "D", "recurring": 2, "currency": "cad", "price": "1.005", "f_price": 2,
        "f_period_l": 3, "f_period_t": "W", "r_price": 4, "r_period_l": 5, "r_period_t": "D", "recurring_action": 6,
        "deadline": 7, "max_active_requests": 8, "public": False, "group_quantities": True, "multi_order": False,
        "request_orders": True, "employees": [str(owner.id)], "metadata": [{"title": "x", "value": "y"}],
        "folder_id": str(folder.id), "sort_order": -1, "braintree_plan_id": "b", "hoth_product_key": "k",
        "hoth_package_name": "p", "provider_id": 9, "provider_service_id": 10,
    }).json()
    assert {k: body[k] for k in SERVICE_KEYS if k not in ("id", "created_at", "updated_at")} == {
        "name": "N", "description": "D", "image": None, "recurring": 2, "price": "1.01", "pretty_price": "CA$1.01",
        "currency": "CAD", "f_price": "2.00", "f_period_l": 3, "f_period_t": "W", "r_price": "4.00",
        "r_period_l": 5, "r_period_t": "D", "recurring_action": 6, "multi_order": False, "request_orders": True,
        "max_active_requests": 8, "deadline": 7, "public": False, "sort_order": -1, "group_quantities": True,
        "folder_id": str(folder.id), "metadata": {"x": "y"}, "braintree_plan_id": "b", "hoth_product_key": "k",
        "hoth_package_name": "p", "provider_id": 9, "provider_service_id": 10,
    }
    assert employees_of(service.id) == [owner.id]


def test_update_empty_folder_id_clears_the_folder(api, org):
    service = factories.make_service(org, folder=make_folder(org))
    assert put(api, service.id, {"folder_id": ""}).json()["folder_id"] is None


def test_update_metadata_replaces_the_object(api, org):
    service = factories.make_service(org, metadata={"a": "1", "b": "2"})
    assert put(api, service.id, {"metadata": [{"title": "c", "value": "3"}]}).json()["metadata"] == {"c": "3"}
    assert put(api, service.id, {"metadata": []}).json()["metadata"] == {}


def test_update_employees_replace_the_assignments(api, org, owner):
    other = factories.make_team_member(org)
    service = factories.make_service(org)
    ServiceEmployee.unscoped.create(service=service, user=owner)
    assert put(api, service.id, {"employees": [str(other.id), str(other.id)]}).status_code == 200
    assert employees_of(service.id) == [other.id]
    assert put(api, service.id, {"employees": []}).status_code == 200
    assert employees_of(service.id) == []


def test_update_bad_employee_leaves_everything_unchanged(api, org, owner):
    service = factories.make_service(org, name="Keep")
    ServiceEmployee.unscoped.create(service=service, user=owner)
    client = factories.make_client(org)
    response = put(api, service.id, {"name": "Changed", "employees": [str(client.id)]})
    assert_envelope(response, 422, {"employees": [f"Employee with ID {client.id} does not exist."]})
    service.refresh_from_db()
    assert service.name == "Keep" and employees_of(service.id) == [owner.id]


def test_update_other_organizations_folder_is_422(api, org, other_org):
    folder = make_folder(org)
    service = factories.make_service(org, folder=folder)
    assert_envelope(put(api, service.id, {"folder_id": str(make_folder(other_org).id)}), 422, FOLDER_MISSING)
    assert_envelope(put(api, service.id, {"folder_id": "nope"}), 422, FOLDER_MISSING)
    service.refresh_from_db()
    assert service.folder_id == folder.id


def test_update_folder_before_employees(api, org):
    service = factories.make_service(org)
    assert_envelope(put(api, service.id, {"folder_id": str(uuid.uuid4()), "employees": ["x"]}), 422, FOLDER_MISSING)


@pytest.mark.parametrize(
    "body,errors",
    [
        ({"name": ""}, {"name": ["String should have at least 1 character"]}),
        ({"name": " \t "}, {"name": ["String should have at least 1 character"]}),
        ({"recurring": 5}, {"recurring": ["Input should be less than or equal to 2"]}),
        ({"currency": ""}, {"currency": ["String should have at least 1 character"]}),
        ({"currency": "DOLLAR"}, {"currency": ["String should have at most 3 characters"]}),
        ({"f_period_t": "x"}, {"f_period_t": ["Value error, Period type must be D, W, M, or Y"]}),
        ({"public": "maybe"}, {"public": ["Input should be a valid boolean, unable to interpret input"]}),
        ({"sort_order": "x"}, {"sort_order": ["Input should be a valid integer, unable to parse string as an integer"]}),
        ({"employees": [1]}, {"employees.0": ["Input should be a valid string"]}),
        ({"metadata": [{}]}, {"metadata.0.title": ["Field required"]}),
        ({"folder_id": 1}, {"folder_id": ["Input should be a valid string"]}),
    ],
)
def test_update_schema_errors(api, org, body, errors):
    service = factories.make_service(org)
    assert_envelope(put(api, service.id, body), 400, errors)


@pytest.mark.parametrize("pk", ["nope", str(uuid.uuid4())])
def test_update_schema_errors_come_before_404(api, pk):
    assert_envelope(put(api, pk, {"recurring": 9}), 400, {"recurring": ["Input should be less than or equal to 2"]})


def test_update_404_comes_before_reference_checks(api):
    assert_detail(put(api, uuid.uuid4(), {"folder_id": "nope"}), 404, "Not Found")


def test_update_ignores_read_only_and_unknown_fields(api, org):
    service = factories.make_service(org)
    before = api.get(f"{URL}/{service.id}").json()
    after = put(api, service.id, {
        "id": str(uuid.uuid4()), "image": "x", "pretty_price": "x", "created_at": "2020-01-01",
        "deleted_at": "2020-01-01", "org_id": str(uuid.uuid4()), "nope": 1,
    }).json()
    after.pop("updated_at")
    before.pop("updated_at")
    assert after == before
    service.refresh_from_db()
    assert service.deleted_at is None


# --- delete -------------------------------------------------------------------------------------------------


def test_delete_is_a_soft_delete(api, org, owner):
    service = factories.make_service(org)
    ServiceEmployee.unscoped.create(service=service, user=owner)
    response = api.delete(f"{URL}/{service.id}")
    assert response.status_code == 204 and response.content == b""
    service.refresh_from_db()
    assert service.deleted_at is not None
    assert employees_of(service.id) == [owner.id]
    assert_detail(api.get(f"{URL}/{service.id}"), 404, "Not Found")
    assert_detail(put(api, service.id, {"name": "x"}), 404, "Not Found")
    assert_detail(api.delete(f"{URL}/{service.id}"), 404, "Not Found")
    assert api.get(URL).json()["meta"]["total"] == 0


def test_delete_keeps_order_references(api, org):
    service = factories.make_service(org)
    order = factories.make_order(org, service=service)
    assert api.delete(f"{URL}/{service.id}").status_code == 204
    order.refresh_from_db()
    assert order.service_id == service.id


@pytest.mark.parametrize("pk", ["nope", str(uuid.uuid4())])
def test_delete_unknown_is_404(api, pk):
    assert_detail(api.delete(f"{URL}/{pk}"), 404, "Not Found")


# --- list ---------------------------------------------------------------------------------------------------


def test_list_envelope_only_live_services_of_the_organization(api, org, other_org):
    live = factories.make_service(org)
    factories.make_service(org, deleted_at=datetime(2025, 1, 1, tzinfo=dt_timezone.utc))
    factories.make_service(other_org)
    body = api.get(URL).json()
    assert [row["id"] for row in body["data"]] == [str(live.id)]
    assert body["data"][0] == api.get(f"{URL}/{live.id}").json()
    assert body["links"] == {
        "first": "http://testserver/api/services?page=1&limit=20",
        "last": "http://testserver/api/services?page=1&limit=20", "prev": None, "next": None,
    }
    assert body["meta"] == {
        "current_page": 1, "from": 1, "to": 1, "last_page": 1, "per_page": 20, "total": 1,
        "path": "http://testserver/api/services",
    }


def test_list_filters(api, org):
    folder = make_folder(org)
    a = factories.make_service(org, name="Alpha", recurring=0, public=True, price=Decimal("10"), currency="USD",
                               created_at=datetime(2024, 1, 1, tzinfo=dt_timezone.utc))
    b = factories.make_service(org, name="Beta", recurring=1, public=False, price=None, currency="EUR",
                               folder=folder, created_at=datetime(2025, 6, 1, tzinfo=dt_timezone.utc))

    def ids(query):
        body = api.get(f"{URL}?{query}").json()
        assert body["meta"]["total"] == len(body["data"]), body
        return {r["id"] for r in body["data"]}

    assert ids("filters[name][$eq]=Alpha") == {str(a.id)}
    assert ids("filters[recurring][$eq]=1") == {str(b.id)}
    assert ids("filters[public][$eq]=true") == {str(a.id)}
    assert ids("filters[public][$eq]=false") == {str(b.id)}
    assert ids("filters[price][$eq]=null") == {str(b.id)}
    assert ids("filters[price][$gt]=5") == {str(a.id)}
    assert ids("filters[currency][$eq]=EUR") == {str(b.id)}
    assert ids("filters[folder_id][$eq]=null") == {str(a.id)}
    assert ids(f"filters[folder_id][$eq]={folder.id}") == {str(b.id)}
    assert ids("filters[created_at][$lt]=2025-01-01") == {str(a.id)}
    assert ids(f"filters[id][$in][]={a.id}&filters[id][$in][]={b.id}") == {str(a.id), str(b.id)}
    assert ids("filters[sort_order][$eq]=5") == {str(a.id), str(b.id)}  # not a filter field: ignored


@pytest.mark.parametrize(
    "query,key",
    [
        ("filters[public][$eq]=perhaps", "filters[public][$eq]"),
        ("filters[price][$lt]=cheap", "filters[price][$lt]"),
        ("filters[folder_id][$eq]=nope", "filters[folder_id][$eq]"),
        ("filters[id][$in][]=nope", "filters[id][$in][]"),
    ],
)
def test_list_bad_filter_values_are_400(api, query, key):
    assert_envelope(api.get(f"{URL}?{query}"), 400, {key: ["The filter value is invalid."]})


@pytest.mark.parametrize("field", ["id", "name", "price", "recurring", "public", "sort_order", "created_at"])
def test_list_sorts(api, org, field):
    rows = [
        factories.make_service(org, name="A", price=Decimal("1"), recurring=0, public=False, sort_order=1,
                               created_at=datetime(2024, 1, 1, tzinfo=dt_timezone.utc)),
        factories.make_service(org, name="B", price=Decimal("2"), recurring=1, public=True, sort_order=2,
                               created_at=datetime(2025, 1, 1, tzinfo=dt_timezone.utc)),
    ]
    ascending = [str(r.id) for r in (sorted(rows, key=lambda r: str(r.id)) if field == "id" else rows)]
    assert [r["id"] for r in api.get(f"{URL}?sort={field}:asc").json()["data"]] == ascending
    assert [r["id"] for r in api.get(f"{URL}?sort={field}:desc").json()["data"]] == ascending[::-1]


def test_list_null_prices_sort_last_ascending(api, org):
    priced = factories.make_service(org, price=Decimal("1"))
    free = factories.make_service(org, price=None)
    assert [r["id"] for r in api.get(f"{URL}?sort=price:asc").json()["data"]] == [str(priced.id), str(free.id)]
    assert [r["id"] for r in api.get(f"{URL}?sort=price:desc").json()["data"]] == [str(free.id), str(priced.id)]


def test_list_unknown_sort_field_falls_back_to_created_at(api, org):
    old = factories.make_service(org, created_at=datetime(2024, 1, 1, tzinfo=dt_timezone.utc))
    new = factories.make_service(org, created_at=datetime(2025, 1, 1, tzinfo=dt_timezone.utc))
    assert [r["id"] for r in api.get(f"{URL}?sort=deleted_at:asc").json()["data"]] == [str(old.id), str(new.id)]
    assert [r["id"] for r in api.get(f"{URL}?sort=deleted_at").json()["data"]] == [str(new.id), str(old.id)]


def _service_with_children(org, owner):
    service = factories.make_service(org, folder=make_folder(org), metadata={"a": "b"})
    ServiceEmployee.unscoped.create(service=service, user=owner)
    return service


def test_list_query_count_is_constant(api, org, owner):
    # token 1 + page 1 (the live total inside)
    assert assert_constant_queries(api, URL, lambda: _service_with_children(org, owner), budget=3) == 2


def test_list_query_count_does_not_depend_on_page_size(api, org, owner):
    for _ in range(5):
        _service_with_children(org, owner)
    one, sql_one = count_queries(lambda: api.get(f"{URL}?limit=1"))
    hundred, sql_hundred = count_queries(lambda: api.get(f"{URL}?limit=100"))
    assert len(one.json()["data"]) == 1 and len(hundred.json()["data"]) == 5
    assert len(sql_one) == len(sql_hundred) <= 3


def test_list_bad_paging_is_400(api):
    assert_envelope(api.get(f"{URL}?limit=101"), 400, {"query.limit": ["Input should be less than or equal to 100"]})


# --- methods and auth ---------------------------------------------------------------------------------------


def test_patch_is_405(api, org):
    service = factories.make_service(org)
    assert_detail(api.patch(f"{URL}/{service.id}", data={}, format="json"), 405, "Method Not Allowed")
    assert_detail(api.post(f"{URL}/{service.id}", data={}, format="json"), 405, "Method Not Allowed")
    assert_detail(api.delete(URL), 405, "Method Not Allowed")


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_authentication_is_required(anon, org, method):
    service = factories.make_service(org)
    path = URL if method in ("GET", "POST") else f"{URL}/{service.id}"
    assert_detail(anon.generic(method, path, data="{bad", content_type="application/json"), 401, "Unauthorized")
