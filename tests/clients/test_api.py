"""`/api/clients` against contract clients.md: shapes, validation, 404s, tenancy, delete guards, queries."""
import re
import uuid
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal

import pytest

from serviceengine.models import Address, Role, User
from tests import factories
from tests.clients.factories import make_invoice, make_order, make_subscription, make_ticket
from tests.helpers import assert_constant_queries, assert_detail, assert_envelope, count_queries

URL = "/api/clients"
ROLE_KEYS = [
    "id", "name", "dashboard_access", "order_access", "order_management", "ticket_access", "ticket_management",
    "invoice_access", "invoice_management", "clients", "services", "coupons", "forms", "messaging", "affiliates",
    "settings_company", "settings_payments", "settings_team", "settings_modules", "settings_integrations",
    "settings_orders", "settings_tickets", "settings_accounts", "settings_messages", "settings_tags",
    "settings_sidebar", "settings_dashboard", "settings_templates", "settings_emails", "settings_language",
    "settings_logs", "created_at", "updated_at",
]
CLIENT_KEYS = [
    "id", "name", "name_f", "name_l", "email", "company", "phone", "tax_id", "address", "note", "balance", "spent",
    "optin", "stripe_id", "custom_fields", "status", "aff_id", "aff_link", "role_id", "role", "ga_cid", "created_at",
    "updated_at",
]
ADDRESS_KEYS = [
    "line_1", "line_2", "city", "state", "country", "postcode", "name_f", "name_l", "tax_id", "company_name",
    "company_vat",
]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
GRACE = {"name_f": "Grace", "name_l": "Hopper", "email": "grace@navy.example.com"}


def role_body(role: Role) -> dict:
    body = {"id": str(role.id), "name": role.name}
    body.update({f: getattr(role, f) for f in Role.LEVEL_FIELDS})
    body.update({f: getattr(role, f) for f in Role.FLAG_FIELDS})
    body["created_at"] = role.created_at.isoformat()
    body["updated_at"] = role.updated_at.isoformat()
    return body


def post(api, body):
    return api.post(URL, data=body, format="json")


def put(api, pk, body):
    return api.put(f"{URL}/{pk}", data=body, format="json")


def created(response) -> dict:
    assert response.status_code == 201, response.content
    return response.json()


# --- create -------------------------------------------------------------------------------------------------


def test_create_minimal_returns_the_full_client_object(api, org):
    body = created(post(api, GRACE))
    role = Role.objects.client_role()
    assert list(body) == CLIENT_KEYS
    assert list(body["role"]) == ROLE_KEYS
    assert UUID_RE.match(body["id"])
    assert 100000 <= body["aff_id"] <= 999999
    assert re.fullmatch(r"https://example\.com/r/[A-Z0-9]{6}", body["aff_link"])
    assert TIMESTAMP.match(body["created_at"])
    assert body == {
        "id": body["id"], "name": "Grace Hopper", "name_f": "Grace", "name_l": "Hopper",
        "email": "grace@navy.example.com", "company": None, "phone": None, "tax_id": None, "address": None,
        "note": None, "balance": "0.00", "spent": None, "optin": None, "stripe_id": None, "custom_fields": {},
        "status": 1, "aff_id": body["aff_id"], "aff_link": body["aff_link"], "role_id": str(role.id),
        "role": role_body(role), "ga_cid": None, "created_at": body["created_at"], "updated_at": body["updated_at"],
    }
    assert TIMESTAMP.match(body["updated_at"])
    user = User.unscoped.get(pk=body["id"])
    assert user.organization == org and user.role == role
    assert user.balance == Decimal("0.00") and user.spent == Decimal("0.00") and user.ga_cid is None


