"""Error bodies (contract §7) and the contract's input coercion rules (§5), through a probe endpoint."""
import logging

import pytest

from tests.helpers import assert_detail, assert_envelope

pytestmark = pytest.mark.urls("tests.core.probe")
URL = "/api/probes"
OK = {"name": "Ada"}


def post(api, body, **kw):
    return api.post(URL, data=body, format="json", **kw)


def validated(response):
    assert response.status_code == 201, response.content
    return response.json()["validated"]


def test_malformed_json_is_root_decode_error(api):
    assert_envelope(api.post(URL, data='{"name": ', content_type="application/json"), 400, {"root": ["JSON decode error"]})


@pytest.mark.parametrize("body", ["NaN", '{"name": NaN}', '{"price": Infinity}'])
def test_non_standard_json_constants_are_decode_errors(api, body):
    assert_envelope(api.post(URL, data=body, content_type="application/json"), 400, {"root": ["JSON decode error"]})


@pytest.mark.parametrize("body", ["[]", '"x"', "3", "null"])
def test_body_that_is_not_an_object(api, body):
    response = api.post(URL, data=body, content_type="application/json")
    assert_envelope(response, 400, {"root": ["Input should be a valid dictionary or object to extract fields from"]})


def test_empty_body_is_root_field_required(api):
    assert_envelope(api.post(URL, data="", content_type="application/json"), 400, {"root": ["Field required"]})


def test_non_json_content_type_is_not_an_object(api):
    response = api.post(URL, data="name=Ada", content_type="application/x-www-form-urlencoded")
    assert_envelope(response, 400, {"root": ["Input should be a valid dictionary or object to extract fields from"]})


def test_absent_content_type_is_read_as_json(api):
    response = api.generic("POST", URL, data=b'{"name": "Ada"}', content_type="")
    assert validated(response)["name"] == "Ada"


def test_json_suffix_content_type_is_json(api):
    assert validated(api.post(URL, data='{"name": "Ada"}', content_type="application/vnd.api+json"))["name"] == "Ada"


def test_deeply_nested_json_is_a_400_not_a_crash(api):
    body = "[" * 100000 + "]" * 100000
    response = api.post(URL, data=body, content_type="application/json")
    assert response.status_code in (400, 413)


def test_oversized_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(api, {"name": "A", "extra": {"blob": "x" * 2000}})
    assert_detail(response, 413, "Request body too large.")


def test_every_failing_field_is_listed_in_declaration_order(api):
    response = post(api, {"email": "nope", "count": "x", "name": ""})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name", "email", "count"]


def test_required_field_missing(api):
    assert_envelope(post(api, {}), 400, {"name": ["Field required"]})


def test_required_string_sent_as_null_fails_its_type(api):
    assert_envelope(post(api, {"name": None}), 400, {"name": ["Input should be a valid string"]})


@pytest.mark.parametrize("value", [5, 1.5, True, [], {}])
def test_string_accepts_strings_only(api, value):
    assert_envelope(post(api, {"name": value}), 400, {"name": ["Input should be a valid string"]})


@pytest.mark.parametrize("value", ["", "   "])
def test_trimmed_string_must_not_be_empty(api, value):
    assert_envelope(post(api, {"name": value}), 400, {"name": ["String should have at least 1 character"]})


def test_string_max_length_and_trimming(api):
    assert_envelope(post(api, {"name": "x" * 11}), 400, {"name": ["String should have at most 10 characters"]})
    assert validated(post(api, {"name": "  Ada  "}))["name"] == "Ada"


def test_null_characters_are_rejected(api):
    assert post(api, {"name": "A\x00B"}).status_code == 400


def test_unicode_is_kept(api):
    assert validated(post(api, {"name": "Zoë 日本"}))["name"] == "Zoë 日本"


@pytest.mark.parametrize(
    "value,expected",
    [(3, 3), (3.0, 3), ("4", 4), (" 5 ", 5), (True, 1), (False, 0)],
)
def test_integer_coercion(api, value, expected):
    assert validated(post(api, {**OK, "count": value}))["count"] == expected


