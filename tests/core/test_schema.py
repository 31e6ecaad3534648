"""The OpenAPI document: builds without warnings and declares the bearer scheme and the envelopes."""
import pytest
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_generation_has_no_warnings_or_errors(tmp_path, capsys, db):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.json"))


def test_bearer_scheme_is_declared(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }


def test_open_endpoints_need_no_auth(schema):
    for path in ("/api/health", "/api"):
        operation = schema["paths"][path]["get"]
        assert operation.get("security") in (None, [], [{}])


def test_error_envelopes_are_components(schema):
    components = schema["components"]["schemas"]
    assert set(components["ValidationError"]["properties"]) == {"message", "errors"}
    assert set(components["ErrorDetail"]["properties"]) == {"detail"}


def test_schema_and_docs_are_served(anon, db):
    assert anon.get("/api/schema").status_code == 200
    assert anon.get("/api/schema")["Content-Type"].startswith("application/vnd.oai.openapi+json")
    for path in ("/api/docs", "/api/redoc"):
        page = anon.get(path).content.decode()
        assert "cdn.jsdelivr" not in page and "/static/drf_spectacular_sidecar/" in page
