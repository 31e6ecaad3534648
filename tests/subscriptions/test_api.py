"""`/api/subscriptions` (issue 16): shapes, validation, tenancy, transitions, events and query budgets."""
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from events.models import Event
from subscriptions.models import Subscription
from tests import factories
from tests.helpers import assert_constant_queries, assert_detail, assert_envelope, count_queries

from .factories import line, make_subscription

URL = "/api/subscriptions"
KEYS = [
    "id", "client_id", "status", "items", "currency", "interval", "interval_count", "start_date",
    "current_period_start", "current_period_end", "next_invoice_at", "coupon_code", "invoices_count",
    "latest_invoice_id", "canceled_at", "created_at", "updated_at",
]


def today():
    return timezone.now().date()


@pytest.fixture
def client_user(org):
    return factories.make_client(org)


def body(client, **over):
    data = {"client_id": str(client.pk), "interval": "month", "items": [{"name": "Retainer", "price": "100"}]}
    data.update(over)
    return data


# --- shapes -------------------------------------------------------------------------------------------------------


def test_create_answers_the_subscription_object(api, org, client_user):
    service = factories.make_service(org)
    start = today() + timedelta(days=3)
    response = api.post(URL, body(
        client_user, interval="week", interval_count=2, currency="EUR", start_date=start.isoformat(),
        items=[{"service_id": str(service.pk), "name": "Design", "quantity": 2, "price": 12.5},
               {"name": "Hosting", "price": "5"}],
    ), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert list(data) == KEYS
    assert data["client_id"] == str(client_user.pk)
    assert data["status"] == "active"
    assert [(i["service_id"], i["name"], i["quantity"], i["price"]) for i in data["items"]] == [
        (str(service.pk), "Design", 2, "12.50"), (None, "Hosting", 1, "5.00"),
    ]
    assert list(data["items"][0]) == ["id", "service_id", "name", "quantity", "price"]
    assert (data["currency"], data["interval"], data["interval_count"]) == ("EUR", "week", 2)
    assert data["start_date"] == start.isoformat()
    assert data["current_period_start"] is None and data["current_period_end"] is None
    assert data["next_invoice_at"] == f"{start.isoformat()}T00:00:00+00:00"
    assert data["invoices_count"] == 0 and data["latest_invoice_id"] is None
    assert data["coupon_code"] is None and data["canceled_at"] is None
    assert data["created_at"].endswith("+00:00")
    assert api.get(f"{URL}/{data['id']}").json() == data


def test_defaults_are_usd_every_month_from_today(api, client_user):
    data = api.post(URL, body(client_user, start_date=(today() + timedelta(days=1)).isoformat()), format="json").json()
    assert (data["currency"], data["interval_count"]) == ("USD", 1)
    data = api.post(URL, body(client_user), format="json").json()
    assert data["start_date"] == today().isoformat()


def test_list_is_the_envelope_newest_first(api, org, client_user):
    first = make_subscription(org, client=client_user, start_date=today() + timedelta(days=5))
    second = make_subscription(org, client=client_user, start_date=today() + timedelta(days=5))
    response = api.get(URL)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["data"]] == [str(second.pk), str(first.pk)]
    assert response.json()["meta"]["total"] == 2


def test_list_filters_by_status_and_client(api, org, client_user):
    other_client = factories.make_client(org)
    kept = make_subscription(org, client=client_user, start_date=today() + timedelta(days=5))
    make_subscription(org, client=other_client, start_date=today() + timedelta(days=5))
    rows = api.get(URL, {"filters[client_id][$eq]": str(client_user.pk)}).json()["data"]
    assert [row["id"] for row in rows] == [str(kept.pk)]
    api.post(f"{URL}/{kept.pk}/pause")
    rows = api.get(URL, {"filters[status][$eq]": "paused"}).json()["data"]
    assert [row["id"] for row in rows] == [str(kept.pk)]


# --- validation ---------------------------------------------------------------------------------------------------


def test_required_fields(api):
    assert_envelope(api.post(URL, {}, format="json"), 400, {
        "client_id": ["Field required"], "items": ["Field required"], "interval": ["Field required"],
    })


