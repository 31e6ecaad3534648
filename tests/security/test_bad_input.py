"""Hostile and malformed input, on every write endpoint: answered with the contract's envelope, never a 500,
and nothing written (contract §2, §5, §7; README "Decisions where the contract is silent").

Each write endpoint is described once in `ENDPOINTS` (a valid body and the kind of each field); the cases
(malformed bodies, wrong types, nulls, absurd numbers, huge strings, NUL, unicode, oversized bodies, non-UUID
ids) are generated from that table. Every refused request is checked against a snapshot of the whole database.
"""
import json
import uuid
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from serviceengine.api import messages as msg

from .conftest import assert_same_snapshot, snapshot
from .routes import walk

MB = 1_000_000
UNICODE = "Zoë 👩🏽‍💻 مرحبا עברית ñ e\u0301\u0301 \u202eRTL\u202c 漢字 \U0001f600"
ABSURD_NUMBERS = [1e300, -1e300, 10**30, -(10**30), "1e400", "NaN", "Infinity", "-Infinity", "nan"]
ITEM = {"name": "Work", "quantity": 1, "amount": 10}

# A wrong-typed value per field kind, and the contract's message for it (README §5).
WRONG_TYPE = {
    "str": (123, msg.STRING_TYPE),
    "text": ({"a": 1}, msg.STRING_TYPE),
    "email": (5, msg.STRING_TYPE),
    "int": ("abc", msg.INT_PARSING),
    "money": ("abc", msg.NUMBER_PARSING),
    "bool": ("maybe", msg.BOOL_PARSING),
    "list": ("x", msg.LIST_TYPE),
    "object": ([], msg.DICT_TYPE),
    "datetime": ("yesterday", msg.DATETIME_TYPE),
}
NULL_MESSAGE = {
    "str": msg.STRING_TYPE, "text": msg.STRING_TYPE, "email": msg.STRING_TYPE, "int": msg.INT_TYPE,
    "money": msg.NUMBER_TYPE, "bool": msg.BOOL_TYPE, "list": msg.LIST_TYPE,
}


@dataclass
class Endpoint:
    name: str
    method: str
    path: str  # formatted with `t`, the tenant
    body: object  # t -> a valid body
    fields: dict  # dotted field path -> kind, or (kind, max_length) for bounded strings
    no_null: tuple = ()  # fields where null is a type error (required, or not nullable)
    echo: str | None = None  # a string field the response returns as sent (top level)
    refs: dict = field(default_factory=dict)  # field -> (value sent, status, error key, message)

    def kind(self, name):
        spec = self.fields[name]
        return spec[0] if isinstance(spec, tuple) else spec

    def __str__(self):
        return self.name


def item_fields(prefix="items.0"):
    return {f"{prefix}.name": ("str", 255), f"{prefix}.quantity": "int", f"{prefix}.amount": "money",
            f"{prefix}.discount": "money", f"{prefix}.description": "text", f"{prefix}.options": "object"}


