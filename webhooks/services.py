"""Webhook workflows (issue 13): endpoints (create, update, delete, rotate the secret, test), the fan-out of
events to deliveries, and the delivery itself (run by the worker, never in a request).

Delivery guarantees:
- A delivery row is created in the event's own transaction (`fan_out`, a `record_event` hook), so a committed
  event always has its deliveries; the job that sends it is enqueued after commit.
- At least once: whoever sends a delivery first claims it (fresh `lock_token`, lease `locked_until`). The sweep
  (`deliveries_enqueue_due`, run on every worker tick) claims and enqueues every pending delivery that is due and
  not leased: retries when their backoff has passed, and deliveries whose worker died mid-attempt once the lease
  has expired. A job whose claim was superseded does nothing, so running one twice never sends twice.
- The `webhook-id` header is the delivery's id: the same on every attempt.
"""
import base64
import logging
import re
import secrets
import time
import uuid
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks import Webhook

from events.models import Event
from events.registry import event_types
from events.serializers import event_body
from events.services import record_event, snapshot
from jobs.actors import system_actor
from jobs.periodic import every_organization
from serviceengine.api.renderers import FastJSONRenderer
from serviceengine.core.errors import DomainError
from serviceengine.perf.compiled import CompiledQuery, pk_value

from . import ssrf
from .models import DeliveryStatus, EndpointStatus, WebhookDelivery, WebhookEndpoint, subscribes

logger = logging.getLogger("webhooks")

RESPONSE_BODY_LIMIT = 2048
ERROR_LIMIT = 1000
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
NOT_BROADCAST = frozenset({"webhook.test"})  # sent only to the endpoint that asked for it
UNKNOWN_EVENT = "Unknown event type: {value}."
USER_AGENT = f"ServiceEngineX-Webhooks/{settings.APP_VERSION}"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def subscribable_types() -> list[str]:
    return [t for t in event_types() if t not in NOT_BROADCAST]


def _validate_url(url: str) -> str:
    try:
        ssrf.check_url(url)
    except ssrf.UnsafeURL as exc:
        raise DomainError(400, field="url", message=str(exc)) from None
    return url


def _validate_events(values: list[str]) -> list[str]:
    known = set(subscribable_types())
    for value in values:
        if value != "*" and value not in known:
            raise DomainError(400, field="enabled_events", message=UNKNOWN_EVENT.format(value=value))
    return list(dict.fromkeys(values))


# --- endpoints ------------------------------------------------------------------------------------------------


@transaction.atomic
def webhook_endpoint_create(*, organization, url: str, enabled_events: list[str], description=None) -> WebhookEndpoint:
    """Create an enabled endpoint with a new secret. DomainError(400) on `url` (not http(s), or a private address)
    or `enabled_events` (an unknown type)."""
    endpoint = WebhookEndpoint.all_objects.create(
        organization=organization,
        url=_validate_url(url),
        enabled_events=_validate_events(enabled_events),
        description=description,
        secret=new_secret(),
    )
    record_event("webhook_endpoint.created", endpoint)
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Partial update of `url`, `enabled_events`, `description`, `status`. Re-enabling resets the failure count."""
    endpoint = WebhookEndpoint.objects.for_org(endpoint.organization_id).select_for_update().get(pk=endpoint.pk)
    before = snapshot(endpoint)
    if "url" in changes:
        endpoint.url = _validate_url(changes["url"])
    if "enabled_events" in changes:
        endpoint.enabled_events = _validate_events(changes["enabled_events"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "status" in changes and changes["status"] != endpoint.status:
        endpoint.status = changes["status"]
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = timezone.now() if endpoint.status == EndpointStatus.DISABLED else None
    endpoint.save()
    record_event("webhook_endpoint.updated", endpoint, previous=before)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Hard delete; its deliveries go with it (pending ones are never sent)."""
    record_event("webhook_endpoint.deleted", endpoint)  # before the delete: the endpoint as it was
    WebhookEndpoint.objects.for_org(endpoint.organization_id).filter(pk=endpoint.pk).delete()


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Replace the secret; deliveries from now on (retries included) are signed with the new one."""
    endpoint = WebhookEndpoint.objects.for_org(endpoint.organization_id).select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


@transaction.atomic
def webhook_endpoint_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Record a `webhook.test` event and enqueue its delivery to this endpoint only (even a disabled one)."""
    event = record_event(
        "webhook.test",
        organization=endpoint.organization,
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
        data=snapshot(endpoint),
    )
    return _create_deliveries(event, [endpoint.pk])[0]


