"""Every list query is served by an index that leads with the organization (PostgreSQL only).

A world of 100,000 orders and 20,000+ clients, services, proposals, invoices and tickets, dealt round-robin over
ten organizations (so each tenant's rows are interleaved in the heap, as in production), is inserted set-based
and committed once for the module (then removed), and vacuumed and analyzed as autovacuum would. For each list
endpoint's default query and each filter and sort of the contract (README §8.1), the request runs through the
test client; the page query and the COUNT query it actually executed are captured and EXPLAINed, and the plans
must:

- read no seeded table with a sequential scan;
- read the resource's table only through indexes that lead with `organization_id` (or, for a filter on an id,
  with that id: the primary key, or a reference's own foreign-key index, which only holds that tenant's rows);
- for the default order and each sort, take the order from an index: no full `Sort` node (an `Incremental
  Sort` finishing the `id` tie-break within equal values is fine). Sorts on columns with a handful of values
  (statuses, booleans) are the exception: PostgreSQL may rather sort the tenant's rows, read through an
  organization index, than finish the tie-break inside each huge group of equal values;
- for a filter, count through an index that holds the filtered column.

The sort backend's `DESC NULLS FIRST` / `ASC NULLS LAST` are PostgreSQL's defaults, so a plain `DESC` index
column serves both directions, nullable columns included (a backward scan reads `ASC NULLS LAST`).
"""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from serviceengine.perf.counts import COUNTED_TABLES
from serviceengine.models import ApiToken, Role, User
from serviceengine.core.roles import ensure_default_roles
from bench.series import Volumes, seed_world

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: EXPLAIN and its planner"),
]