NOT_SERVICE = (422, "The specified service does not exist.")
ENDPOINTS = [
    Endpoint(
        "clients create", "POST", "/api/clients",
        lambda t: {"name_f": "Ada", "name_l": "Byron", "email": "ada@engines.example.com"},
        {"name_f": ("str", 255), "name_l": ("str", 255), "email": ("email", 255), "company": ("str", 255),
         "phone": ("str", 50), "tax_id": ("str", 100), "note": "text", "custom_fields": "object", "status_id": "int",
         "created_at": "datetime", "address.city": ("str", 255), "address.country": ("str", 10)},
        no_null=("name_f", "name_l", "email"), echo="name_f",
    ),
    Endpoint(
        "clients update", "PUT", "/api/clients/{t.client.pk}", lambda t: {"name_f": "Ada"},
        {"name_f": ("str", 255), "phone": ("str", 50), "note": "text", "custom_fields": "object", "status_id": "int",
         "email": ("email", 255)},
        echo="name_f",
    ),
    Endpoint(
        "services create", "POST", "/api/services", lambda t: {"name": "SEO", "recurring": 0, "currency": "USD"},
        {"name": ("str", 255), "recurring": "int", "currency": ("str", 3), "description": "text", "price": "money",
         "r_price": "money", "deadline": "int", "public": "bool", "employees": "list", "metadata": "list",
         "braintree_plan_id": ("str", 255)},
        no_null=("name", "recurring", "currency", "public", "multi_order"), echo="name",
        refs={"folder_id": ("not-a-uuid", 422, "folder_id", "The specified folder does not exist."),
              "employees": (["not-a-uuid"], 422, "employees", "Employee with ID not-a-uuid does not exist.")},
    ),
    Endpoint(
        "services update", "PUT", "/api/services/{t.service.pk}", lambda t: {"name": "SEO"},
        {"name": ("str", 255), "price": "money", "sort_order": "int", "public": "bool", "employees": "list",
         "description": "text"},
        echo="name",
        refs={"folder_id": ("not-a-uuid", 422, "folder_id", "The specified folder does not exist."),
              "employees": (["not-a-uuid"], 422, "employees", "Employee with ID not-a-uuid does not exist.")},
    ),
    Endpoint(
        "orders create", "POST", "/api/orders", lambda t: {"user_id": str(t.client.pk), "service": "Work"},
        {"user_id": "str", "service": ("str", 255), "status": "int", "employees": "list", "tags": "list",
         "note": "text", "number": ("str", 50), "date_due": "datetime", "metadata": "list", "tags.0": ("str", 255)},
        no_null=("user_id",), echo="note",
        refs={"user_id": ("not-a-uuid", 400, "user_id", "The user_id must be a valid UUID."),
              "service_id": ("not-a-uuid", *NOT_SERVICE[:1], "service_id", NOT_SERVICE[1]),
              "employees": (["not-a-uuid"], 422, "employees", "Employee with ID not-a-uuid does not exist.")},
    ),
    Endpoint(
        "orders update", "PUT", "/api/orders/{t.order.pk}", lambda t: {"note": "Rush"},
        {"service": ("str", 255), "status": "int", "tags": "list", "note": "text", "date_due": "datetime",
         "employees": "list"},
        echo="note",
        refs={"service_id": ("not-a-uuid", 422, "service_id", NOT_SERVICE[1]),
              "employees": (["not-a-uuid"], 422, "employees", "Employee with ID not-a-uuid does not exist.")},
    ),
    Endpoint(
        "order tasks create", "POST", "/api/orders/{t.order.pk}/tasks", lambda t: {"name": "Task"},
        {"name": ("str", 255), "description": "text", "employee_ids": "list", "sort_order": "int",
         "is_public": "bool", "for_client": "bool", "deadline": "int", "due_at": "datetime"},
        no_null=("name", "is_public", "for_client"), echo="name",
        refs={"employee_ids": (["not-a-uuid"], 422, "employee_ids", "All employee_ids must be valid UUIDs.")},
    ),
    Endpoint(
        "order tasks update", "PUT", "/api/order-tasks/{t.task.pk}", lambda t: {"name": "Task"},
        {"name": ("str", 255), "description": "text", "employee_ids": "list", "sort_order": "int",
         "is_public": "bool", "deadline": "int"},
        echo="name",
        refs={"employee_ids": (["not-a-uuid"], 422, "employee_ids", "All employee_ids must be valid UUIDs.")},
    ),
    Endpoint(
        "order messages create", "POST", "/api/orders/{t.order.pk}/messages", lambda t: {"message": "Hello"},
        {"message": "text", "is_public": "bool", "files": "list", "files.0": "text"},
        no_null=("message", "is_public"), echo="message",
    ),
    Endpoint(
        "proposals create", "POST", "/api/proposals",
        lambda t: {"client_email": "pat@prospects.example.com", "client_name_f": "Pat", "client_name_l": "Q",
                   "items": [{"service_id": str(t.service.pk), "price": 5}]},
        {"client_email": ("email", 255), "client_name_f": ("str", 100), "client_name_l": ("str", 100),
         "client_company": ("str", 255), "notes": "text", "items": "list", "items.0.price": "money",
         "items.0.quantity": "int", "items.0.service_id": "str"},
        no_null=("client_email", "client_name_f", "client_name_l", "items", "items.0.quantity", "items.0.price"),
        echo="client_name_f",
        refs={"items.0.service_id": ("not-a-uuid", 422, "items", "Service with ID not-a-uuid does not exist.")},
    ),
    Endpoint(
        "invoices create", "POST", "/api/invoices", lambda t: {"user_id": str(t.client.pk), "items": [ITEM]},
        {"user_id": "str", "email": ("email", 255), "items": "list", "status": "int", "tax": "money",
         "tax_type": "int", "note": "text", "coupon_id": "str", "coupon_code": ("str", 100),
         "user_data.company": ("str", 255), **item_fields()},
        no_null=("items", "tax", "items.0.name", "items.0.quantity", "items.0.amount", "items.0.discount"),
        echo="note",
        refs={"user_id": ("not-a-uuid", 422, "user_id", "The specified client does not exist."),
              "coupon_id": ("not-a-uuid", 422, "coupon_id", "The specified coupon does not exist."),
              "items.0.service_id": ("not-a-uuid", 422, "items.0.service_id", NOT_SERVICE[1])},
    ),
    Endpoint(
        "invoices update", "PUT", "/api/invoices/{t.invoice.pk}", lambda t: {"items": [ITEM]},
        {"items": "list", "user_id": "str", "tax": "money", "note": "text", "coupon_id": "str",
         "coupon_code": ("str", 100), **item_fields()},
        no_null=("items", "items.0.name", "items.0.quantity", "items.0.amount", "items.0.discount"),
        echo="note",
        refs={"user_id": ("not-a-uuid", 422, "user_id", "The specified client does not exist."),
              "coupon_id": ("not-a-uuid", 422, "coupon_id", "The specified coupon does not exist."),
              "items.0.service_id": ("not-a-uuid", 422, "items.0.service_id", NOT_SERVICE[1])},
    ),
    Endpoint(
        "invoices charge", "POST", "/api/invoices/{t.invoice.pk}/charge",
        lambda t: {"payment_method_id": "pm_card_visa"}, {"payment_method_id": ("str", 255)},
        no_null=("payment_method_id",),
    ),
    Endpoint(
        "tickets create", "POST", "/api/tickets", lambda t: {"user_id": str(t.client.pk), "subject": "Help"},
        {"user_id": "str", "subject": ("str", 255), "status": "int", "note": "text", "metadata": "object",
         "tags": "list", "employees": "list", "order_id": "str"},
        no_null=("user_id", "subject"), echo="subject",
        refs={"user_id": ("not-a-uuid", 422, "user_id", "The specified client does not exist."),
              "order_id": ("not-a-uuid", 422, "order_id", "The specified order does not exist."),
              "employees": (["not-a-uuid"], 422, "employees", "The specified employee does not exist.")},
    ),
    Endpoint(
        "tickets update", "PUT", "/api/tickets/{t.ticket.pk}", lambda t: {"subject": "Help"},
        {"subject": ("str", 255), "status": "int", "note": "text", "metadata": "object", "tags": "list"},
        echo="subject",
        refs={"order_id": ("not-a-uuid", 422, "order_id", "The specified order does not exist."),
              "employees": (["not-a-uuid"], 422, "employees", "The specified employee does not exist.")},
    ),
    Endpoint(
        "ticket messages create", "POST", "/api/tickets/{t.ticket.pk}/messages", lambda t: {"message": "Hello"},
        {"message": "text", "staff_only": "bool", "files": "list"},
        no_null=("message",), echo="message",
    ),
    Endpoint(
        "coupons create", "POST", "/api/coupons", lambda t: {"code": "FRESH10", "type": "percent", "amount": 10},
        {"code": ("str", 50), "type": "str", "amount": "money", "currency": "str", "duration": "str",
         "duration_in_periods": "int", "max_redemptions": "int", "expires_at": "datetime", "service_ids": "list",
         "service_ids.0": "str"},
        no_null=("code", "type", "amount"),
        refs={"service_ids": (["not-a-uuid"], 422, "service_ids", "Service with ID not-a-uuid does not exist.")},
    ),
    Endpoint(
        "coupons update", "PUT", "/api/coupons/{t.coupon.pk}", lambda t: {"code": "RENAMED"},
        {"code": ("str", 50), "type": "str", "amount": "money", "max_redemptions": "int", "expires_at": "datetime",
         "service_ids": "list"},
        refs={"service_ids": (["not-a-uuid"], 422, "service_ids", "Service with ID not-a-uuid does not exist.")},
    ),
    Endpoint(
        "tags create", "POST", "/api/tags", lambda t: {"name": "Fresh", "color": "#aabbcc"},
        {"name": ("str", 100), "color": "str"},
        no_null=("name",), echo="name",
    ),
    Endpoint(
        "tags update", "PUT", "/api/tags/{t.tag.pk}", lambda t: {"name": "Renamed"},
        {"name": ("str", 100)},
        echo="name",
    ),
    Endpoint(
        "webhook endpoints create", "POST", "/api/webhook-endpoints",
        lambda t: {"url": "https://93.184.216.34/hooks", "enabled_events": ["*"]},
        {"url": ("str", 2048), "enabled_events": "list", "enabled_events.0": ("str", 100),
         "description": ("str", 1000)},
        no_null=("url", "enabled_events"), echo="description",
    ),
    Endpoint(
        "webhook endpoints update", "PUT", "/api/webhook-endpoints/{t.endpoint.pk}", lambda t: {"description": "Hooks"},
        {"url": ("str", 2048), "enabled_events": "list", "description": ("str", 1000), "status": "str"},
        echo="description",
    ),
    Endpoint(
        "engagements create", "POST", "/api/engagements", lambda t: {"client_id": str(t.client.pk), "name": "E"},
        {"client_id": "str", "name": ("str", 255), "proposal_id": "str"},
        no_null=("client_id",), echo="name",
        refs={"client_id": ("not-a-uuid", 422, "client_id", "The specified client does not exist."),
              "proposal_id": ("not-a-uuid", 422, "proposal_id", "The specified proposal does not exist.")},
    ),
    Endpoint(
        "engagements update", "PUT", "/api/engagements/{t.engagement.pk}", lambda t: {"name": "E"},
        {"name": ("str", 255), "status": "int"}, echo="name",
    ),
    Endpoint(
        "projects create", "POST", "/api/projects", lambda t: {"engagement_id": str(t.engagement.pk), "name": "P"},
        {"engagement_id": "str", "name": ("str", 255), "description": "text", "service_id": "str"},
        no_null=("engagement_id", "name"), echo="name",
        refs={"engagement_id": ("not-a-uuid", 422, "engagement_id", "The specified engagement does not exist."),
              "service_id": ("not-a-uuid", 422, "service_id", NOT_SERVICE[1])},
    ),
    Endpoint(
        "projects update", "PUT", "/api/projects/{t.project.pk}", lambda t: {"name": "P"},
        {"name": ("str", 255), "description": "text", "status": "int", "phase": "int"}, echo="name",
    ),
    Endpoint(
        "conversations create", "POST", "/api/conversations", lambda t: {"project_id": str(t.project.pk)},
        {"project_id": "str", "subject": ("str", 255)},
        no_null=("project_id",), echo="subject",
        refs={"project_id": ("not-a-uuid", 422, "project_id", "The specified project does not exist.")},
    ),
    Endpoint(
        "conversations update", "PUT", "/api/conversations/{t.conversation.pk}", lambda t: {"subject": "S"},
        {"subject": ("str", 255), "status": "int"}, echo="subject",
    ),
    Endpoint(
        "conversation messages create", "POST", "/api/conversations/{t.conversation.pk}/messages",
        lambda t: {"content": "Hello", "attachments": [{"name": "a.txt", "url": "https://files.example.com/a"}]},
        {"content": "text", "is_internal": "bool", "attachments": "list", "attachments.0.name": "str",
         "attachments.0.url": "str", "attachments.0.size": "int"},
        no_null=("content", "is_internal"), echo="content",
    ),
    Endpoint(
        "subscriptions create", "POST", "/api/subscriptions",
        lambda t: {"client_id": str(t.client.pk), "interval": "month", "items": [{"name": "Plan", "price": 10}]},
        {"client_id": "str", "interval": "str", "interval_count": "int", "currency": "str", "coupon_code": "str",
         "items": "list", "items.0.name": ("str", 255), "items.0.quantity": "int", "items.0.price": "money",
         "items.0.service_id": "str"},
        no_null=("client_id", "items", "interval", "interval_count", "currency", "items.0.name", "items.0.quantity",
                 "items.0.price"),
        refs={"client_id": ("not-a-uuid", 422, "client_id", "The specified client does not exist."),
              "items.0.service_id": ("not-a-uuid", 422, "items.0.service_id", NOT_SERVICE[1])},
    ),
    Endpoint(
        "subscriptions update", "PUT", "/api/subscriptions/{t.billing_plan.pk}", lambda t: {"currency": "EUR"},
        {"client_id": "str", "interval": "str", "interval_count": "int", "currency": "str", "coupon_code": "str",
         "items": "list"},
        refs={"client_id": ("not-a-uuid", 422, "client_id", "The specified client does not exist.")},
    ),
]
IDS = [e.name for e in ENDPOINTS]