@pytest.mark.parametrize(
    "value,message",
    [
        (1.5, "Input should be a valid integer, got a number with a fractional part"),
        ("abc", "Input should be a valid integer, unable to parse string as an integer"),
        ("1.5", "Input should be a valid integer, unable to parse string as an integer"),
        ([1], "Input should be a valid integer"),
        ({}, "Input should be a valid integer"),
        (-1, "Input should be greater than or equal to 0"),
        (6, "Input should be less than or equal to 5"),
    ],
)
def test_integer_errors(api, value, message):
    assert_envelope(post(api, {**OK, "count": value}), 400, {"count": [message]})


def test_optional_null_is_absent(api):
    assert "count" not in validated(post(api, {**OK, "count": None}))


def test_nullable_true_keeps_null(api):
    assert validated(post(api, {**OK, "clearable": None}))["clearable"] is None


@pytest.mark.parametrize(
    "value,expected",
    [(12.5, "12.50"), ("12.50", "12.50"), ("1e3", "1000.00"), (10, "10.00"), (0.125, "0.13"), (-0.125, "-0.13"), (2.675, "2.68")],
)
def test_money_is_decimal_rounded_half_away_from_zero(api, value, expected):
    assert validated(post(api, {**OK, "price": value}))["price"] == expected


@pytest.mark.parametrize(
    "value,message",
    [
        ("abc", "Input should be a valid number, unable to parse string as a number"),
        ("NaN", "Input should be a finite number"),
        ("Infinity", "Input should be a finite number"),
        (True, "Input should be a valid number"),
        ([], "Input should be a valid number"),
        (1e300, "Input should be less than or equal to 999999999.99"),
        ("-1e999999999", "Input should be greater than or equal to -999999999.99"),
    ],
)
def test_money_errors(api, value, message):
    assert_envelope(post(api, {**OK, "price": value}), 400, {"price": [message]})


@pytest.mark.parametrize(
    "value,expected",
    [(True, True), (False, False), (0, False), (1, True), ("yes", True), ("OFF", False), ("t", True), ("N", False)],
)
def test_boolean_coercion(api, value, expected):
    assert validated(post(api, {**OK, "flag": value}))["flag"] is expected


@pytest.mark.parametrize(
    "value,message",
    [
        ("maybe", "Input should be a valid boolean, unable to interpret input"),
        (2, "Input should be a valid boolean, unable to interpret input"),
        ([], "Input should be a valid boolean"),
        (None, "Input should be a valid boolean"),
    ],
)
def test_boolean_errors(api, value, message):
    assert_envelope(post(api, {**OK, "flag": value}), 400, {"flag": [message]})


def test_boolean_default_applies_when_absent(api):
    assert validated(post(api, OK))["flag"] is True


def test_free_object_field(api):
    assert validated(post(api, {**OK, "extra": {"a": [1, {"b": None}]}}))["extra"] == {"a": [1, {"b": None}]}
    assert_envelope(post(api, {**OK, "extra": [1]}), 400, {"extra": ["Input should be a valid dictionary"]})


def test_null_characters_anywhere_in_a_free_object_are_rejected(api):
    for extra in ({"a": "x\x00"}, {"k\x00": 1}, {"a": [{"b": "\x00"}]}):
        assert_envelope(post(api, {**OK, "extra": extra}), 400, {"extra": ["String should not contain null characters"]})


def test_list_errors_are_keyed_by_index(api):
    assert_envelope(post(api, {**OK, "tags": "x"}), 400, {"tags": ["Input should be a valid list"]})
    assert_envelope(
        post(api, {**OK, "tags": ["ok", 5, ""]}),
        400,
        {"tags.1": ["Input should be a valid string"], "tags.2": ["String should have at least 1 character"]},
    )


