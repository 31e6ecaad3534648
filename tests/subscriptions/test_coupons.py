"""A subscription's coupon (issue 16, clarifications "Parity"): checked like an invoice's when attached, applied and
redeemed when each covered period's invoice is issued (once / repeating / forever), skipped when it no longer
applies."""
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Coupon, Invoice
from subscriptions import services
from subscriptions.models import Subscription
from tests import factories
from tests.billing.factories import make_coupon
from tests.helpers import assert_envelope

from .factories import make_subscription

URL = "/api/subscriptions"


def at(day):
    return datetime(day.year, day.month, day.day, tzinfo=dt_timezone.utc)


def discounts(subscription):
    rows = Invoice.unscoped.filter(subscription=subscription).order_by("subscription_period_start")
    return [(row.discount, row.total, row.coupon_id is not None) for row in rows]


def redeemed(coupon):
    return Coupon.unscoped.get(pk=coupon.pk).times_redeemed


def bill_periods(subscription, count):
    """Run the job up to the start of period `count - 1` (periods 0..count-1 billed)."""
    row = Subscription.unscoped.get(pk=getattr(subscription, "pk", subscription))
    services.subscriptions_issue_due(now=at(row.period_start(count - 1)))


def test_a_forever_coupon_discounts_every_period_and_counts_each_redemption(api, org):
    coupon = make_coupon(org, code="TENOFF", type="percent", amount=Decimal("10"), duration="forever")
    client = factories.make_client(org)
    response = api.post(URL, {"client_id": str(client.pk), "interval": "month", "coupon_code": "tenoff",
                              "items": [{"name": "Retainer", "price": "200"}]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["coupon_code"] == "TENOFF"
    subscription = response.json()["id"]
    assert redeemed(coupon) == 1  # the first period's invoice, issued at creation
    bill_periods(subscription, 3)
    assert discounts(subscription) == [(Decimal("20.00"), Decimal("180.00"), True)] * 3
    assert redeemed(coupon) == 3


@pytest.mark.parametrize(("duration", "periods", "expected"), [
    ("once", None, [True, False, False, False]),
    ("repeating", 2, [True, True, False, False]),
    ("forever", None, [True, True, True, True]),
])
def test_coupon_duration_counts_the_periods_it_discounted(org, duration, periods, expected):
    coupon = make_coupon(org, type="fixed", amount=Decimal("15.00"), currency="USD", duration=duration,
                         duration_in_periods=periods)
    subscription = make_subscription(org, coupon_code=coupon.code)
    bill_periods(subscription, 4)
    assert [applied for _discount, _total, applied in discounts(subscription)] == expected
    assert redeemed(coupon) == sum(expected)


def test_attaching_a_coupon_checks_it_without_redeeming(api, org):
    coupon = make_coupon(org, code="LATER", duration="forever")
    start = timezone.now().date() + timedelta(days=4)
    subscription = make_subscription(org, start_date=start, coupon_code="later")
    assert Subscription.unscoped.get(pk=subscription.pk).coupon_code == "LATER"
    assert redeemed(coupon) == 0
    services.subscriptions_issue_due(now=at(start))
    assert redeemed(coupon) == 1


@pytest.mark.parametrize(("over", "message"), [
    ({"expires_at": timezone.now() - timedelta(days=1)}, "The coupon has expired."),
    ({"currency": "EUR"}, "The coupon is for amounts in EUR; this invoice is in USD."),
    ({"max_redemptions": 1, "times_redeemed": 1}, "The coupon has reached its maximum number of redemptions."),
])
def test_a_coupon_that_cannot_apply_is_400_on_coupon_code(api, org, over, message):
    times = over.pop("times_redeemed", 0)
    coupon = make_coupon(org, code="NOPE1", **over)
    Coupon.unscoped.filter(pk=coupon.pk).update(times_redeemed=times)
    client = factories.make_client(org)
    response = api.post(URL, {"client_id": str(client.pk), "interval": "month", "coupon_code": "NOPE1",
                              "items": [{"name": "Retainer", "price": "200"}]}, format="json")
    assert_envelope(response, 400, {"coupon_code": [message]})
    assert not Subscription.unscoped.exists() and not Invoice.unscoped.exists()


def test_a_coupon_limited_to_services_must_match_a_line(api, org):
    service = factories.make_service(org)
    make_coupon(org, code="SVC", service_ids=[str(service.pk)])
    client = factories.make_client(org)
    body = {"client_id": str(client.pk), "interval": "month", "coupon_code": "SVC",
            "items": [{"name": "Retainer", "price": "200"}]}
    assert_envelope(api.post(URL, body, format="json"), 400, {
        "coupon_code": ["The coupon does not apply to any of the items."],
    })
    body["items"].append({"service_id": str(service.pk), "name": "Design", "price": "50"})
    assert api.post(URL, body, format="json").status_code == 201


def test_put_attaches_and_removes_a_coupon(api, org):
    coupon = make_coupon(org, code="PUTME", duration="forever")
    subscription = make_subscription(org)
    assert api.put(f"{URL}/{subscription.pk}", {"coupon_code": "putme"}, format="json").json()["coupon_code"] == "PUTME"
    assert redeemed(coupon) == 0  # counted when a period invoice is issued
    bill_periods(subscription, 2)
    assert [applied for *_rest, applied in discounts(subscription)] == [False, True]
    api.put(f"{URL}/{subscription.pk}", {"coupon_code": ""}, format="json")
    bill_periods(subscription, 3)
    assert [applied for *_rest, applied in discounts(subscription)] == [False, True, False]


def test_a_coupon_exhausted_since_attached_leaves_the_period_billed_in_full(org):
    coupon = make_coupon(org, code="LAST", duration="forever", max_redemptions=1)
    subscription = make_subscription(org, coupon_code="LAST")  # takes the only redemption
    bill_periods(subscription, 2)
    assert discounts(subscription) == [(Decimal("10.00"), Decimal("90.00"), True), (Decimal("0.00"), Decimal("100.00"), False)]
    assert redeemed(coupon) == 1
