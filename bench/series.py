"""Set-based seeding for PostgreSQL: `INSERT INTO <model's table> (...) SELECT ... FROM <rows>` in one statement.

The caller names the SQL expression of the columns it cares about; every other column gets its model default
(callables are called once, so every row shares the value), NULL when nullable, a fresh UUID for the primary key
and `now()` for the timestamps. Used by the index test and by the benchmark's seeder (bench/seed.py).
"""
from contextlib import contextmanager

from django.db import DatabaseError, connection, models


def insert_select(model: type[models.Model], from_sql: str, columns: dict[str, str], params=()) -> int:
    """Insert one row of `model` per row of `FROM {from_sql}`; `columns` maps column names to SQL expressions
    over it. `params` fill the placeholders of `from_sql` only (the column expressions take none; a literal `%`
    there is written `%%`). Returns the number of rows inserted."""
    names, exprs, values = [], [], []
    for field in model._meta.concrete_fields:
        column = field.column
        if isinstance(field, models.AutoField) and column not in columns:
            continue  # the sequence numbers it
        names.append(connection.ops.quote_name(column))
        if column in columns:
            exprs.append(columns[column])
        elif field.primary_key:
            exprs.append("gen_random_uuid()")
        elif column in ("created_at", "updated_at"):
            exprs.append("now()")
        elif field.has_default():
            exprs.append("%s")
            values.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            exprs.append("NULL")
        else:
            raise ValueError(f"{model.__name__}.{field.name}: no value, no default and not nullable")
    unknown = set(columns) - {f.column for f in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{model.__name__}: unknown columns {sorted(unknown)}")
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(names)}) "
        f"SELECT {', '.join(exprs)} FROM {from_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])
        return cursor.rowcount


@contextmanager
def foreign_key_checks_skipped():
    """Replica mode: no foreign-key triggers while seeding rows that are consistent by construction (as
    `pg_restore --disable-triggers`). Only a superuser may set it; anyone else just seeds more slowly."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = bool(cursor.fetchone()[0])
        if superuser:
            cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        if superuser:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SET session_replication_role = DEFAULT")
            except DatabaseError:
                pass  # an aborted transaction: its rollback undoes the SET anyway


@contextmanager
def indexes_deferred(tables: list[str]):
    """Drop the plain indexes of `tables` (not those backing a primary key or unique constraint) and create them
    again on exit: building an index once over many rows is far faster than updating it row by row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [tables],
        )
        saved = cursor.fetchall()
        for name, _definition in saved:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, definition in saved:
                cursor.execute(definition)


# ---- A whole multi-tenant world ---------------------------------------------------------------------------------

class Volumes:
    """How many rows `seed_world` makes. Per-organization rows are dealt round-robin (row `g` belongs to
    organization `g mod orgs`), so every tenant's rows are interleaved in the heap, as in production."""

    def __init__(self, *, orgs=2, members=5, clients=10_000, services=200, tags=20, orders=100_000,
                 order_employees=1, order_tags=1, tasks=0, messages=0, proposals=0, proposal_items=2,
                 invoices=0, invoice_items=2, tickets=0, ticket_messages=2, slug_prefix="seed"):
        self.__dict__.update(locals())
        del self.__dict__["self"]
        for name in ("members", "clients", "services", "tags", "orders", "proposals", "invoices", "tickets"):
            if getattr(self, name) % orgs:
                raise ValueError(f"{name} must be a multiple of orgs ({orgs})")