VOLUMES = Volumes(
    orgs=10, members=50, clients=24_000, services=20_000, tags=100, orders=100_000, order_employees=1, order_tags=1,
    proposals=20_000, proposal_items=1, invoices=20_000, invoice_items=1, tickets=20_000, ticket_messages=0,
    slug_prefix="perf",
)
BIG_TABLES = {
    "serviceengine_user", "serviceengine_address", "catalog_service", "orders_order", "orders_orderemployee",
    "orders_ordertag", "billing_proposal", "billing_proposalitem", "billing_invoice", "billing_invoiceitem",
    "support_ticket",
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The seeded world (committed, so VACUUM can run), an API client of the first organization and sample
    values to filter by. Everything is removed at the end of the module."""
    with django_db_blocker.unblock():
        ensure_default_roles(Role)  # a transactional test before this module may have flushed them
        try:
            org_id = seed_world(VOLUMES)["orgs"][0]
            owner = User.unscoped.filter(organization_id=org_id, role__dashboard_access__gt=0).first()
            token, raw = ApiToken.issue(organization=owner.organization, user=owner)
            ApiToken.unscoped.filter(pk=token.pk).update(last_used_at=timezone.now())
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
            yield {"api": api, "samples": samples(org_id), "indexes": index_columns()}
        finally:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE serviceengine_organization CASCADE")


def one(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def samples(org_id) -> dict:
    """Real values of the tested organization, chosen to be selective."""
    org = str(org_id)
    return {
        "client_id": one("SELECT u.id FROM serviceengine_user u JOIN serviceengine_role r ON r.id = u.role_id "
                         "WHERE u.organization_id = %s AND r.dashboard_access = 0 ORDER BY u.id LIMIT 1", [org]),
        "client_email": one("SELECT email FROM serviceengine_user WHERE organization_id = %s "
                            "AND email LIKE 'client%%' ORDER BY id LIMIT 1", [org]),
        "service_id": one("SELECT id FROM catalog_service WHERE organization_id = %s ORDER BY id LIMIT 1", [org]),
        "service_name": one("SELECT name FROM catalog_service WHERE organization_id = %s ORDER BY id LIMIT 1", [org]),
        "order_id": one("SELECT id FROM orders_order WHERE organization_id = %s ORDER BY id LIMIT 1", [org]),
        "order_number": one("SELECT number FROM orders_order WHERE organization_id = %s ORDER BY id LIMIT 1", [org]),
        "order_user_id": one("SELECT user_id FROM orders_order WHERE organization_id = %s ORDER BY id LIMIT 1", [org]),
        "invoice_ref": one("SELECT invoice_id FROM orders_order WHERE organization_id = %s "
                           "AND invoice_id IS NOT NULL LIMIT 1", [org]),
        "proposal_id": one("SELECT id FROM billing_proposal WHERE organization_id = %s ORDER BY id LIMIT 1", [org]),
        "prospect": one("SELECT client_email FROM billing_proposal WHERE organization_id = %s LIMIT 1", [org]),
        "invoice_id": one("SELECT id FROM billing_invoice WHERE organization_id = %s ORDER BY id LIMIT 1", [org]),
        "invoice_user_id": one("SELECT user_id FROM billing_invoice WHERE organization_id = %s LIMIT 1", [org]),
        "ticket_user_id": one("SELECT user_id FROM support_ticket WHERE organization_id = %s LIMIT 1", [org]),
        "ticket_order_id": one("SELECT order_id FROM support_ticket WHERE organization_id = %s "
                               "AND order_id IS NOT NULL LIMIT 1", [org]),
    }


def index_columns() -> dict[str, tuple[str, list[str]]]:
    """index name → (table, key columns in order)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        rows = cursor.fetchall()
    result = {}
    for name, table, definition in rows:
        keys = re.search(r"USING \w+ \((.*?)\)(?: WHERE|$)", definition).group(1)
        result[name] = (table, [part.strip().split(" ")[0].strip('"') for part in keys.split(",")])
    return result


# ---- The cases: the contract's filters and sorts per list (README §8.1) -------------------------------------

RECENT = "recent"  # a creation instant after which only a sliver of rows was created
SOON = "soon"  # a due date before which only a sliver of rows is due

LISTS = {
    # endpoint: (table, [(filter, operator, sample key or literal)], [sort fields], {sort fields with few values})
    "clients": (
        "serviceengine_user",
        [("id", "$eq", "client_id"), ("email", "$eq", "client_email"), ("status", "$eq", "0"),
         ("balance", "$lt", "3"), ("created_at", "$gt", RECENT)],
        ["id", "email", "name_f", "name_l", "status", "balance", "created_at"],
        {"status"},
    ),
    "services": (
        "catalog_service",
        [("id", "$eq", "service_id"), ("name", "$eq", "service_name"), ("recurring", "$eq", "2"),
         ("public", "$eq", "false"), ("price", "$lt", "3"), ("currency", "$eq", "EUR"),
         ("folder_id", "$eq", "00000000-0000-4000-8000-000000000000"), ("created_at", "$gt", RECENT)],
        ["id", "name", "price", "recurring", "public", "sort_order", "created_at"],
        {"recurring", "public"},
    ),
    "orders": (
        "orders_order",
        [("id", "$eq", "order_id"), ("number", "$eq", "order_number"), ("status", "$eq", "3"),
         ("user_id", "$eq", "order_user_id"), ("service_id", "$eq", "service_id"), ("price", "$lt", "3"),
         ("invoice_id", "$eq", "invoice_ref"), ("created_at", "$gt", RECENT), ("date_due", "$lt", SOON)],
        ["id", "number", "status", "price", "quantity", "user_id", "service_id", "created_at", "date_due"],
        {"status"},
    ),
    "proposals": (
        "billing_proposal",
        [("id", "$eq", "proposal_id"), ("status", "$eq", "2"), ("client_email", "$eq", "prospect"),
         ("created_at", "$gt", RECENT)],
        ["id", "client_email", "status", "total", "created_at", "sent_at", "signed_at"],
        {"status"},
    ),
    "invoices": (
        "billing_invoice",
        [("id", "$eq", "invoice_id"), ("status", "$eq", "3"), ("user_id", "$eq", "invoice_user_id"),
         ("subscription_id", "$eq", "00000000-0000-4000-8000-000000000000"), ("created_at", "$gt", RECENT),
         ("date_due", "$lt", SOON)],
        ["id", "number", "status", "user_id", "subtotal", "total", "created_at", "date_due", "date_paid"],
        {"status"},
    ),
    "tickets": (
        "support_ticket",
        [("user_id", "$eq", "ticket_user_id"), ("status", "$eq", "3"), ("order_id", "$eq", "ticket_order_id"),
         ("order_id", "$eq", "null"), ("created_at", "$gt", RECENT), ("last_message_at", "$gt", RECENT)],
        ["id", "subject", "status", "user_id", "order_id", "created_at", "last_message_at"],
        {"status"},
    ),
}


def cases():
    for endpoint, (_table, filters, sorts, _few) in LISTS.items():
        yield pytest.param(endpoint, "default", None, id=f"{endpoint}-default")
        for field in sorts:
            for direction in ("desc", "asc"):
                yield pytest.param(endpoint, "sort", f"{field}:{direction}", id=f"{endpoint}-sort-{field}:{direction}")
        for spec in filters:
            suffix = "=null" if spec[2] == "null" else ""
            yield pytest.param(endpoint, "filter", spec, id=f"{endpoint}-filter-{spec[0]}{suffix}")


def value_of(spec, samples):
    if spec == RECENT:
        return (timezone.now() - timedelta(hours=1)).isoformat()
    if spec == SOON:
        return (timezone.now() + timedelta(hours=12)).isoformat()
    return str(samples[spec]) if spec in samples else spec


def captured(api, url, params, table):
    """The page query and the COUNT query of one list request. An unfiltered list of a counted table reads its
    total from the trigger-kept live counts (serviceengine/perf/counts.py) instead: then the COUNT is None."""
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url, params)
    assert response.status_code == 200, response.content[:300]
    main = [q["sql"] for q in ctx.captured_queries if re.match(rf'SELECT .*? FROM "{table}"', q["sql"], re.DOTALL)]
    count = [q for q in main if "COUNT(*)" in q]
    page = [q for q in main if "COUNT(*)" not in q and "LIMIT" in q]
    live = [q["sql"] for q in ctx.captured_queries if "serviceengine_livecount" in q["sql"]]
    if table in COUNTED_TABLES and not any(key.startswith("filters[") for key in params):
        assert count == [] and len(live) == 1 and len(page) == 1, main + live
        return page[0], None
    assert len(count) == 1 and len(page) == 1 and live == [], main + live
    return page[0], count[0]


