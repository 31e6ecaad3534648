"""Prepare the benchmark database and the request files wrk replays (run by bench/run.sh; see bench/README.md).

    python bench/seed.py WORKDIR [--reseed]

Creates the PostgreSQL database named by DATABASE_URL when it is missing, migrates it, and seeds it (unless it
is already seeded) with two organizations `bench-1`, `bench-2` sharing 10,000 clients, 100,000 orders with
tasks, messages, employees and tags, invoices with items, tickets with messages and proposals with items, all
set-based (bench/series.py) in one transaction, then VACUUM ANALYZE. Then it issues a fresh API token of
`bench-1` and writes WORKDIR/token and one WORKDIR/<endpoint>.requests file per endpoint.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "serviceengine.settings")

VOLUMES = {
    "orgs": 2, "members": 10, "clients": 10_000, "services": 200, "tags": 50, "orders": 100_000,
    "order_employees": 2, "order_tags": 2, "tasks": 3, "messages": 3, "proposals": 2_000, "proposal_items": 2,
    "invoices": 20_000, "invoice_items": 3, "tickets": 10_000, "ticket_messages": 3, "slug_prefix": "bench",
}
RETRIEVE_IDS = 1000  # retrieve requests rotate over this many orders
CREATE_BODIES = 500  # create requests rotate over this many bodies
CREATED_NOTE = "Created by the benchmark"
UPDATED_NOTE = "Updated by the benchmark"
EVENTS = 500  # events listed and retrieved (the seeding makes none)


def ensure_database(url: str, *, reseed: bool) -> None:
    """CREATE DATABASE when missing (DROP first with --reseed), through the server's `postgres` database."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if reseed:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


STARTED = time.monotonic()


def progress_bar(label: str, step: int, steps: int) -> None:
    width = 30
    done = int(width * step / steps)
    line = f"\r  seeding [{'#' * done}{'.' * (width - done)}] {step}/{steps} {label:<28} {time.monotonic() - STARTED:6.1f}s"
    print(line, end="" if sys.stdout.isatty() else "\n", flush=True)


def seed(volumes) -> None:
    from django.db import connection, transaction

    from bench.series import seed_world

    started = time.monotonic()
    with transaction.atomic():  # interrupted = nothing seeded, so the next run starts over
        seed_world(volumes, progress_bar)
    progress_bar("vacuum analyze", 1, 1)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"\n  seeded in {time.monotonic() - started:.0f}s")


def remove_created_orders() -> int:
    """Orders a previous run's create requests left behind (with their tasks, messages and links): every run
    starts from the seeded data."""
    from orders.models import Order
    from serviceengine.models import Organization

    org = Organization.objects.get(slug="bench-1")
    deleted, _per_model = Order.all_objects.for_org(org).filter(note=CREATED_NOTE).delete()
    return deleted


def ensure_events(org) -> None:
    """Events to list and retrieve: the seeding does not make any (a change through the services would). A few
    hundred `order.created` events of real orders, once."""
    from events.models import Event
    from orders.models import Order

    if Event.objects.for_org(org).exists():
        return
    orders = Order.objects.for_org(org).order_by("id")[:EVENTS]
    Event.all_objects.bulk_create([
        Event(organization=org, type="order.created", object_type="order", object_id=order.pk,
              data={"id": str(order.pk), "number": order.number}, actor_type="system", actor_name="system")
        for order in orders
    ])