def test_nested_object_errors_use_dotted_keys(api):
    assert_envelope(
        post(api, {**OK, "nested": "x"}),
        400,
        {"nested": ["Input should be a valid dictionary or object to extract fields from"]},
    )
    assert_envelope(post(api, {**OK, "nested": {"city": "toolongcity"}}), 400, {"nested.city": ["String should have at most 5 characters"]})
    assert_envelope(
        post(api, {**OK, "items": [{"city": "ok"}, {"code": 1}, 7]}),
        400,
        {
            "items.1.city": ["Field required"],
            "items.2": ["Input should be a valid dictionary or object to extract fields from"],
        },
    )
    assert_envelope(
        post(api, {**OK, "items": []}), 400, {"items": ["List should have at least 1 item after validation, not 0"]}
    )


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2026-02-07T14:03:11.482913+00:00", "2026-02-07T14:03:11.482913+00:00"),
        ("2026-02-07T14:03:11Z", "2026-02-07T14:03:11+00:00"),
        ("2026-02-07T14:03:11", "2026-02-07T14:03:11+00:00"),
        ("2026-02-07T16:03:11+02:00", "2026-02-07T14:03:11+00:00"),
        ("2026-02-07", "2026-02-07T00:00:00+00:00"),
    ],
)
def test_timestamps_in_requests(api, value, expected):
    assert validated(post(api, {**OK, "when": value}))["when"] == expected


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-02-30", 12345, ""])
def test_invalid_timestamps(api, value):
    assert_envelope(post(api, {**OK, "when": value}), 400, {"when": ["Input should be a valid datetime"]})


@pytest.mark.parametrize(
    "value,reason",
    [
        ("nope", "An email address must have an @-sign."),
        ("a@b", "The part after the @-sign is not valid. It should have a period."),
    ],
)
def test_email_errors_quote_email_validator(api, value, reason):
    assert_envelope(post(api, {**OK, "email": value}), 400, {"email": [f"value is not a valid email address: {reason}"]})


@pytest.mark.parametrize("value", ["x@host.test", "x@printer.local", "x@localhost", "a b@example.com", "a..b@example.com"])
def test_special_use_and_malformed_emails_are_rejected(api, value):
    response = post(api, {**OK, "email": value})
    assert response.status_code == 400
    assert response.json()["errors"]["email"][0].startswith("value is not a valid email address: ")


def test_email_is_trimmed_and_lowercased(api):
    assert validated(post(api, {**OK, "email": "  Ada@Engines.Example.COM "}))["email"] == "ada@engines.example.com"


def test_unknown_fields_are_ignored(api):
    body = validated(post(api, {**OK, "id": "x", "org_id": "y", "balance": 5}))
    assert set(body) == {"name", "flag"}


def test_domain_error_in_envelope_with_its_status(api):
    assert_envelope(
        api.post(URL + "/domain", data={}, format="json"),
        422,
        {"user_id": ["The specified client does not exist."]},
    )


@pytest.mark.parametrize("pk", ["not-a-uuid", "123", "00000000000000000000000000000000", "00000000-0000-0000-0000-000000000000"])
def test_unknown_or_malformed_path_ids_are_404(api, pk):
    assert_detail(api.get(f"{URL}/{pk}"), 404, "Not Found")


def test_schema_errors_come_before_the_path_lookup(api):
    response = api.put(f"{URL}/not-a-uuid", data={"email": "bad"}, format="json")
    assert response.status_code == 400


def test_unsupported_method_is_405_with_allow_header(api):
    response = api.patch(f"{URL}/00000000-0000-0000-0000-000000000000", data={}, format="json")
    assert_detail(response, 405, "Method Not Allowed")
    assert "PUT" in response["Allow"]


def test_unknown_route_is_json_404(api):
    assert_detail(api.get("/api/does-not-exist"), 404, "Not Found")
    assert_detail(api.post("/api/does-not-exist/deeper", data={}, format="json"), 404, "Not Found")


def test_trailing_slash_is_served(api):
    assert api.get(URL + "/").status_code == 200


def test_unexpected_error_is_generic_json_and_logged(api, caplog):
    with caplog.at_level(logging.ERROR, logger="serviceengine.api"):
        response = api.get(URL + "/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error.", "request_id": response["X-Request-Id"]}
    assert "hunter2" not in response.content.decode()
    assert response["X-Request-Id"] in caplog.text
    assert "RuntimeError" in caplog.text


def test_options_is_not_routed(api):
    assert_detail(api.options(URL), 405, "Method Not Allowed")


def test_cors_preflight_is_answered_by_the_cors_layer(api, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    settings.CORS_ALLOW_ALL_ORIGINS = False
    response = api.options(
        URL, HTTP_ORIGIN="https://app.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"