def set_path(body: dict, dotted: str, value) -> dict:
    """A copy of `body` with `dotted` (`items.0.amount`, `address.city`) set to `value`."""
    body = json.loads(json.dumps(body))
    *parents, last = dotted.split(".")
    node = body
    for part in parents:
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node.setdefault(part, [{}] if last.isdigit() else {})
    if isinstance(node, list):
        while len(node) <= int(last):
            node.append(None)
        node[int(last)] = value
    else:
        node[last] = value
    return body


@pytest.fixture
def tenant(tenant_a, payments_simulated):
    return tenant_a


@pytest.fixture
def api_t(tenant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tenant.raw_token}")
    return client


def send(api, endpoint, tenant, body=None, *, raw=None, content_type="application/json"):
    path = endpoint.path.format(t=tenant)
    data = raw if raw is not None else json.dumps(body if body is not None else endpoint.body(tenant))
    return api.generic(endpoint.method, path, data=data, content_type=content_type)


@pytest.fixture
def unchanged(tenant):
    """Call it at the end of a test: the database holds exactly what it held when the test started."""
    before = snapshot()
    return lambda: assert_same_snapshot(before, snapshot())


def refused(api, endpoint, tenant, status, errors=None, **kwargs):
    """Send, expect `status` with the envelope (containing `errors` when given)."""
    response = send(api, endpoint, tenant, **kwargs)
    assert response.status_code == status, (repr(kwargs)[:200], response.content[:500])
    body = response.json()
    if status in (400, 422):
        assert body["message"] == msg.INVALID_DATA and body["errors"], body
        for key, messages in (errors or {}).items():
            assert body["errors"].get(key) == messages, (key, body["errors"])
    return body


