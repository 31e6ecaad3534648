"""`/api/coupons` (issue 16): shapes, validation, case-insensitive codes, terms frozen after a redemption, soft
delete, tenancy (other organizations' ids in paths and bodies), list filters and sorts, query budgets, events."""
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services
from billing.models import Coupon
from events.models import Event
from serviceengine.api.fields import format_datetime
from tests import factories
from tests.billing.factories import make_coupon
from tests.helpers import assert_detail, assert_envelope, count_queries

URL = "/api/coupons"
KEYS = [
    "id", "code", "type", "amount", "currency", "duration", "duration_in_periods", "max_redemptions",
    "times_redeemed", "expires_at", "service_ids", "created_at", "updated_at",
]
PERCENT = {"code": "SPRING25", "type": "percent", "amount": 25}
FIXED = {"code": "TENOFF", "type": "fixed", "amount": "10.5", "currency": "eur"}


def url(coupon):
    return f"{URL}/{coupon if isinstance(coupon, (str, uuid.UUID)) else coupon.pk}"


def redeem(coupon, times=1):
    """Count redemptions as invoices do (the conditional UPDATE of `coupon_apply`)."""
    for _ in range(times):
        services.coupon_apply(
            organization=coupon.organization_id, coupon_id=str(coupon.pk), currency=coupon.currency or "USD",
            lines=[{"service_id": None, "total": Decimal("100.00")}],
        )
    return Coupon.unscoped.get(pk=coupon.pk)


# --- create and shape ------------------------------------------------------------------------------------------


def test_create_percent_coupon_returns_the_object(api, org):
    service = factories.make_service(org)
    expires = timezone.now() + timedelta(days=30)
    response = api.post(
        URL,
        {**PERCENT, "duration": "repeating", "duration_in_periods": 3, "max_redemptions": 50,
         "expires_at": expires.isoformat(), "service_ids": [str(service.pk).upper(), str(service.pk)]},
        format="json",
    )
    assert response.status_code == 201, response.content
    coupon = Coupon.unscoped.get()
    assert coupon.organization_id == org.pk
    assert response.json() == {
        "id": str(coupon.pk),
        "code": "SPRING25",
        "type": "percent",
        "amount": "25.00",
        "currency": None,
        "duration": "repeating",
        "duration_in_periods": 3,
        "max_redemptions": 50,
        "times_redeemed": 0,
        "expires_at": format_datetime(expires),
        "service_ids": [str(service.pk)],  # canonical, duplicates collapsed
        "created_at": format_datetime(coupon.created_at),
        "updated_at": format_datetime(coupon.updated_at),
    }
    assert list(response.json()) == KEYS


def test_create_fixed_coupon_defaults(api):
    data = api.post(URL, FIXED, format="json").json()
    assert (data["amount"], data["currency"], data["duration"], data["duration_in_periods"]) == ("10.50", "EUR", "once", None)
    assert (data["max_redemptions"], data["expires_at"], data["service_ids"], data["times_redeemed"]) == (None, None, [], 0)


def test_create_schema_errors(api):
    response = api.post(
        URL,
        {"code": "no spaces!", "type": "half", "amount": -1, "currency": "EURO", "duration": "weekly",
         "duration_in_periods": 0, "max_redemptions": 0, "expires_at": "soon", "service_ids": "x"},
        format="json",
    )
    assert_envelope(response, 400, {
        "code": ["The code must be 1 to 50 letters, digits, '_' or '-'."],
        "type": ["Input should be 'percent' or 'fixed'"],
        "amount": ["Input should be greater than or equal to 0"],
        "currency": ["The currency must be a three-letter code such as USD."],
        "duration": ["Input should be 'once', 'forever' or 'repeating'"],
        "duration_in_periods": ["Input should be greater than or equal to 1"],
        "max_redemptions": ["Input should be greater than or equal to 1"],
        "expires_at": ["Input should be a valid datetime"],
        "service_ids": ["Input should be a valid list"],
    })
    assert_envelope(api.post(URL, {}, format="json"), 400, {
        "code": ["Field required"], "type": ["Field required"], "amount": ["Field required"],
    })
    assert_envelope(api.post(URL, {**PERCENT, "code": "x" * 51}, format="json"), 400,
                    {"code": ["String should have at most 50 characters"]})
    assert not Coupon.unscoped.exists()


@pytest.mark.parametrize(("body", "field", "message"), [
    ({**PERCENT, "amount": "100.01"}, "amount", "A percent coupon's amount is between 0.01 and 100."),
    ({**PERCENT, "amount": 0}, "amount", "A percent coupon's amount is between 0.01 and 100."),
    ({**FIXED, "amount": "0.00"}, "amount", "A fixed coupon's amount is at least 0.01."),
    ({**PERCENT, "currency": "USD"}, "currency", "A percent coupon has no currency."),
    ({"code": "F", "type": "fixed", "amount": 5}, "currency", "A fixed coupon needs a currency."),
    ({**PERCENT, "duration": "repeating"}, "duration_in_periods", "A repeating coupon needs duration_in_periods."),
    ({**PERCENT, "duration": "forever", "duration_in_periods": 2}, "duration_in_periods",
     "Only repeating coupons have duration_in_periods."),
])
def test_create_rules(api, body, field, message):
    assert_envelope(api.post(URL, body, format="json"), 400, {field: [message]})
    assert not Coupon.unscoped.exists()