def test_create_with_every_field_and_an_address(api):
    body = created(post(api, {
        "name_f": "  Ada ", "name_l": " Byron  ", "email": "  Ada@Engines.Example.COM ", "company": "Engines Ltd",
        "phone": "555-0100", "tax_id": "GB-1", "note": "VIP", "optin": "Yes", "stripe_id": "cus_1",
        "custom_fields": {"industry": "Computing", "n": [1, {"x": None}]}, "status_id": "3",
        "created_at": "2025-01-02T03:04:05.123456+02:00",
        "address": {"line_1": "12 Analytical Row", "city": "London", "country": "GB", "postcode": "N1 9GU",
                    "line_2": None, "bogus": "ignored"},
    }))
    assert body["name"] == "Ada Byron" and body["name_f"] == "Ada" and body["name_l"] == "Byron"
    assert body["email"] == "ada@engines.example.com"
    assert (body["company"], body["phone"], body["tax_id"], body["note"]) == ("Engines Ltd", "555-0100", "GB-1", "VIP")
    assert (body["optin"], body["stripe_id"], body["status"]) == ("Yes", "cus_1", 3)
    assert body["custom_fields"] == {"industry": "Computing", "n": [1, {"x": None}]}
    assert body["created_at"] == "2025-01-02T01:04:05.123456+00:00"
    assert list(body["address"]) == ADDRESS_KEYS
    assert body["address"] == {
        "line_1": "12 Analytical Row", "line_2": None, "city": "London", "state": None, "country": "GB",
        "postcode": "N1 9GU", "name_f": "Ada", "name_l": "Byron", "tax_id": "GB-1", "company_name": "Engines Ltd",
        "company_vat": None,
    }


def test_create_with_empty_address_object_creates_an_address(api, org):
    body = created(post(api, {**GRACE, "address": {}}))
    assert body["address"] == {
        "line_1": None, "line_2": None, "city": None, "state": None, "country": None, "postcode": None,
        "name_f": "Grace", "name_l": "Hopper", "tax_id": None, "company_name": None, "company_vat": None,
    }
    assert Address.objects.for_org(org).count() == 1


def test_create_with_null_address_creates_none(api, org):
    assert created(post(api, {**GRACE, "address": None}))["address"] is None
    assert Address.objects.for_org(org).count() == 0


def test_create_ignores_unknown_and_read_only_fields(api, org, other_org):
    body = created(post(api, {
        **GRACE, "id": str(uuid.uuid4()), "balance": 500, "spent": 10, "role_id": str(uuid.uuid4()), "aff_id": 1,
        "aff_link": "x", "ga_cid": "GA1", "org_id": str(other_org.id), "organization": str(other_org.id),
        "updated_at": "2020-01-01", "status": 9, "name": "Nope", "wat": 1,
    }))
    assert body["balance"] == "0.00" and body["ga_cid"] is None and body["status"] == 1
    assert body["aff_id"] != 1 and body["aff_link"] != "x" and body["name"] == "Grace Hopper"
    user = User.unscoped.get(pk=body["id"])
    assert user.organization_id == org.id and user.ga_cid is None


def test_create_status_id_accepts_any_integer(api):
    assert created(post(api, {**GRACE, "status_id": -7}))["status"] == -7


def test_create_required_fields(api):
    assert_envelope(post(api, {}), 400, {
        "name_f": ["Field required"], "name_l": ["Field required"], "email": ["Field required"],
    })


def test_create_lists_every_failing_field_in_table_order(api):
    response = post(api, {
        "name_f": None, "name_l": "   ", "email": "nope", "company": "x" * 256, "phone": "x" * 51,
        "tax_id": "x" * 101, "address": "x", "note": 5, "optin": "x" * 51, "stripe_id": "x" * 256,
        "custom_fields": [], "status_id": 1.5, "created_at": "yesterday",
    })
    assert_envelope(response, 400, {
        "name_f": ["Input should be a valid string"],
        "name_l": ["String should have at least 1 character"],
        "email": ["value is not a valid email address: An email address must have an @-sign."],
        "company": ["String should have at most 255 characters"],
        "phone": ["String should have at most 50 characters"],
        "tax_id": ["String should have at most 100 characters"],
        "address": ["Input should be a valid dictionary or object to extract fields from"],
        "note": ["Input should be a valid string"],
        "optin": ["String should have at most 50 characters"],
        "stripe_id": ["String should have at most 255 characters"],
        "custom_fields": ["Input should be a valid dictionary"],
        "status_id": ["Input should be a valid integer, got a number with a fractional part"],
        "created_at": ["Input should be a valid datetime"],
    })
    assert list(response.json()["errors"]) == [
        "name_f", "name_l", "email", "company", "phone", "tax_id", "address", "note", "optin", "stripe_id",
        "custom_fields", "status_id", "created_at",
    ]


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("name_f", "", "String should have at least 1 character"),
        ("name_f", "x" * 256, "String should have at most 255 characters"),
        ("name_l", 5, "Input should be a valid string"),
        ("email", 5, "Input should be a valid string"),
        ("email", "a@b", "value is not a valid email address: The part after the @-sign is not valid. It should have a period."),
        ("status_id", "abc", "Input should be a valid integer, unable to parse string as an integer"),
        ("status_id", [], "Input should be a valid integer"),
    ],
)
def test_create_field_errors(api, field, value, message):
    assert_envelope(post(api, {**GRACE, field: value}), 400, {field: [message]})