def test_every_write_route_is_described():
    """Every POST/PUT route the walk finds is in ENDPOINTS (it parses a body) or in BODYLESS (it ignores one), so a
    write route added later gets the cases below or fails here."""
    described = [(e.method, e.path) for e in ENDPOINTS] + [(method, path) for _name, path, method in BODYLESS]
    described += [(method, path) for _name, path, method in OPTIONAL_BODY]
    writes = [(m, r.display) for r in VIEWSET_ROUTES for m in r.methods if m in ("POST", "PUT")]
    missing = [w for w in writes if not any(m == w[0] and _same_route(p, w[1]) for m, p in described)]
    assert writes and not missing, missing


# --- the body as a whole ---------------------------------------------------------------------------------------

WHOLE_BODY = [
    ("malformed JSON", {"raw": '{"name": '}, {"root": [msg.JSON_DECODE]}),
    ("literal NaN", {"raw": '{"x": NaN}'}, {"root": [msg.JSON_DECODE]}),
    ("invalid UTF-8", {"raw": b'{"x": "\xff\xfe"}'}, {"root": [msg.JSON_DECODE]}),
    ("deep nesting", {"raw": "[" * 100_000 + "]" * 100_000}, None),
    ("array body", {"raw": "[]"}, {"root": [msg.OBJECT_TYPE]}),
    ("string body", {"raw": '"x"'}, {"root": [msg.OBJECT_TYPE]}),
    ("text/plain", {"content_type": "text/plain"}, {"root": [msg.OBJECT_TYPE]}),
    ("form-encoded", {"raw": "name=x&name_f=y", "content_type": "application/x-www-form-urlencoded"},
     {"root": [msg.OBJECT_TYPE]}),
    ("multipart", {"raw": "--b\r\n\r\nx\r\n--b--", "content_type": "multipart/form-data; boundary=b"},
     {"root": [msg.OBJECT_TYPE]}),
]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_malformed_bodies_are_400(api_t, tenant, endpoint, unchanged):
    for _case, kwargs, errors in WHOLE_BODY:
        refused(api_t, endpoint, tenant, 400, errors, **kwargs)
    unchanged()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_body_over_the_size_limit_is_a_413(api_t, tenant, endpoint, unchanged):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    first_string = next(name for name in endpoint.fields if endpoint.kind(name) in ("str", "text", "email"))
    oversized = set_path(endpoint.body(tenant), first_string, "a" * (limit + 1))
    assert refused(api_t, endpoint, tenant, 413, body=oversized) == {"detail": msg.BODY_TOO_LARGE}
    unchanged()


