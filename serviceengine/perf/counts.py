"""Exact live-row counts per (organization, table), kept by database triggers, read in one tiny query.

An unfiltered list's `meta.total` is the number of live rows (`deleted_at IS NULL`) of the organization. A COUNT
over tens of thousands of rows costs milliseconds per request, so the counted tables carry triggers that keep
`serviceengine.LiveCount` exact, in the same transaction as the change (a rollback undoes both):

- PostgreSQL: statement-level AFTER INSERT/UPDATE/DELETE triggers read the statement's transition tables and
  INSERT one delta row per organization whose live count changed (soft delete, restore, a move to another
  organization, bulk inserts, hard deletes). Writers only ever insert, so concurrent writers never wait on each
  other. When an (organization, table) has more than `COMPACT_ABOVE` rows, the statement that notices folds them
  into one (`DELETE ... RETURNING n` + INSERT of the sum), under a transaction-level advisory *try*-lock: one
  compactor per key at a time, and nobody ever waits for it. Under READ COMMITTED this stays exact: another
  transaction's uncommitted deltas are invisible to the DELETE, so they are neither removed nor summed, and the
  sum is taken over the rows this very DELETE removed (RETURNING). AFTER TRUNCATE clears the table's counts.
  The triggers are `ENABLE ALWAYS`: they also fire under `session_replication_role = replica`, which the
  set-based seeding (bench/series.py) uses to skip foreign-key checks. The flip side: a data-only restore
  that loads `serviceengine_livecount` too, or a logical replica of both tables, must disable them (pg_restore
  --disable-triggers does) or run `backfill()` after.
- SQLite (one writer at a time): row-level triggers keep one row per (organization, table), `n = n ± 1`.

`live_total(model, organization)` reads the sum. On SQLite, Django rebuilds a table for most column changes and
the rebuild drops its triggers: after every `migrate` a post_migrate hook (`ensure_triggers`, serviceengine/apps.py)
checks every counted table and reinstalls and recounts those that lost theirs (tests/core/test_live_counts.py
rebuilds a counted table through a real migration).
"""
from django.db import connection as default_connection
from django.db import transaction

from .compiled import pk_value

# Model label → db_table of the soft-deletable models whose API list total is exactly "the live rows of the
# organization" (their viewsets' list queryset is `Model.objects.for_org(org)`, nothing narrower). Not clients:
# the users table holds team members and clients together.
COUNTED: dict[str, str] = {
    "catalog.Service": "catalog_service",
    "orders.Order": "orders_order",
    "billing.Proposal": "billing_proposal",
    "billing.Invoice": "billing_invoice",
    "support.Ticket": "support_ticket",
}
COUNTED_TABLES = tuple(COUNTED.values())

COMPACT_ABOVE = 32  # rows per (organization, table) on PostgreSQL before a statement folds them into one
ADVISORY_CLASS = 675601182  # hashtext('serviceengine_livecount'): the first key of the compaction try-lock

LIVE_TOTAL_SQL = (
    'SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM serviceengine_livecount WHERE organization_id = %s AND "table" = %s'
)


def live_total(model, organization) -> int | None:
    """The exact number of live rows of `model` in `organization` (one indexed query), or None when `model` is
    not counted (then the caller COUNTs). Sees the current transaction's own uncommitted changes, like a COUNT."""
    table = COUNTED.get(model._meta.label)
    if table is None:
        return None
    pk = pk_value(organization)
    if not default_connection.features.has_native_uuid_field:
        pk = pk.hex  # Django's UUID storage on SQLite
    with default_connection.cursor() as cursor:
        cursor.execute(LIVE_TOTAL_SQL, [pk, table])
        return cursor.fetchone()[0]


# PostgreSQL ----------------------------------------------------------------------------------------------------

