"""Delivery (issue 13) against a real HTTP receiver on 127.0.0.1: Standard Webhooks signatures verified with the
library's own verifier, the body is the event as GET /api/events/{id} returns it, retries follow the backoff
schedule with a stable `webhook-id`, a job run twice sends once, lost jobs are picked up by the sweep, response
bodies are kept truncated, the SSRF guard is checked again at delivery time, and endpoints auto-disable."""
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook

from events.models import Event
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def endpoint_for(api, url, events=("client.created",)):
    resp = api.post("/api/webhook-endpoints", {"url": url, "enabled_events": list(events)}, format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


def make_client(api, n=1):
    resp = api.post("/api/clients", {"name_f": "A", "name_l": "B", "email": f"c{n}@example.com"}, format="json")
    assert resp.status_code == 201
    return resp.json()


def only_delivery(endpoint) -> WebhookDelivery:
    return WebhookDelivery.unscoped.get(endpoint_id=endpoint["id"], event_type="client.created")


def run(delivery: WebhookDelivery) -> str:
    """What the job enqueued for this delivery does (with the claim it was enqueued with)."""
    delivery.refresh_from_db()
    return services.deliver(str(delivery.pk), str(delivery.lock_token))


def test_signed_delivery_verifies_with_standardwebhooks(api, allow_private, receiver):
    endpoint = endpoint_for(api, receiver.url)
    make_client(api)
    delivery = only_delivery(endpoint)
    assert run(delivery) == "succeeded"
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    payload = Webhook(endpoint["secret"]).verify(request["body"], headers)
    event = Event.unscoped.get(pk=delivery.event_id)
    assert payload == api.get(f"/api/events/{event.pk}").json()
    assert headers["webhook-id"] == str(delivery.pk)
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("ServiceEngineX-Webhooks/")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.next_attempt_at) == (
        "succeeded", 1, 200, None)
    with pytest.raises(Exception):  # noqa: B017 (any verification error): another secret does not verify
        Webhook("whsec_" + "A" * 32).verify(request["body"], headers)


def test_a_job_run_twice_sends_once(api, allow_private, receiver):
    endpoint = endpoint_for(api, receiver.url)
    make_client(api)
    delivery = only_delivery(endpoint)
    token = str(delivery.lock_token)
    assert services.deliver(str(delivery.pk), token) == "succeeded"
    assert services.deliver(str(delivery.pk), token) == "skipped"
    assert len(receiver.requests) == 1


def test_failures_retry_on_the_schedule_with_the_same_webhook_id(api, allow_private, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800]
    with Receiver([500, 503, 200]) as receiver:
        endpoint = endpoint_for(api, receiver.url)
        make_client(api)
        delivery = only_delivery(endpoint)
        assert run(delivery) == "retrying"
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
            "pending", 1, 500, "HTTP 500")
        assert timedelta(seconds=4) < delivery.next_attempt_at - delivery.last_attempt_at <= timedelta(seconds=5)
        # Not due yet: the sweep leaves it alone; once due it is claimed and enqueued exactly once.
        assert services.deliveries_enqueue_due(now=timezone.now()) == 0
        due = delivery.next_attempt_at + timedelta(milliseconds=1)
        assert services.deliveries_enqueue_due(now=due) == 1
        assert services.deliveries_enqueue_due(now=due) == 0
        [job] = DBTaskResult.objects.filter(task_path="webhooks.tasks.deliver_webhook")
        assert job.args_kwargs["args"][0] == str(delivery.pk)
        assert services.deliver(*job.args_kwargs["args"]) == "retrying"
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert timedelta(seconds=299) < delivery.next_attempt_at - delivery.last_attempt_at <= timedelta(seconds=300)
        WebhookDelivery.unscoped.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        services.deliveries_enqueue_due()
        assert run(delivery) == "succeeded"
        ids = {r["headers"]["webhook-id"] for r in receiver.requests}
        assert len(receiver.requests) == 3 and ids == {str(delivery.pk)}