@pytest.mark.parametrize(
    "address,key,message",
    [
        ({"line_1": 5}, "address.line_1", "Input should be a valid string"),
        ({"city": "x" * 256}, "address.city", "String should have at most 255 characters"),
        ({"country": "x" * 11}, "address.country", "String should have at most 10 characters"),
        ({"postcode": "x" * 51}, "address.postcode", "String should have at most 50 characters"),
        ([], "address", "Input should be a valid dictionary or object to extract fields from"),
    ],
)
def test_create_address_errors(api, address, key, message):
    assert_envelope(post(api, {**GRACE, "address": address}), 400, {key: [message]})


@pytest.mark.parametrize("body", ["", "[]", "{bad"])
def test_create_whole_body_errors(api, body):
    response = api.post(URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["root"]


def test_create_duplicate_email_of_a_client_compared_lower_cased(api, org):
    factories.make_client(org, email="grace@navy.example.com")
    assert_envelope(post(api, {**GRACE, "email": "GRACE@Navy.example.com"}), 400, {
        "email": ["The email has already been taken."],
    })
    assert User.objects.for_org(org).clients().count() == 1


def test_create_duplicate_email_of_a_team_member(api, owner):
    assert_envelope(post(api, {**GRACE, "email": owner.email}), 400, {"email": ["The email has already been taken."]})


def test_create_schema_errors_come_before_the_duplicate_check(api, org):
    factories.make_client(org, email="grace@navy.example.com")
    assert_envelope(post(api, {**GRACE, "name_f": ""}), 400, {"name_f": ["String should have at least 1 character"]})


def test_same_email_in_two_organizations_is_allowed(api, other_org):
    factories.make_client(other_org, email="grace@navy.example.com")
    assert created(post(api, GRACE))["email"] == "grace@navy.example.com"


# --- retrieve -----------------------------------------------------------------------------------------------


def test_retrieve_full_shape_with_address_and_spent(api, org):
    address = factories.make_address(org, line_1="1 Row", name_f="Ada", company_vat="VAT9")
    client = factories.make_client(
        org, name_f="Ada", name_l="", email="ada@example.com", company="E", phone="1", tax_id="T",
        note="n", optin="Yes", stripe_id="cus", custom_fields={"a": 1}, status=4, address=address,
        balance=Decimal("12.50"), ga_cid="GA.1",
    )
    make_invoice(org, client, total="100.10", paid=True)
    make_invoice(org, client, total="20.05", paid=True)
    response = api.get(f"{URL}/{client.id}")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": str(client.id), "name": "Ada", "name_f": "Ada", "name_l": "", "email": "ada@example.com",
        "company": "E", "phone": "1", "tax_id": "T",
        "address": {
            "line_1": "1 Row", "line_2": None, "city": "London", "state": None, "country": "GB",
            "postcode": "N1 9GU", "name_f": "Ada", "name_l": None, "tax_id": None, "company_name": None,
            "company_vat": "VAT9",
        },
        "note": "n", "balance": "12.50", "spent": "120.15", "optin": "Yes", "stripe_id": "cus",
        "custom_fields": {"a": 1}, "status": 4, "aff_id": client.aff_id, "aff_link": client.aff_link,
        "role_id": str(client.role_id), "role": role_body(client.role), "ga_cid": None,
        "created_at": client.created_at.isoformat(), "updated_at": client.updated_at.isoformat(),
    }


