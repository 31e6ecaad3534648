"""The PostgreSQL backend's connection check (serviceengine/perf/dbbackend): no round trip for a healthy idle connection,
and a connection the server has closed is found unusable."""
import time

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: its backend")


def test_the_configured_engine_is_ours():
    assert connection.settings_dict["ENGINE"] == "serviceengine.perf.dbbackend"


def test_a_healthy_idle_connection_is_usable_without_asking_the_server(transactional_db, monkeypatch):
    connection.ensure_connection()
    from django.db.backends.postgresql.base import DatabaseWrapper as Django

    def asked(self):
        raise AssertionError("SELECT 1 was sent")

    monkeypatch.setattr(Django, "is_usable", asked)
    assert connection.is_usable() is True


def test_a_connection_the_server_closed_is_unusable(transactional_db):
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert connection.is_usable() is False
    connection.close()
    connection.ensure_connection()  # and a new connection works
    assert connection.is_usable() is True