def test_after_the_last_attempt_the_delivery_is_failed(api, allow_private, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [1]
    with Receiver([500]) as receiver:
        endpoint = endpoint_for(api, receiver.url)
        make_client(api)
        delivery = only_delivery(endpoint)
        assert run(delivery) == "retrying"
        WebhookDelivery.unscoped.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        services.deliveries_enqueue_due()
        assert run(delivery) == "failed"
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)


def test_a_lost_job_is_enqueued_again_once_its_lease_expires(api, allow_private, receiver):
    endpoint = endpoint_for(api, receiver.url)
    make_client(api)
    delivery = only_delivery(endpoint)
    assert services.deliveries_enqueue_due() == 0  # claimed by the job enqueued at commit
    later = delivery.locked_until + timedelta(seconds=1)
    assert services.deliveries_enqueue_due(now=later) == 1
    assert run(delivery) == "succeeded"


def test_connection_errors_and_timeouts_are_failed_attempts(api, allow_private, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    with Receiver([3.0]) as receiver:
        endpoint = endpoint_for(api, receiver.url)
        make_client(api)
        delivery = only_delivery(endpoint)
        assert run(delivery) == "retrying"
        delivery.refresh_from_db()
        assert delivery.last_status_code is None and "Timed out" in delivery.last_error
    unreachable = endpoint_for(api, "http://127.0.0.1:9/none")
    make_client(api, 2)
    delivery = WebhookDelivery.unscoped.get(endpoint_id=unreachable["id"])
    assert run(delivery) == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("ConnectionError")


def test_response_bodies_are_kept_truncated(api, allow_private):
    with Receiver([299]) as receiver:
        endpoint = endpoint_for(api, receiver.url)
        make_client(api)
        delivery = only_delivery(endpoint)
        assert run(delivery) == "succeeded"
        delivery.refresh_from_db()
        assert len(delivery.last_response_body.encode()) <= 2048 and delivery.last_response_body.startswith("xxx")


def test_the_ssrf_guard_runs_again_at_delivery_time(api, allow_private, settings, receiver):
    endpoint = endpoint_for(api, receiver.url)
    make_client(api)
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    delivery = only_delivery(endpoint)
    assert run(delivery) == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Refused") and receiver.requests == []


def test_an_endpoint_is_disabled_after_consecutive_failed_deliveries(api, org, allow_private, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = []
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    with Receiver([500]) as receiver:
        endpoint = endpoint_for(api, receiver.url)
        for n in range(3):
            make_client(api, n)
        deliveries = list(WebhookDelivery.unscoped.filter(endpoint_id=endpoint["id"]).order_by("created_at"))
        assert [run(d) for d in deliveries[:2]] == ["failed", "failed"]
        assert WebhookEndpoint.unscoped.get(pk=endpoint["id"]).status == "enabled"
        assert run(deliveries[2]) == "failed"
    assert api.get(f"/api/webhook-endpoints/{endpoint['id']}").json()["status"] == "disabled"
    event = Event.objects.for_org(org).get(type="webhook_endpoint.disabled")
    assert event.actor["type"] == "system" and event.previous_attributes == {"status": "enabled"}
    make_client(api, 9)
    assert WebhookDelivery.unscoped.filter(endpoint_id=endpoint["id"]).count() == 3  # no more deliveries


def test_a_success_resets_the_failure_count(api, allow_private, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = []
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    with Receiver([500, 200, 500]) as receiver:
        endpoint = endpoint_for(api, receiver.url)
        for n in range(3):
            make_client(api, n)
        deliveries = list(WebhookDelivery.unscoped.filter(endpoint_id=endpoint["id"]).order_by("created_at"))
        assert [run(d) for d in deliveries] == ["failed", "succeeded", "failed"]
    assert WebhookEndpoint.unscoped.get(pk=endpoint["id"]).status == "enabled"


def test_the_body_is_the_event_json(api, allow_private, receiver):
    endpoint = endpoint_for(api, receiver.url, events=["*"])
    resp = api.post(f"/api/webhook-endpoints/{endpoint['id']}/test")
    delivery = WebhookDelivery.unscoped.get(pk=resp.json()["id"])
    assert run(delivery) == "succeeded"
    body = json.loads(receiver.requests[-1]["body"])
    assert body["type"] == "webhook.test" and body["object"] == {"type": "webhook_endpoint", "id": endpoint["id"]}