def test_spent_counts_only_paid_live_invoices_of_this_client(api, org):
    client = factories.make_client(org)
    other = factories.make_client(org)
    make_invoice(org, client, total="10.00", paid=True)
    make_invoice(org, client, total="1000.00", paid=False)
    make_invoice(org, client, total="500.00", paid=True, deleted=True)
    make_invoice(org, other, total="7.00", paid=True)
    assert api.get(f"{URL}/{client.id}").json()["spent"] == "10.00"


def test_spent_is_null_when_only_unpaid_or_deleted_invoices(api, org):
    client = factories.make_client(org)
    make_invoice(org, client, total="1000.00", paid=False)
    make_invoice(org, client, total="500.00", paid=True, deleted=True)
    assert api.get(f"{URL}/{client.id}").json()["spent"] is None


@pytest.mark.parametrize("pk", ["not-a-uuid", "123", str(uuid.uuid4()), str(uuid.uuid4()).upper()[:-1] + "x"])
def test_retrieve_unknown_or_malformed_id_is_404(api, pk):
    assert_detail(api.get(f"{URL}/{pk}"), 404, "Not Found")


def test_retrieve_accepts_upper_case_uuid(api, org):
    client = factories.make_client(org)
    assert api.get(f"{URL}/{str(client.id).upper()}").json()["id"] == str(client.id)


def test_team_member_ids_are_404_everywhere(api, owner):
    assert_detail(api.get(f"{URL}/{owner.id}"), 404, "Not Found")
    assert_detail(put(api, owner.id, {"name_f": "X"}), 404, "Not Found")
    assert_detail(api.delete(f"{URL}/{owner.id}"), 404, "Not Found")
    assert User.unscoped.get(pk=owner.pk).name_f == "Olive"


def test_other_organizations_client_is_404_everywhere(api, other_org):
    client = factories.make_client(other_org, name_f="Theirs")
    assert_detail(api.get(f"{URL}/{client.id}"), 404, "Not Found")
    assert_detail(put(api, client.id, {"name_f": "Mine"}), 404, "Not Found")
    assert_detail(api.delete(f"{URL}/{client.id}"), 404, "Not Found")
    assert User.unscoped.get(pk=client.pk).name_f == "Theirs"


# --- list ---------------------------------------------------------------------------------------------------


def test_list_envelope_only_the_organizations_clients(api, org, other_org, owner):
    mine = factories.make_client(org)
    factories.make_client(other_org)
    factories.make_team_member(org)
    response = api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["data"]] == [str(mine.id)]
    assert body["data"][0] == api.get(f"{URL}/{mine.id}").json()
    assert body["links"] == {
        "first": "http://testserver/api/clients?page=1&limit=20",
        "last": "http://testserver/api/clients?page=1&limit=20", "prev": None, "next": None,
    }
    assert body["meta"] == {
        "current_page": 1, "from": 1, "to": 1, "last_page": 1, "per_page": 20, "total": 1,
        "path": "http://testserver/api/clients",
    }


def test_list_computes_spent_per_row(api, org):
    paid = factories.make_client(org, email="paid@example.com")
    factories.make_client(org, email="none@example.com")
    make_invoice(org, paid, total="42.00", paid=True)
    rows = {row["email"]: row["spent"] for row in api.get(URL).json()["data"]}
    assert rows == {"paid@example.com": "42.00", "none@example.com": None}


def test_list_default_sort_is_newest_first(api, org):
    old = factories.make_client(org, created_at=datetime(2024, 1, 1, tzinfo=dt_timezone.utc))
    new = factories.make_client(org, created_at=datetime(2025, 1, 1, tzinfo=dt_timezone.utc))
    assert [r["id"] for r in api.get(URL).json()["data"]] == [str(new.id), str(old.id)]


@pytest.mark.parametrize("field", ["email", "name_f", "name_l", "status", "balance", "created_at"])
def test_list_sorts(api, org, field):
    a = factories.make_client(org, email="a@example.com", name_f="A", name_l="Z", status=1, balance=1,
                              created_at=datetime(2024, 1, 1, tzinfo=dt_timezone.utc))
    b = factories.make_client(org, email="b@example.com", name_f="B", name_l="Y", status=2, balance=2,
                              created_at=datetime(2025, 1, 1, tzinfo=dt_timezone.utc))
    ascending = [str(a.id), str(b.id)] if field != "name_l" else [str(b.id), str(a.id)]
    assert [r["id"] for r in api.get(f"{URL}?sort={field}:asc").json()["data"]] == ascending
    assert [r["id"] for r in api.get(f"{URL}?sort={field}:desc").json()["data"]] == ascending[::-1]