# --- field by field --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_wrong_types_are_400_per_field(api_t, tenant, endpoint, unchanged):
    for name in endpoint.fields:
        value, message = WRONG_TYPE[endpoint.kind(name)]
        refused(api_t, endpoint, tenant, 400, {name: [message]}, body=set_path(endpoint.body(tenant), name, value))
    unchanged()


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.no_null], ids=[e.name for e in ENDPOINTS if e.no_null])
def test_null_where_not_allowed_is_400(api_t, tenant, endpoint, unchanged):
    for name in endpoint.no_null:
        kind = endpoint.kind(name) if name in endpoint.fields else "bool"
        body = set_path(endpoint.body(tenant), name, None)
        refused(api_t, endpoint, tenant, 400, {name: [NULL_MESSAGE[kind]]}, body=body)
    unchanged()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_absurd_numbers_are_400(api_t, tenant, endpoint, unchanged):
    numeric = [name for name in endpoint.fields if endpoint.kind(name) in ("int", "money")]
    for name in numeric:
        for value in ABSURD_NUMBERS:
            body = set_path(endpoint.body(tenant), name, value)
            errors = refused(api_t, endpoint, tenant, 400, body=body)["errors"]
            assert list(errors) == [name], (name, value, errors)
    unchanged()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_negative_quantities_and_prices_are_refused_where_bounded(api_t, tenant, endpoint, unchanged):
    bounded = {"items.0.quantity": msg.GREATER_EQUAL.format(limit=1), "items.0.price": msg.GREATER_EQUAL.format(limit=0),
               "recurring": msg.GREATER_EQUAL.format(limit=0)}
    for name, message in bounded.items():
        if name in endpoint.fields:
            refused(api_t, endpoint, tenant, 400, {name: [message]}, body=set_path(endpoint.body(tenant), name, -1))
    unchanged()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_megabyte_strings_are_a_length_error_or_stored_intact(api_t, tenant, endpoint):
    huge = "x" * MB
    for name in endpoint.fields:
        kind = endpoint.kind(name)
        if kind not in ("str", "text", "email"):
            continue
        body = set_path(endpoint.body(tenant), name, huge)
        spec = endpoint.fields[name]
        if isinstance(spec, tuple):
            message = msg.STRING_TOO_LONG.format(max_length=spec[1]) if kind == "str" else None
            refused(api_t, endpoint, tenant, 400, {name: [message]} if message else None, body=body)
        else:  # unbounded text columns: accepted whole, or refused, but never a 500
            response = send(api_t, endpoint, tenant, body)
            assert response.status_code in (200, 201, 400, 422), (name, response.status_code)
            if response.status_code < 300 and name == endpoint.echo:
                assert response.json()[name] == huge


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_nul_characters_are_400(api_t, tenant, endpoint, unchanged):
    for name in endpoint.fields:
        kind = endpoint.kind(name)
        if kind in ("str", "text", "email"):
            value = "ab\x00cd@x.example.com" if kind == "email" else "ab\x00cd"
        elif kind == "object":
            value = {"key": "a\x00b"}
        else:
            continue
        body = set_path(endpoint.body(tenant), name, value)
        refused(api_t, endpoint, tenant, 400, {name: [msg.NULL_CHARACTERS]}, body=body)
    unchanged()


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.echo], ids=[e.name for e in ENDPOINTS if e.echo])
def test_unicode_is_stored_and_returned_intact(api_t, tenant, endpoint):
    body = set_path(endpoint.body(tenant), endpoint.echo, UNICODE)
    response = send(api_t, endpoint, tenant, body)
    assert response.status_code in (200, 201), response.content
    assert response.json()[endpoint.echo] == UNICODE
    # Read back through the API where the resource has a retrieve route.
    resource = endpoint.path.split("/")[2]
    if resource in ("clients", "services", "orders", "proposals", "invoices", "tickets") and "id" in response.json():
        again = api_t.get(f"/api/{resource}/{response.json()['id']}")
        if again.status_code == 200:
            assert again.json()[endpoint.echo] == UNICODE


