"""The OpenAPI document describes the billing endpoints with their real request and response shapes."""
import json

import pytest
from rest_framework.test import APIClient

INVOICE_KEYS = [
    "id", "number", "number_prefix", "client", "items", "billing_address", "status", "status_id", "created_at",
    "updated_at", "date_due", "date_paid", "credit", "tax", "tax_name", "tax_percent", "currency", "reason", "note", "ip_address",
    "loc_confirm", "recurring", "coupon_id", "transaction_id", "paysys", "subtotal", "discount", "total", "employee_id",
    "view_link", "download_link", "thanks_link", "subscription_id",
]


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return json.loads(response.content)


def ref(node):
    return node["$ref"].split("/")[-1]


def body_schema(operation, status):
    return ref(operation["responses"][status]["content"]["application/json"]["schema"])


def test_paths_and_methods(schema):
    paths = schema["paths"]
    assert set(paths["/api/proposals"]) - {"parameters"} == {"get", "post"}
    assert set(paths["/api/proposals/{id}"]) - {"parameters"} == {"get"}
    assert set(paths["/api/proposals/{id}/send"]) - {"parameters"} == {"post"}
    assert set(paths["/api/proposals/{id}/sign"]) - {"parameters"} == {"post"}
    assert set(paths["/api/invoices"]) - {"parameters"} == {"get", "post"}
    assert set(paths["/api/invoices/{id}"]) - {"parameters"} == {"get", "put", "delete"}
    assert set(paths["/api/invoices/{id}/charge"]) - {"parameters"} == {"post"}
    assert set(paths["/api/invoices/{id}/mark_paid"]) - {"parameters"} == {"post"}


def test_response_shapes(schema):
    components = schema["components"]["schemas"]
    paths = schema["paths"]
    assert list(components["Invoice"]["properties"]) == INVOICE_KEYS
    assert body_schema(paths["/api/invoices/{id}/charge"]["post"], "200") == "Invoice"
    assert body_schema(paths["/api/invoices/{id}/charge"]["post"], "503") == "ErrorDetail"
    # send reads no body: its own 400 is `{"detail"}`, or the envelope for a malformed Idempotency-Key (issue 14).
    send_400 = paths["/api/proposals/{id}/send"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert [ref(node) for node in send_400["oneOf"]] == ["ErrorDetail", "ValidationError"]
    sign = components[body_schema(paths["/api/proposals/{id}/sign"]["post"], "200")]
    assert list(sign["properties"]) == ["proposal", "order"]
    assert "items" in components["Proposal"]["properties"]
    proposal_list = components[body_schema(paths["/api/proposals"]["get"], "200")]
    row = ref(proposal_list["properties"]["data"]["items"])
    assert "items" not in components[row]["properties"]
    assert "links" in proposal_list["properties"]["meta"]["properties"]
    invoice_list = components[body_schema(paths["/api/invoices"]["get"], "200")]
    assert "links" not in invoice_list["properties"]["meta"]["properties"]


def test_request_shapes(schema):
    components = schema["components"]["schemas"]
    paths = schema["paths"]

    def request(path, method):
        return components[ref(paths[path][method]["requestBody"]["content"]["application/json"]["schema"])]

    assert request("/api/proposals", "post")["required"] == ["client_email", "client_name_f", "client_name_l", "items"]
    assert request("/api/invoices", "post")["required"] == ["items"]
    assert request("/api/invoices/{id}", "put")["required"] == ["items"]
    assert request("/api/invoices/{id}/charge", "post")["required"] == ["payment_method_id"]
    assert "requestBody" not in paths["/api/invoices/{id}/mark_paid"]["post"]
    assert "requestBody" not in paths["/api/proposals/{id}/sign"]["post"]