def plan_nodes(sql) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    nodes, stack = [], [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


def render(sql) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def narrows_by_filter(name, columns, equal_id) -> bool:
    """An index that does not lead with the organization is still tenant-narrow when it leads with an id the
    query asks equal to a value: the primary key for `id`, a reference's own foreign-key index for `user_id`,
    `order_id`… (the referenced row belongs to one organization, so the index finds only that tenant's rows;
    not so for `IS NULL`)."""
    if equal_id == "id":
        return name.endswith("_pkey")
    return equal_id is not None and columns[0] == equal_id


def check_plan(sql, *, table, indexes, sorted_by_index=False, whole_tenant_sort=False, filter_column=None,
               equal_id=None) -> list[str]:
    """The problems with the plan of `sql`, as sentences (empty when it is fine)."""
    nodes = plan_nodes(sql)
    problems = []
    # When every row of the tenant is sorted, PostgreSQL joins them all before sorting and may hash-join
    # another table (clients' addresses, say); the resource's own table must still be read through an index.
    scanned = {table} if whole_tenant_sort else BIG_TABLES
    for node in nodes:
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in scanned:
            problems.append(f"Seq Scan on {node['Relation Name']}")
    used = [n["Index Name"] for n in nodes if "Index Name" in n and indexes.get(n["Index Name"], ("",))[0] == table]
    if not used:
        problems.append(f"no index of {table} used")
    for name in used:
        columns = indexes[name][1]
        if columns[0] != "organization_id" and not narrows_by_filter(name, columns, equal_id):
            problems.append(f"index {name} {columns} does not lead with organization_id")
    if sorted_by_index and any(n["Node Type"] == "Sort" for n in nodes):
        problems.append("a full Sort: the order does not come from an index")
    if filter_column and not any(
        filter_column in indexes[name][1] or (filter_column == "id" and name.endswith("_pkey")) for name in used
    ):
        problems.append(f"no index holding {filter_column} used: {used}")
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "kind", "arg"), list(cases()))
def test_list_query_uses_an_organization_index(world, endpoint, kind, arg):
    table, _filters, _sorts, few_values = LISTS[endpoint]
    params, filter_column, equal_id, sorted_by_index, whole_tenant_sort = {}, None, None, kind == "default", False
    if kind == "sort":
        params["sort"] = arg
        # With a handful of values, PostgreSQL may rather sort the tenant's rows than finish the `id` tie-break
        # inside each huge group of equal values: the rows still come through an organization index.
        whole_tenant_sort = arg.split(":")[0] in few_values
        sorted_by_index = not whole_tenant_sort
    elif kind == "filter":
        field, op, spec = arg
        params[f"filters[{field}][{op}]"] = value_of(spec, world["samples"])
        filter_column = field
        if field.endswith("id") and op == "$eq" and spec != "null":
            equal_id = field
    page, count = captured(world["api"], f"/api/{endpoint}", params, table)
    indexes = world["indexes"]
    problems = [
        *(f"page: {p}" for p in check_plan(page, table=table, indexes=indexes, equal_id=equal_id,
                                           sorted_by_index=sorted_by_index, whole_tenant_sort=whole_tenant_sort)),
        *(f"count: {p}" for p in (check_plan(count, table=table, indexes=indexes, equal_id=equal_id,
                                             filter_column=filter_column) if count else [])),
    ]
    assert not problems, "\n".join([*problems, "-- page:", render(page), "-- count:", render(count) if count else ""])
