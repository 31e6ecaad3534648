"""Live-row counts kept by triggers (serviceengine/perf/counts.py): after every kind of write, `live_total` equals the
COUNT it replaces, for both organizations. The PostgreSQL-only tests cover compaction, real concurrency,
TRUNCATE and seeding in replica mode."""
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import Invoice, Proposal
from catalog.models import Service
from events.models import Event
from orders.models import Order, OrderTask
from serviceengine.perf import counts
from serviceengine.perf.counts import live_total
from serviceengine.models import ApiToken, LiveCount, Organization, User
from support.models import Ticket
from tests import factories
from tests.billing.factories import make_invoice, make_proposal
from tests.helpers import run_in_threads, staff_browser
from tests.orders.factories import make_order
from tests.support.factories import make_ticket

MODELS = (Service, Order, Proposal, Invoice, Ticket)
LIST_URLS = {
    Service: "/api/services", Order: "/api/orders", Proposal: "/api/proposals", Invoice: "/api/invoices",
    Ticket: "/api/tickets",
}
DETAIL_URLS = {Service: "/api/services/{}", Order: "/api/orders/{}", Invoice: "/api/invoices/{}", Ticket: "/api/tickets/{}"}
POSTGRES_ONLY = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: statement triggers, concurrency"),
]


def assert_exact(*orgs):
    """`live_total` is the live COUNT of every counted model in each organization."""
    for model in MODELS:
        for org in orgs:
            assert live_total(model, org) == model.objects.for_org(org).count(), (model.__name__, org.slug)


def totals(org) -> dict:
    return {model.__name__: live_total(model, org) for model in MODELS}


def make_one_of_each(org) -> dict:
    """A live row of every counted model (the proposal's item brings a second service)."""
    client = factories.make_client(org)
    return {
        Service: factories.make_service(org),
        Order: make_order(org, client),
        Proposal: make_proposal(org),
        Invoice: make_invoice(org, user=client),
        Ticket: make_ticket(org, client),
    }


def livecount_rows(model, org) -> int:
    return LiveCount.objects.filter(organization_id=org.pk, table=model._meta.db_table).count()


def fire_deferred_constraint_checks():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def installed_triggers() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'livecount%%' AND tgenabled = 'A'"
            )
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'livecount%%'")
        return set(cursor.fetchall())


def expected_triggers() -> set[tuple[str, str]]:
    if connection.vendor == "postgresql":
        return {(table, name) for table in counts.COUNTED_TABLES for name in counts.PG_TRIGGERS}
    return {(t, counts.sqlite_trigger_name(t, event)) for t in counts.COUNTED_TABLES for event in counts.SQLITE_TRIGGERS}


# What is counted ------------------------------------------------------------------------------------------------


def test_counted_models_are_the_soft_deletable_ones_by_their_table():
    from django.apps import apps

    for label, table in counts.COUNTED.items():
        model = apps.get_model(label)
        assert model._meta.db_table == table
        assert "deleted_at" in {f.name for f in model._meta.concrete_fields}
    assert {apps.get_model(label) for label in counts.COUNTED} == set(MODELS)


def test_every_counted_table_has_its_triggers(db):
    # A migration that rebuilds a counted table (SQLite does so for most column changes) drops its triggers:
    # this fails until the migration calls counts.install() again.
    assert installed_triggers() == expected_triggers()


def test_uncounted_models_have_no_live_total(org):
    assert live_total(User, org) is None
    assert live_total(OrderTask, org) is None


def test_live_total_is_one_query(org):
    make_order(org)
    with CaptureQueriesContext(connection) as ctx:
        assert live_total(Order, org) == 1
    assert len(ctx.captured_queries) == 1


def test_unfiltered_list_totals_equal_live_totals(api, org, other_org):
    make_one_of_each(org)
    make_one_of_each(org)[Order].soft_delete()
    make_one_of_each(other_org)
    for model, url in LIST_URLS.items():
        response = api.get(url)
        assert response.status_code == 200, response.content
        assert response.json()["meta"]["total"] == live_total(model, org), model.__name__
    assert totals(org) == {"Service": 4, "Order": 1, "Proposal": 2, "Invoice": 2, "Ticket": 2}


# Every kind of write --------------------------------------------------------------------------------------------