PG_DELTA_FUNCTION = f"""
CREATE OR REPLACE FUNCTION serviceengine_livecount_delta() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tbl text := TG_TABLE_NAME;
    orgs uuid[];
    org uuid;
BEGIN
    -- One delta row per organization whose live count this statement changed.
    IF TG_OP = 'INSERT' THEN
        WITH added AS (
            INSERT INTO serviceengine_livecount (organization_id, "table", n)
            SELECT organization_id, tbl, count(*) FROM new_rows WHERE deleted_at IS NULL GROUP BY organization_id
            RETURNING organization_id
        ) SELECT array_agg(organization_id) INTO orgs FROM added;
    ELSIF TG_OP = 'DELETE' THEN
        WITH added AS (
            INSERT INTO serviceengine_livecount (organization_id, "table", n)
            SELECT organization_id, tbl, -count(*) FROM old_rows WHERE deleted_at IS NULL GROUP BY organization_id
            RETURNING organization_id
        ) SELECT array_agg(organization_id) INTO orgs FROM added;
    ELSE
        WITH added AS (
            INSERT INTO serviceengine_livecount (organization_id, "table", n)
            SELECT organization_id, tbl, sum(d) FROM (
                SELECT organization_id, 1 AS d FROM new_rows WHERE deleted_at IS NULL
                UNION ALL
                SELECT organization_id, -1 AS d FROM old_rows WHERE deleted_at IS NULL
            ) AS changes
            GROUP BY organization_id HAVING sum(d) <> 0
            RETURNING organization_id
        ) SELECT array_agg(organization_id) INTO orgs FROM added;
    END IF;
    IF orgs IS NULL THEN
        RETURN NULL;
    END IF;
    -- Compaction, so that reading a total stays a handful of rows. Never waits: the try-lock admits one
    -- compactor per key; a statement that does not get it leaves the folding to a later one.
    FOREACH org IN ARRAY orgs LOOP
        IF (SELECT count(*) FROM (
                SELECT FROM serviceengine_livecount WHERE organization_id = org AND "table" = tbl
                LIMIT {COMPACT_ABOVE + 1}) AS r) > {COMPACT_ABOVE} THEN
            IF pg_try_advisory_xact_lock({ADVISORY_CLASS}, hashtext(org::text || '/' || tbl)) THEN
                WITH gone AS (
                    DELETE FROM serviceengine_livecount WHERE organization_id = org AND "table" = tbl RETURNING n
                )
                INSERT INTO serviceengine_livecount (organization_id, "table", n)
                SELECT org, tbl, sum(n) FROM gone HAVING coalesce(sum(n), 0) <> 0;
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$
"""

PG_TRUNCATE_FUNCTION = """
CREATE OR REPLACE FUNCTION serviceengine_livecount_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM serviceengine_livecount WHERE "table" = TG_TABLE_NAME::text;
    RETURN NULL;
END
$$
"""

PG_TRIGGERS = {
    "livecount_insert": "AFTER INSERT ON {t} REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION serviceengine_livecount_delta()",
    "livecount_update": "AFTER UPDATE ON {t} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION serviceengine_livecount_delta()",
    "livecount_delete": "AFTER DELETE ON {t} REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION serviceengine_livecount_delta()",
    "livecount_truncate": "AFTER TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION serviceengine_livecount_truncate()",
}


def _pg_install(cursor, tables):
    cursor.execute(PG_DELTA_FUNCTION)
    cursor.execute(PG_TRUNCATE_FUNCTION)
    for table in tables:
        for name, definition in PG_TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"CREATE TRIGGER {name} {definition.format(t=table)}")
            cursor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")


def _pg_uninstall(cursor, tables):
    for table in tables:
        for name in PG_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    cursor.execute("DROP FUNCTION IF EXISTS serviceengine_livecount_delta()")
    cursor.execute("DROP FUNCTION IF EXISTS serviceengine_livecount_truncate()")


# SQLite --------------------------------------------------------------------------------------------------------