def test_percent_bounds_are_inclusive(api):
    assert api.post(URL, {**PERCENT, "amount": 100}, format="json").status_code == 201
    assert api.post(URL, {**PERCENT, "code": "MIN", "amount": "0.01"}, format="json").status_code == 201


def test_code_is_unique_per_organization_ignoring_case(api, org, other_org):
    make_coupon(org, code="Spring25")
    make_coupon(other_org, code="WELCOME")
    assert_envelope(api.post(URL, PERCENT, format="json"), 400, {"code": ["The code has already been taken."]})
    response = api.post(URL, {**PERCENT, "code": "welcome"}, format="json")
    assert response.status_code == 201 and response.json()["code"] == "welcome"  # stored as sent


def test_a_deleted_coupons_code_can_be_reused(api, org):
    old = make_coupon(org, code="REUSE")
    assert api.delete(url(old)).status_code == 204
    assert api.post(URL, {**PERCENT, "code": "reuse"}, format="json").status_code == 201


# --- references: other organizations' services are 422 -------------------------------------------------------


def test_service_ids_must_be_live_services_of_the_organization(api, org, other_org):
    theirs = factories.make_service(other_org)
    deleted = factories.make_service(org)
    deleted.soft_delete()
    mine = factories.make_service(org)
    for bad in (str(theirs.pk), str(deleted.pk), "not-a-uuid", str(uuid.uuid4())):
        response = api.post(URL, {**PERCENT, "service_ids": [str(mine.pk), bad]}, format="json")
        assert_envelope(response, 422, {"service_ids": [f"Service with ID {bad} does not exist."]})
    assert not Coupon.unscoped.exists()
    coupon = make_coupon(org)
    response = api.put(url(coupon), {"service_ids": [str(theirs.pk)]}, format="json")
    assert_envelope(response, 422, {"service_ids": [f"Service with ID {theirs.pk} does not exist."]})
    assert Coupon.unscoped.get(pk=coupon.pk).service_ids == []


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_organizations_coupon_is_404(api, other_org, method):
    coupon = make_coupon(other_org, code="THEIRS")
    response = getattr(api, method)(url(coupon), {"code": "MINE"}, format="json")
    assert_detail(response, 404, "Not Found")
    row = Coupon.unscoped.get(pk=coupon.pk)
    assert (row.code, row.deleted_at) == ("THEIRS", None)


def test_unknown_and_malformed_ids_are_404(api):
    assert_detail(api.get(url(uuid.uuid4())), 404, "Not Found")
    assert_detail(api.get(url("nope")), 404, "Not Found")


def test_put_schema_errors_come_before_404(api):
    assert_envelope(api.put(url(uuid.uuid4()), {"type": "x"}, format="json"), 400,
                    {"type": ["Input should be 'percent' or 'fixed'"]})


# --- update ----------------------------------------------------------------------------------------------------


def test_update_is_partial(api, org):
    coupon = make_coupon(org, code="KEEP", max_redemptions=5)
    data = api.put(url(coupon), {"max_redemptions": None, "expires_at": "2030-01-01"}, format="json").json()
    assert (data["code"], data["amount"], data["currency"]) == ("KEEP", "10.00", "USD")
    assert (data["max_redemptions"], data["expires_at"]) == (None, "2030-01-01T00:00:00+00:00")
    data = api.put(url(coupon), {"code": "keep", "amount": None}, format="json").json()  # own code, other case
    assert (data["code"], data["amount"]) == ("keep", "10.00")


def test_update_switching_type_clears_what_no_longer_applies(api, org):
    coupon = make_coupon(org, duration="repeating", duration_in_periods=2)
    data = api.put(url(coupon), {"type": "percent", "amount": 15, "duration": "forever"}, format="json").json()
    assert (data["type"], data["amount"], data["currency"]) == ("percent", "15.00", None)
    assert (data["duration"], data["duration_in_periods"]) == ("forever", None)
    assert_envelope(api.put(url(coupon), {"type": "fixed"}, format="json"), 400,
                    {"currency": ["A fixed coupon needs a currency."]})


def test_update_code_taken(api, org):
    make_coupon(org, code="TAKEN")
    coupon = make_coupon(org, code="MINE")
    assert_envelope(api.put(url(coupon), {"code": "taken"}, format="json"), 400,
                    {"code": ["The code has already been taken."]})