@transaction.atomic
def webhook_endpoint_disable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Disable after too many failed deliveries in a row, and record `webhook_endpoint.disabled` (as system)."""
    endpoint = WebhookEndpoint.objects.for_org(endpoint.organization_id).select_for_update().get(pk=endpoint.pk)
    if endpoint.status == EndpointStatus.DISABLED:
        return endpoint
    before = snapshot(endpoint)
    endpoint.status = EndpointStatus.DISABLED
    endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["status", "disabled_at", "updated_at"])
    with system_actor():
        record_event("webhook_endpoint.disabled", endpoint, previous=before)
    return endpoint


# --- fan-out and scheduling -------------------------------------------------------------------------------------


# The organization's enabled endpoints, as (id, enabled_events): all `fan_out` needs, on every change. Compiled
# once (the ORM does not write this SQL again per event), in the model's order as before.
_ENABLED_ENDPOINTS = CompiledQuery(
    WebhookEndpoint,
    lambda org_id: WebhookEndpoint.objects.for_org(org_id).filter(status=EndpointStatus.ENABLED)
    .order_by(*WebhookEndpoint._meta.ordering).values_list("id", "enabled_events"),
)


def fan_out(event: Event) -> None:
    """`record_event` hook: one pending delivery per enabled endpoint of the organization subscribed to the
    event's type, in the event's transaction; their jobs are enqueued after commit."""
    if event.type in NOT_BROADCAST:
        return
    # event.organization_id is as given to record_event: a UUID, or its text from some callers
    _names, rows = _ENABLED_ENDPOINTS.tuples(pk_value(event.organization_id))
    endpoint_ids = [pk for pk, enabled_events in rows if subscribes(enabled_events, event.type)]
    if endpoint_ids:
        _create_deliveries(event, endpoint_ids)


def lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_DELIVERY_LEASE_SECONDS)


def _create_deliveries(event: Event, endpoint_ids) -> list[WebhookDelivery]:
    now = timezone.now()
    deliveries = WebhookDelivery.all_objects.bulk_create(
        WebhookDelivery(
            organization_id=event.organization_id,
            endpoint_id=endpoint_id,
            event=event,
            event_type=event.type,
            next_attempt_at=now,
            lock_token=uuid.uuid4(),  # claimed for the job enqueued below; the sweep takes over if it is lost
            locked_until=now + lease(),
        )
        for endpoint_id in endpoint_ids
    )
    claims = [(str(d.pk), str(d.lock_token)) for d in deliveries]
    transaction.on_commit(lambda: _enqueue(claims))
    return deliveries


def _enqueue(claims) -> None:
    from .tasks import deliver_webhook

    for delivery_id, token in claims:
        try:
            deliver_webhook.enqueue(delivery_id, token)
        except Exception:  # e.g. the queue is unreachable: the lease expires and the sweep enqueues it again
            logger.exception("could not enqueue webhook delivery %s", delivery_id)


def deliveries_enqueue_due(*, now=None, limit: int = 200) -> int:
    """Claim and enqueue the pending deliveries that are due and not leased (retries, lost jobs, killed workers).
    Cheap when there is nothing to do (one indexed query); safe to run from many workers at once."""
    now = now or timezone.now()
    # unscoped: the sweep spans every organization by design (a system job).
    due = list(
        every_organization(WebhookDelivery)
        .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("organization_id", "pk", "lock_token")[:limit]
    )
    claims = []
    for organization_id, pk, old_token in due:
        token = uuid.uuid4()
        claimed = WebhookDelivery.objects.for_org(organization_id).filter(
            pk=pk, status=DeliveryStatus.PENDING, lock_token=old_token
        ).update(lock_token=token, locked_until=now + lease())
        if claimed:
            claims.append((str(pk), str(token)))
    if claims:
        _enqueue(claims)
    return len(claims)


@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Schedule one more attempt now, whatever the delivery's status (a failed one gets exactly one attempt)."""
    delivery = WebhookDelivery.objects.for_org(delivery.organization_id).select_for_update().get(pk=delivery.pk)
    now = timezone.now()
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.lock_token = uuid.uuid4()
    delivery.locked_until = now + lease()
    delivery.save(update_fields=["status", "next_attempt_at", "lock_token", "locked_until", "updated_at"])
    claims = [(str(delivery.pk), str(delivery.lock_token))]
    transaction.on_commit(lambda: _enqueue(claims))
    return delivery


# --- sending ----------------------------------------------------------------------------------------------------


def retry_schedule() -> list[timedelta]:
    return [timedelta(seconds=s) for s in settings.WEBHOOK_RETRY_SCHEDULE]