_SQLITE_ENSURE_ROW = (
    "INSERT INTO serviceengine_livecount (organization_id, \"table\", n) SELECT {row}.organization_id, '{t}', 0 "
    "WHERE {cond} NOT EXISTS (SELECT 1 FROM serviceengine_livecount "
    "WHERE organization_id = {row}.organization_id AND \"table\" = '{t}');"
)
_SQLITE_ADD = (
    "UPDATE serviceengine_livecount SET n = n {sign} 1 "
    "WHERE {cond} organization_id = {row}.organization_id AND \"table\" = '{t}';"
)
SQLITE_TRIGGERS = {
    "insert": "AFTER INSERT ON {t} WHEN NEW.deleted_at IS NULL BEGIN "
    + _SQLITE_ENSURE_ROW.format(row="NEW", cond="", t="{t}")
    + _SQLITE_ADD.format(sign="+", row="NEW", cond="", t="{t}")
    + " END",
    "update": "AFTER UPDATE OF deleted_at, organization_id ON {t} "
    "WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) OR OLD.organization_id <> NEW.organization_id BEGIN "
    + _SQLITE_ADD.format(sign="-", row="OLD", cond="OLD.deleted_at IS NULL AND", t="{t}")
    + _SQLITE_ENSURE_ROW.format(row="NEW", cond="NEW.deleted_at IS NULL AND", t="{t}")
    + _SQLITE_ADD.format(sign="+", row="NEW", cond="NEW.deleted_at IS NULL AND", t="{t}")
    + " END",
    # Never creates a row: during a test flush (DELETE FROM every table) the counts may already be gone.
    "delete": "AFTER DELETE ON {t} WHEN OLD.deleted_at IS NULL BEGIN "
    + _SQLITE_ADD.format(sign="-", row="OLD", cond="", t="{t}")
    + " END",
}


def sqlite_trigger_name(table: str, event: str) -> str:
    return f"livecount_{table}_{event}"  # SQLite trigger names are per database, not per table


def _sqlite_install(cursor, tables):
    for table in tables:
        for event, definition in SQLITE_TRIGGERS.items():
            name = sqlite_trigger_name(table, event)
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"CREATE TRIGGER {name} {definition.format(t=table)}")


def _sqlite_uninstall(cursor, tables):
    for table in tables:
        for event in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {sqlite_trigger_name(table, event)}")


# Install, uninstall, backfill (the migration and repairs) ------------------------------------------------------


def _vendor_call(connection, postgresql, sqlite, tables):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            postgresql(cursor, tables)
        elif connection.vendor == "sqlite":
            sqlite(cursor, tables)
        else:
            raise NotImplementedError(f"live counts need triggers written for {connection.vendor}")


def install(connection=default_connection, tables=COUNTED_TABLES) -> None:
    """Create (or replace) the counting triggers of `tables`, then backfill their counts. Idempotent."""
    with transaction.atomic(using=connection.alias):
        _vendor_call(connection, _pg_install, _sqlite_install, tables)
        backfill(connection, tables)


def missing_triggers(connection=default_connection, tables=COUNTED_TABLES) -> list[str]:
    """The counted tables (of those that exist) lacking one of their counting triggers, or whose PostgreSQL triggers
    are not `ENABLE ALWAYS`. A migration that makes SQLite rebuild a table drops its triggers silently."""
    existing = set(connection.introspection.table_names())
    tables = [t for t in tables if t in existing]
    if connection.vendor == "postgresql":
        expected = {table: [(table, name) for name in PG_TRIGGERS] for table in tables}
    else:
        expected = {t: [(t, sqlite_trigger_name(t, event)) for event in SQLITE_TRIGGERS] for t in tables}
    present = _installed_triggers(connection)
    return [table for table, wanted in expected.items() if not present.issuperset(wanted)]