def test_rows_made_by_factories_are_counted(org, other_org):
    make_one_of_each(org)
    make_one_of_each(org)
    make_one_of_each(other_org)
    make_order(org, deleted_at=timezone.now())  # born deleted: not live
    assert totals(org) == {"Service": 4, "Order": 2, "Proposal": 2, "Invoice": 2, "Ticket": 2}
    assert totals(other_org) == {"Service": 2, "Order": 1, "Proposal": 1, "Invoice": 1, "Ticket": 1}
    assert_exact(org, other_org)


def test_rows_created_through_the_api_are_counted(api, org, other_org):
    client = factories.make_client(org)
    service = factories.make_service(org)
    bodies = {
        Service: {"name": "Logo", "recurring": 0, "currency": "USD"},
        Order: {"user_id": str(client.pk), "service": "Rush"},
        Proposal: {
            "client_email": "a@example.com", "client_name_f": "A", "client_name_l": "B",
            "items": [{"service_id": str(service.pk), "price": 10}],
        },
        Invoice: {"user_id": str(client.pk), "items": [{"name": "A", "quantity": 1, "amount": 3}]},
        Ticket: {"user_id": str(client.pk), "subject": "Help"},
    }
    for model, body in bodies.items():
        for _ in range(2):
            response = api.post(LIST_URLS[model], body, format="json")
            assert response.status_code == 201, response.content
    assert totals(org) == {"Service": 3, "Order": 2, "Proposal": 2, "Invoice": 2, "Ticket": 2}
    assert totals(other_org) == {"Service": 0, "Order": 0, "Proposal": 0, "Invoice": 0, "Ticket": 0}
    assert_exact(org, other_org)


def test_api_deletes_uncount_the_row(api, org, other_org):
    rows = make_one_of_each(org)
    make_one_of_each(org)
    make_one_of_each(other_org)
    for model, url in DETAIL_URLS.items():
        assert api.delete(url.format(rows[model].pk)).status_code == 204
        assert api.delete(url.format(rows[model].pk)).status_code == 404  # a second delete changes nothing
    assert totals(org) == {"Service": 3, "Order": 1, "Proposal": 2, "Invoice": 1, "Ticket": 1}
    assert_exact(org, other_org)


def test_queryset_soft_delete_uncounts_every_row(org, other_org):
    for _ in range(3):
        make_one_of_each(org)
    make_one_of_each(other_org)
    for model in MODELS:
        model.objects.for_org(org).filter(pk__in=model.objects.for_org(org).values("pk")[:2]).soft_delete()
    assert totals(org) == {"Service": 4, "Order": 1, "Proposal": 1, "Invoice": 1, "Ticket": 1}
    assert_exact(org, other_org)


def test_instance_soft_delete_and_plain_saves(org):
    order = make_order(org)
    make_order(org)
    order.status = 2
    order.save()  # a full save rewrites deleted_at and organization too: still live, still counted once
    assert live_total(Order, org) == 2
    order.soft_delete()
    order.soft_delete()  # already deleted: no second uncount
    assert live_total(Order, org) == 1
    order.note = "edited while deleted"
    order.save()
    assert live_total(Order, org) == 1
    assert_exact(org)


def test_restore_counts_the_row_again(org):
    orders = [make_order(org) for _ in range(3)]
    Order.objects.for_org(org).soft_delete()
    assert live_total(Order, org) == 0
    Order.unscoped.filter(pk__in=[o.pk for o in orders[:2]]).update(deleted_at=None)
    assert live_total(Order, org) == 2
    assert_exact(org)


def test_admin_restore_and_soft_delete_actions(org, other_org):
    browser = staff_browser(org, "counts-staff")
    live, dead = make_order(org), make_order(org, deleted_at=timezone.now())
    make_order(other_org)
    url = reverse("admin:orders_order_changelist")
    response = browser.post(url, {"action": "restore_selected", "_selected_action": [str(dead.pk)]})
    assert response.status_code == 302
    assert live_total(Order, org) == 2
    response = browser.post(url, {"action": "soft_delete_selected", "_selected_action": [str(live.pk), str(dead.pk)]})
    assert response.status_code == 302
    assert live_total(Order, org) == 0
    assert live_total(Order, other_org) == 1
    assert_exact(org, other_org)