def seed_world(v: Volumes, progress=None) -> dict:
    """Seed organizations `{prefix}-1 … {prefix}-N` with team members, clients (with addresses), services, tags,
    orders (with employees, tags, tasks and messages), proposals and invoices (with items) and tickets (with
    messages), all with set-based INSERTs. `progress(label, step, steps)` is called before each step.
    Returns `{"orgs": [ids in slug order]}`. Works on PostgreSQL only."""
    from billing.models import Invoice, InvoiceItem, Proposal, ProposalItem
    from catalog.models import Service
    from orders.models import Order, OrderEmployee, OrderMessage, OrderTag, OrderTask, Tag, TaskEmployee
    from serviceengine.models import Address, Organization, Role, User
    from support.models import Ticket, TicketMessage

    n = v.orgs
    admin = Role.objects.get(name="Administrator").pk
    client_role = Role.objects.client_role().pk

    def run(sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def index(temp, model, where=""):
        """A temp table numbering one kind of row within its organization: (id, org index, k)."""
        table = model._meta.db_table
        run(f"DROP TABLE IF EXISTS {temp}")
        run(
            f"CREATE TEMP TABLE {temp} AS SELECT t.id, o.idx, row_number() OVER (PARTITION BY o.idx ORDER BY t.id) - 1 "
            f"AS k FROM {table} t JOIN seed_orgs o ON o.id = t.organization_id {where}"
        )
        run(f"CREATE INDEX ON {temp} (idx, k)")
        run(f"ANALYZE {temp}")

    # Row g of a per-org series: its organization is seed_orgs.idx = mod(g, n); `per(x)` is its rank within it.
    g_org = f"generate_series(0, %s - 1) AS g JOIN seed_orgs o ON o.idx = mod(g, {n})"

    def pick(temp, alias, count_per_org, salt=0):
        """JOIN one `temp` row of the same organization, spread over the org's rows."""
        return f" JOIN {temp} {alias} ON {alias}.idx = o.idx AND {alias}.k = mod(g / {n} + {salt}, {count_per_org})"

    steps = [
        "organizations", "team members", "clients", "services", "tags", "orders", "order employees and tags",
        "tasks", "messages", "proposals", "invoices", "tickets", "indexes", "vacuum and statistics",
    ]
    step = iter(range(len(steps)))

    def tick(label):
        if progress:
            progress(label, next(step), len(steps))

    seeded = (User, Address, Service, Tag, Order, OrderEmployee, OrderTag, OrderTask, TaskEmployee, OrderMessage,
              Proposal, ProposalItem, Invoice, InvoiceItem, Ticket, TicketMessage)
    with foreign_key_checks_skipped(), indexes_deferred([model._meta.db_table for model in seeded]):
        tick("organizations")
        insert_select(
            Organization, "generate_series(1, %s) AS g",
            {"name": f"'{v.slug_prefix.title()} ' || g", "slug": f"'{v.slug_prefix}-' || g"}, [n],
        )
        run("DROP TABLE IF EXISTS seed_orgs")
        run(
            "CREATE TEMP TABLE seed_orgs AS SELECT id, row_number() OVER (ORDER BY length(slug), slug) - 1 AS idx "
            "FROM serviceengine_organization WHERE slug ~ %s",
            [f"^{v.slug_prefix}-[0-9]+$"],
        )

        tick("team members")
        insert_select(
            User, g_org,
            {"organization_id": "o.id", "role_id": f"'{admin}'::uuid", "email": "'staff' || g || '@agency.example.com'",
             "name_f": "'Staff'", "name_l": "'Member ' || g"},
            [v.members],
        )
        index("seed_members", User, f"WHERE t.role_id = '{admin}'")

        tick("clients")
        salt = "md5(random()::text)"
        run("DROP TABLE IF EXISTS seed_salt")
        run(f"CREATE TEMP TABLE seed_salt AS SELECT {salt} AS s")
        address_id = "md5((SELECT s FROM seed_salt) || g)::uuid"
        insert_select(
            Address, "generate_series(0, %s - 1) AS g JOIN seed_orgs o ON o.idx = mod(g, " + str(n) + ")",
            {"id": address_id, "organization_id": "o.id", "line_1": "g || ' Seed Street'", "city": "'London'",
             "country": "'GB'", "postcode": "'N1 9GU'"},
            [v.clients],
        )
        insert_select(
            User, g_org,
            {"organization_id": "o.id", "role_id": f"'{client_role}'::uuid", "address_id": address_id,
             "email": "'client' || g || '@example.com'", "name_f": "'First' || mod(g, 997)",
             "name_l": "'Last' || mod(g, 991)", "status": "CASE WHEN mod(g, 50) = 0 THEN 0 ELSE 1 END", "balance": "mod(g, 1000) + 0.50",
             "created_at": "now() - g * interval '1 minute'", "updated_at": "now() - g * interval '1 minute'",
             "aff_id": "100000 + g", "aff_link": "'https://example.com/r/' || g"},
            [v.clients],
        )
        index("seed_clients", User, f"WHERE t.role_id = '{client_role}'")

        tick("services")
        insert_select(
            Service, g_org,
            {"organization_id": "o.id", "name": "'Service ' || g", "price": "mod(g, 1000) + 0.99",
             "recurring": "mod(g, 3)", "public": "mod(g, 2) = 0", "sort_order": "mod(g, 100)",
             "currency": "CASE WHEN mod(g, 10) = 0 THEN 'EUR' ELSE 'USD' END",
             "created_at": "now() - g * interval '1 hour'", "updated_at": "now() - g * interval '1 hour'"},
            [v.services],
        )
        index("seed_services", Service)

        tick("tags")
        insert_select(Tag, g_org, {"organization_id": "o.id", "name": "'tag-' || g"}, [v.tags])
        index("seed_tags", Tag)

        tick("orders")
        per_org = v.clients // n
        insert_select(
            Order,
            g_org + pick("seed_clients", "c", per_org) + pick("seed_services", "s", v.services // n),
            {"organization_id": "o.id", "user_id": "c.id", "service_id": "s.id", "number": "'S' || lpad(g::text, 8, '0')",
             "service_name": "'Service ' || s.k", "price": "mod(g, 1000) + 0.99", "quantity": "1 + mod(g, 10)",
             "status": "mod(g, 5)", "created_at": "now() - g * interval '20 seconds'",
             "updated_at": "now() - g * interval '20 seconds'",
             "date_due": "CASE WHEN mod(g, 4) = 0 THEN NULL ELSE now() + mod(g, 60) * interval '1 day' END",
             "invoice_id": "CASE WHEN mod(g, 10) = 0 THEN gen_random_uuid() END"},
            [v.orders],
        )
        index("seed_orders", Order)

        tick("order employees and tags")
        links = "seed_orders r JOIN seed_orgs o ON o.idx = r.idx CROSS JOIN generate_series(0, %s - 1) AS e"
        insert_select(
            OrderEmployee, links + f" JOIN seed_members m ON m.idx = r.idx AND m.k = mod(r.k + e, {v.members // n})",
            {"organization_id": "o.id", "order_id": "r.id", "user_id": "m.id"}, [v.order_employees],
        )
        insert_select(
            OrderTag, links + f" JOIN seed_tags t ON t.idx = r.idx AND t.k = mod(r.k + e, {v.tags // n})",
            {"organization_id": "o.id", "order_id": "r.id", "tag_id": "t.id"}, [v.order_tags],
        )

        tick("tasks")
        if v.tasks:
            insert_select(
                OrderTask, "seed_orders s JOIN orders_order r ON r.id = s.id CROSS JOIN generate_series(0, %s - 1) AS e",
                {"organization_id": "r.organization_id", "order_id": "r.id", "name": "'Task ' || e",
                 "sort_order": "e", "is_public": "mod(e, 2) = 0"},
                [v.tasks],
            )
            insert_select(
                TaskEmployee,
                "orders_ordertask t JOIN seed_orders r ON r.id = t.order_id "
                f"JOIN seed_members m ON m.idx = r.idx AND m.k = mod(r.k + t.sort_order, {v.members // n})",
                {"organization_id": "t.organization_id", "task_id": "t.id", "user_id": "m.id"},
            )

        tick("messages")
        if v.messages:
            insert_select(
                OrderMessage,
                "seed_orders r CROSS JOIN generate_series(0, %s - 1) AS e "
                f"JOIN seed_members m ON m.idx = r.idx AND m.k = mod(r.k + e, {v.members // n}) "
                "JOIN orders_order x ON x.id = r.id",
                {"organization_id": "x.organization_id", "order_id": "r.id", "user_id": "m.id",
                 "message": "'Message ' || e || ' on ' || x.number", "created_at": "x.created_at + e * interval '1 minute'",
                 "updated_at": "x.created_at + e * interval '1 minute'"},
                [v.messages],
            )

        tick("proposals")
        if v.proposals:
            insert_select(
                Proposal, g_org,
                {"organization_id": "o.id", "client_email": "'prospect' || g || '@example.com'",
                 "client_name_f": "'Pat'", "client_name_l": "'Prospect ' || g", "status": "mod(g, 4)",
                 "total": f"{v.proposal_items} * (mod(g, 500) + 0.50)",
                 "created_at": "now() - g * interval '2 minutes'", "updated_at": "now() - g * interval '2 minutes'",
                 "sent_at": "CASE WHEN mod(g, 4) > 0 THEN now() - g * interval '1 minute' END",
                 "signed_at": "CASE WHEN mod(g, 4) = 2 THEN now() - g * interval '30 seconds' END"},
                [v.proposals],
            )
            insert_select(
                ProposalItem,
                "billing_proposal p JOIN seed_orgs o ON o.id = p.organization_id CROSS JOIN generate_series(0, %s - 1) AS e "
                "JOIN seed_services s ON s.idx = o.idx AND s.k = e",
                {"organization_id": "p.organization_id", "proposal_id": "p.id", "service_id": "s.id", "quantity": "1",
                 "price": "mod(e, 500) + 0.50"},
                [v.proposal_items],
            )

        tick("invoices")
        if v.invoices:
            insert_select(
                Invoice, g_org + pick("seed_clients", "c", per_org, salt=7),
                {"organization_id": "o.id", "user_id": "c.id", "number": "'INV-' || lpad(g::text, 6, '0')",
                 "number_seq": "g + 1", "status": "(ARRAY[0, 1, 3, 4, 5, 7])[1 + mod(g, 6)]",
                 "subtotal": f"{v.invoice_items} * (mod(g, 500) + 0.50)",
             "total": f"{v.invoice_items} * (mod(g, 500) + 0.50) + mod(g, 7)",
                 "created_at": "now() - g * interval '3 minutes'", "updated_at": "now() - g * interval '3 minutes'",
                 "date_due": "CASE WHEN mod(g, 3) = 0 THEN NULL ELSE now() + mod(g, 30) * interval '1 day' END",
                 "date_paid": "CASE WHEN mod(g, 6) = 2 THEN now() - g * interval '1 minute' END"},
                [v.invoices],
            )
            insert_select(
                InvoiceItem,
                "billing_invoice i JOIN seed_orgs o ON o.id = i.organization_id CROSS JOIN generate_series(0, %s - 1) AS e",
                {"organization_id": "i.organization_id", "invoice_id": "i.id", "name": "'Consulting ' || e",
                 "quantity": "1", "amount": "mod(e, 500) + 0.50", "total": "mod(e, 500) + 0.50"},
                [v.invoice_items],
            )

        tick("tickets")
        if v.tickets:
            insert_select(
                Ticket, g_org + pick("seed_orders", "r", v.orders // n, salt=3) + " JOIN orders_order x ON x.id = r.id",
                {"organization_id": "o.id", "user_id": "x.user_id",
                 "order_id": "CASE WHEN mod(g, 2) = 0 THEN x.id END", "subject": "'Ticket ' || g", "status": "1 + mod(g, 3)",
                 "created_at": "now() - g * interval '3 minutes'", "updated_at": "now() - g * interval '3 minutes'",
                 "last_message_at": "CASE WHEN mod(g, 5) > 0 THEN now() - g * interval '1 minute' END"},
                [v.tickets],
            )
            if v.ticket_messages:
                insert_select(
                    TicketMessage,
                    "support_ticket t JOIN seed_orgs o ON o.id = t.organization_id CROSS JOIN generate_series(0, %s - 1) AS e",
                    {"organization_id": "t.organization_id", "ticket_id": "t.id", "user_id": "t.user_id",
                     "message": "'Message ' || e"},
                    [v.ticket_messages],
                )

        tick("indexes")  # rebuilt when the block exits

    tick("vacuum and statistics")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM seed_orgs ORDER BY idx")
        org_ids = [row[0] for row in cursor.fetchall()]
    for temp in ("seed_orgs", "seed_members", "seed_clients", "seed_services", "seed_tags", "seed_orders", "seed_salt"):
        run(f"DROP TABLE IF EXISTS {temp}")
    # What autovacuum does in production: planner statistics and the visibility map (index-only scans).
    # VACUUM cannot run inside a transaction; inside one, statistics alone.
    run("VACUUM ANALYZE" if connection.get_autocommit() and not connection.in_atomic_block else "ANALYZE")
    return {"orgs": org_ids}
