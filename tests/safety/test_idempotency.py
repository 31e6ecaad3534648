"""Idempotency keys (issue 14): replay, mismatch, 5xx not stored, 4xx stored, per organization, key syntax,
in-progress claims, expiry and the purge job. The concurrency on PostgreSQL is in test_idempotency_concurrency.py."""
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

import clients.services
from clients.models import Client
from events.models import Event
from idempotency import services
from idempotency.models import IdempotencyKey
from tests import factories
from tests.helpers import assert_detail

pytestmark = pytest.mark.django_db
URL = "/api/clients"
ADA = {"name_f": "Ada", "name_l": "Byron", "email": "ada@engines.example.com"}
REUSED = {"Idempotency-Key": [services.KEY_REUSED]}


def send(api, method, url, body, key, **extra):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.generic(method, url, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def clients_of(org):
    return Client.objects.for_org(org).count()


def test_a_repeat_replays_the_stored_answer_and_does_nothing(api, org):
    first = send(api, "POST", URL, ADA, "create-ada-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    counts = clients_of(org), Event.objects.for_org(org).count()
    # The same body with other key order and whitespace is the same request.
    same = b'{ "email": "ada@engines.example.com",\n "name_l": "Byron", "name_f": "Ada" }'
    for _ in range(2):
        again = send(api, "POST", URL, same, "create-ada-1")
        assert again.status_code == 201
        assert again.content == first.content
        assert again["Idempotent-Replayed"] == "true"
        assert again["Content-Type"] == first["Content-Type"]
    assert (clients_of(org), Event.objects.for_org(org).count()) == counts


def test_without_a_key_every_request_runs(api, org):
    assert api.post(URL, ADA, format="json").status_code == 201
    assert api.post(URL, {**ADA, "email": "two@example.com"}, format="json").status_code == 201
    assert clients_of(org) == 2 and not IdempotencyKey.unscoped.exists()


def test_puts_and_deletes_are_replayed_too(api, org):
    client = factories.make_client(org)
    url = f"{URL}/{client.id}"
    first = send(api, "PUT", url, {"note": "one"}, "put-1")
    assert first.status_code == 200
    assert send(api, "PUT", url, {"note": "one"}, "put-1").content == first.content
    gone = send(api, "DELETE", url, b"", "delete-1")
    assert gone.status_code == 204
    replay = send(api, "DELETE", url, b"", "delete-1")
    assert replay.status_code == 204 and replay["Idempotent-Replayed"] == "true"
    # without the key, the second delete would be a 404
    assert api.delete(url).status_code == 404


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", URL, {**ADA, "email": "other@example.com"}),  # another body
        ("POST", URL + "?x=1", ADA),  # another path
        ("PUT", URL, ADA),  # another method
    ],
)
def test_the_same_key_for_another_request_is_422(api, org, method, url, body):
    assert send(api, "POST", URL, ADA, "k-1").status_code == 201
    response = send(api, method, url, body, "k-1")
    assert response.status_code == 422
    assert response.json() == {"message": "The given data was invalid.", "errors": REUSED}
    assert clients_of(org) == 1


def test_validation_errors_are_stored_and_replayed(api, org):
    first = send(api, "POST", URL, {"name_f": "No email"}, "bad-1")
    assert first.status_code == 400
    again = send(api, "POST", URL, {"name_f": "No email"}, "bad-1")
    assert (again.status_code, again.content, again["Idempotent-Replayed"]) == (400, first.content, "true")
    assert clients_of(org) == 0


def test_a_5xx_stores_nothing_and_the_key_can_be_retried(api, org, monkeypatch):
    real = clients.services.client_create

    def outage(**kwargs):
        raise RuntimeError("payment provider unavailable")

    monkeypatch.setattr(clients.services, "client_create", outage)
    failed = send(api, "POST", URL, ADA, "retry-me")
    assert failed.status_code == 500 and "Idempotent-Replayed" not in failed
    assert not IdempotencyKey.unscoped.exists()
    monkeypatch.setattr(clients.services, "client_create", real)
    retried = send(api, "POST", URL, ADA, "retry-me")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    assert clients_of(org) == 1


