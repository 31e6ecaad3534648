"""Real worker processes (issue 13), on PostgreSQL where a worker process shares the test database:

- `manage.py db_worker` killed (SIGKILL) in the middle of a delivery: a second worker delivers it again once the
  lease has expired, with the same `webhook-id` (at least once);
- the Redis backend (`TASKS_BACKEND=rq`) against the local Redis (db 3): a delivery enqueued in Redis is sent by
  `manage.py rqworker`, and `run_periodic` enqueues the periodic jobs there.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from standardwebhooks import Webhook

from clients.services import client_create
from tests import factories
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_endpoint_create

from .receiver import Receiver

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: worker processes share the database"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_TASKS_REDIS_URL", "redis://127.0.0.1:6379/3")


def worker_env(**extra) -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ, "DATABASE_URL": url, "SECRET_KEY": "worker-test", "DEBUG": "false",
        "WEBHOOKS_ALLOW_PRIVATE_URLS": "true", "WEBHOOK_DELIVERY_LEASE_SECONDS": "2", "LOG_LEVEL": "WARNING", **extra,
    }


def manage(*args, env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition, timeout=40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


@pytest.fixture
def setup(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    org = factories.make_org()

    def make(url):
        endpoint = webhook_endpoint_create(organization=org, url=url, enabled_events=["client.created"])
        client_create(organization=org, email="worker@example.com", name_f="W", name_l="K")  # commits: job queued
        return endpoint, WebhookDelivery.unscoped.get(endpoint=endpoint)

    return make


def test_a_worker_killed_mid_delivery_loses_nothing(setup):
    with Receiver([60.0, 200]) as receiver:  # the first attempt hangs until the worker is killed
        endpoint, delivery = setup(receiver.url)
        env = worker_env()
        first = manage("db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2", env=env)
        try:
            wait_for(lambda: len(receiver.requests) == 1)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 0)
        second = manage("db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2", env=env)
        try:
            wait_for(lambda: WebhookDelivery.unscoped.get(pk=delivery.pk).status == "succeeded")
        finally:
            second.terminate()
            second.wait(10)
        assert len(receiver.requests) == 2
        for request in receiver.requests:
            headers = {k.lower(): v for k, v in request["headers"].items()}
            assert headers["webhook-id"] == str(delivery.pk)
            Webhook(endpoint.secret).verify(request["body"], headers)


@pytest.fixture
def redis():
    import redis as redis_lib

    client = redis_lib.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis_lib.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.flushdb()
    yield client
    client.flushdb()


def test_the_redis_backend_runs_deliveries_and_periodic_jobs(setup, redis):
    env = worker_env(TASKS_BACKEND="rq", TASKS_REDIS_URL=REDIS_URL)
    with Receiver([200]) as receiver:
        endpoint, delivery = setup(receiver.url)  # queued on the database backend of this process: re-enqueue in Redis
        WebhookDelivery.unscoped.filter(pk=delivery.pk).update(locked_until=None)
        ticker = manage("run_periodic", "--once", env=env)
        assert ticker.wait(60) == 0, ticker.stderr.read()
        assert redis.llen("rq:queue:default") >= 2  # the sweep's delivery job and the purge
        worker = manage("rqworker", "--burst", "--job-class", "django_tasks_rq.Job", "default", env=env)
        assert worker.wait(120) == 0, worker.stderr.read()
        delivery.refresh_from_db()
        assert delivery.status == "succeeded" and len(receiver.requests) == 1
        headers = {k.lower(): v for k, v in receiver.requests[0]["headers"].items()}
        Webhook(endpoint.secret).verify(receiver.requests[0]["body"], headers)
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"  # this process is unchanged
