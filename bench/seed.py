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
# Rows bench/series.py does not make, added once by the ensure_* steps below: (bench-1, bench-2). bench-2's share
# is there so that every list and retrieve has another tenant's rows to leave out.
EXTRAS = {"coupons": (200, 20), "subscriptions": (2_000, 200), "engagements": (500, 50), "webhook_endpoints": (20, 2)}
DELIVERIES_PER_ENDPOINT = 50
ACTIVITY_CLIENTS = 250  # clients with activity: 2 engagements (projects, threads, messages) and 2 subscriptions each


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
    """Orders a previous run's create requests left behind (with their tasks, messages and links), and the events
    its writes recorded (all through the API token, where the seeded events have a user or the system as actor):
    every run starts from the seeded data, and the events and client activity lists read the same rows."""
    from events.models import Event
    from orders.models import Order
    from serviceengine.models import Organization

    org = Organization.objects.get(slug="bench-1")
    deleted, _per_model = Order.all_objects.for_org(org).filter(note=CREATED_NOTE).delete()
    events, _per_model = Event.all_objects.for_org(org).filter(actor_type="api_token").delete()
    return deleted + events


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


def bench_orgs():
    from serviceengine.models import Organization

    return [Organization.objects.get(slug="bench-1"), Organization.objects.get(slug="bench-2")]


def org_people(org, clients: int):
    """The first `clients` clients (by id) and the team members of `org`, as rows."""
    from serviceengine.models import User

    people = User.objects.for_org(org).only("id", "name_f", "name_l")
    return list(people.clients().order_by("id")[:clients]), list(people.team_members().order_by("id"))


def bulk_insert(model, objs: list) -> None:
    """`bulk_create`, keeping the `updated_at` each row was given: the model stamps now on every save
    (serviceengine.core.tenancy.UpdatedAtField), so the given stamps are written back in one UPDATE per batch."""
    from django.db import connection

    stamps = [(obj.pk, obj.updated_at or obj.created_at) for obj in objs]
    model.all_objects.bulk_create(objs, batch_size=1000)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(stamps), 1000):
            batch = stamps[start : start + 1000]
            values = ", ".join(["(%s::uuid, %s::timestamptz)"] * len(batch))
            cursor.execute(
                f"UPDATE {table} t SET updated_at = v.at FROM (VALUES {values}) AS v(id, at) WHERE t.id = v.id",
                [x for pair in batch for x in pair],
            )
    for obj, (_pk, at) in zip(objs, stamps, strict=True):
        obj.updated_at = at


def rendered(viewset: str, org, pks) -> dict:
    """{id: the object as its retrieve endpoint renders it} for many rows at once: what `record_event` stores as
    an event's `data` (events.rendering.viewset_renderer), read in one pass instead of once per row."""
    from django.utils.module_loading import import_string

    from events.rendering import to_json_value

    resource = import_string(viewset).resource
    rows = resource.reader(resource.read).rows(resource.base(org).filter(pk__in=pks).order_by("id"))
    return {item["id"]: item for item in to_json_value(resource.read(rows, many=True).data)}


def record_created(org, rows, *, object_type: str, viewset: str, client, actor) -> None:
    """The `<object_type>.created` event of each row, as the service would have recorded it (data rendered like
    the retrieve, the client for the client's activity), stamped with the row's own `created_at`."""
    from events.models import Event

    data = rendered(viewset, org, [row.pk for row in rows])
    bulk_insert(Event, [
        Event(organization=org, type=f"{object_type}.created", object_type=object_type, object_id=row.pk,
              data=data[str(row.pk)], actor_type="user", actor_id=str(actor.pk),
              actor_name=f"{actor.name_f} {actor.name_l}".strip(), client_id=client(row),
              created_at=row.created_at, updated_at=row.created_at)
        for row in rows
    ])