def test_keys_are_per_organization(api, org, other_org, other_api):
    mine = send(api, "POST", URL, ADA, "shared-key")
    theirs = send(other_api, "POST", URL, ADA, "shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["id"] != theirs.json()["id"]
    assert clients_of(org) == clients_of(other_org) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there", "new\nline", "\x7f"])
def test_a_malformed_key_is_400(api, org, key):
    response = send(api, "POST", URL, ADA, key)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["message", "errors"] and list(body["errors"]) == ["Idempotency-Key"]
    assert clients_of(org) == 0


@pytest.mark.parametrize("key", ["a", "x" * 255, "with space", "~!@#$%^&*()_+{}|:<>?"])
def test_any_printable_ascii_key_of_1_to_255_works(api, key):
    assert send(api, "POST", URL, ADA, key).status_code == 201
    assert send(api, "POST", URL, ADA, key)["Idempotent-Replayed"] == "true"


def test_a_key_still_in_progress_is_409(api, org):
    identity = services.Request("POST", URL, services.fingerprint(json.dumps(ADA).encode()))
    claim = services.claim(organization=org, key="busy", request=identity)
    assert claim.kind == "claimed"
    response = send(api, "POST", URL, ADA, "busy")
    assert_detail(response, 409, "A request with this Idempotency-Key is in progress.")
    assert response["Retry-After"] == "1"
    assert clients_of(org) == 0


def test_a_claim_left_by_a_dead_worker_is_taken_over(api, org):
    identity = services.Request("POST", URL, services.fingerprint(json.dumps(ADA).encode()))
    services.claim(organization=org, key="orphan", request=identity, now=timezone.now() - services.LOCK_TIMEOUT * 2)
    response = send(api, "POST", URL, ADA, "orphan")
    assert response.status_code == 201 and clients_of(org) == 1


def test_an_expired_key_runs_again_and_the_purge_deletes_only_expired_keys(api, org, settings):
    assert send(api, "POST", URL, ADA, "old").status_code == 201
    assert send(api, "POST", URL, {**ADA, "email": "b@example.com"}, "fresh").status_code == 201
    IdempotencyKey.unscoped.filter(key="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    rerun = send(api, "POST", URL, {**ADA, "email": "c@example.com"}, "old")  # a new request: no 422
    assert rerun.status_code == 201 and "Idempotent-Replayed" not in rerun
    IdempotencyKey.unscoped.filter(key="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.purge_expired() == 1
    assert list(IdempotencyKey.unscoped.values_list("key", flat=True)) == ["fresh"]


def test_keys_live_for_the_configured_ttl(api, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 48
    send(api, "POST", URL, ADA, "ttl")
    row = IdempotencyKey.unscoped.get()
    assert timedelta(hours=47, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=48, seconds=1)


def test_the_purge_is_a_periodic_job():
    from jobs.periodic import REGISTRY, _load_job_modules

    _load_job_modules()
    assert any(name.endswith("idempotency_purge_expired") for name in REGISTRY)


def test_refused_requests_claim_nothing(org, owner, anon):
    _token, read_raw = factories.make_token(org, owner, scope="read")
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {read_raw}")
    assert_detail(send(reader, "POST", URL, ADA, "k"), 403, "This token is read-only.")
    assert_detail(send(anon, "POST", URL, ADA, "k"), 401, "Unauthorized")
    assert_detail(send(anon, "POST", URL, ADA, "k", HTTP_AUTHORIZATION="Bearer nope"), 401, "Unauthorized")
    assert not IdempotencyKey.unscoped.exists()


def test_a_keyed_request_looks_its_token_up_once(api, org):
    from tests.helpers import count_queries

    _response, with_key = count_queries(lambda: send(api, "POST", URL, ADA, "q-1"))
    _response, without = count_queries(lambda: api.post(URL, {**ADA, "email": "q2@example.com"}, format="json"))
    token_lookups = [sql for sql in with_key if "serviceengine_apitoken" in sql and "token_hash" in sql]
    assert len(token_lookups) == 1
    # the key costs its claim (insert) and the stored answer (update), nothing else
    assert len(with_key) - len(without) == 2, "\n".join(with_key)


def test_routes_without_token_authentication_ignore_the_header(api):
    """The Stripe webhook authenticates with its signature: an Idempotency-Key (even a malformed one) is not
    taken as a key there, whatever Authorization header comes with it."""
    response = api.post("/api/stripe/webhook", {"id": "evt_1"}, format="json", HTTP_IDEMPOTENCY_KEY="")
    assert "Idempotency-Key" not in response.content.decode()
    assert not IdempotencyKey.unscoped.exists()
