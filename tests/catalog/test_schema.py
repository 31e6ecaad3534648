"""The OpenAPI document at /api/schema describes /api/services with its real request and response shapes."""
import json

import pytest
from rest_framework.test import APIClient

from tests.catalog.test_api import SERVICE_KEYS


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return json.loads(response.content)


def ref(node) -> str:
    return node["content"]["application/json"]["schema"]["$ref"].split("/")[-1]


def test_paths_and_methods(schema):
    assert set(schema["paths"]["/api/services"]) >= {"get", "post"}
    assert set(schema["paths"]["/api/services/{id}"]) >= {"get", "put", "delete"}
    assert "patch" not in schema["paths"]["/api/services/{id}"]


def test_response_shape_is_the_service_object(schema):
    components = schema["components"]["schemas"]
    service = components["Service"]
    assert list(service["properties"]) == SERVICE_KEYS
    assert service["properties"]["metadata"]["type"] == "object"
    assert service["properties"]["price"]["nullable"] is True
    listing = schema["paths"]["/api/services"]["get"]
    assert set(components[ref(listing["responses"]["200"])]["properties"]) == {"data", "links", "meta"}
    params = {p["name"] for p in listing["parameters"]}
    assert {"filters[public][$eq]", "filters[folder_id][$eq]", "sort", "page", "limit"} <= params


def test_request_shapes(schema):
    components = schema["components"]["schemas"]
    post = schema["paths"]["/api/services"]["post"]
    create = components[ref(post["requestBody"])]
    assert set(create["required"]) == {"name", "recurring", "currency"}
    assert "sort_order" not in create["properties"] and "image" not in create["properties"]
    assert create["properties"]["metadata"]["type"] == "array"
    item = components[create["properties"]["metadata"]["items"]["$ref"].split("/")[-1]]
    assert set(item["properties"]) == {"title", "value"} and item["required"] == ["title"]
    assert ref(post["responses"]["201"]) == "Service"
    put = schema["paths"]["/api/services/{id}"]["put"]
    update = components[ref(put["requestBody"])]
    assert "sort_order" in update["properties"] and "required" not in update
    assert ref(put["responses"]["200"]) == "Service"