def ensure_coupons(org, count: int) -> bool:
    """Coupons of every kind the service accepts (billing.services.coupon_check): percent (0.01–100, no
    currency) or fixed (a currency), once / forever / repeating (with a period count), some limited to services,
    some capped or expiring, some partly redeemed. Codes are unique per organization."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from billing.models import Coupon, CouponDuration, CouponType
    from catalog.models import Service

    if Coupon.with_deleted.for_org(org).exists():
        return False
    now = timezone.now()
    services = [str(pk) for pk in Service.objects.for_org(org).order_by("id").values_list("id", flat=True)[:20]]
    durations = [CouponDuration.ONCE, CouponDuration.FOREVER, CouponDuration.REPEATING]
    coupons = []
    for i in range(count):
        percent = i % 2 == 0
        duration = durations[i % 3]
        cap = 100 if i % 4 == 0 else None
        at = now - timedelta(hours=6 * i)
        coupons.append(Coupon(
            organization=org, code=f"BENCH{i:04d}", type=CouponType.PERCENT if percent else CouponType.FIXED,
            amount=Decimal(5 + i % 46) if percent else Decimal(10 + i % 91) + Decimal("0.50"),
            currency=None if percent else ("EUR" if i % 10 == 1 else "USD"),
            duration=duration, duration_in_periods=3 + i % 10 if duration == CouponDuration.REPEATING else None,
            times_redeemed=i % 25 if cap else i % 40, max_redemptions=cap,
            expires_at=now + timedelta(days=30 + i) if i % 5 == 0 else None,
            service_ids=services[i % len(services) : i % len(services) + 1 + i % 2] if i % 3 == 0 else [],
            created_at=at, updated_at=at,
        ))
    bulk_insert(Coupon, coupons)
    return True


def ensure_subscriptions(org, count: int) -> bool:
    """Subscriptions of the first ACTIVITY_CLIENTS × 4 clients (two each for the activity clients), 1–3 lines on
    catalog services, in the states the services leave them (subscriptions.services): active and billed for a
    while (the period in progress current, the next one due in the future, the latest invoice one of the
    client's), active and starting later (nothing billed yet), paused, canceled. Every `next_invoice_at` is in the
    future or null, so the billing job would have nothing to issue. With their `subscription.created` events."""
    from datetime import timedelta

    from django.utils import timezone

    from billing.models import Invoice
    from catalog.models import Service
    from subscriptions import periods
    from subscriptions.models import Interval, Subscription, SubscriptionItem, SubscriptionStatus

    if Subscription.objects.for_org(org).exists():
        return False
    now = timezone.now()
    today = periods.utc_today(now)
    clients, members = org_people(org, ACTIVITY_CLIENTS * 4)
    services = list(Service.objects.for_org(org).order_by("id").only("id", "name", "price")[:50])
    invoice_of = dict(
        Invoice.objects.for_org(org).filter(user_id__in=[c.pk for c in clients])
        .order_by("user_id", "created_at").values_list("user_id", "id")
    )  # the last pair of each client wins: its newest invoice stands for the latest period's
    intervals = [(Interval.MONTH, 1), (Interval.MONTH, 1), (Interval.MONTH, 3), (Interval.WEEK, 2), (Interval.YEAR, 1)]
    statuses = [SubscriptionStatus.ACTIVE] * 7 + [SubscriptionStatus.PAUSED, SubscriptionStatus.CANCELED] * 2
    subscriptions, items = [], []
    for i in range(count):
        client = clients[i % len(clients)]
        interval, interval_count = intervals[i % len(intervals)]
        status = statuses[i % len(statuses)]
        billed = i % 6 != 5  # one in six starts in the future and has billed nothing yet
        start = today - timedelta(days=1 + (i * 7) % 700) if billed else today + timedelta(days=10 + i % 300)
        at = now - timedelta(minutes=7 * i)
        if billed:  # created by its first period's start at the latest
            at = min(at, periods.start_of_day(start))
        sub = Subscription(
            organization=org, client=client, status=status, currency="USD", interval=interval,
            interval_count=interval_count, start_date=start, coupon_code=None, created_at=at, updated_at=at,
        )
        # The next period to bill: the first one that starts after today (so it is due in the future).
        n = periods.first_period_from(start, interval, interval_count, today + timedelta(days=1)) if billed else 0
        sub.next_period = n
        if n:
            sub.current_period_start = sub.period_start(n - 1)
            sub.current_period_end = sub.period_start(n)
            sub.invoices_count = n
            sub.latest_invoice_id = invoice_of.get(client.pk)
        sub.next_invoice_at = periods.start_of_day(sub.period_start(n)) if status == SubscriptionStatus.ACTIVE else None
        if status == SubscriptionStatus.CANCELED:
            sub.canceled_at = sub.updated_at = at + (now - at) / 2
        subscriptions.append(sub)
        for line in range(1 + i % 3):
            service = services[(i + line) % len(services)]
            items.append(SubscriptionItem(
                organization=org, subscription=sub, service=service, name=service.name, quantity=1 + line,
                price=service.price, created_at=at,
            ))
    bulk_insert(Subscription, subscriptions)
    bulk_insert(SubscriptionItem, items)
    record_created(org, subscriptions, object_type="subscription",
                   viewset="subscriptions.views.SubscriptionViewSet", client=lambda s: s.client_id, actor=members[0])
    return True


def ensure_engagements(org, count: int) -> bool:
    """Engagements of the first ACTIVITY_CLIENTS clients (two each), each with 2–3 projects (statuses and phases
    as the workflow leaves them: `completed_at` exactly on Completed ones, at Handoff) and one conversation on its
    first project with 3–5 messages between the client and the team (some internal), `last_message_at` on the
    newest; with the `*.created` events of them all, so the client's activity has a page of events."""
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import Service
    from engagements.models import (
        Conversation, ConversationMessage, ConversationStatus, Engagement, EngagementStatus, Project, ProjectPhase,
        ProjectStatus,
    )

    if Engagement.objects.for_org(org).exists():
        return False
    now = timezone.now()
    clients, members = org_people(org, ACTIVITY_CLIENTS)
    services = list(Service.objects.for_org(org).order_by("id").values_list("id", flat=True)[:50])
    engagements, projects, conversations, messages = [], [], [], []
    statuses = [EngagementStatus.ACTIVE] * 8 + [EngagementStatus.PAUSED, EngagementStatus.CLOSED]
    project_statuses = [ProjectStatus.ACTIVE] * 6 + [
        ProjectStatus.PAUSED, ProjectStatus.COMPLETED, ProjectStatus.COMPLETED, ProjectStatus.CANCELLED,
    ]
    for i in range(count):
        client = clients[i % len(clients)]
        at = now - timedelta(hours=3 * i + 6)  # its messages, hours later, are still in the past
        status = statuses[i % len(statuses)]
        closed_at = min(at + timedelta(days=20), now) if status == EngagementStatus.CLOSED else None
        engagement = Engagement(
            organization=org, client=client, name=f"Engagement {i}: {client.name_f} {client.name_l}", status=status,
            closed_at=closed_at, created_at=at, updated_at=closed_at or at,
        )
        engagements.append(engagement)
        first = None
        for p in range(2 + i % 2):
            k = i * 3 + p
            project_status = project_statuses[k % len(project_statuses)]
            completed = project_status == ProjectStatus.COMPLETED
            p_at = at + timedelta(minutes=5 * (p + 1))
            completed_at = min(p_at + timedelta(days=10), now) if completed else None
            project = Project(
                organization=org, engagement=engagement, name=f"Project {k}", status=project_status,
                description=f"Deliverable {p + 1} of {engagement.name}",
                phase=ProjectPhase.HANDOFF if completed else 1 + k % 5,
                service_id=services[k % len(services)] if k % 2 else None,
                completed_at=completed_at, created_at=p_at, updated_at=completed_at or p_at,
            )
            projects.append(project)
            first = first or project
        c_at = first.created_at + timedelta(minutes=1)
        conversation = Conversation(
            organization=org, project=first, engagement=engagement, subject=f"Kickoff of {first.name}",
            status=ConversationStatus.CLOSED if i % 7 == 0 else ConversationStatus.OPEN, created_at=c_at,
        )
        conversations.append(conversation)
        for m in range(3 + i % 3):
            sender = client if m % 2 == 0 else members[(i + m) % len(members)]
            m_at = c_at + timedelta(hours=m + 1)
            messages.append(ConversationMessage(
                organization=org, conversation=conversation, sender=sender, sender_uuid=sender.pk,
                content=f"Message {m} about {first.name}: " + "the next steps and what we need. " * (1 + m % 3),
                is_internal=sender is not client and m % 4 == 3, attachments=[], created_at=m_at, updated_at=m_at,
            ))
        conversation.last_message_at = conversation.updated_at = messages[-1].created_at
    bulk_insert(Engagement, engagements)
    bulk_insert(Project, projects)
    bulk_insert(Conversation, conversations)
    bulk_insert(ConversationMessage, messages)
    client_of_engagement = {e.pk: e.client_id for e in engagements}
    client_of_conversation = {c.pk: client_of_engagement[c.engagement_id] for c in conversations}
    views = "engagements.views."
    record_created(org, engagements, object_type="engagement", viewset=views + "EngagementViewSet",
                   client=lambda e: e.client_id, actor=members[0])
    record_created(org, projects, object_type="project", viewset=views + "ProjectViewSet",
                   client=lambda p: client_of_engagement[p.engagement_id], actor=members[0])
    record_created(org, conversations, object_type="conversation", viewset=views + "ConversationViewSet",
                   client=lambda c: client_of_engagement[c.engagement_id], actor=members[0])
    # A message has no retrieve: its event renders as the messages list does (engagements/apps.py).
    record_created(org, messages, object_type="conversation_message", viewset=views + "ConversationMessageViewSet",
                   client=lambda m: client_of_conversation[m.conversation_id], actor=members[0])
    return True


def ensure_webhooks(org, count: int) -> bool:
    """Webhook endpoints with DELIVERIES_PER_ENDPOINT past deliveries each, written as rows: nothing is sent.
    Every delivery is finished (succeeded or failed, no lease, no next attempt), so neither the sweep nor a worker
    would pick one up. The endpoints subscribe to the event types of the seeded rows, never to those the
    benchmark's writes record (order.*, order_task.*, tag.*): those writes create no delivery, and enqueue no job;
    they only read the organization's enabled endpoints, as every change does (webhooks.services.fan_out)."""
    from datetime import timedelta

    from django.utils import timezone

    from events.models import Event
    from webhooks.models import DeliveryStatus, EndpointStatus, WebhookDelivery, WebhookEndpoint
    from webhooks.services import new_secret

    if WebhookEndpoint.objects.for_org(org).exists():
        return False
    now = timezone.now()
    kinds = [
        ["subscription.created", "subscription.canceled", "subscription.invoice_created"],
        ["engagement.created", "engagement.closed", "project.created", "project.phase_changed"],
        ["conversation.created", "conversation_message.created"],
        ["invoice.paid", "invoice.payment_failed", "subscription.created", "engagement.created"],
    ]
    endpoints = []
    for i in range(count):
        disabled = i % 5 == 4  # disabled after too many failures in a row (webhook_endpoint_disable)
        at = now - timedelta(days=2 * i + 1)
        endpoints.append(WebhookEndpoint(
            organization=org, url=f"https://hooks-{i}.example.com/service-engine", description=f"Integration {i}",
            enabled_events=kinds[i % len(kinds)], secret=new_secret(),
            status=EndpointStatus.DISABLED if disabled else EndpointStatus.ENABLED,
            consecutive_failures=20 if disabled else i % 3,
            disabled_at=at + timedelta(days=1) if disabled else None, created_at=at, updated_at=at,
        ))
    bulk_insert(WebhookEndpoint, endpoints)
    deliveries = []
    for i, endpoint in enumerate(endpoints):
        events = list(
            Event.objects.for_org(org).filter(type__in=endpoint.enabled_events).order_by("-created_at", "id")
            .values_list("id", "type", "created_at")[:DELIVERIES_PER_ENDPOINT]
        )
        for j, (event_id, event_type, event_at) in enumerate(events):
            succeeded = (i + j) % 8 != 7
            sent = event_at + timedelta(seconds=1)
            last = sent if succeeded else sent + timedelta(hours=32)  # the retry schedule's seven retries later
            deliveries.append(WebhookDelivery(
                organization=org, endpoint=endpoint, event_id=event_id, event_type=event_type,
                status=DeliveryStatus.SUCCEEDED if succeeded else DeliveryStatus.FAILED,
                attempts=1 if succeeded else 8, last_status_code=200 if succeeded else 500,
                last_error=None if succeeded else "HTTP 500",
                last_response_body='{"received": true}' if succeeded else "Internal Server Error",
                last_attempt_at=last, next_attempt_at=None, lock_token=None, locked_until=None,
                created_at=event_at, updated_at=last,
            ))
    bulk_insert(WebhookDelivery, deliveries)
    return True


def ensure_extras() -> None:
    """The ensure_* steps for both organizations, each in its own transaction (an interrupted step adds nothing,
    and runs again next time), then fresh planner statistics for the tables they filled. Webhooks come last: their
    deliveries are of the events the other steps record."""
    from django.db import connection, transaction

    steps = [("coupons", ensure_coupons), ("subscriptions", ensure_subscriptions),
             ("engagements", ensure_engagements), ("webhook_endpoints", ensure_webhooks)]
    started = time.monotonic()
    added = False
    for org, index in zip(bench_orgs(), (0, 1), strict=True):
        for name, step in steps:
            with transaction.atomic():
                added = step(org, EXTRAS[name][index]) or added
    if added:  # the planner must know these tables' sizes before the first request
        with connection.cursor() as cursor:
            for table in ("billing_coupon", "subscriptions_subscription", "subscriptions_subscriptionitem",
                          "engagements_engagement", "engagements_project", "engagements_conversation",
                          "engagements_conversationmessage", "events_event", "webhooks_webhookendpoint",
                          "webhooks_webhookdelivery"):
                cursor.execute(f"ANALYZE {table}")
        print(f"  added coupons, subscriptions, engagements and webhooks in {time.monotonic() - started:.1f}s")


def write_requests(workdir: Path) -> None:
    """The token and one request file per endpoint: lines `METHOD PATH [JSON BODY]` (bench/wrk/replay.lua).
    Every list and retrieve of the API, a create, an update and a workflow action (bench/README.md)."""
    from django.utils import timezone

    from billing.models import Coupon, Invoice, Proposal
    from catalog.models import Service
    from engagements.models import Conversation, Engagement, Project
    from events.models import Event
    from orders.models import Order, OrderTask, Tag
    from serviceengine.models import ApiToken, Organization, User
    from subscriptions.models import Subscription
    from support.models import Ticket
    from webhooks.models import WebhookEndpoint

    org = Organization.objects.get(slug="bench-1")
    ensure_events(org)  # before the ensure_* steps: it adds its events only to an organization without any
    ensure_extras()
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
    conversation_ids = ids(Conversation.objects.for_org(org))
    endpoint_ids = ids(WebhookEndpoint.objects.for_org(org))
    activity_clients = [str(c) for c in clients[:ACTIVITY_CLIENTS]]  # the clients ensure_engagements worked for
    # Words of each kind the search looks in: a client's last name, an order number's first digits (10 orders), an
    # invoice number, a ticket subject; each request reads every kind, matching or not.
    searches = [q for i in range(25) for q in (f"Last{37 * i % 991}", f"S000{397 * i % 10000:04d}",
                                               f"INV-{173 * i % 10000:06d}", f"Ticket%20{37 * i % 5000}")]
    files = {
        "bare": ["GET /bench/bare"],
        "clients_list": ["GET /api/clients?limit=20"],
        "client_retrieve": retrieve("/api/clients", [str(c) for c in clients]),
        "client_activity": [f"GET /api/clients/{pk}/activity?limit=20" for pk in activity_clients],
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
        "coupons_list": ["GET /api/coupons?limit=20"],
        "coupon_retrieve": retrieve("/api/coupons", ids(Coupon.objects.for_org(org))),
        "subscriptions_list": ["GET /api/subscriptions?limit=20"],
        "subscription_retrieve": retrieve("/api/subscriptions", ids(Subscription.objects.for_org(org))),
        "tickets_list": ["GET /api/tickets?limit=20"],
        "ticket_retrieve": retrieve("/api/tickets", ids(Ticket.objects.for_org(org))),
        "ticket_messages": [f"GET /api/tickets/{pk}/messages?limit=20" for pk in ids(Ticket.objects.for_org(org))],
        "engagements_list": ["GET /api/engagements?limit=20"],
        "engagement_retrieve": retrieve("/api/engagements", ids(Engagement.objects.for_org(org))),
        "projects_list": ["GET /api/projects?limit=20"],
        "project_retrieve": retrieve("/api/projects", ids(Project.objects.for_org(org))),
        "conversations_list": ["GET /api/conversations?limit=20"],
        "conversation_retrieve": retrieve("/api/conversations", conversation_ids),
        "conversation_messages": [f"GET /api/conversations/{pk}/messages?limit=20" for pk in conversation_ids],
        "tags_list": ["GET /api/tags?limit=20"],
        "tag_retrieve": retrieve("/api/tags", ids(Tag.objects.for_org(org))),
        "team_list": ["GET /api/team?limit=20"],
        "team_retrieve": retrieve("/api/team", [str(m) for m in members]),
        "events_list": ["GET /api/events?limit=20"],
        "event_retrieve": retrieve("/api/events", ids(Event.objects.for_org(org))),
        "webhook_endpoints_list": ["GET /api/webhook-endpoints?limit=20"],
        "webhook_endpoint_retrieve": retrieve("/api/webhook-endpoints", endpoint_ids),
        "webhook_deliveries": [f"GET /api/webhook-endpoints/{pk}/deliveries?limit=20" for pk in endpoint_ids],
        # Writes after the lists and retrieves (bench/run.sh): those read the seeded data only.
        "order_update": [f"PUT /api/orders/{pk} " + json.dumps({"note": UPDATED_NOTE, "status": i % 4})
                         for i, pk in enumerate(order_ids)],
        "task_complete": [line for pk in tasks for line in (f"POST /api/order-tasks/{pk}/complete",
                                                            f"DELETE /api/order-tasks/{pk}/complete")],
        "order_create": [f"POST /api/orders {body}" for body in bodies],
        # Search and the reports (over their default range, the last 12 months) after the writes: they aggregate
        # over whole tenants (the workload report takes seconds), and a queue of them left in the server after
        # their run would otherwise land on the next endpoint's numbers. The writes' few rows change nothing here.
        "search": [f"GET /api/search?q={q}" for q in searches],
        "report_summary": ["GET /api/reports/summary"],
        "report_revenue": ["GET /api/reports/revenue"],
        "report_receivables": ["GET /api/reports/receivables"],
        "report_workload": ["GET /api/reports/workload"],
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
    # What the previous run's writes and this cleanup left (dead rows, an unset visibility map) would otherwise be
    # measured: a COUNT over a bloated table is a sequential scan (the events list's ran 19 ms instead of 1).
    # Production has autovacuum for that; a benchmark cannot wait for it.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


if __name__ == "__main__":
    main()