def test_bulk_create_counts_every_live_row(org, other_org):
    client, other_client = factories.make_client(org), factories.make_client(other_org)
    now = timezone.now()
    Order.objects.bulk_create(
        [Order(organization=org, user=client, number=f"B{i:05d}", service_name="S") for i in range(5)]
        + [Order(organization=org, user=client, number=f"D{i:05d}", service_name="S", deleted_at=now) for i in range(2)]
        + [Order(organization=other_org, user=other_client, number=f"O{i:05d}", service_name="S") for i in range(3)]
    )
    Service.objects.bulk_create([Service(organization=org, name=f"S{i}", price=Decimal("1.00")) for i in range(4)])
    assert (live_total(Order, org), live_total(Order, other_org), live_total(Service, org)) == (5, 3, 4)
    assert_exact(org, other_org)


def test_moving_rows_to_another_organization_moves_their_count(org, other_org):
    client = factories.make_client(other_org)  # Order.user must stay in the row's organization in real use
    for _ in range(3):
        make_order(org)
    make_order(org, deleted_at=timezone.now())
    make_order(other_org, client)
    Order.unscoped.filter(organization=org).update(organization=other_org)  # the deleted one moves too
    assert (live_total(Order, org), live_total(Order, other_org)) == (0, 4)
    assert_exact(org, other_org)


def test_hard_deletes_uncount_live_rows_only(org, other_org):
    for _ in range(3):
        make_order(org)
    dead = make_order(org, deleted_at=timezone.now())
    make_order(other_org)
    Order.unscoped.filter(pk=dead.pk).delete()
    assert live_total(Order, org) == 3
    Order.unscoped.filter(organization=org).delete()
    assert (live_total(Order, org), live_total(Order, other_org)) == (0, 1)
    assert_exact(org, other_org)


def test_organization_deletion(org):
    doomed = factories.make_org()
    make_one_of_each(doomed)
    make_one_of_each(org)
    with pytest.raises(ProtectedError), transaction.atomic():  # its rows protect it: nothing is deleted
        doomed.delete()
    assert totals(doomed) == {"Service": 2, "Order": 1, "Proposal": 1, "Invoice": 1, "Ticket": 1}
    for model in (Event, Ticket, Invoice, Proposal, Order, Service, ApiToken, User):
        model.unscoped.filter(organization=doomed).delete()
    doomed_id = doomed.pk
    doomed.delete()
    assert not Organization.objects.filter(pk=doomed_id).exists()
    assert totals(Organization(pk=doomed_id)) == {"Service": 0, "Order": 0, "Proposal": 0, "Invoice": 0, "Ticket": 0}
    assert_exact(org)


def test_a_rolled_back_transaction_counts_nothing(org):
    make_order(org)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_order(org)
        make_one_of_each(org)
        Order.objects.for_org(org).soft_delete()
        make_order(org, number="SAME0001")
        make_order(org, number="SAME0001")  # unique per organization: the whole block rolls back
    assert totals(org) == {"Service": 0, "Order": 1, "Proposal": 0, "Invoice": 0, "Ticket": 0}
    assert_exact(org)


def test_updates_that_keep_rows_live_write_no_count_rows(org):
    order = make_order(org)
    before = livecount_rows(Order, org)
    Order.objects.for_org(org).update(status=2, note="x")
    order.save()
    assert livecount_rows(Order, org) == before
    assert live_total(Order, org) == 1


# Backfill -------------------------------------------------------------------------------------------------------


def test_backfill_rebuilds_exact_counts(org, other_org):
    for _ in range(2):
        make_one_of_each(org)
    make_one_of_each(other_org)
    Order.objects.for_org(org).filter(pk=Order.objects.for_org(org).first().pk).soft_delete()
    expected = (totals(org), totals(other_org))
    LiveCount.objects.all().delete()
    assert totals(org)["Order"] == 0
    LiveCount.objects.create(organization_id=org.pk, table="orders_order", n=1000)  # garbage is replaced too
    counts.backfill()
    assert (totals(org), totals(other_org)) == expected
    assert LiveCount.objects.filter(organization_id=org.pk, table="orders_order").count() == 1
    assert_exact(org, other_org)
    make_order(org)  # and the triggers go on from there
    assert_exact(org, other_org)