def _claim(delivery_id, token) -> WebhookDelivery | None:
    """Take the claim `token` over (a new token and a fresh lease), or None when it was superseded or is done."""
    now = timezone.now()
    mine = uuid.uuid4()
    # unscoped: the job knows its delivery by id (and claim token) only
    deliveries = every_organization(WebhookDelivery)
    claimed = deliveries.filter(pk=delivery_id, status=DeliveryStatus.PENDING, lock_token=token).update(
        lock_token=mine, locked_until=now + lease()
    )
    if not claimed:
        return None
    return deliveries.select_related("endpoint", "event").get(pk=delivery_id)


def signed_request(delivery: WebhookDelivery, body: bytes, *, at: datetime | None = None) -> dict:
    """The headers of one attempt: Standard Webhooks signature over `{webhook-id}.{timestamp}.{body}`."""
    at = at or timezone.now()
    msg_id = str(delivery.pk)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(delivery.endpoint.secret).sign(msg_id, at, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _post(url: str, body: bytes, headers: dict) -> tuple[int | None, str | None, str]:
    """POST and return (status code, error, response body ≤ 2 KiB). The whole exchange, headers and the kept part
    of the body, must finish within WEBHOOK_TIMEOUT_SECONDS; redirects are not followed."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    deadline = time.monotonic() + timeout
    try:
        with requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False,
                           stream=True) as response:
            kept = b""
            for chunk in response.iter_content(chunk_size=512):
                kept += chunk
                if len(kept) >= RESPONSE_BODY_LIMIT or time.monotonic() > deadline:
                    break
            if time.monotonic() > deadline:
                return None, f"Timed out after {timeout:g} s", _text(kept)
            return response.status_code, None, _text(kept)
    except requests.Timeout:
        return None, f"Timed out after {timeout:g} s", ""
    except requests.RequestException as exc:
        return None, _error_text(exc), ""


def _text(raw: bytes) -> str:
    text = raw[:RESPONSE_BODY_LIMIT].decode("utf-8", errors="replace").replace("\x00", "")
    while len(text.encode()) > RESPONSE_BODY_LIMIT:  # replacement characters may have grown it
        text = text[:-1]
    return text


def _error_text(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return re.sub(r"\s+", " ", text)[:ERROR_LIMIT]


def deliver(delivery_id: str, token: str) -> str:
    """Send one attempt of a claimed delivery and record it. Returns what happened (for the job's result)."""
    delivery = _claim(delivery_id, token)
    if delivery is None:
        return "skipped"
    endpoint, event = delivery.endpoint, delivery.event
    if endpoint.status != EndpointStatus.ENABLED and event.type not in NOT_BROADCAST:
        _record(delivery, None, "Endpoint disabled", "", final=True)
        return "failed"
    try:
        ssrf.check_url(endpoint.url)
    except ssrf.UnsafeURL as exc:
        return _record(delivery, None, f"Refused: {exc}", "")
    body = FastJSONRenderer().render(event_body(event))
    status_code, error, response_body = _post(endpoint.url, body, signed_request(delivery, body))
    if error is None and not 200 <= status_code < 300:
        error = f"HTTP {status_code}"
    return _record(delivery, status_code, error, response_body)


@transaction.atomic
def _record(delivery: WebhookDelivery, status_code, error, response_body, *, final: bool = False) -> str:
    now = timezone.now()
    attempts = delivery.attempts + (0 if final else 1)
    fields = dict(
        attempts=attempts, last_status_code=status_code, last_error=error, last_attempt_at=now,
        last_response_body=response_body, lock_token=None, locked_until=None, updated_at=now,
    )
    schedule = retry_schedule()
    if error is None:
        fields.update(status=DeliveryStatus.SUCCEEDED, next_attempt_at=None)
        outcome = "succeeded"
    elif final or attempts > len(schedule):
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        outcome = "failed"
    else:
        fields.update(next_attempt_at=now + schedule[attempts - 1])
        outcome = "retrying"
    WebhookDelivery.objects.for_org(delivery.organization_id).filter(pk=delivery.pk).update(**fields)
    if outcome == "succeeded":
        endpoints = WebhookEndpoint.objects.for_org(delivery.organization_id)
        endpoints.filter(pk=delivery.endpoint_id).update(consecutive_failures=0)
    elif outcome == "failed" and not final:
        _count_failure(delivery.endpoint)
    return outcome


def _count_failure(endpoint: WebhookEndpoint) -> None:
    row = WebhookEndpoint.objects.for_org(endpoint.organization_id).filter(pk=endpoint.pk)
    row.update(consecutive_failures=F("consecutive_failures") + 1)
    failures = row.values_list("consecutive_failures", flat=True).first()
    if failures is not None and failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        webhook_endpoint_disable(endpoint=endpoint)