@pytest.mark.parametrize(("field", "value", "message"), [
    ("interval", "day", "Input should be 'week', 'month' or 'year'"),
    ("interval_count", 0, "Input should be greater than or equal to 1"),
    ("interval_count", "x", "Input should be a valid integer, unable to parse string as an integer"),
    ("currency", "usd", "Input should be a three-letter currency code in capitals, e.g. 'USD'"),
    ("start_date", "2026-02-30", "Input should be a valid date"),
    ("start_date", "tomorrow", "Input should be a valid date"),
    ("items", [], "List should have at least 1 item after validation, not 0"),
    ("coupon_code", "no spaces", "String should match pattern '[A-Za-z0-9_-]{1,50}'"),
])
def test_schema_errors_are_400(api, client_user, field, value, message):
    assert_envelope(api.post(URL, body(client_user, **{field: value}), format="json"), 400, {field: [message]})


def test_item_errors_are_keyed_by_index(api, client_user):
    items = [{"name": "ok", "price": "1"}, {"name": "", "price": -1, "quantity": 0}]
    assert_envelope(api.post(URL, body(client_user, items=items), format="json"), 400, {
        "items.1.name": ["String should have at least 1 character"],
        "items.1.quantity": ["Input should be greater than or equal to 1"],
        "items.1.price": ["Input should be greater than or equal to 0"],
    })


@pytest.mark.parametrize(("interval", "count"), [("week", 157), ("month", 37), ("year", 4)])
def test_a_period_is_at_most_three_years(api, client_user, interval, count):
    response = api.post(URL, body(client_user, interval=interval, interval_count=count), format="json")
    limit = count - 1
    assert_envelope(response, 400, {
        "interval_count": [f"Input should be less than or equal to {limit} for interval '{interval}'"],
    })


def test_start_date_may_be_yesterday_but_not_earlier(api, client_user):
    yesterday = today() - timedelta(days=1)
    assert api.post(URL, body(client_user, start_date=yesterday.isoformat()), format="json").status_code == 201
    too_early = (today() - timedelta(days=2)).isoformat()
    assert_envelope(api.post(URL, body(client_user, start_date=too_early), format="json"), 400, {
        "start_date": ["The start date must not be before yesterday (UTC)."],
    })


def test_unknown_client_and_service_are_422(api, client_user):
    assert_envelope(api.post(URL, body(client_user, client_id=str(uuid.uuid4())), format="json"), 422, {
        "client_id": ["The specified client does not exist."],
    })
    items = [{"name": "a", "price": 1}, {"name": "b", "price": 1, "service_id": "not-a-uuid"}]
    assert_envelope(api.post(URL, body(client_user, items=items), format="json"), 422, {
        "items.1.service_id": ["The specified service does not exist."],
    })
    assert not Subscription.unscoped.exists()


def test_unknown_coupon_code_is_400(api, client_user):
    assert_envelope(api.post(URL, body(client_user, coupon_code="NOPE"), format="json"), 400, {
        "coupon_code": ["The coupon code does not exist."],
    })


# --- tenancy ------------------------------------------------------------------------------------------------------


def test_other_organizations_subscription_is_404_everywhere(api, other_org):
    theirs = make_subscription(other_org, start_date=today() + timedelta(days=5))
    before = Subscription.unscoped.get(pk=theirs.pk)
    for method, path, data in [
        ("get", f"{URL}/{theirs.pk}", None),
        ("put", f"{URL}/{theirs.pk}", {"currency": "EUR"}),
        ("post", f"{URL}/{theirs.pk}/pause", None),
        ("post", f"{URL}/{theirs.pk}/resume", None),
        ("post", f"{URL}/{theirs.pk}/cancel", None),
    ]:
        assert_detail(getattr(api, method)(path, data, format="json"), 404, "Not Found")
    assert api.get(URL).json()["data"] == []
    after = Subscription.unscoped.get(pk=theirs.pk)
    assert (after.status, after.currency, after.updated_at) == (before.status, before.currency, before.updated_at)


def test_other_organizations_client_and_service_in_bodies_are_422(api, org, other_org, client_user):
    their_client = factories.make_client(other_org)
    their_service = factories.make_service(other_org)
    assert_envelope(api.post(URL, body(client_user, client_id=str(their_client.pk)), format="json"), 422, {
        "client_id": ["The specified client does not exist."],
    })
    items = [{"name": "x", "price": 1, "service_id": str(their_service.pk)}]
    assert_envelope(api.post(URL, body(client_user, items=items), format="json"), 422, {
        "items.0.service_id": ["The specified service does not exist."],
    })
    mine = make_subscription(org, client=client_user, start_date=today() + timedelta(days=5))
    assert_envelope(api.put(f"{URL}/{mine.pk}", {"client_id": str(their_client.pk)}, format="json"), 422, {
        "client_id": ["The specified client does not exist."],
    })
    assert_envelope(api.put(f"{URL}/{mine.pk}", {"items": items}, format="json"), 422, {
        "items.0.service_id": ["The specified service does not exist."],
    })


