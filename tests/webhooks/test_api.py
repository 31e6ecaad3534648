"""`/api/webhook-endpoints` and `/api/webhook-deliveries` (issue 13): CRUD with the contract's conventions, the
secret only at create and rotate, validation of URLs (SSRF guard) and event types, test, deliveries, retry."""
import base64
import re
import uuid

import pytest

from webhooks.models import WebhookDelivery, WebhookEndpoint

URL = "/api/webhook-endpoints"
PUBLIC = "https://93.184.216.34/hooks"  # a literal public address: no DNS needed
KEYS = {"id", "url", "enabled_events", "description", "status", "created_at", "updated_at"}
DELIVERY_KEYS = {"id", "event_id", "event_type", "status", "attempts", "last_status_code", "last_error",
                 "last_attempt_at", "next_attempt_at", "created_at", "updated_at"}


def create(api, **over):
    resp = api.post(URL, {"url": PUBLIC, "enabled_events": ["order.created"], **over}, format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


def errors(resp, status=400):
    assert resp.status_code == status, resp.content
    return resp.json()["errors"]


def test_create_answers_the_endpoint_with_its_secret_once(api):
    body = create(api, description="Zapier")
    assert set(body) == KEYS | {"secret"}
    assert (body["url"], body["enabled_events"], body["description"], body["status"]) == (
        PUBLIC, ["order.created"], "Zapier", "enabled")
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]+", body["secret"])
    assert len(base64.b64decode(body["secret"][6:])) >= 24
    assert WebhookEndpoint.unscoped.get(pk=body["id"]).secret == body["secret"]
    retrieved = api.get(f"{URL}/{body['id']}").json()
    assert set(retrieved) == KEYS and "secret" not in api.get(URL).json()["data"][0]


def test_wildcard_and_description_optional(api):
    body = create(api, enabled_events=["*"])
    assert body["enabled_events"] == ["*"] and body["description"] is None


@pytest.mark.parametrize("events", [["order.exploded"], ["*", "nope"], [], "order.created", [1]])
def test_bad_event_types_are_400_on_enabled_events(api, events):
    resp = api.post(URL, {"url": PUBLIC, "enabled_events": events}, format="json")
    assert any(key.startswith("enabled_events") for key in errors(resp))


@pytest.mark.parametrize("url", ["ftp://93.184.216.34/x", "not a url", "http://", "javascript:alert(1)", ""])
def test_a_url_that_is_not_http_is_400_on_url(api, url):
    assert "url" in errors(api.post(URL, {"url": url, "enabled_events": ["*"]}, format="json"))


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/x", "http://localhost/x", "http://10.0.0.5/", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://0.0.0.0/", "http://100.64.0.1/",
    "http://[::ffff:127.0.0.1]/", "http://172.16.0.1/",
])
def test_private_addresses_are_refused(api, url):
    assert errors(api.post(URL, {"url": url, "enabled_events": ["*"]}, format="json"))["url"] == [
        "URL must not point to a private, loopback, link-local or reserved address."]


def test_private_addresses_allowed_when_configured(api, allow_private):
    assert create(api, url="http://127.0.0.1:9/hooks")["url"] == "http://127.0.0.1:9/hooks"


def test_put_is_partial_and_can_disable(api):
    body = create(api)
    resp = api.put(f"{URL}/{body['id']}", {"status": "disabled", "description": "paused"}, format="json")
    assert resp.status_code == 200, resp.content
    updated = resp.json()
    assert (updated["status"], updated["description"], updated["url"]) == ("disabled", "paused", PUBLIC)
    assert "secret" not in updated
    assert "status" in errors(api.put(f"{URL}/{body['id']}", {"status": "paused"}, format="json"))
    assert "url" in errors(api.put(f"{URL}/{body['id']}", {"url": "http://127.0.0.1/"}, format="json"))


def test_delete(api):
    body = create(api)
    assert api.delete(f"{URL}/{body['id']}").status_code == 204
    assert api.get(f"{URL}/{body['id']}").status_code == 404


