"""Subscriptions bill themselves (issue 16): the first period's invoice at creation, the periodic job issuing each
due period exactly once (re-runs, two workers on PostgreSQL), paused ones skipping, canceled ones stopping."""
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from billing.services import invoice_mark_paid
from catalog.services import service_delete
from events.models import Event
from jobs.periodic import REGISTRY, _load_job_modules
from subscriptions import services
from subscriptions.models import Subscription
from tests import factories
from tests.helpers import run_in_threads

from .factories import line, make_subscription

URL = "/api/subscriptions"


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt_timezone.utc)


def invoices_of(subscription):
    return list(Invoice.unscoped.filter(subscription=subscription).order_by("subscription_period_start"))


def fresh(subscription):
    return Subscription.unscoped.get(pk=subscription.pk)


# --- the first period, at creation ----------------------------------------------------------------------------------


def test_a_subscription_starting_today_issues_and_sends_its_first_invoice_at_once(
    api, org, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}  # jobs at once
    client = factories.make_client(org, email="ada@engines.example.com")
    service = factories.make_service(org)
    body = {
        "client_id": str(client.pk), "interval": "month", "currency": "EUR",
        "items": [{"service_id": str(service.pk), "name": "Design", "quantity": 2, "price": "150"},
                  {"name": "Hosting", "price": "20"}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    today = timezone.now().date()
    (invoice,) = invoices_of(data["id"])
    assert data["invoices_count"] == 1 and data["latest_invoice_id"] == str(invoice.pk)
    assert data["current_period_start"] == today.isoformat()
    next_start = Subscription.unscoped.get(pk=data["id"]).period_start(1)
    assert data["current_period_end"] == next_start.isoformat()
    assert data["next_invoice_at"] == f"{next_start.isoformat()}T00:00:00+00:00"
    shown = api.get(f"/api/invoices/{invoice.pk}").json()
    assert shown["subscription_id"] == data["id"]
    assert shown["client"]["id"] == str(client.pk)
    assert shown["currency"] == "EUR" and shown["status"] == "Unpaid"
    assert [(i["name"], i["quantity"], i["amount"], i["service_id"]) for i in shown["items"]] == [
        ("Design", 2, "150.00", str(service.pk)), ("Hosting", 1, "20.00", None),
    ]
    assert shown["total"] == "320.00"
    assert shown["note"] == f"Subscription period {today.isoformat()} to {next_start.isoformat()}"
    types = list(Event.unscoped.filter(organization=org).order_by("created_at", "id").values_list("type", flat=True))
    assert types[-4:] == ["subscription.created", "invoice.created", "invoice.sent", "subscription.invoice_created"]
    event = Event.unscoped.get(type="subscription.invoice_created")
    assert event.data == data
    assert event.previous_attributes["invoices_count"] == 0
    assert [m.to for m in mail.outbox] == [["ada@engines.example.com"]]  # the invoice link, from a job


def test_a_future_start_issues_nothing_until_its_day(org):
    start = timezone.now().date() + timedelta(days=3)
    subscription = make_subscription(org, start_date=start)
    assert fresh(subscription).invoices_count == 0
    assert services.subscriptions_issue_due(now=at(start) - timedelta(seconds=1)) == 0
    assert services.subscriptions_issue_due(now=at(start, 0, 1)) == 1
    (invoice,) = invoices_of(subscription)
    assert invoice.subscription_period_start == start


def test_other_invoices_show_a_null_subscription_id(api, org):
    from tests.billing.factories import make_invoice

    invoice = make_invoice(org)
    assert api.get(f"/api/invoices/{invoice.pk}").json()["subscription_id"] is None


# --- the periodic job -----------------------------------------------------------------------------------------------


def test_the_job_is_a_periodic_job_of_the_worker():
    _load_job_modules()
    task, interval = REGISTRY["subscriptions.tasks.subscriptions_issue_due"]
    assert interval == timedelta(minutes=1)


def test_the_job_issues_each_due_period_once_and_a_rerun_issues_nothing(org):
    subscription = make_subscription(org)  # period 0 issued at creation
    start = fresh(subscription).start_date
    later = at(start + timedelta(days=70))
    assert services.subscriptions_issue_due(now=later) == 2  # the two period starts passed since (catch-up)
    assert services.subscriptions_issue_due(now=later) == 0
    assert services.subscriptions_issue_due(now=later + timedelta(minutes=5)) == 0
    row = fresh(subscription)
    starts = [invoice.subscription_period_start for invoice in invoices_of(subscription)]
    assert starts == [row.period_start(0), row.period_start(1), row.period_start(2)]
    assert row.invoices_count == 3
    assert (row.current_period_start, row.current_period_end) == (row.period_start(2), row.period_start(3))
    assert row.next_invoice_at == at(row.period_start(3))
    assert row.latest_invoice_id == invoices_of(subscription)[-1].pk
    assert Event.unscoped.filter(type="subscription.invoice_created", object_id=subscription.pk).count() == 3


def test_a_31st_anchor_bills_on_the_last_day_of_short_months_then_on_the_31st(org):
    anchor = date(2031, 1, 31)
    with transaction.atomic():
        subscription = make_subscription(org, start_date=timezone.now().date() + timedelta(days=2))
        Subscription.unscoped.filter(pk=subscription.pk).update(start_date=anchor, next_invoice_at=at(anchor))
    services.subscriptions_issue_due(now=at(date(2031, 5, 1)))
    assert [i.subscription_period_start for i in invoices_of(subscription)] == [
        date(2031, 1, 31), date(2031, 2, 28), date(2031, 3, 31), date(2031, 4, 30),
    ]
    assert fresh(subscription).next_invoice_at == at(date(2031, 5, 31))


def test_period_invoices_take_the_current_lines_and_drop_deleted_services(api, org):
    service = factories.make_service(org)
    subscription = make_subscription(org, items=[line(service_id=str(service.pk), name="Kept name")])
    api.put(f"{URL}/{subscription.pk}", {"items": [
        {"service_id": str(service.pk), "name": "Kept name", "price": "80"}, {"name": "Extra", "price": "5"},
    ]}, format="json")
    service_delete(service=service)
    row = fresh(subscription)
    services.subscriptions_issue_due(now=at(row.period_start(1)))
    latest = invoices_of(subscription)[-1]
    items = list(latest.items.order_by("created_at", "id").values_list("name", "amount", "service_id"))
    assert items == [("Kept name", Decimal("80.00"), None), ("Extra", Decimal("5.00"), None)]
    assert latest.total == Decimal("85.00")


def test_paused_subscriptions_skip_and_resume_with_the_next_period(api, org):
    subscription = make_subscription(org)  # period 0 billed today
    row = fresh(subscription)
    api.post(f"{URL}/{subscription.pk}/pause")
    far = at(row.period_start(2) + timedelta(days=3))
    assert services.subscriptions_issue_due(now=far) == 0
    assert len(invoices_of(subscription)) == 1
    # Resumed during period 2: periods 1 and 2 were skipped; period 2 is current, unbilled; period 3 is next.
    resumed = services.subscription_resume(subscription=row, now=far)
    assert (resumed.current_period_start, resumed.current_period_end) == (row.period_start(2), row.period_start(3))
    assert resumed.next_invoice_at == at(row.period_start(3))
    assert services.subscriptions_issue_due(now=far) == 0
    assert services.subscriptions_issue_due(now=at(row.period_start(3))) == 1
    assert [i.subscription_period_start for i in invoices_of(subscription)] == [row.period_start(0), row.period_start(3)]


def test_resuming_on_a_period_start_bills_that_period_at_once(org):
    subscription = make_subscription(org)
    row = fresh(subscription)
    services.subscription_pause(subscription=row)
    resumed = services.subscription_resume(subscription=row, now=at(row.period_start(1), 9))
    assert resumed.invoices_count == 2 and resumed.current_period_start == row.period_start(1)


def test_a_short_pause_inside_a_period_skips_nothing(org):
    subscription = make_subscription(org)
    row = fresh(subscription)
    services.subscription_pause(subscription=row)
    resumed = services.subscription_resume(subscription=row, now=at(row.period_start(0) + timedelta(days=2)))
    assert resumed.next_invoice_at == at(row.period_start(1))
    assert (resumed.current_period_start, resumed.invoices_count) == (row.period_start(0), 1)


def test_canceled_subscriptions_stop(api, org):
    subscription = make_subscription(org)
    api.post(f"{URL}/{subscription.pk}/cancel")
    assert services.subscriptions_issue_due(now=timezone.now() + timedelta(days=800)) == 0
    assert len(invoices_of(subscription)) == 1


def test_a_failing_subscription_does_not_stop_the_others(org, monkeypatch):
    start = timezone.now().date() + timedelta(days=1)
    broken = make_subscription(org, start_date=start)
    healthy = make_subscription(org, start_date=start)
    real = services._create_period_invoice

    def create(subscription, *args):
        if subscription.pk == broken.pk:
            raise RuntimeError("boom")
        return real(subscription, *args)

    monkeypatch.setattr(services, "_create_period_invoice", create)
    assert services.subscriptions_issue_due(now=at(start)) == 1
    assert len(invoices_of(healthy)) == 1 and not invoices_of(broken)
    assert fresh(broken).next_invoice_at == at(start)  # retried on the next run
    monkeypatch.setattr(services, "_create_period_invoice", real)
    assert services.subscriptions_issue_due(now=at(start)) == 1


def test_an_invoice_that_cannot_be_sent_is_still_issued(org):
    client = factories.make_client(org)
    from serviceengine.models import User

    User.unscoped.filter(pk=client.pk).update(email="")
    subscription = make_subscription(org, client=client)
    (invoice,) = invoices_of(subscription)
    assert invoice.status == InvoiceStatus.UNPAID
    assert not Event.unscoped.filter(type="invoice.sent").exists()


def test_one_invoice_per_subscription_period_is_a_database_rule(org):
    subscription = make_subscription(org)
    (invoice,) = invoices_of(subscription)
    clone = Invoice.unscoped.get(pk=invoice.pk)
    clone.pk, clone.number, clone.number_seq = None, "INV-99999", 99999
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save(force_insert=True)


def test_a_period_that_already_has_its_invoice_is_stepped_over(org):
    subscription = make_subscription(org)
    Subscription.unscoped.filter(pk=subscription.pk).update(next_period=0, next_invoice_at=timezone.now())
    assert services.subscriptions_issue_due() == 0
    row = fresh(subscription)
    assert row.next_period == 1 and row.invoices_count == 1 and len(invoices_of(subscription)) == 1


def test_mark_paid_of_a_period_invoice_creates_no_recurring_invoice_subscription(org):
    from billing.models import Subscription as RecurringInvoiceRecord

    subscription = make_subscription(org)
    (invoice,) = invoices_of(subscription)
    invoice_mark_paid(invoice=invoice)
    assert not RecurringInvoiceRecord.unscoped.exists()  # only `recurring` invoices make those (invoices.md)


# --- two workers at once (PostgreSQL) ---------------------------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: row locks and SKIP LOCKED")
@pytest.mark.django_db(transaction=True)
def test_two_workers_issue_every_due_period_exactly_once(org):
    start = timezone.now().date() + timedelta(days=1)
    client = factories.make_client(org)
    subscriptions = [make_subscription(org, client=client, start_date=start, interval="week") for _ in range(8)]
    now = at(start + timedelta(days=15))  # three weekly periods due for each

    results = run_in_threads(lambda i: services.subscriptions_issue_due(now=now), 2)
    assert sum(results) == 24
    for subscription in subscriptions:
        row = fresh(subscription)
        starts = [i.subscription_period_start for i in invoices_of(subscription)]
        assert starts == [row.period_start(0), row.period_start(1), row.period_start(2)]
        assert row.invoices_count == 3 and row.next_period == 3
    assert run_in_threads(lambda i: services.subscriptions_issue_due(now=now), 2) == [0, 0]  # a re-run: nothing
    assert Event.unscoped.filter(type="subscription.invoice_created").count() == 24


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: row locks")
@pytest.mark.django_db(transaction=True)
def test_the_job_and_a_pause_racing_never_bill_a_paused_subscription(org):
    start = timezone.now().date() + timedelta(days=1)
    subscriptions = [make_subscription(org, start_date=start) for _ in range(6)]
    now = at(start, 1)

    def work(i):
        if i == 0:
            return services.subscriptions_issue_due(now=now)
        for subscription in subscriptions:
            try:
                services.subscription_pause(subscription=subscription)
            except Exception:  # noqa: BLE001 - already paused is fine here
                pass
        return None

    run_in_threads(work, 2)
    for subscription in subscriptions:
        row = fresh(subscription)
        assert row.status == "paused"
        assert row.invoices_count == len(invoices_of(subscription)) <= 1


def test_invoices_filter_by_subscription_id(api, org, other_org):
    from tests.billing.factories import make_invoice

    first, second = make_subscription(org), make_subscription(org)
    make_invoice(org)  # not a period invoice: never matches
    foreign = make_subscription(other_org)
    body = api.get("/api/invoices", {"filters[subscription_id][$eq]": str(first.pk)}).json()
    assert [row["subscription_id"] for row in body["data"]] == [str(first.pk)] and body["meta"]["total"] == 1
    # Another organization's subscription id filters like an unknown one: nothing.
    body = api.get("/api/invoices", {"filters[subscription_id][$eq]": str(foreign.pk)}).json()
    assert body["data"] == [] and body["meta"]["total"] == 0
    body = api.get("/api/invoices", {"filters[subscription_id][$in][]": [str(first.pk), str(second.pk)]}).json()
    assert {row["subscription_id"] for row in body["data"]} == {str(first.pk), str(second.pk)}