def test_terms_are_frozen_once_redeemed(api, org):
    coupon = redeem(make_coupon(org, max_redemptions=3), times=2)
    for body, field in (({"amount": 11}, "amount"), ({"type": "percent", "amount": 10}, "type"),
                        ({"duration": "forever"}, "duration"), ({"currency": "EUR"}, "currency"),
                        ({"service_ids": [str(factories.make_service(org).pk)]}, "service_ids")):
        assert_envelope(api.put(url(coupon), body, format="json"), 400,
                        {field: ["Cannot be changed once the coupon has been redeemed."]})
    assert_envelope(api.put(url(coupon), {"max_redemptions": 1}, format="json"), 400,
                    {"max_redemptions": ["Cannot be lower than the redemptions already made (2)."]})
    data = api.put(url(coupon), {"amount": "10.00", "code": "RENAMED", "max_redemptions": 2}, format="json").json()
    assert (data["code"], data["max_redemptions"], data["times_redeemed"]) == ("RENAMED", 2, 2)


def test_times_redeemed_is_read_only(api, org):
    coupon = make_coupon(org)
    data = api.put(url(coupon), {"times_redeemed": 99}, format="json").json()
    assert data["times_redeemed"] == 0


# --- delete ----------------------------------------------------------------------------------------------------


def test_delete_is_soft_and_hides_the_coupon(api, org):
    coupon = make_coupon(org)
    assert api.delete(url(coupon)).status_code == 204
    assert Coupon.unscoped.get(pk=coupon.pk).deleted_at is not None
    assert_detail(api.get(url(coupon)), 404, "Not Found")
    assert_detail(api.delete(url(coupon)), 404, "Not Found")
    assert api.get(URL).json()["meta"]["total"] == 0


# --- list ------------------------------------------------------------------------------------------------------


def test_list_is_scoped_filtered_and_sorted(api, org, other_org):
    make_coupon(org, code="BBB")
    make_coupon(org, code="AAA", type="percent", amount=Decimal("5"))
    make_coupon(other_org, code="CCC")
    body = api.get(URL, {"sort": "code:asc"}).json()
    assert [c["code"] for c in body["data"]] == ["AAA", "BBB"] and body["meta"]["total"] == 2
    body = api.get(URL, {"filters[type][$eq]": "percent"}).json()
    assert [c["code"] for c in body["data"]] == ["AAA"] and body["meta"]["total"] == 1
    body = api.get(URL).json()  # newest first by default
    assert [c["code"] for c in body["data"]] == ["AAA", "BBB"]
    assert [c["code"] for c in api.get(URL, {"search": "bb"}).json()["data"]] == ["BBB"]


def test_list_syncs_by_updated_at(api, org):
    coupon = make_coupon(org, code="OLD")
    Coupon.unscoped.filter(pk=coupon.pk).update(updated_at=timezone.now() - timedelta(days=2))
    make_coupon(org, code="NEW")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    body = api.get(URL, {"filters[updated_at][$gt]": since, "sort": "updated_at:asc"}).json()
    assert [c["code"] for c in body["data"]] == ["NEW"]


def test_list_and_retrieve_query_counts_are_fixed(api, org):
    service = factories.make_service(org)
    now = timezone.now()
    Coupon.all_objects.bulk_create(
        Coupon(organization=org, code=f"BULK{i}", type="percent", amount=Decimal("5"), service_ids=[str(service.pk)],
               created_at=now - timedelta(seconds=i))
        for i in range(120)
    )
    api.get(URL)  # stamps the token's last use, which is then throttled
    one_resp, one = count_queries(lambda: api.get(URL, {"limit": 1}))
    many_resp, many = count_queries(lambda: api.get(URL, {"limit": 100}))
    assert len(one_resp.json()["data"]) == 1 and len(many_resp.json()["data"]) == 100
    assert len(one) == len(many) <= 3, many  # token, count, page
    filtered = {"filters[type][$eq]": "percent"}
    _r1, one = count_queries(lambda: api.get(URL, {"limit": 1, **filtered}))
    _r2, many = count_queries(lambda: api.get(URL, {"limit": 100, **filtered}))
    assert len(one) == len(many) <= 3, many
    coupon = Coupon.unscoped.filter(organization=org).first()
    response, queries = count_queries(lambda: api.get(url(coupon)))
    assert response.status_code == 200 and len(queries) <= 2, queries  # token, coupon


# --- events ----------------------------------------------------------------------------------------------------


def test_every_change_records_its_event(api, org):
    created = api.post(URL, PERCENT, format="json").json()
    updated = api.put(url(created["id"]), {"amount": 30}, format="json").json()
    assert api.delete(url(created["id"])).status_code == 204
    events = list(Event.objects.for_org(org).filter(object_id=created["id"]).order_by("created_at", "id"))
    assert [(e.type, e.object_type) for e in events] == [
        ("coupon.created", "coupon"), ("coupon.updated", "coupon"), ("coupon.deleted", "coupon"),
    ]
    assert events[0].data == created
    assert (events[1].data, events[1].previous_attributes) == (updated, {"amount": "25.00"})
    assert events[2].data == updated


def test_a_refused_change_records_no_event(api, org):
    api.post(URL, {**PERCENT, "amount": 101}, format="json")
    assert not Event.objects.for_org(org).filter(type__startswith="coupon.").exists()
