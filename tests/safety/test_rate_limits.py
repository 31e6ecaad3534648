"""Rate limits (issue 14): per token (API_RATE_LIMIT or the token's own), RateLimit-* headers on every
authenticated answer, 429 + Retry-After at the limit (doing nothing), reset after the window, and failed
authentication limited per client IP. Two gunicorn workers sharing one Redis count: test_rate_limits_gunicorn.py."""
import json
import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from clients.models import Client
from serviceengine.api import throttling
from tests import factories
from tests.helpers import assert_detail

pytestmark = pytest.mark.django_db
TOO_MANY = "Too many requests."


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """A controllable clock for the windows: starts 10 s into a minute (and into an hour)."""

    class Clock:
        now = 1_800_000_000 - (1_800_000_000 % 3600) + 10.0

        def time(self):
            return self.now

    fake = Clock()
    monkeypatch.setattr(throttling.time, "time", fake.time)
    return fake


def client_for(org, **token_fields):
    _token, raw = factories.make_token(org, **token_fields)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def limits(response):
    return tuple(int(response[h]) for h in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"))


def test_every_authenticated_answer_carries_the_headers(org, clock, settings):
    settings.API_RATE_LIMIT = "100/minute"
    api = client_for(org)
    reader = client_for(org, scope="read")
    answers = [
        api.get("/api/clients"),  # 200
        api.get("/api/clients/not-an-id"),  # 404
        api.get("/api/clients", {"limit": "x"}),  # 400
        api.post("/api/clients", {"name_f": "A", "name_l": "B", "email": "a@example.com"}, format="json"),  # 201
        api.generic("PATCH", "/api/clients"),  # 405
    ]
    assert [r.status_code for r in answers] == [200, 404, 400, 201, 405]
    assert [limits(r) for r in answers] == [(100, 99 - i, 50) for i in range(5)]
    refused = reader.post("/api/clients", {}, format="json")
    assert refused.status_code == 403 and limits(refused) == (100, 99, 50)


def test_unauthenticated_and_open_answers_have_no_headers(anon):
    for response in (anon.get("/api/clients"), anon.get("/api/health")):
        assert "RateLimit-Limit" not in response


def test_at_the_limit_429_does_nothing_and_the_window_resets(org, clock):
    api = client_for(org, rate_limit="3/minute")
    body = {"name_f": "A", "name_l": "B", "email": "a@example.com"}
    assert [api.get("/api/clients").status_code for _ in range(2)] == [200, 200]
    created = api.post("/api/clients", body, format="json")
    assert created.status_code == 201 and limits(created) == (3, 0, 50)
    refused = api.post("/api/clients", {**body, "email": "b@example.com"}, format="json")
    assert_detail(refused, 429, TOO_MANY)
    assert refused["Retry-After"] == "50" and limits(refused) == (3, 0, 50)
    assert Client.objects.for_org(org).count() == 1
    clock.now += 30
    assert api.get("/api/clients")["Retry-After"] == "20"
    clock.now += 20  # the next minute: a new window
    again = api.get("/api/clients")
    assert again.status_code == 200 and limits(again) == (3, 2, 60)


def test_the_default_applies_to_tokens_without_their_own_limit(org, clock, settings):
    settings.API_RATE_LIMIT = "2/second"
    plain, own = client_for(org), client_for(org, rate_limit="5/hour")
    assert [plain.get("/api/services").status_code for _ in range(3)] == [200, 200, 429]
    assert limits(plain.get("/api/services"))[:2] == (2, 0)
    assert [own.get("/api/services").status_code for _ in range(5)] == [200] * 5
    assert limits(own.get("/api/services")) == (5, 0, 3590)


def test_each_token_has_its_own_count(org, other_org, clock):
    first, second = client_for(org, rate_limit="1/minute"), client_for(other_org, rate_limit="1/minute")
    assert first.get("/api/clients").status_code == 200
    assert second.get("/api/clients").status_code == 200
    assert first.get("/api/clients").status_code == 429


def test_failed_authentication_is_limited_per_ip(org, clock, settings):
    settings.AUTH_FAILURE_RATE_LIMIT = "5/minute"
    guesser = APIClient(REMOTE_ADDR="203.0.113.7")
    for i in range(5):
        assert_detail(guesser.get("/api/clients", HTTP_AUTHORIZATION=f"Bearer wrong-{i}"), 401, "Unauthorized")
    blocked = guesser.get("/api/clients", HTTP_AUTHORIZATION="Bearer wrong-6")
    assert_detail(blocked, 429, TOO_MANY)
    assert blocked["Retry-After"] == "50"
    # A forged X-Forwarded-For does not move the count to another address (NUM_PROXIES=0).
    spoofed = guesser.get("/api/clients", HTTP_AUTHORIZATION="Bearer wrong-7", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert spoofed.status_code == 429
    # Another address is not affected; a request without a token is not a guess.
    other = APIClient(REMOTE_ADDR="203.0.113.8")
    assert other.get("/api/clients", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert guesser.get("/api/clients").status_code == 401
    clock.now += 60
    assert guesser.get("/api/clients", HTTP_AUTHORIZATION="Bearer wrong-8").status_code == 401


def test_behind_proxies_the_client_ip_comes_from_x_forwarded_for(org, clock, settings):
    settings.AUTH_FAILURE_RATE_LIMIT = "1/minute"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")
    first = {"HTTP_AUTHORIZATION": "Bearer x", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    second = {"HTTP_AUTHORIZATION": "Bearer x", "HTTP_X_FORWARDED_FOR": "198.51.100.2"}
    assert [proxy.get("/api/clients", **first).status_code for _ in range(2)] == [401, 429]
    assert proxy.get("/api/clients", **second).status_code == 401


def test_idempotent_replays_are_counted_and_limited(org, clock):
    api = client_for(org, rate_limit="2/minute")
    body = json.dumps({"name_f": "A", "name_l": "B", "email": "a@example.com"})

    def post():
        return api.post("/api/clients", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")

    first, replay, third = post(), post(), post()
    assert (first.status_code, limits(first)[:2]) == (201, (2, 1))
    assert (replay.status_code, replay["Idempotent-Replayed"], limits(replay)[:2]) == (201, "true", (2, 0))
    assert_detail(third, 429, TOO_MANY)
    assert "Idempotent-Replayed" not in third and third["Retry-After"] == "50"


def test_the_defaults_without_configuration():
    """API_RATE_LIMIT 1200/minute, AUTH_FAILURE_RATE_LIMIT 30/minute, and a file cache shared by this host's
    workers when CACHE_URL is unset; django-redis for a redis:// CACHE_URL."""
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.API_RATE_LIMIT, s.AUTH_FAILURE_RATE_LIMIT, s.CACHES['default']['BACKEND']]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("API_RATE_LIMIT", "AUTH_FAILURE_RATE_LIMIT", "CACHE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="serviceengine.settings", SECRET_KEY="x")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == ["1200/minute", "30/minute", "django.core.cache.backends.filebased.FileBasedCache"]
    env["CACHE_URL"] = "redis://127.0.0.1:6379/1"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out)[2] == "django_redis.cache.RedisCache"
    env["API_RATE_LIMIT"] = "5/fortnight"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "API_RATE_LIMIT" in bad.stderr


def test_a_cache_outage_does_not_fail_requests(org, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(throttling.cache, "add", down)
    response = client_for(org).get("/api/clients")
    assert response.status_code == 200


@pytest.fixture
def redis_cache(monkeypatch):
    """The throttle counting in a django-redis cache (REDIS_TEST_URL), as in production; its keys under a prefix of
    their own, removed afterwards."""
    from django_redis.cache import RedisCache

    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/1")
    redis_cache = RedisCache(url, {"KEY_PREFIX": f"sx-throttle-test-{os.getpid()}"})
    try:
        redis_cache.client.get_client(write=True).ping()
    except Exception:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable at {url}")
    monkeypatch.setattr(throttling, "cache", redis_cache)
    yield redis_cache
    redis_cache.delete_pattern("*")


def test_on_redis_each_request_is_counted_in_one_round_trip_and_its_window_expires(redis_cache, monkeypatch):
    raw = redis_cache.client.get_client(write=True)
    throttling.count("token:warm-up", "3/minute")  # the first use may load the script into a new server
    sent = []
    execute = raw.execute_command

    def counting(*args, **kwargs):
        sent.append(args[0])
        return execute(*args, **kwargs)

    monkeypatch.setattr(raw, "execute_command", counting)
    now = 1_800_000_000 - (1_800_000_000 % 60) + 10.0  # 10 s into a minute
    windows = [throttling.count("token:t", "3/minute", now=now) for _ in range(4)]

    assert [w.remaining for w in windows] == [2, 1, 0, -1] and windows[-1].exceeded
    assert {w.reset for w in windows} == {50}
    assert len(sent) == 4  # one command (the counting script) per request
    key = f"rl:token:t:60:{int(now // 60)}"
    assert redis_cache.get(key) == 4  # the cache reads the count the script wrote
    assert 0 < redis_cache.ttl(key) <= 61
    assert throttling.count("token:t", "3/minute", add=0, now=now).remaining == -1


def test_on_redis_a_window_left_without_expiry_gets_one(redis_cache):
    now = 1_800_000_000.0
    key = f"rl:token:t:60:{int(now // 60)}"
    redis_cache.set(key, 7, timeout=None)  # as a crash between two commands could have left it
    assert redis_cache.ttl(key) is None

    assert throttling.count("token:t", "10/minute", now=now).remaining == 2
    assert 0 < redis_cache.ttl(key) <= 61
