"""Two gunicorn workers share one rate limit through Redis (issue 14): a token limited to N requests gets exactly
N successes across both workers, then 429s. PostgreSQL only (the server process must see the test's committed
rows); needs Redis (`.ci/run` starts it; REDIS_TEST_URL, default redis://127.0.0.1:6379/1)."""
import http.client
import os
import re
import socket
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests import factories
from tests.helpers import run_in_threads

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/1")
LIMIT = 10
REQUESTS = 24
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: a server process on the test database"),
]


def redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, token: str | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Host": "127.0.0.1", "Connection": "close"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.body = response.read()
        return response
    finally:
        conn.close()


@pytest.fixture
def server(transactional_db, tmp_path):
    if not redis_up():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "SECRET_KEY": "rate-limit-test-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "false",
        "CACHE_URL": REDIS_URL,
        "API_RATE_LIMIT": "1200/minute",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "1",
    }
    log_path = tmp_path / "server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "serviceengine.wsgi", "--no-control-socket"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(port, "/api/health").status == 200 and log_path.read_text().count("Booting worker") >= 2:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        yield port, log_path
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def test_two_workers_share_one_limit(server):
    port, log_path = server
    org = factories.make_org()
    # A window that will not end during the test: an hour, unless the hour is about to turn.
    if 3600 - time.time() % 3600 < 60:
        time.sleep(3600 - time.time() % 3600 + 1)
    _token, raw = factories.make_token(org, factories.make_team_member(org), rate_limit=f"{LIMIT}/hour")
    marker = uuid.uuid4().hex
    responses = run_in_threads(lambda i: get(port, f"/api/services?probe={marker}", raw), REQUESTS)
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] * LIMIT + [429] * (REQUESTS - LIMIT), statuses
    for response in responses:
        assert response.getheader("RateLimit-Limit") == str(LIMIT)
        if response.status == 429:
            assert response.body == b'{"detail":"Too many requests."}' or b"Too many requests." in response.body
            assert int(response.getheader("Retry-After")) > 0
    # Both workers answered (gunicorn's access log names the worker's pid).
    log = log_path.read_text()
    pids = set(re.findall(rf"{marker}.* pid=<?(\d+)>?", log))
    assert len(pids) == 2, log[-3000:]