def _installed_triggers(connection) -> set[tuple[str, str]]:
    """(table, trigger name) of the user triggers that fire: on PostgreSQL only `ENABLE ALWAYS` ones (the counts must
    also be kept under `session_replication_role = replica`)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgenabled = 'A'"
            )
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        return set(cursor.fetchall())


def ensure_triggers(connection=default_connection) -> list[str]:
    """Reinstall (and recount) the triggers of every counted table and usage-counted junction that lost them;
    returns those tables. Run after
    every `migrate` (post_migrate, serviceengine/apps.py), so a rebuilt table never answers `meta.total: 0`."""
    tables = connection.introspection.table_names()
    if "serviceengine_livecount" not in tables:
        return []  # migrated only part of the way: the counting migration has not run yet
    missing = missing_triggers(connection)
    if missing:
        install(connection, tuple(missing))
    if "serviceengine_usagecount" in tables:
        missing_usage = missing_usage_triggers(connection)
        if missing_usage:
            install_usage(connection, tuple(missing_usage))
        missing += missing_usage
    return missing


def uninstall(connection=default_connection, tables=COUNTED_TABLES) -> None:
    """Drop the counting triggers (and, on PostgreSQL, their functions)."""
    _vendor_call(connection, _pg_uninstall, _sqlite_uninstall, tables)


def backfill(connection=default_connection, tables=COUNTED_TABLES) -> None:
    """Replace the counts of `tables` by a COUNT of their live rows, one row per organization. Writers of those
    tables wait meanwhile (PostgreSQL: SHARE ROW EXCLUSIVE until the transaction ends; readers go on), and so does
    a second backfill of the same table, so no change is lost or counted twice."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute('DELETE FROM serviceengine_livecount WHERE "table" = %s', [table])
            cursor.execute(
                'INSERT INTO serviceengine_livecount (organization_id, "table", n) '
                f"SELECT organization_id, %s, COUNT(*) FROM {table} WHERE deleted_at IS NULL GROUP BY organization_id",
                [table],
            )


# Usage counts ---------------------------------------------------------------------------------------------------
#
# How many live parents (orders, tickets) are linked to a key row (a tag), kept the same way as the live totals:
# triggers write delta rows to `serviceengine_usagecount`, in the change's own transaction, and a read sums a handful
# of rows. Counting the links instead reads every link of the tag and its parent's `deleted_at` (thousands of rows
# for a busy tag: the tag retrieve ran at 9% of the bare view that way). Three things change a count: a link added
# or removed (a junction INSERT/DELETE, counted when its parent is live), and a parent soft-deleted or restored (an
# UPDATE of the parent that flips `deleted_at IS NULL`, counted for each of its links). A parent's hard delete
# removes its links first (Django's collector deletes the junction rows before the parent), so the junction's
# DELETE uncounts them while the parent still says whether it was live.

# junction db_table → (key column, parent column, parent db_table)
USAGE: dict[str, tuple[str, str, str]] = {
    "orders_ordertag": ("tag_id", "order_id", "orders_order"),
    "support_tickettag": ("tag_id", "ticket_id", "support_ticket"),
}
USAGE_TABLES = tuple(USAGE)


