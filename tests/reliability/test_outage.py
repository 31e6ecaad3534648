"""Database outages against a real server process (PostgreSQL only): gunicorn reaches the test database through
a TCP proxy in this process; stopping the proxy makes the database unreachable. While it is down `/api/health`
answers 503 `unhealthy` and the API 503 `{"detail": "Service temporarily unavailable."}` — never a 500 or a
traceback — and when it comes back the same worker answers again, without a restart."""
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from orders.models import Order
from tests import factories
from tests.reliability.proxy import TcpProxy

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: a real server and database"),
]

UNAVAILABLE = {"detail": "Service temporarily unavailable."}
BOOT_SECONDS = 30
RECOVERY_SECONDS = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`gunicorn serviceengine.wsgi`, one sync worker, on 127.0.0.1; its output goes to a log file."""

    def __init__(self, database_url: str, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DB_CONNECT_TIMEOUT": "2",
            "CONN_MAX_AGE": "600",
            "SECRET_KEY": "outage-test-secret-key",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DEBUG": "false",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "1",
            "GUNICORN_TIMEOUT": "20",
            "GUNICORN_MAX_REQUESTS": "0",
            "LOG_LEVEL": "INFO",
        }
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            # No control socket: it would live at one path per user, shared with any other gunicorn running.
            [sys.executable, "-m", "gunicorn", "serviceengine.wsgi", "--no-control-socket"],
            cwd=settings.BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def request(self, method: str, path: str, token: str | None = None, body=None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Host": "127.0.0.1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def wait_for(self, status: int, path: str, seconds: float) -> tuple[int, str]:
        """Poll `path` until it answers `status` (bounded); the last answer either way."""
        deadline = time.monotonic() + seconds
        last: tuple[int, str] = (0, "no answer")
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"server exited:\n{self.output()}"
            try:
                last = self.request("GET", path)
            except OSError as exc:
                last = (0, repr(exc))
            if last[0] == status:
                break
            time.sleep(0.2)
        return last

    def output(self, tail: int = 5000) -> str:
        """The server's log (its last `tail` characters; everything with `tail=0`)."""
        self.log.flush()
        text = self.log_path.read_text(errors="replace")
        return text[-tail:] if tail else text

    def worker_boots(self) -> int:
        return self.output(tail=0).count("Booting worker with pid")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def database_url_through(port: int) -> str:
    """The test database's URL with the host and port replaced by the proxy's."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@127.0.0.1:{port}/{quote(db['NAME'], safe='')}"


def assert_unavailable(answer: tuple[int, str], server: Server):
    status, text = answer
    assert status == 503, f"{answer}\n{server.output()}"
    assert json.loads(text) == UNAVAILABLE
    assert "Traceback" not in text and "psycopg" not in text


def assert_unhealthy(answer: tuple[int, str], server: Server):
    status, text = answer
    assert status == 503, f"{answer}\n{server.output()}"
    body = json.loads(text)
    assert set(body) == {"status", "version", "timestamp"}
    assert body["status"] == "unhealthy" and body["version"] == "1.0.0"
    assert body["timestamp"].endswith("+00:00")
    datetime.fromisoformat(body["timestamp"])


@pytest.fixture
def outage_setup(transactional_db, tmp_path):
    """Committed data the server process can see; a proxy to the test database; the server through it."""
    org = factories.make_org()
    owner = factories.make_team_member(org)
    _token, raw = factories.make_token(org, owner)
    client = factories.make_client(org)
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.start()
    server = None
    try:
        server = Server(database_url_through(proxy.port), tmp_path / "server.log")
        status, text = server.wait_for(200, "/api/health", BOOT_SECONDS)
        assert status == 200, f"server did not become healthy: {status} {text}\n{server.output()}"
        yield server, proxy, raw, client
    finally:
        if server is not None:
            server.stop()
        proxy.stop()


def test_outage_answers_503_and_the_same_process_recovers(outage_setup):
    server, proxy, token, client = outage_setup
    order_body = {"user_id": str(client.pk), "service": "Rush"}

    # Up: the worker holds a persistent connection through the proxy.
    assert server.request("GET", "/api/clients", token)[0] == 200
    assert server.request("POST", "/api/orders", token, order_body)[0] == 201

    # A blip while idle (database restarted between requests): the health check on reuse reconnects, no error.
    proxy.cut_connections()
    assert server.request("GET", "/api/health")[0] == 200
    proxy.cut_connections()
    status, text = server.request("POST", "/api/orders", token, order_body)
    assert status == 201, f"{status} {text}\n{server.output()}"
    assert server.request("GET", "/api/clients", token)[0] == 200

    # Down: the idle connection is cut and new ones are refused.
    proxy.stop()
    # First request on the dead persistent connection, inside ATOMIC_REQUESTS (a write).
    assert_unavailable(server.request("POST", "/api/orders", token, order_body), server)
    # Then with no connection at all: every route that needs the database.
    assert_unavailable(server.request("GET", "/api/clients", token), server)
    assert_unavailable(server.request("GET", f"/api/clients/{client.pk}", token), server)
    assert_unavailable(server.request("POST", "/api/orders", token, order_body), server)
    assert_unavailable(server.request("GET", "/api/orders", "not-a-token"), server)
    assert_unhealthy(server.request("GET", "/api/health"), server)
    # The index and the admin's empty login form never touch the database (reads open no transaction since
    # ATOMIC_REQUESTS went, issue 12) and keep answering.
    assert server.request("GET", "/api")[0] == 200
    assert server.request("GET", "/admin/login/")[0] == 200

    # Back: the same port, the same worker, within a bounded time.
    proxy.start()
    status, text = server.wait_for(200, "/api/health", RECOVERY_SECONDS)
    assert status == 200, f"no recovery within {RECOVERY_SECONDS} s: {status} {text}\n{server.output()}"
    assert json.loads(text)["status"] == "healthy"
    assert server.request("GET", "/api/clients", token)[0] == 200
    status, text = server.request("POST", "/api/orders", token, order_body)
    assert status == 201, f"{status} {text}\n{server.output()}"
    assert server.process.poll() is None and server.worker_boots() == 1, server.output()
    # Three orders were created while the database was up; none of the refused writes left a row.
    assert Order.unscoped.filter(organization=client.organization).count() == 3
    assert "Traceback" not in server.output(tail=0)