REF_CASES = [(e, name) for e in ENDPOINTS for name in e.refs]


@pytest.mark.parametrize(("endpoint", "name"), REF_CASES, ids=[f"{e.name} {n}" for e, n in REF_CASES])
def test_non_uuid_ids_in_bodies_get_the_contracts_error(api_t, tenant, endpoint, name, unchanged):
    value, status, key, message = endpoint.refs[name]
    body = set_path(endpoint.body(tenant), name, value)
    refused(api_t, endpoint, tenant, status, {key: [message]}, body=body)
    unchanged()


# --- actions without a body ignore whatever is sent (contract §2) ----------------------------------------------

BODYLESS = [
    ("proposals send", "/api/proposals/{t.proposal.pk}/send", "POST"),
    ("proposals sign", "/api/proposals/{t.sent_proposal.pk}/sign", "POST"),
    ("invoices mark_paid", "/api/invoices/{t.invoice.pk}/mark_paid", "POST"),
    ("invoices send", "/api/invoices/{t.invoice.pk}/send", "POST"),
    ("clients magic_link", "/api/clients/{t.client.pk}/magic_link", "POST"),
    ("order tasks complete", "/api/order-tasks/{t.task.pk}/complete", "POST"),
    ("order tasks reopen", "/api/order-tasks/{t.task.pk}/complete", "DELETE"),
    ("webhook endpoints rotate_secret", "/api/webhook-endpoints/{t.endpoint.pk}/rotate_secret", "POST"),
    ("webhook endpoints test", "/api/webhook-endpoints/{t.endpoint.pk}/test", "POST"),
    ("webhook deliveries retry", "/api/webhook-deliveries/{t.delivery.pk}/retry", "POST"),
    ("subscriptions pause", "/api/subscriptions/{t.billing_plan.pk}/pause", "POST"),
    ("subscriptions resume", "/api/subscriptions/{t.paused_plan.pk}/resume", "POST"),
    ("subscriptions cancel", "/api/subscriptions/{t.billing_plan.pk}/cancel", "POST"),
]