def usage_subquery(junction_model):
    """`COALESCE((SELECT SUM(n) …), 0)` for the outer row (a key, e.g. a tag) in `junction_model`'s usage counts:
    annotate a queryset of the key model with it (tags: `orders_count`, `tickets_count`)."""
    from django.db.models import BigIntegerField, IntegerField, OuterRef, Subquery, Sum, Value
    from django.db.models.functions import Cast, Coalesce

    from serviceengine.models import UsageCount

    table = junction_model._meta.db_table
    assert table in USAGE, f"{table} has no usage counts (serviceengine/perf/counts.py USAGE)"
    rows = (
        UsageCount.objects.filter(organization_id=OuterRef("organization_id"), table=table, key=OuterRef("pk"))
        .order_by()
        .values("key")
        .annotate(total=Cast(Sum("n"), BigIntegerField()))  # PostgreSQL's SUM(bigint) is numeric
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _pg_usage_function(junction: str) -> str:
    key, parent_col, parent = USAGE[junction]
    insert = 'INSERT INTO serviceengine_usagecount (organization_id, "table", key, n)'
    return f"""
CREATE OR REPLACE FUNCTION serviceengine_usage_{junction}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orgs uuid[];
    keys uuid[];
    i int;
BEGIN
    -- One delta row per (organization, key) whose count of live linked parents this statement changed.
    IF TG_TABLE_NAME = '{parent}' THEN  -- parents soft-deleted or restored: each of their links counts -1 / +1
        WITH added AS (
            {insert}
            SELECT l.organization_id, '{junction}', l.{key},
                   sum(CASE WHEN n.deleted_at IS NULL THEN 1 ELSE -1 END)
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN {junction} l ON l.organization_id = n.organization_id AND l.{parent_col} = n.id  -- org-leading key
            WHERE (o.deleted_at IS NULL) <> (n.deleted_at IS NULL)
            GROUP BY l.organization_id, l.{key}
            RETURNING organization_id, key
        ) SELECT array_agg(organization_id), array_agg(key) INTO orgs, keys FROM added;
    ELSIF TG_OP = 'INSERT' THEN  -- links added: counted when their parent is live
        WITH added AS (
            {insert}
            SELECT l.organization_id, '{junction}', l.{key}, count(*)
            FROM new_rows l JOIN {parent} p ON p.id = l.{parent_col} WHERE p.deleted_at IS NULL
            GROUP BY l.organization_id, l.{key}
            RETURNING organization_id, key
        ) SELECT array_agg(organization_id), array_agg(key) INTO orgs, keys FROM added;
    ELSIF TG_OP = 'DELETE' THEN  -- links removed (a parent's hard delete removes its links first)
        WITH added AS (
            {insert}
            SELECT l.organization_id, '{junction}', l.{key}, -count(*)
            FROM old_rows l JOIN {parent} p ON p.id = l.{parent_col} WHERE p.deleted_at IS NULL
            GROUP BY l.organization_id, l.{key}
            RETURNING organization_id, key
        ) SELECT array_agg(organization_id), array_agg(key) INTO orgs, keys FROM added;
    ELSE  -- a link moved to another key or parent
        WITH added AS (
            {insert}
            SELECT organization_id, '{junction}', k, sum(d) FROM (
                SELECT l.organization_id, l.{key} AS k, 1 AS d
                FROM new_rows l JOIN {parent} p ON p.id = l.{parent_col} WHERE p.deleted_at IS NULL
                UNION ALL
                SELECT l.organization_id, l.{key}, -1
                FROM old_rows l JOIN {parent} p ON p.id = l.{parent_col} WHERE p.deleted_at IS NULL
            ) AS changes
            GROUP BY organization_id, k HAVING sum(d) <> 0
            RETURNING organization_id, key
        ) SELECT array_agg(organization_id), array_agg(key) INTO orgs, keys FROM added;
    END IF;
    IF orgs IS NULL THEN
        RETURN NULL;
    END IF;
    -- Compaction, as for the live totals: never waits (a try-lock per key), folds more than {COMPACT_ABOVE} rows.
    FOR i IN 1 .. array_length(orgs, 1) LOOP
        IF (SELECT count(*) FROM (
                SELECT FROM serviceengine_usagecount
                WHERE organization_id = orgs[i] AND "table" = '{junction}' AND key = keys[i]
                LIMIT {COMPACT_ABOVE + 1}) AS r) > {COMPACT_ABOVE} THEN
            IF pg_try_advisory_xact_lock({ADVISORY_CLASS}, hashtext(keys[i]::text || '/{junction}')) THEN
                WITH gone AS (
                    DELETE FROM serviceengine_usagecount
                    WHERE organization_id = orgs[i] AND "table" = '{junction}' AND key = keys[i] RETURNING n
                )
                {insert}
                SELECT orgs[i], '{junction}', keys[i], sum(n) FROM gone HAVING coalesce(sum(n), 0) <> 0;
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$
"""


PG_USAGE_TRUNCATE_FUNCTION = """
CREATE OR REPLACE FUNCTION serviceengine_usage_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM serviceengine_usagecount WHERE "table" = TG_TABLE_NAME::text;
    RETURN NULL;
END
$$
"""


def pg_usage_triggers(junction: str) -> dict[tuple[str, str], str]:
    """(table, trigger name) → definition, for one junction: its own INSERT/UPDATE/DELETE/TRUNCATE and its parent's
    UPDATE. `ENABLE ALWAYS`, as the live totals' (set-based seeding runs in replica mode)."""
    parent = USAGE[junction][2]
    function = f"serviceengine_usage_{junction}()"
    return {
        (junction, "usage_insert"): f"AFTER INSERT ON {junction} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}",
        (junction, "usage_update"): f"AFTER UPDATE ON {junction} REFERENCING OLD TABLE AS old_rows "
        f"NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}",
        (junction, "usage_delete"): f"AFTER DELETE ON {junction} REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}",
        (junction, "usage_truncate"): f"AFTER TRUNCATE ON {junction} "
        "FOR EACH STATEMENT EXECUTE FUNCTION serviceengine_usage_truncate()",
        (parent, f"usage_{junction}"): f"AFTER UPDATE ON {parent} REFERENCING OLD TABLE AS old_rows "
        f"NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}",
    }


def _pg_usage_install(cursor, junctions):
    cursor.execute(PG_USAGE_TRUNCATE_FUNCTION)
    for junction in junctions:
        cursor.execute(_pg_usage_function(junction))
        for (table, name), definition in pg_usage_triggers(junction).items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"CREATE TRIGGER {name} {definition}")
            cursor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")


