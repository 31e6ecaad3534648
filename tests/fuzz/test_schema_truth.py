"""The OpenAPI document states what the API really accepts and answers. The fuzzing (test_openapi_fuzz.py) finds
a regression of any of these rules by search; these tests pin them one by one, so that a failure names its cause."""
import pytest
from drf_spectacular.generators import SchemaGenerator

AUTHENTICATED = "bearerAuth"


@pytest.fixture(scope="module")
def openapi(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            if method != "parameters":
                yield f"{method.upper()} {path}", operation


def component(openapi, name):
    return openapi["components"]["schemas"][name]


def request_component(openapi, path, method):
    ref = openapi["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return component(openapi, ref.split("/")[-1])


def test_every_request_body_is_required(openapi):
    # contract §7.1: an empty body is `root: Field required`, also on PUTs whose fields are all optional
    bodies = {label: op["requestBody"] for label, op in operations(openapi) if "requestBody" in op}
    assert "PUT /api/tickets/{id}" in bodies
    assert all(body.get("required") is True for body in bodies.values())


def test_optional_fields_accept_null_unless_marked_not_nullable(openapi):
    create = request_component(openapi, "/api/services", "post")["properties"]
    assert "nullable" not in create["name"]  # required
    assert create["description"]["nullable"] is True  # optional: null is absent
    assert "nullable" not in create["public"]  # optional with a default, not nullable (contract §5)
    task = request_component(openapi, "/api/orders/{id}/tasks", "post")["properties"]
    assert task["due_at"]["nullable"] is True and "nullable" not in task["is_public"]


def test_trimmed_strings_need_a_visible_character_and_no_blank_alternative(openapi):
    name_f = request_component(openapi, "/api/clients", "post")["properties"]["name_f"]
    assert "oneOf" not in name_f
    assert name_f["minLength"] == 1 and name_f["pattern"] == r"[^\s\u001c-\u001f\u0085]"
    # `""` still means "absent" where the contract says so (order `service` on create has no minimum at all)
    charge = request_component(openapi, "/api/invoices/{id}/charge", "post")["properties"]["payment_method_id"]
    assert charge["minLength"] == 1 and "oneOf" not in charge


def test_patterns_emails_lists_and_money_inputs_are_bounded_as_validated(openapi):
    recurring = component(openapi, "RecurringRequest")["properties"]
    assert recurring["r_period_t"]["pattern"] == "^(?:[MWD])$"
    email = request_component(openapi, "/api/clients", "post")["properties"]["email"]
    assert email["format"] == "email" and email["maxLength"] == 254 and "special-use" in email["description"]
    items = request_component(openapi, "/api/invoices", "post")["properties"]["items"]
    assert (items["minItems"], items["maxItems"]) == (1, 1000)
    number, numeric_string = component(openapi, "InvoiceItemInputRequest")["properties"]["amount"]["oneOf"]
    assert (number["minimum"], number["maximum"]) == (-999999999.99, 999999999.99)
    assert numeric_string["pattern"] == r"^\s*-?\d{1,9}(\.\d{1,2})?\s*$"
    price = component(openapi, "ProposalItemInputRequest")["properties"]["price"]["oneOf"]
    assert price[0]["minimum"] == 0 and "-" not in price[1]["pattern"]


def test_money_is_a_string_except_the_ticket_order_price(openapi):
    assert component(openapi, "Order")["properties"]["price"]["type"] == "string"
    assert component(openapi, "InvoiceClient")["properties"]["balance"] == {
        "type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "1500.00", "readOnly": True, "nullable": True,
    }
    assert component(openapi, "TicketOrder")["properties"]["price"]["type"] == "number"


def test_error_responses_are_documented_where_they_happen(openapi):
    authenticated = [(label, op) for label, op in operations(openapi) if op.get("security") == [{AUTHENTICATED: []}]]
    assert len(authenticated) == len(list(operations(openapi))) - 3  # all but health, the index, the Stripe webhook
    for label, operation in authenticated:
        responses = operation["responses"]
        assert {"401", "503"} <= set(responses), label
        assert all(responses[code]["description"] for code in responses if code >= "400"), label
    paths = openapi["paths"]
    # Every write documents 422 for a reused Idempotency-Key; only bodies with references add "does not exist".
    reference_422 = "A referenced id does not exist"
    assert reference_422 not in paths["/api/clients"]["post"]["responses"]["422"]["description"]
    assert reference_422 not in paths["/api/orders/{id}/messages"]["post"]["responses"]["422"]["description"]
    assert reference_422 in paths["/api/tickets"]["post"]["responses"]["422"]["description"]
    assert "422" not in paths["/api/clients"]["get"]["responses"]
    assert "409" in paths["/api/clients/{id}"]["delete"]["responses"]
    for path in ("/api/clients", "/api/clients/{id}"):
        assert all("500" in op["responses"] for op in paths[path].values())  # Client role not configured
    assert "500" in paths["/api/proposals/{id}/sign"]["post"]["responses"]
    assert "422" in paths["/api/projects"]["post"]["responses"]
    assert "409" in paths["/api/projects/{id}/advance"]["post"]["responses"]
    assert "400" in paths["/api/conversations/{id}"]["get"]["responses"]  # include_internal
    charge_503 = paths["/api/invoices/{id}/charge"]["post"]["responses"]["503"]
    assert "Payments are not configured" in charge_503["description"]


def test_filter_parameters_state_their_bounds_and_the_null_word(openapi):
    params = {p["name"]: p["schema"] for p in openapi["paths"]["/api/clients"]["get"]["parameters"]}
    assert params["filters[status][$eq]"]["anyOf"][1] == {"type": "string", "enum": ["null"]}
    assert params["filters[status][$gt]"]["maximum"] == 2**63 - 1
    assert params["filters[balance][$lt]"]["pattern"] == r"^-?\d{1,16}(\.\d+)?$"


def test_client_safety_headers_and_answers_are_documented(openapi):
    """Issue 14: every write takes `Idempotency-Key` and documents its 400/409/422 and the read-only 403; every
    authenticated operation takes and answers `X-Request-Id`."""
    writes = 0
    for label, operation in operations(openapi):
        if operation.get("security") != [{AUTHENTICATED: []}]:
            continue
        method = label.split()[0]
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "X-Request-Id" in headers, label
        for code, response in operation["responses"].items():
            documented = response.get("headers", {})
            assert {"X-Request-Id", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(documented)
            assert ("Retry-After" in documented) == (code in ("409", "429", "503")), (label, code)
        assert "Too many requests." in operation["responses"]["429"]["description"], label
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            writes += 1
            assert "Idempotency-Key" in headers, label
            responses = operation["responses"]
            assert {"400", "403", "409", "422"} <= set(responses), label
            assert "Idempotency-Key" in responses["409"]["description"], label
            assert "Idempotency-Key" in responses["422"]["description"], label
            assert "read-only" in responses["403"]["description"], label
            assert "Idempotent-Replayed" in next(iter(responses.values())).get("headers", {}), label
        else:
            assert "Idempotency-Key" not in headers, label
    assert writes >= 20
