"""Request ids (issue 14): `X-Request-Id` on every /api response — the caller's sane id echoed, a generated one
otherwise — the same id in every log line of the request, and in the body of a 500."""
import io
import json
import logging
import re

import pytest
from django.conf import settings

from tests.helpers import assert_detail

pytestmark = pytest.mark.django_db
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("sent", ["abc", "A.b_c-9", "x" * 200, "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"])
def test_a_sane_caller_id_is_echoed(api, sent):
    response = api.get("/api/clients", HTTP_X_REQUEST_ID=sent)
    assert response.status_code == 200
    assert response["X-Request-Id"] == sent


@pytest.mark.parametrize("sent", ["", "x" * 201, "has space", "semi;colon", "ünïcode", "a/b", "<script>"])
def test_an_insane_caller_id_is_replaced_by_a_generated_one(api, sent):
    response = api.get("/api/clients", HTTP_X_REQUEST_ID=sent)
    assert GENERATED.fullmatch(response["X-Request-Id"]), response["X-Request-Id"]


def test_every_response_gets_an_id_and_each_request_its_own(api, anon):
    ids = set()
    for client, url, status in [
        (api, "/api/clients", 200),
        (anon, "/api/clients", 401),
        (api, "/api/does-not-exist", 404),
        (api, "/api/clients/not-a-uuid", 404),
        (anon, "/api/health", 200),
        (api, "/api/clients", 200),
    ]:
        response = client.get(url)
        assert response.status_code == status
        assert GENERATED.fullmatch(response["X-Request-Id"])
        ids.add(response["X-Request-Id"])
    assert len(ids) == 6


def _json_log_capture():
    """A handler with the production JSON formatter of settings.LOGGING, on the root logger and django-structlog's."""
    spec = dict(settings.LOGGING["formatters"]["json"])
    formatter = spec.pop("()")(**spec)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    loggers = [logging.getLogger(), logging.getLogger("django_structlog"), logging.getLogger("django.request")]
    return stream, handler, loggers


@pytest.mark.urls("tests.core.probe")
def test_every_log_line_of_a_request_names_its_id_and_a_500_body_quotes_it(api):
    stream, handler, loggers = _json_log_capture()
    for logger in loggers:
        logger.addHandler(handler)
    try:
        response = api.get("/api/probes/boom", HTTP_X_REQUEST_ID="support-ticket-42")
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error.", "request_id": "support-ticket-42"}
    assert response["X-Request-Id"] == "support-ticket-42"
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    events = [line["event"] for line in lines]
    assert "request_started" in events and "request_finished" in events
    assert any("Traceback" in line.get("exception", "") for line in lines)
    assert {line.get("request_id") for line in lines} == {"support-ticket-42"}, lines


def test_a_401_still_carries_the_id(anon):
    response = anon.get("/api/orders", HTTP_AUTHORIZATION="Bearer nope", HTTP_X_REQUEST_ID="r1")
    assert_detail(response, 401, "Unauthorized")
    assert response["X-Request-Id"] == "r1"