def test_install_is_idempotent(org):
    make_one_of_each(org)
    fire_deferred_constraint_checks()  # PostgreSQL: no ALTER TABLE while foreign-key checks are pending
    counts.install()
    counts.install()
    assert installed_triggers() == expected_triggers()
    make_order(org)
    assert totals(org)["Order"] == 2
    assert_exact(org)


# PostgreSQL only ------------------------------------------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_compaction_folds_the_delta_rows(org, other_org):
    client = factories.make_client(org)
    statements = 3 * counts.COMPACT_ABOVE
    for i in range(statements):  # one INSERT statement, so one delta row, each
        make_order(org, client)
        assert livecount_rows(Order, org) <= counts.COMPACT_ABOVE + 1
    make_order(other_org)
    assert livecount_rows(Order, org) < statements
    assert live_total(Order, org) == statements
    for order in Order.objects.for_org(org)[: counts.COMPACT_ABOVE + 5]:
        order.soft_delete()
        assert livecount_rows(Order, org) <= counts.COMPACT_ABOVE + 1
    assert live_total(Order, org) == statements - counts.COMPACT_ABOVE - 5
    assert live_total(Order, other_org) == 1
    assert_exact(org, other_org)


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_compaction_of_an_organization_down_to_zero_leaves_no_rows(org):
    client = factories.make_client(org)
    for _ in range(counts.COMPACT_ABOVE):
        make_order(org, client)
    assert livecount_rows(Order, org) == counts.COMPACT_ABOVE
    Order.unscoped.filter(organization=org).delete()  # one statement: the 33rd delta row, then a fold to 0
    assert live_total(Order, org) == 0
    assert livecount_rows(Order, org) == 0  # a sum of 0 keeps no row


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_truncate_clears_the_counts(org, other_org):
    make_one_of_each(org)
    make_one_of_each(other_org)
    fire_deferred_constraint_checks()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE serviceengine_organization CASCADE")  # as tests/perf/test_indexes.py cleans up
    assert not LiveCount.objects.exists()
    assert totals(org) == {"Service": 0, "Order": 0, "Proposal": 0, "Invoice": 0, "Ticket": 0}


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_set_based_seeding_in_replica_mode_is_counted(org, other_org):
    from bench.series import foreign_key_checks_skipped, insert_select

    client = factories.make_client(org)
    with foreign_key_checks_skipped():  # session_replication_role = replica skips ordinary triggers
        inserted = insert_select(
            Order,
            "generate_series(1, 500) AS g",
            {"organization_id": _literal(org.pk), "user_id": _literal(client.pk),
             "number": "'S' || g", "service_name": "'Seeded'",
             "deleted_at": "CASE WHEN g %% 5 = 0 THEN now() END"},
        )
    assert inserted == 500
    assert live_total(Order, org) == 400
    assert_exact(org, other_org)


def _literal(pk) -> str:
    return f"'{pk}'::uuid"


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_and_soft_deletes_stay_exact():
    org, other_org = factories.make_org(), factories.make_org()
    owner = factories.make_team_member(org)
    _token, raw = factories.make_token(org, owner)
    client = factories.make_client(org)
    make_order(other_org)

    def work(i):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        for _ in range(ROUNDS):  # each round: 6 counted statements, 2 more live orders
            ids = []
            for _ in range(3):
                response = api.post("/api/orders", {"user_id": str(client.pk), "service": f"Rush {i}"}, format="json")
                assert response.status_code == 201, response.content
                ids.append(response.json()["id"])
            assert api.delete(f"/api/orders/{ids[0]}").status_code == 204
            with transaction.atomic():  # a restore and a soft delete in one transaction
                Order.unscoped.filter(pk=ids[0]).update(deleted_at=None)
                Order.objects.for_org(org).filter(pk=ids[1]).soft_delete()

    threads, ROUNDS = 20, 4
    run_in_threads(work, threads)
    assert live_total(Order, org) == Order.objects.for_org(org).count() == 2 * ROUNDS * threads
    assert live_total(Order, other_org) == 1
    make_order(org, client)  # the next quiet write folds whatever compactions the race skipped
    assert livecount_rows(Order, org) <= counts.COMPACT_ABOVE + 1
    assert live_total(Order, org) == 2 * ROUNDS * threads + 1


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_compaction_never_waits_for_another():
    """Transaction A folds the rows and stays open; B, which also finds more than COMPACT_ABOVE rows (A's DELETE
    is not committed), must skip its own fold rather than wait for A's row locks."""
    import threading

    org = factories.make_org()
    client = factories.make_client(org)
    for _ in range(counts.COMPACT_ABOVE):  # committed one by one: COMPACT_ABOVE delta rows
        make_order(org, client)
    folded, finished = threading.Event(), threading.Event()

    def transaction_a(_i):
        with transaction.atomic():
            make_order(org, client)  # one row too many: A folds them and keeps the rows locked
            folded.set()
            assert finished.wait(timeout=20)

    thread = threading.Thread(target=run_in_threads, args=(transaction_a, 1))
    thread.start()
    try:
        assert folded.wait(timeout=20)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            make_order(org, client)  # B: would raise "canceling statement due to lock timeout" if it waited
    finally:
        finished.set()
        thread.join(timeout=20)
    assert live_total(Order, org) == Order.objects.for_org(org).count() == counts.COMPACT_ABOVE + 2