def test_rotate_secret_answers_a_new_secret(api):
    body = create(api)
    resp = api.post(f"{URL}/{body['id']}/rotate_secret")
    assert resp.status_code == 200
    assert resp.json()["secret"].startswith("whsec_") and resp.json()["secret"] != body["secret"]
    assert WebhookEndpoint.unscoped.get(pk=body["id"]).secret == resp.json()["secret"]


def test_test_queues_a_webhook_test_delivery_to_that_endpoint_only(api):
    body = create(api, enabled_events=["order.created"])
    other = create(api, enabled_events=["*"])
    resp = api.post(f"{URL}/{body['id']}/test")
    assert resp.status_code == 202
    assert set(resp.json()) == DELIVERY_KEYS
    assert (resp.json()["event_type"], resp.json()["status"], resp.json()["attempts"]) == ("webhook.test", "pending", 0)
    assert WebhookDelivery.unscoped.filter(endpoint_id=other["id"], event_type="webhook.test").count() == 0
    deliveries = api.get(f"{URL}/{body['id']}/deliveries").json()
    assert deliveries["meta"]["total"] == 1 and deliveries["data"][0]["id"] == resp.json()["id"]


def test_events_fan_out_to_subscribed_enabled_endpoints(api, org):
    orders = create(api, enabled_events=["order.created"])
    everything = create(api, enabled_events=["*"])
    disabled = create(api, enabled_events=["*"])
    api.put(f"{URL}/{disabled['id']}", {"status": "disabled"}, format="json")
    client = api.post("/api/clients", {"name_f": "A", "name_l": "B", "email": "ab@example.com"}, format="json").json()
    by_endpoint = lambda e: sorted(  # noqa: E731
        WebhookDelivery.unscoped.filter(endpoint_id=e["id"]).values_list("event_type", flat=True))
    assert by_endpoint(orders) == []
    assert "client.created" in by_endpoint(everything)
    assert "client.created" not in by_endpoint(disabled)
    api.post("/api/orders", {"user_id": client["id"], "service": "Logo"}, format="json")
    assert by_endpoint(orders) == ["order.created"]


def test_deliveries_newest_first_and_retry(api):
    body = create(api)
    first = api.post(f"{URL}/{body['id']}/test").json()
    second = api.post(f"{URL}/{body['id']}/test").json()
    page = api.get(f"{URL}/{body['id']}/deliveries").json()
    assert [d["id"] for d in page["data"]] == [second["id"], first["id"]]
    WebhookDelivery.unscoped.filter(pk=first["id"]).update(status="failed", next_attempt_at=None, attempts=8)
    resp = api.post(f"/api/webhook-deliveries/{first['id']}/retry")
    assert resp.status_code == 202
    assert resp.json()["status"] == "pending" and resp.json()["next_attempt_at"] is not None


def test_other_organizations_ids_are_404(api, other_api):
    body = create(api)
    delivery = api.post(f"{URL}/{body['id']}/test").json()
    for method, path in [("get", f"{URL}/{body['id']}"), ("put", f"{URL}/{body['id']}"),
                         ("delete", f"{URL}/{body['id']}"), ("post", f"{URL}/{body['id']}/rotate_secret"),
                         ("post", f"{URL}/{body['id']}/test"), ("get", f"{URL}/{body['id']}/deliveries"),
                         ("post", f"/api/webhook-deliveries/{delivery['id']}/retry")]:
        kwargs = {"data": {"description": "x"}, "format": "json"} if method == "put" else {}
        assert getattr(other_api, method)(path, **kwargs).status_code == 404, (method, path)
    assert other_api.get(URL).json()["meta"]["total"] == 0
    assert api.get(f"{URL}/{uuid.uuid4()}").status_code == 404


def test_endpoint_changes_record_events(api, org):
    body = create(api)
    api.put(f"{URL}/{body['id']}", {"description": "x"}, format="json")
    api.delete(f"{URL}/{body['id']}")
    types = list(api.get("/api/events", {"sort": "created_at:asc"}).json()["data"])
    assert [e["type"] for e in types] == [
        "webhook_endpoint.created", "webhook_endpoint.updated", "webhook_endpoint.deleted"]
    assert all("secret" not in e["data"] for e in types)
