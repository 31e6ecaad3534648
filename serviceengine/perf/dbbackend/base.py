"""Django's PostgreSQL backend with a liveness check that needs no round trip.

With `CONN_HEALTH_CHECKS`, Django checks a persistent connection before its first use in each request, by default
with a `SELECT 1`: one round trip per request, a fifth to a third of an API read's. A connection the server (or
anything between) has closed is readable at the socket: end of file, or the server's last error message. So the
check here first looks at the socket without waiting; only when something arrived does it read it, and then
asks the server (`SELECT 1`) if the connection is still sane. An idle, healthy connection has nothing to read.
tests/reliability/test_outage.py cuts connections between requests through a proxy and checks the next request
succeeds.
"""
import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        if self.connection is None:
            return False
        pgconn = self.connection.pgconn
        if pgconn.status != pq.ConnStatus.OK:
            return False
        if pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()  # not between requests: the server decides, as Django's check does
        try:
            readable, _, _ = select.select([pgconn.socket], [], [], 0)
        except (OSError, ValueError):
            return False
        if not readable:
            return True  # nothing arrived since the last query: the connection is as it was left
        return super().is_usable()  # something did (EOF, an error, a notice): ask the server