def test_recount_command_repairs_lost_counts(org):
    from io import StringIO

    from django.core.management import call_command

    from orders.models import Order
    from serviceengine.perf import counts
    from serviceengine.models import LiveCount
    from tests import factories

    for _ in range(3):
        factories.make_order(org)
    LiveCount.objects.all().delete()
    assert counts.live_total(Order, org) == 0
    out = StringIO()
    call_command("recount", stdout=out)
    assert counts.live_total(Order, org) == 3 and "orders_order" in out.getvalue()


def test_recount_with_triggers_reinstalls_them(transactional_db):
    from django.core.management import call_command

    from orders.models import Order
    from serviceengine.perf import counts
    from tests import factories

    counts.uninstall()
    try:
        org = factories.make_org()
        factories.make_order(org)
        assert counts.live_total(Order, org) == 0  # no triggers: not counted
        call_command("recount", "--triggers")
        factories.make_order(org)
        assert counts.live_total(Order, org) == 2  # recounted, and counted again
    finally:
        counts.install()  # later tests need the triggers whatever happened here


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite rebuilds a table to alter a column")
def test_a_migration_that_rebuilds_a_counted_table_gets_its_triggers_back(transactional_db):
    """A real migration that makes SQLite rebuild `orders_order` drops its triggers; the next `migrate` (its
    post_migrate hook) finds them missing, reinstalls them and recounts, so the list total stays exact."""
    from django.core.management import call_command
    from django.db import migrations, models
    from django.core.management.sql import emit_pre_migrate_signal
    from django.db.migrations.executor import MigrationExecutor

    class Rebuild(migrations.Migration):
        operations = [migrations.AlterField("order", "note", models.TextField(null=True, blank=True, default=""))]

    migration = Rebuild("9999_rebuild_orders", "orders")
    executor = MigrationExecutor(connection)
    state = executor.loader.project_state()
    org = factories.make_org()
    factories.make_order(org)
    after = None
    try:
        emit_pre_migrate_signal(verbosity=0, interactive=False, db=connection.alias)  # as `migrate` does first
        with connection.schema_editor(atomic=True) as editor:
            after = migration.apply(state.clone(), editor)
        assert counts.missing_triggers(connection) == ["orders_order"]  # the rebuild dropped them
        factories.make_order(org)  # written while the triggers are gone: not counted
        assert counts.live_total(Order, org) == 1
        call_command("migrate", verbosity=0)  # nothing to apply; post_migrate verifies the triggers
        assert counts.missing_triggers(connection) == []
        assert counts.missing_usage_triggers(connection) == []  # pre_migrate dropped them, post_migrate is back
        assert counts.live_total(Order, org) == 2  # reinstalled and recounted
        factories.make_order(org)
        assert counts.live_total(Order, org) == 3  # and counting again
    finally:
        if after is not None:
            emit_pre_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
            with connection.schema_editor(atomic=True) as editor:
                migration.unapply(after, editor)
        counts.install()
        counts.install_usage()