def test_list_filters(api, org):
    a = factories.make_client(org, email="a@example.com", status=1, balance=Decimal("5.00"),
                              created_at=datetime(2024, 1, 1, tzinfo=dt_timezone.utc))
    b = factories.make_client(org, email="b@example.com", status=2, balance=Decimal("50.00"),
                              created_at=datetime(2025, 6, 1, tzinfo=dt_timezone.utc))

    def ids(query):
        body = api.get(f"{URL}?{query}").json()
        assert body["meta"]["total"] == len(body["data"])
        return {r["id"] for r in body["data"]}

    assert ids("filters[email][$eq]=a@example.com") == {str(a.id)}
    assert ids("filters[status][$eq]=2") == {str(b.id)}
    assert ids("filters[status][$gt]=1") == {str(b.id)}
    assert ids("filters[balance][$lt]=10") == {str(a.id)}
    assert ids("filters[created_at][$gt]=2025-01-01") == {str(b.id)}
    assert ids(f"filters[id][$in][]={a.id}&filters[id][$in][]={b.id}") == {str(a.id), str(b.id)}
    assert ids(f"filters[id][$eq]={b.id}&filters[status][$eq]=1") == set()
    assert ids("filters[note][$eq]=x&filters[status][$like]=1") == {str(a.id), str(b.id)}


@pytest.mark.parametrize(
    "query,key",
    [
        ("filters[status][$eq]=abc", "filters[status][$eq]"),
        ("filters[id][$eq]=nope", "filters[id][$eq]"),
        ("filters[created_at][$lt]=soon", "filters[created_at][$lt]"),
        ("filters[balance][$gt]=lots", "filters[balance][$gt]"),
    ],
)
def test_list_bad_filter_values_are_400(api, query, key):
    assert_envelope(api.get(f"{URL}?{query}"), 400, {key: ["The filter value is invalid."]})


def test_list_bad_paging_is_400(api):
    assert_envelope(api.get(f"{URL}?limit=0&page=x"), 400, {
        "query.limit": ["Input should be greater than or equal to 1"],
        "query.page": ["Input should be a valid integer, unable to parse string as an integer"],
    })


def test_list_pagination(api, org):
    for _ in range(3):
        factories.make_client(org)
    body = api.get(f"{URL}?page=2&limit=2").json()
    assert len(body["data"]) == 1
    assert body["meta"]["from"] == 3 and body["meta"]["to"] == 3 and body["meta"]["last_page"] == 2
    assert body["links"]["prev"] == "http://testserver/api/clients?page=1&limit=2"


def _client_with_dependants(org):
    client = factories.make_client(org, address=factories.make_address(org))
    make_invoice(org, client, total="3.00", paid=True)
    make_invoice(org, client, total="4.00", paid=True)
    return client


def test_list_query_count_is_constant(api, org):
    # token 1 + count 1 + page 1 (the client role is looked up only when the page is empty)
    assert assert_constant_queries(api, URL, lambda: _client_with_dependants(org), budget=3) == 3


def test_list_query_count_does_not_depend_on_page_size(api, org):
    for _ in range(5):
        _client_with_dependants(org)
    one, sql_one = count_queries(lambda: api.get(f"{URL}?limit=1"))
    hundred, sql_hundred = count_queries(lambda: api.get(f"{URL}?limit=100"))
    assert len(one.json()["data"]) == 1 and len(hundred.json()["data"]) == 5
    assert len(sql_one) == len(sql_hundred) <= 4


def test_retrieve_query_count(api, org):
    client = _client_with_dependants(org)
    response, sql = count_queries(lambda: api.get(f"{URL}/{client.id}"))
    assert response.status_code == 200
    assert len(sql) <= 3, "\n".join(sql)  # token 1 + client role 1 + row 1


# --- update -------------------------------------------------------------------------------------------------