def _pg_usage_uninstall(cursor, junctions):
    for junction in junctions:
        for table, name in pg_usage_triggers(junction):
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        cursor.execute(f"DROP FUNCTION IF EXISTS serviceengine_usage_{junction}()")


def sqlite_usage_triggers(junction: str) -> dict[tuple[str, str], str]:
    """(table, trigger name) → definition (SQLite: row triggers, one row per (organization, key), `n = n ± 1`)."""
    key, parent_col, parent = USAGE[junction]
    live_parent = f"EXISTS (SELECT 1 FROM {parent} WHERE id = {{row}}.{parent_col} AND deleted_at IS NULL)"
    ensure_row = (
        f"INSERT INTO serviceengine_usagecount (organization_id, \"table\", key, n) "
        f"SELECT {{row}}.organization_id, '{junction}', {{row}}.{key}, 0 WHERE NOT EXISTS ("
        f"SELECT 1 FROM serviceengine_usagecount WHERE organization_id = {{row}}.organization_id "
        f"AND \"table\" = '{junction}' AND key = {{row}}.{key});"
    )
    add = (
        f"UPDATE serviceengine_usagecount SET n = n {{sign}} 1 WHERE organization_id = {{row}}.organization_id "
        f"AND \"table\" = '{junction}' AND key = {{row}}.{key};"
    )
    return {
        (junction, f"usage_{junction}_insert"): f"AFTER INSERT ON {junction} WHEN {live_parent.format(row='NEW')} "
        f"BEGIN {ensure_row.format(row='NEW')} {add.format(row='NEW', sign='+')} END",
        (junction, f"usage_{junction}_update"): f"AFTER UPDATE ON {junction} BEGIN "
        f"UPDATE serviceengine_usagecount SET n = n - 1 WHERE {live_parent.format(row='OLD')} AND "
        f"organization_id = OLD.organization_id AND \"table\" = '{junction}' AND key = OLD.{key}; "
        f"{ensure_row.format(row='NEW')} "
        f"UPDATE serviceengine_usagecount SET n = n + 1 WHERE {live_parent.format(row='NEW')} AND "
        f"organization_id = NEW.organization_id AND \"table\" = '{junction}' AND key = NEW.{key}; END",
        # Never creates a row: during a test flush (DELETE FROM every table) the counts may already be gone.
        (junction, f"usage_{junction}_delete"): f"AFTER DELETE ON {junction} WHEN {live_parent.format(row='OLD')} "
        f"BEGIN {add.format(row='OLD', sign='-')} END",
        (parent, f"usage_{junction}_parent"): f"AFTER UPDATE OF deleted_at ON {parent} "
        "WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) BEGIN "
        f"INSERT INTO serviceengine_usagecount (organization_id, \"table\", key, n) "
        f"SELECT l.organization_id, '{junction}', l.{key}, 0 FROM {junction} l "
        f"WHERE l.organization_id = NEW.organization_id AND l.{parent_col} = NEW.id "
        f"AND NOT EXISTS (SELECT 1 FROM serviceengine_usagecount u WHERE u.organization_id = l.organization_id "
        f"AND u.\"table\" = '{junction}' AND u.key = l.{key}); "
        f"UPDATE serviceengine_usagecount SET n = n + (CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END) "
        f"WHERE organization_id = NEW.organization_id AND \"table\" = '{junction}' AND EXISTS ("
        f"SELECT 1 FROM {junction} l WHERE l.organization_id = NEW.organization_id AND l.{parent_col} = NEW.id "
        f"AND l.organization_id = serviceengine_usagecount.organization_id "
        f"AND l.{key} = serviceengine_usagecount.key); END",
    }


