"""The OpenAPI document at /api/schema describes /api/clients with its real request and response shapes."""
import json

import pytest
from rest_framework.test import APIClient

from tests.clients.test_api import CLIENT_KEYS


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_paths_and_methods(schema):
    assert set(schema["paths"]["/api/clients"]) >= {"get", "post"}
    assert set(schema["paths"]["/api/clients/{id}"]) >= {"get", "put", "delete"}
    assert "patch" not in schema["paths"]["/api/clients/{id}"]


def test_response_shape_is_the_client_object(schema):
    components = schema["components"]["schemas"]
    client = components["Client"]
    assert list(client["properties"]) == CLIENT_KEYS
    assert client["properties"]["spent"]["nullable"] is True
    assert client["properties"]["role"]["allOf"][0]["$ref"].endswith("/Role")
    list_op = schema["paths"]["/api/clients"]["get"]
    envelope = list_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert set(components[envelope]["properties"]) == {"data", "links", "meta"}
    params = {p["name"] for p in list_op["parameters"]}
    assert {"page", "limit", "sort", "filters[email][$eq]", "filters[balance][$lt]", "filters[id][$in][]"} <= params


def test_request_shapes(schema):
    components = schema["components"]["schemas"]
    post = schema["paths"]["/api/clients"]["post"]
    create_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    create = components[create_ref]
    assert set(create["required"]) == {"name_f", "name_l", "email"}
    assert "status_id" in create["properties"] and "address" in create["properties"]
    assert "id" not in create["properties"] and "balance" not in create["properties"]
    assert post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/Client")
    put = schema["paths"]["/api/clients/{id}"]["put"]
    update = components[put["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
    assert "required" not in update
    assert "204" in schema["paths"]["/api/clients/{id}"]["delete"]["responses"]
