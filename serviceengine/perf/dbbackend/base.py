"""Django's PostgreSQL backend with a liveness check that needs no round trip, and timestamps read by psycopg's
compiled loader.

With `CONN_HEALTH_CHECKS`, Django checks a persistent connection before its first use in each request, by default
with a `SELECT 1`: one round trip per request, a fifth to a third of an API read's. A connection the server (or
anything between) has closed is readable at the socket: end of file, or the server's last error message. So the
check here first looks at the socket without waiting; only when something arrived does it read it, and then
asks the server (`SELECT 1`) if the connection is still sane. An idle, healthy connection has nothing to read.
tests/reliability/test_outage.py cuts connections between requests through a proxy and checks the next request
succeeds.

Django reads every `timestamptz` through its own loader, a subclass of psycopg's pure-Python one (a regular
expression and three Python calls per value, then `replace(tzinfo=...)`), so psycopg's compiled loader is never
used: about 5 µs per value, a millisecond for a page of 20 invoices with their items (~270 timestamps). The loader
here gives the same datetimes through psycopg's own loader (compiled with `psycopg[binary]`) whenever that loader
already returns them in Django's zone: the session's `TimeZone` is Django's (Django sets it on connecting) and its
`DateStyle` is ISO (the only one the compiled loader reads). Otherwise it is Django's loader, unchanged.

psycopg turns a query's `%s` placeholders into `$1`... with a regular expression over the whole text, cached
(an LRU of 128 queries) only for queries of at most `MAX_CACHED_STATEMENT_LENGTH` bytes, 4,096: a retrieve whose
children come inside its row query is longer (a ticket's: ~6 KB, 83 aliased columns and three JSON subqueries) and
was split again on every request (~0.05-0.1 ms). The limit is raised to `QUERY_CACHE_LENGTH`: the cache stays 128
entries, now of at most 16 KB each (tests/perf/test_lean_reads.py checks the conversion of such a query is cached).
"""
import functools
import select

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg import _queries as psycopg_queries
from psycopg import adapt, adapters, pq
from psycopg.adapt import Loader

QUERY_CACHE_LENGTH = 16_384  # bytes: the longest query whose placeholder conversion psycopg caches (its own: 4,096)
psycopg_queries.MAX_CACHED_STATEMENT_LENGTH = max(psycopg_queries.MAX_CACHED_STATEMENT_LENGTH, QUERY_CACHE_LENGTH)

TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid
# psycopg's default loader: the compiled one when psycopg[binary] (or [c]) is installed, else the Python one.
PSYCOPG_TZ_LOADER = adapters.get_loader(TIMESTAMPTZ_OID, pq.Format.TEXT)


class TimestamptzLoader(Loader):
    """What Django's `BaseTzLoader` (for `timezone`) returns, read by psycopg's own loader when that one already
    answers in `timezone`: the same aware datetime, the same `tzinfo` object."""

    timezone = None  # Django's zone for the connection (its `create_cursor` compares it with Django's own)
    django_loader = BaseTzLoader  # Django's loader for `timezone`

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        info = self.connection.info if self.connection is not None else None
        if (
            info is not None
            and self.timezone is not None
            and info.timezone is self.timezone
            and (info.parameter_status("DateStyle") or "").startswith("ISO")
        ):
            # psycopg's loader parses the offset and moves the value to the session zone, which is `timezone`.
            self.load = PSYCOPG_TZ_LOADER(oid, context).load
        else:
            self.load = self.django_loader(oid, context).load

    def load(self, data):  # replaced on each instance by `__init__`
        raise NotImplementedError


@functools.cache
def adapters_for(template: adapt.AdaptersMap, timezone) -> adapt.AdaptersMap:
    """Django's adapters (`template`) with `TimestamptzLoader` for `timezone` in place of Django's loader."""
    context = adapt.AdaptersMap(template)
    django_loader = type("DjangoTzLoader", (BaseTzLoader,), {"timezone": timezone, "__module__": __name__})
    loader = type("TimestamptzLoader", (TimestamptzLoader,), {"timezone": timezone, "django_loader": django_loader,
                                                     "__module__": __name__})
    context.register_loader("timestamptz", loader)
    return context


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if "context" in params:
            params["context"] = adapters_for(params["context"], self.timezone)
        return params

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