@pytest.mark.parametrize(("path", "method"), [b[1:] for b in BODYLESS], ids=[b[0] for b in BODYLESS])
@pytest.mark.parametrize(
    ("raw", "content_type"),
    [('{"broken": ', "application/json"), ("plain words", "text/plain"), ("a=b", "application/x-www-form-urlencoded")],
    ids=["malformed JSON", "text/plain", "form-encoded"],
)
def test_actions_without_a_body_ignore_a_bad_one(api_t, tenant, path, method, raw, content_type):
    response = api_t.generic(method, path.format(t=tenant), data=raw, content_type=content_type)
    assert response.status_code in (200, 201, 202), response.content  # 202: queued (webhook test and retry)


# --- actions whose body is optional: nothing or an object, never anything else ---------------------------------

OPTIONAL_BODY = [
    ("projects advance", "/api/projects/{t.project.pk}/advance", "POST"),
]


@pytest.mark.parametrize(("path", "method"), [b[1:] for b in OPTIONAL_BODY], ids=[b[0] for b in OPTIONAL_BODY])
def test_actions_with_an_optional_body_refuse_a_bad_one(api_t, tenant, path, method, unchanged):
    for _case, kwargs, errors in WHOLE_BODY:
        data = kwargs.get("raw", "{}")
        response = api_t.generic(method, path.format(t=tenant), data=data,
                                 content_type=kwargs.get("content_type", "application/json"))
        assert response.status_code == 400, (_case, response.content[:200])
        if errors:
            assert response.json()["errors"] == errors, _case
    unchanged()
    assert api_t.generic(method, path.format(t=tenant), data="").status_code == 200


# --- query strings and paths -----------------------------------------------------------------------------------

ROUTES = walk()
VIEWSET_ROUTES = [r for r in ROUTES if getattr(r.callback, "actions", None)]  # the resource routes, found by the walk
LISTS = [r for r in ROUTES if getattr(r.callback, "actions", {}).get("get") == "list"]