def test_update_changes_only_the_fields_sent(api, org):
    client = factories.make_client(org, name_f="Ada", name_l="Byron", company="Old", phone="1", note="keep")
    body = put(api, client.id, {"name_l": " Lovelace ", "company": "New", "phone": None, "status_id": 7})
    assert body.status_code == 200, body.content
    body = body.json()
    assert body["name"] == "Ada Lovelace" and body["name_l"] == "Lovelace"
    assert (body["company"], body["phone"], body["note"], body["status"]) == ("New", "1", "keep", 7)
    assert body == api.get(f"{URL}/{client.id}").json()


def test_update_null_never_clears(api, org):
    address = factories.make_address(org)
    client = factories.make_client(org, company="C", note="N", custom_fields={"a": 1}, address=address)
    body = put(api, client.id, {
        "name_f": None, "email": None, "company": None, "note": None, "custom_fields": None, "address": None,
        "status_id": None, "created_at": None,
    }).json()
    assert body == api.get(f"{URL}/{client.id}").json()
    assert (body["company"], body["note"], body["custom_fields"]) == ("C", "N", {"a": 1})
    assert body["address"]["line_1"] == "12 Analytical Row"


def test_update_empty_body_object_changes_nothing(api, org):
    client = factories.make_client(org)
    before = api.get(f"{URL}/{client.id}").json()
    after = put(api, client.id, {}).json()
    assert after.pop("updated_at") >= before.pop("updated_at")
    assert after == before


def test_update_every_field(api, org):
    client = factories.make_client(org)
    body = put(api, client.id, {
        "name_f": "G", "name_l": "H", "email": "NEW@example.com", "company": "Co", "phone": "2", "tax_id": "T2",
        "note": "n2", "optin": "No", "stripe_id": "cus_2", "custom_fields": {"b": 2}, "status_id": "5",
        "created_at": "2020-05-06",
    }).json()
    assert {k: body[k] for k in ("name", "email", "company", "phone", "tax_id", "note", "optin", "stripe_id")} == {
        "name": "G H", "email": "new@example.com", "company": "Co", "phone": "2", "tax_id": "T2", "note": "n2",
        "optin": "No", "stripe_id": "cus_2",
    }
    assert body["custom_fields"] == {"b": 2} and body["status"] == 5
    assert body["created_at"] == "2020-05-06T00:00:00+00:00"


def test_update_ignores_read_only_and_unknown_fields(api, org):
    client = factories.make_client(org)
    before = api.get(f"{URL}/{client.id}").json()
    after = put(api, client.id, {
        "id": str(uuid.uuid4()), "balance": 99, "spent": 1, "aff_id": 1, "aff_link": "x", "role_id": str(uuid.uuid4()),
        "ga_cid": "G", "status": 3, "org_id": str(uuid.uuid4()), "whatever": True,
    }).json()
    assert after.pop("updated_at") >= before.pop("updated_at")
    assert after == before


def test_update_address_creates_one_from_current_values(api, org):
    client = factories.make_client(org, name_f="Ada", name_l="Byron", tax_id="T", company="Engines")
    body = put(api, client.id, {"address": {"city": "Paris"}}).json()
    assert body["address"] == {
        "line_1": None, "line_2": None, "city": "Paris", "state": None, "country": None, "postcode": None,
        "name_f": "Ada", "name_l": "Byron", "tax_id": "T", "company_name": "Engines", "company_vat": None,
    }
    assert User.unscoped.get(pk=client.pk).address.organization_id == org.id


def test_update_address_replaces_lines_in_place_with_new_values(api, org):
    address = factories.make_address(org, line_2="Flat 2", state="Greater London", company_vat="VAT")
    client = factories.make_client(org, name_f="Ada", name_l="Byron", tax_id="T", company="Engines", address=address)
    body = put(api, client.id, {
        "name_f": "Augusta", "company": "Difference", "address": {"line_1": "2 New St", "postcode": "E1"},
    }).json()
    assert body["address"] == {
        "line_1": "2 New St", "line_2": None, "city": None, "state": None, "country": None, "postcode": "E1",
        "name_f": "Augusta", "name_l": "Byron", "tax_id": "T", "company_name": "Difference", "company_vat": None,
    }
    assert User.unscoped.get(pk=client.pk).address_id == address.id
    assert Address.objects.for_org(org).count() == 1