def test_malformed_and_unknown_ids_are_404(api):
    assert_detail(api.get(f"{URL}/nope"), 404, "Not Found")
    assert_detail(api.post(f"{URL}/{uuid.uuid4()}/cancel"), 404, "Not Found")


def test_schema_errors_come_before_the_path_id(api):
    assert_envelope(api.put(f"{URL}/{uuid.uuid4()}", {"interval": "day"}, format="json"), 400, {
        "interval": ["Input should be 'week', 'month' or 'year'"],
    })


def test_no_delete_route(api, org):
    subscription = make_subscription(org, start_date=today() + timedelta(days=5))
    assert api.delete(f"{URL}/{subscription.pk}").status_code == 405


# --- update -------------------------------------------------------------------------------------------------------


def test_put_replaces_lines_and_changes_client_currency_and_coupon(api, org, client_user):
    subscription = make_subscription(org, start_date=today() + timedelta(days=5))
    coupon_code = "SPRING10"
    from tests.billing.factories import make_coupon
    make_coupon(org, code=coupon_code, type="percent", amount=10)
    response = api.put(f"{URL}/{subscription.pk}", {
        "client_id": str(client_user.pk), "currency": "GBP", "coupon_code": "spring10",
        "items": [{"name": "New", "quantity": 3, "price": "7"}],
    }, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["client_id"] == str(client_user.pk)
    assert data["currency"] == "GBP"
    assert data["coupon_code"] == "SPRING10"  # the coupon's stored spelling
    assert [(i["name"], i["quantity"], i["price"]) for i in data["items"]] == [("New", 3, "7.00")]
    cleared = api.put(f"{URL}/{subscription.pk}", {"coupon_code": ""}, format="json").json()
    assert cleared["coupon_code"] is None
    assert api.put(f"{URL}/{subscription.pk}", {"currency": None}, format="json").json()["currency"] == "GBP"


def test_put_moves_the_schedule_before_the_first_invoice(api, org):
    subscription = make_subscription(org, start_date=today() + timedelta(days=5))
    start = today() + timedelta(days=9)
    data = api.put(f"{URL}/{subscription.pk}", {
        "interval": "year", "interval_count": 2, "start_date": start.isoformat(),
    }, format="json").json()
    assert (data["interval"], data["interval_count"], data["start_date"]) == ("year", 2, start.isoformat())
    assert data["next_invoice_at"] == f"{start.isoformat()}T00:00:00+00:00"


def test_put_on_a_canceled_subscription_is_400(api, org):
    subscription = make_subscription(org, start_date=today() + timedelta(days=5))
    api.post(f"{URL}/{subscription.pk}/cancel")
    assert_detail(api.put(f"{URL}/{subscription.pk}", {"currency": "EUR"}, format="json"), 400,
                  "Cannot update subscription with status canceled")


# --- transitions --------------------------------------------------------------------------------------------------

TRANSITIONS = [
    # (from, action, to or the 400 detail)
    ("active", "pause", "paused"),
    ("active", "resume", "Cannot resume subscription with status active"),
    ("active", "cancel", "canceled"),
    ("paused", "pause", "Cannot pause subscription with status paused"),
    ("paused", "resume", "active"),
    ("paused", "cancel", "canceled"),
    ("canceled", "pause", "Cannot pause subscription with status canceled"),
    ("canceled", "resume", "Cannot resume subscription with status canceled"),
    ("canceled", "cancel", "Cannot cancel subscription with status canceled"),
]


def put_in(api, subscription, status):
    if status in ("paused", "canceled"):
        assert api.post(f"{URL}/{subscription.pk}/pause").status_code == 200
    if status == "canceled":
        assert api.post(f"{URL}/{subscription.pk}/cancel").status_code == 200


@pytest.mark.parametrize(("start", "action", "outcome"), TRANSITIONS)
def test_transition_table(api, org, start, action, outcome):
    subscription = make_subscription(org, start_date=today() + timedelta(days=5))
    put_in(api, subscription, start)
    before = Subscription.unscoped.get(pk=subscription.pk)
    events = Event.unscoped.count()
    response = api.post(f"{URL}/{subscription.pk}/{action}")
    if outcome.startswith("Cannot"):
        assert_detail(response, 400, outcome)
        after = Subscription.unscoped.get(pk=subscription.pk)
        assert (after.status, after.updated_at) == (before.status, before.updated_at)
        assert Event.unscoped.count() == events
        return
    assert response.status_code == 200, response.content
    data = response.json()
    assert list(data) == KEYS and data["status"] == outcome
    event = Event.unscoped.filter(object_id=subscription.pk).order_by("-created_at").first()
    assert event.type == f"subscription.{ {'pause': 'paused', 'resume': 'resumed', 'cancel': 'canceled'}[action] }"
    assert event.data == data
    assert event.previous_attributes["status"] == start


def test_pause_clears_next_invoice_at_and_cancel_stamps_canceled_at(api, org):
    subscription = make_subscription(org, start_date=today() + timedelta(days=5))
    paused = api.post(f"{URL}/{subscription.pk}/pause").json()
    assert paused["next_invoice_at"] is None
    resumed = api.post(f"{URL}/{subscription.pk}/resume").json()
    assert resumed["next_invoice_at"] == f"{(today() + timedelta(days=5)).isoformat()}T00:00:00+00:00"
    canceled = api.post(f"{URL}/{subscription.pk}/cancel").json()
    assert canceled["next_invoice_at"] is None and canceled["canceled_at"] is not None


# --- events -------------------------------------------------------------------------------------------------------


def test_create_and_update_record_events_with_the_rendered_object(api, org, client_user):
    data = api.post(URL, body(client_user, start_date=(today() + timedelta(days=2)).isoformat()), format="json").json()
    created = Event.unscoped.get(type="subscription.created", object_id=data["id"])
    assert created.data == data and created.object_type == "subscription"
    updated = api.put(f"{URL}/{data['id']}", {"currency": "EUR"}, format="json").json()
    event = Event.unscoped.get(type="subscription.updated", object_id=data["id"])
    assert event.data == updated
    assert event.previous_attributes == {"currency": "USD"}


def test_a_refused_write_records_nothing(api, client_user):
    api.post(URL, body(client_user, client_id=str(uuid.uuid4())), format="json")
    assert not Event.unscoped.filter(type__startswith="subscription.").exists()


# --- the client-delete rule -----------------------------------------------------------------------------------------


def test_a_client_with_a_subscription_cannot_be_deleted(api, org, client_user):
    make_subscription(org, client=client_user, start_date=today() + timedelta(days=5))
    assert_detail(api.delete(f"/api/clients/{client_user.pk}"), 409, "Cannot delete client with existing subscriptions")


# --- query budgets --------------------------------------------------------------------------------------------------

EMBEDS = connection.vendor == "postgresql"  # items come inside their subscription's row (serviceengine/perf/lean.py)


def test_list_queries_are_constant_at_limit_1_and_100(api, org):
    client = factories.make_client(org)
    start = today() + timedelta(days=5)

    def add():
        make_subscription(org, client=client, start_date=start, items=[line(name=f"l{i}") for i in range(3)])

    for _ in range(100):
        add()
    one, sql_one = count_queries(lambda: api.get(URL, {"limit": 1}))
    many, sql_many = count_queries(lambda: api.get(URL, {"limit": 100}))
    assert len(one.json()["data"]) == 1 and len(many.json()["data"]) == 100
    # token, page (its COUNT inside), items (PostgreSQL: inside the page's rows)
    assert len(sql_one) == len(sql_many) == 3 - EMBEDS, "\n".join(sql_many)
    # token, count, page, items
    filtered = {"filters[status][$eq]": "active"}
    _, sql_filtered = count_queries(lambda: api.get(URL, {"limit": 100, **filtered}))
    assert len(sql_filtered) == 4 - EMBEDS, "\n".join(sql_filtered)


def test_retrieve_queries_are_constant(api, org):
    client = factories.make_client(org)
    subscription = make_subscription(org, client=client, start_date=today() + timedelta(days=5))
    url = f"{URL}/{subscription.pk}"
    _, one = count_queries(lambda: api.get(url))
    api.put(url, {"items": [line(name=f"l{i}", price="1") for i in range(50)]}, format="json")
    response, many = count_queries(lambda: api.get(url))
    assert len(response.json()["items"]) == 50
    assert len(one) == len(many) == 3 - EMBEDS, "\n".join(many)  # token, subscription, items (PostgreSQL: inside)


def test_list_budget_with_the_shared_helper(api, org):
    client = factories.make_client(org)
    start = today() + timedelta(days=5)
    budget = 3 - EMBEDS
    assert_constant_queries(api, URL, lambda: make_subscription(org, client=client, start_date=start), budget=budget)