def write_requests(workdir: Path) -> None:
    """The token and one request file per endpoint: lines `METHOD PATH [JSON BODY]` (bench/wrk/replay.lua).
    Every list and retrieve of the API, a create, an update and a workflow action (bench/README.md)."""
    from django.utils import timezone

    from billing.models import Invoice, Proposal
    from catalog.models import Service
    from events.models import Event
    from orders.models import Order, OrderTask, Tag
    from serviceengine.models import ApiToken, Organization, User
    from support.models import Ticket

    org = Organization.objects.get(slug="bench-1")
    ensure_events(org)
    member = User.objects.for_org(org).team_members().order_by("created_at", "id").first()
    _token, raw = ApiToken.issue(organization=org, user=member, name=f"bench {timezone.now():%Y-%m-%d %H:%M}")
    (workdir / "token").write_text(raw)

    def ids(queryset, n=RETRIEVE_IDS):
        return [str(pk) for pk in queryset.order_by("-created_at", "id").values_list("id", flat=True)[:n]]

    order_ids = ids(Order.objects.for_org(org))
    clients = list(User.objects.for_org(org).clients().order_by("id").values_list("id", flat=True)[:CREATE_BODIES])
    services = list(Service.objects.for_org(org).order_by("id").values_list("id", flat=True))
    members = list(User.objects.for_org(org).team_members().order_by("id").values_list("id", flat=True))
    tasks = ids(OrderTask.objects.for_org(org).filter(order_id__in=order_ids[:CREATE_BODIES]))
    bodies = [
        json.dumps({
            "user_id": str(client), "service_id": str(services[i % len(services)]),
            "employees": [str(members[i % len(members)])], "tags": ["bench", f"bench-{i % 10}"],
            "note": CREATED_NOTE,
        })
        for i, client in enumerate(clients)
    ]
    retrieve = lambda path, keys: [f"GET {path}/{pk}" for pk in keys]  # noqa: E731
    files = {
        "bare": ["GET /bench/bare"],
        "clients_list": ["GET /api/clients?limit=20"],
        "client_retrieve": retrieve("/api/clients", [str(c) for c in clients]),
        "services_list": ["GET /api/services?limit=20"],
        "service_retrieve": retrieve("/api/services", [str(s) for s in services]),
        "orders_list": ["GET /api/orders?limit=20"],
        "orders_list_filtered": ["GET /api/orders?limit=20&filters[status][$eq]=1"],
        "order_retrieve": retrieve("/api/orders", order_ids),
        "order_tasks": [f"GET /api/orders/{pk}/tasks" for pk in order_ids],
        "order_messages": [f"GET /api/orders/{pk}/messages" for pk in order_ids],
        "proposals_list": ["GET /api/proposals?limit=20"],
        "proposal_retrieve": retrieve("/api/proposals", ids(Proposal.objects.for_org(org))),
        "invoices_list": ["GET /api/invoices?limit=20"],
        "invoice_retrieve": retrieve("/api/invoices", ids(Invoice.objects.for_org(org))),
        "tickets_list": ["GET /api/tickets?limit=20"],
        "ticket_retrieve": retrieve("/api/tickets", ids(Ticket.objects.for_org(org))),
        "ticket_messages": [f"GET /api/tickets/{pk}/messages?limit=20" for pk in ids(Ticket.objects.for_org(org))],
        "tags_list": ["GET /api/tags?limit=20"],
        "tag_retrieve": retrieve("/api/tags", ids(Tag.objects.for_org(org))),
        "team_list": ["GET /api/team?limit=20"],
        "team_retrieve": retrieve("/api/team", [str(m) for m in members]),
        "events_list": ["GET /api/events?limit=20"],
        "event_retrieve": retrieve("/api/events", ids(Event.objects.for_org(org))),
        # Writes, last (bench/run.sh): reads see the seeded data only.
        "order_update": [f"PUT /api/orders/{pk} " + json.dumps({"note": UPDATED_NOTE, "status": i % 4})
                         for i, pk in enumerate(order_ids)],
        "task_complete": [line for pk in tasks for line in (f"POST /api/order-tasks/{pk}/complete",
                                                            f"DELETE /api/order-tasks/{pk}/complete")],
        "order_create": [f"POST /api/orders {body}" for body in bodies],
    }
    for name, lines in files.items():
        (workdir / f"{name}.requests").write_text("\n".join(lines) + "\n")
    (workdir / "endpoints").write_text("\n".join(name for name in files if name != "bare") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--reseed", action="store_true", help="drop and recreate the benchmark database first")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    ensure_database(os.environ["DATABASE_URL"], reseed=args.reseed)
    import django

    django.setup()
    from django.core.management import call_command

    from serviceengine.models import Organization
    from bench.series import Volumes

    call_command("migrate", verbosity=0)
    if Organization.objects.filter(slug="bench-1").exists():
        print("  already seeded (bench/run.sh --reseed starts over)")
    else:
        seed(Volumes(**VOLUMES))
    if removed := remove_created_orders():
        print(f"  removed {removed} rows created by the previous run")
    write_requests(args.workdir)


if __name__ == "__main__":
    main()