def test_update_without_address_leaves_it_untouched(api, org):
    address = factories.make_address(org, name_f="Ada")
    client = factories.make_client(org, name_f="Ada", address=address)
    body = put(api, client.id, {"name_f": "Augusta"}).json()
    assert body["address"]["name_f"] == "Ada" and body["name_f"] == "Augusta"


def test_update_duplicate_email_is_400(api, org, owner):
    client = factories.make_client(org, email="mine@example.com")
    factories.make_client(org, email="taken@example.com")
    taken = {"email": ["The email has already been taken."]}
    assert_envelope(put(api, client.id, {"email": "Taken@example.com"}), 400, taken)
    assert_envelope(put(api, client.id, {"email": owner.email}), 400, taken)
    assert User.unscoped.get(pk=client.pk).email == "mine@example.com"


def test_update_own_email_is_fine(api, org):
    client = factories.make_client(org, email="mine@example.com")
    response = put(api, client.id, {"email": "MINE@example.com", "name_f": "Me"})
    assert response.status_code == 200 and response.json()["email"] == "mine@example.com"


def test_update_email_used_in_another_organization_is_fine(api, org, other_org):
    client = factories.make_client(org)
    factories.make_client(other_org, email="shared@example.com")
    assert put(api, client.id, {"email": "shared@example.com"}).json()["email"] == "shared@example.com"


@pytest.mark.parametrize(
    "body,errors",
    [
        ({"name_f": ""}, {"name_f": ["String should have at least 1 character"]}),
        ({"name_l": "  "}, {"name_l": ["String should have at least 1 character"]}),
        ({"email": "bad"}, {"email": ["value is not a valid email address: An email address must have an @-sign."]}),
        ({"address": 1}, {"address": ["Input should be a valid dictionary or object to extract fields from"]}),
        ({"custom_fields": "x"}, {"custom_fields": ["Input should be a valid dictionary"]}),
        ({"status_id": "x"}, {"status_id": ["Input should be a valid integer, unable to parse string as an integer"]}),
        ({"created_at": "2026-02-30"}, {"created_at": ["Input should be a valid datetime"]}),
        ({"phone": "x" * 51}, {"phone": ["String should have at most 50 characters"]}),
    ],
)
def test_update_schema_errors(api, org, body, errors):
    client = factories.make_client(org)
    assert_envelope(put(api, client.id, body), 400, errors)


@pytest.mark.parametrize("pk", ["nope", str(uuid.uuid4())])
def test_update_schema_errors_come_before_404(api, pk):
    assert_envelope(put(api, pk, {"email": "bad"}), 400, {
        "email": ["value is not a valid email address: An email address must have an @-sign."],
    })


def test_update_unknown_id_is_404(api):
    assert_detail(put(api, uuid.uuid4(), {"name_f": "X"}), 404, "Not Found")


def test_update_missing_body_is_400(api, org):
    client = factories.make_client(org)
    assert_envelope(api.put(f"{URL}/{client.id}", data="", content_type="application/json"), 400, {
        "root": ["Field required"],
    })


# --- delete -------------------------------------------------------------------------------------------------


def test_delete_hard_deletes_and_the_client_is_gone(api, org):
    address = factories.make_address(org)
    client = factories.make_client(org, address=address)
    response = api.delete(f"{URL}/{client.id}")
    assert response.status_code == 204 and response.content == b""
    assert not User.unscoped.filter(pk=client.pk).exists()
    assert not Address.unscoped.filter(pk=address.pk).exists()
    assert_detail(api.get(f"{URL}/{client.id}"), 404, "Not Found")
    assert_detail(put(api, client.id, {"name_f": "X"}), 404, "Not Found")
    assert_detail(api.delete(f"{URL}/{client.id}"), 404, "Not Found")
    assert api.get(URL).json()["meta"]["total"] == 0


def test_delete_keeps_an_address_shared_with_another_user(api, org):
    address = factories.make_address(org)
    client = factories.make_client(org, address=address)
    factories.make_client(org, address=address)
    assert api.delete(f"{URL}/{client.id}").status_code == 204
    assert Address.unscoped.filter(pk=address.pk).exists()