@pytest.mark.parametrize("route", LISTS, ids=[r.display for r in LISTS])
@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"limit": 10**9}, {"query.limit": ["Input should be less than or equal to 100"]}),
        ({"limit": 0}, {"query.limit": ["Input should be greater than or equal to 1"]}),
        ({"page": -1}, {"query.page": ["Input should be greater than or equal to 1"]}),
        ({"page": 10**30}, {"query.page": ["Input should be less than or equal to 2147483647"]}),
        ({"page": "1\x00"}, {"query.page": [msg.INT_PARSING]}),
        ({"limit": "NaN", "page": "Infinity"}, {"query.limit": [msg.INT_PARSING], "query.page": [msg.INT_PARSING]}),
    ],
    ids=["limit 10**9", "limit 0", "page -1", "page 10**30", "page NUL", "NaN and Infinity"],
)
def test_list_paging_out_of_range_is_400(api, route, query, errors):
    response = api.get(route.url, query)
    assert response.status_code == 400, response.content
    assert response.json() == {"message": msg.INVALID_DATA, "errors": errors}


@pytest.mark.parametrize("route", LISTS, ids=[r.display for r in LISTS])
def test_filter_values_of_the_wrong_type_are_400_never_500(api, route):
    for value in ("not-a-uuid", "\x00", "1e400", "NaN", "'; DROP TABLE x; --", "9" * 400):
        for name in ("id", "status", "created_at", "balance", "price", "user_id", "public"):
            response = api.get(route.url, {f"filters[{name}][$eq]": value, f"filters[{name}][$in][]": [value, value]})
            assert response.status_code in (200, 400), (name, value, response.status_code)


NON_UUIDS = ["not-a-uuid", "123", "0" * 32, "00000000-0000-0000-0000-00000000000g", "%27%20OR%201%3D1--",
             "%00", "%E2%80%AE", "a" * 2000]
BODIES = {(e.method, e.path.split("{t.")[0].rstrip("/")): e for e in ENDPOINTS}
DETAIL = [(r, m) for r in ROUTES if "{pk}" in r.display for m in r.methods if m not in ("HEAD", "OPTIONS")]


@pytest.mark.parametrize(("route", "method"), DETAIL, ids=[f"{m} {r.display}" for r, m in DETAIL])
def test_non_uuid_ids_in_paths_are_404(api_t, tenant, route, method):
    endpoint = next((e for e in ENDPOINTS if e.method == method and _same_route(e.path, route.display)), None)
    data = json.dumps(endpoint.body(tenant)) if endpoint else ""
    before = snapshot()
    for value in NON_UUIDS:
        url = route.display.replace("{pk}", value)
        response = api_t.generic(method, url, data=data, content_type="application/json")
        assert (response.status_code, response.json()) == (404, {"detail": "Not Found"}), (value, response.content)
    assert_same_snapshot(before, snapshot())


OBJECT_OF = {"clients": "client", "services": "service", "orders": "order", "order-tasks": "task",
             "order-messages": "message", "proposals": "proposal", "invoices": "invoice", "tickets": "ticket"}
API_CALLS = [(r, m) for r in VIEWSET_ROUTES for m in r.methods if m not in ("HEAD", "OPTIONS")]


@pytest.mark.parametrize(("route", "method"), API_CALLS, ids=[f"{m} {r.display}" for r, m in API_CALLS])
def test_body_over_the_size_limit_is_a_413_on_every_route(api_t, tenant, route, method):
    """Also where the body is otherwise ignored: an oversized DELETE or `send` must not go through."""
    target = OBJECT_OF.get(route.display.split("/")[2])
    if route.display.endswith("/sign"):
        target = "sent_proposal"
    url = route.display.replace("{pk}", str(getattr(tenant, target).pk) if target else str(uuid.uuid4()))
    before = snapshot()
    data = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = api_t.generic(method, url, data=data, content_type="application/json")
    assert (response.status_code, response.json()) == (413, {"detail": msg.BODY_TOO_LARGE})
    assert_same_snapshot(before, snapshot())


def _same_route(template: str, display: str) -> bool:
    parts, shape = template.split("/"), display.split("/")
    return len(parts) == len(shape) and all(p == s or (p.startswith("{") and s == "{pk}") for p, s in zip(parts, shape))


def test_unknown_uuid_and_uppercase_forms(api_t, tenant):
    assert api_t.get(f"/api/clients/{uuid.uuid4()}").status_code == 404
    assert api_t.get(f"/api/clients/{str(tenant.client.pk).upper()}").status_code == 200