def _sqlite_usage_install(cursor, junctions):
    for junction in junctions:
        for (_table, name), definition in sqlite_usage_triggers(junction).items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"CREATE TRIGGER {name} {definition}")


def _sqlite_usage_uninstall(cursor, junctions):
    for junction in junctions:
        for _table, name in sqlite_usage_triggers(junction):
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def install_usage(connection=default_connection, junctions=USAGE_TABLES) -> None:
    """Create (or replace) the usage-count triggers of `junctions` (and their parents), then backfill. Idempotent."""
    with transaction.atomic(using=connection.alias):
        _vendor_call(connection, _pg_usage_install, _sqlite_usage_install, junctions)
        backfill_usage(connection, junctions)


def uninstall_usage(connection=default_connection, junctions=USAGE_TABLES) -> None:
    _vendor_call(connection, _pg_usage_uninstall, _sqlite_usage_uninstall, junctions)


def missing_usage_triggers(connection=default_connection, junctions=USAGE_TABLES) -> list[str]:
    """The junctions (of those that exist) lacking one of their usage triggers, on themselves or on their parent
    (a migration that makes SQLite rebuild `orders_order` drops the parent's)."""
    existing = set(connection.introspection.table_names())
    junctions = [j for j in junctions if j in existing and USAGE[j][2] in existing]
    triggers = pg_usage_triggers if connection.vendor == "postgresql" else sqlite_usage_triggers
    present = _installed_triggers(connection)
    return [junction for junction in junctions if not present.issuperset(triggers(junction))]


def backfill_usage(connection=default_connection, junctions=USAGE_TABLES) -> None:
    """Replace the usage counts of `junctions` by a COUNT of their links to live parents. Writers of the junction
    and of its parent wait meanwhile (PostgreSQL: SHARE ROW EXCLUSIVE), so no change is lost or counted twice."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for junction in junctions:
            key, parent_col, parent = USAGE[junction]
            if connection.vendor == "postgresql":
                cursor.execute(f"LOCK TABLE {junction}, {parent} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute('DELETE FROM serviceengine_usagecount WHERE "table" = %s', [junction])
            cursor.execute(
                'INSERT INTO serviceengine_usagecount (organization_id, "table", key, n) '
                f"SELECT l.organization_id, %s, l.{key}, COUNT(*) FROM {junction} l "
                f"JOIN {parent} p ON p.id = l.{parent_col} WHERE p.deleted_at IS NULL "
                f"GROUP BY l.organization_id, l.{key}",
                [junction],
            )
