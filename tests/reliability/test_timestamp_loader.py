"""The PostgreSQL backend's timestamp loader (serviceengine/perf/dbbackend): psycopg's own (compiled) loader where it
answers what Django's would, the same datetimes and tzinfo; Django's loader wherever the session differs."""
from datetime import timezone as dt_timezone

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader

from serviceengine.perf.dbbackend.base import PSYCOPG_TZ_LOADER

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: its backend")

VALUES = [
    "2026-03-01 12:34:56.789012+00", "2026-03-01 12:34:56+00", "2026-03-01 12:34:56.5+00", "1999-12-31 23:59:59-05",
    "2000-01-01 00:00:00+05:30", "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00", "1969-07-20 20:17:40.1+00",
]


def select(values):
    return "SELECT " + ", ".join(f"'{value}'::timestamptz" for value in values) + ", NULL::timestamptz"


def django_reading(cursor, sql):
    """What Django's own loader reads from the same result."""
    loader = type("DjangoTzLoader", (BaseTzLoader,), {"timezone": connection.timezone})
    cursor.cursor.adapters.register_loader("timestamptz", loader)
    cursor.execute(sql)
    return cursor.fetchone()


def readers(cursor):
    return cursor.cursor._tx.get_loader(cursor.cursor.adapters.types["timestamptz"].oid, 0).load


def test_timestamps_read_as_djangos_loader_reads_them(db):
    with connection.cursor() as cursor:
        cursor.execute(select(VALUES))
        ours = cursor.fetchone()
        assert type(readers(cursor).__self__) is PSYCOPG_TZ_LOADER  # the fast path is the one taken
    with connection.cursor() as cursor:
        theirs = django_reading(cursor, select(VALUES))
    assert ours == theirs
    assert [value and value.tzinfo for value in ours] == [value and value.tzinfo for value in theirs]
    assert all(value.tzinfo is dt_timezone.utc for value in ours[:-1]) and ours[-1] is None


def test_another_session_zone_reads_through_djangos_loader(db):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'America/Chicago'")
        sql = select(VALUES[:5])  # year 1 in UTC is 1 BC in Chicago: an error for both loaders
        cursor.execute(sql)
        ours = cursor.fetchone()
        assert type(readers(cursor).__self__) is not PSYCOPG_TZ_LOADER
        theirs = django_reading(cursor, sql)
    assert ours == theirs
    assert [value and value.tzinfo for value in ours] == [value and value.tzinfo for value in theirs]