@pytest.mark.parametrize(
    "make,detail",
    [
        (lambda org, c: make_order(org, c), "Cannot delete client with existing orders"),
        (lambda org, c: make_order(org, c, deleted=True), "Cannot delete client with existing orders"),
        (lambda org, c: make_invoice(org, c), "Cannot delete client with existing invoices"),
        (lambda org, c: make_invoice(org, c, deleted=True), "Cannot delete client with existing invoices"),
        (lambda org, c: make_ticket(org, c), "Cannot delete client with existing tickets"),
        (lambda org, c: make_ticket(org, c, deleted=True), "Cannot delete client with existing tickets"),
        (lambda org, c: make_subscription(org, c), "Cannot delete client with existing subscriptions"),
    ],
)
def test_delete_refused_while_dependants_exist(api, org, make, detail):
    client = factories.make_client(org)
    make(org, client)
    assert_detail(api.delete(f"{URL}/{client.id}"), 409, detail)
    assert User.unscoped.filter(pk=client.pk).exists()


def test_delete_conflicts_are_checked_in_the_contracts_order(api, org):
    client = factories.make_client(org)
    make_subscription(org, client)
    make_ticket(org, client)
    make_invoice(org, client)
    make_order(org, client)
    assert_detail(api.delete(f"{URL}/{client.id}"), 409, "Cannot delete client with existing orders")
    client.orders.all().delete()
    assert_detail(api.delete(f"{URL}/{client.id}"), 409, "Cannot delete client with existing invoices")
    client.invoices.all().delete()
    assert_detail(api.delete(f"{URL}/{client.id}"), 409, "Cannot delete client with existing tickets")
    client.tickets.all().delete()
    assert_detail(api.delete(f"{URL}/{client.id}"), 409, "Cannot delete client with existing subscriptions")


@pytest.mark.parametrize("pk", ["nope", str(uuid.uuid4())])
def test_delete_unknown_is_404(api, pk):
    assert_detail(api.delete(f"{URL}/{pk}"), 404, "Not Found")


# --- client role, methods, auth -----------------------------------------------------------------------------


@pytest.fixture
def no_client_role(db):
    Role.objects.filter(dashboard_access=0).delete()


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("get", URL, None),
        ("post", URL, GRACE),
        ("get", f"{URL}/{uuid.uuid4()}", None),
        ("put", f"{URL}/{uuid.uuid4()}", {"name_f": "X"}),
        ("delete", f"{URL}/{uuid.uuid4()}", None),
        ("get", f"{URL}/not-a-uuid", None),
    ],
)
def test_every_endpoint_is_500_without_a_client_role(api, no_client_role, method, path, body):
    response = getattr(api, method)(path, data=body, format="json") if body else getattr(api, method)(path)
    assert_detail(response, 500, "Client role not configured")


def test_schema_errors_still_come_first_without_a_client_role(api, no_client_role):
    assert_envelope(post(api, {}), 400, {
        "name_f": ["Field required"], "name_l": ["Field required"], "email": ["Field required"],
    })


def test_client_role_named_client_is_preferred(api, org):
    Role.objects.create(name="Prospect")  # also dashboard_access 0, but not the one named Client
    body = created(post(api, GRACE))
    assert body["role"]["name"] == "Client"


@pytest.mark.parametrize("method", ["patch", "post"])
def test_unrouted_methods_are_405(api, org, method):
    client = factories.make_client(org)
    response = getattr(api, method)(f"{URL}/{client.id}", data={}, format="json")
    assert_detail(response, 405, "Method Not Allowed")


def test_collection_put_and_delete_are_405(api):
    assert_detail(api.put(URL, data={}, format="json"), 405, "Method Not Allowed")
    assert_detail(api.delete(URL), 405, "Method Not Allowed")


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_authentication_is_required(anon, org, method):
    client = factories.make_client(org)
    path = URL if method in ("get", "post") else f"{URL}/{client.id}"
    response = anon.generic(method.upper(), path, data="{bad", content_type="application/json")
    assert_detail(response, 401, "Unauthorized")


def test_trailing_slash_is_served(api, org):
    factories.make_client(org)
    assert api.get(URL + "/").json()["meta"]["total"] == 1
