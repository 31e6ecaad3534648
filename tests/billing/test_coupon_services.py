"""`billing.services.coupon_apply` and friends (issue 16): the discount computed from the lines, each reason a
coupon cannot apply (400 on the caller's field), redemption counting and release, subscription period coverage."""
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services
from billing.models import Coupon
from serviceengine.core.errors import DomainError
from tests import factories
from tests.billing.factories import make_coupon

D = Decimal


def line(total, service=None):
    return {"service_id": str(service.pk) if service is not None else None, "total": D(total)}


def apply(coupon, lines, currency="USD", **kw):
    return services.coupon_apply(organization=coupon.organization_id, code=coupon.code.lower(), lines=lines,
                                 currency=currency, **kw)


def refused(call) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


@pytest.mark.parametrize(("kind", "amount", "lines", "expected"), [
    ("percent", "10", ["99.99"], "10.00"),          # 9.999 rounds half up
    ("percent", "12.5", ["0.04"], "0.01"),          # 0.005 rounds half up
    ("percent", "100", ["30", "20.50"], "50.50"),
    ("fixed", "10", ["4", "3"], "7.00"),            # capped at the lines' total
    ("fixed", "10", ["40"], "10.00"),
    ("fixed", "10", ["-5"], "0.00"),                # never negative
])
def test_discount(org, kind, amount, lines, expected):
    coupon = make_coupon(org, type=kind, amount=D(amount))
    _coupon, discount = apply(coupon, [line(t) for t in lines])
    assert discount == D(expected)


def test_discount_only_counts_the_lines_of_its_services(org):
    seo, logo = factories.make_service(org), factories.make_service(org)
    coupon = make_coupon(org, type="percent", amount=D("50"), service_ids=[str(seo.pk)])
    _coupon, discount = apply(coupon, [line("100", seo), line("60", logo), line("40")])
    assert discount == D("50.00")
    assert services.coupon_discount(coupon=coupon, lines=[line("10", logo)]) == D("0.00")


def test_apply_redeems_once_per_call(org):
    coupon = make_coupon(org, max_redemptions=2)
    assert apply(coupon, [line("5")])[0].times_redeemed == 1
    apply(coupon, [line("5")])
    assert Coupon.unscoped.get(pk=coupon.pk).times_redeemed == 2
    error = refused(lambda: apply(coupon, [line("5")]))
    assert (error.status, error.field, error.message) == (
        400, "coupon_code", "The coupon has reached its maximum number of redemptions.")
    assert Coupon.unscoped.get(pk=coupon.pk).times_redeemed == 2


def test_refusal_reasons(org, other_org):
    service = factories.make_service(org)
    expired = make_coupon(org, expires_at=timezone.now() - timedelta(seconds=1))
    euro = make_coupon(org, currency="EUR")
    narrow = make_coupon(org, service_ids=[str(service.pk)])
    theirs = make_coupon(other_org, code="THEIRS")
    deleted = make_coupon(org, code="GONE")
    services.coupon_delete(coupon=deleted)
    cases = [
        (lambda: apply(expired, [line("5")]), "The coupon has expired."),
        (lambda: apply(euro, [line("5")]), "The coupon is for amounts in EUR; this invoice is in USD."),
        (lambda: apply(narrow, [line("5"), line("5", factories.make_service(org))]),
         "The coupon does not apply to any of the items."),
        (lambda: services.coupon_apply(organization=org, code="THEIRS", lines=[line("5")], currency="USD"),
         "The coupon code does not exist."),
        (lambda: services.coupon_apply(organization=org, code="gone", lines=[line("5")], currency="USD"),
         "The coupon code does not exist."),
    ]
    for call, message in cases:
        error = refused(call)
        assert (error.status, error.field, error.message) == (400, "coupon_code", message)
    assert not Coupon.unscoped.filter(times_redeemed__gt=0).exists()
    assert theirs.times_redeemed == 0


def test_a_coupon_id_that_does_not_resolve_is_422_and_reasons_go_on_coupon_id(org, other_org):
    for raw in (str(make_coupon(other_org).pk), str(uuid.uuid4()), "x"):
        error = refused(lambda raw=raw: services.coupon_apply(organization=org, coupon_id=raw, lines=[line("5")],
                                                                currency="USD"))
        assert (error.status, error.field, error.message) == (422, "coupon_id", "The specified coupon does not exist.")
    euro = make_coupon(org, currency="EUR")
    error = refused(lambda: services.coupon_apply(organization=org, coupon_id=str(euro.pk), lines=[line("5")],
                                                  currency="USD"))
    assert (error.status, error.field) == (400, "coupon_id")


def test_an_expiry_in_the_future_applies(org):
    coupon = make_coupon(org, expires_at=timezone.now() + timedelta(minutes=1))
    assert apply(coupon, [line("5")])[1] == D("5.00")


def test_release_gives_a_redemption_back_never_below_zero(org):
    coupon = make_coupon(org, max_redemptions=1)
    apply(coupon, [line("5")])
    services.coupon_release(coupon=coupon)
    services.coupon_release(coupon=coupon)
    assert Coupon.unscoped.get(pk=coupon.pk).times_redeemed == 0
    apply(coupon, [line("5")])  # available again


@pytest.mark.parametrize(("duration", "periods", "covered"), [
    ("once", None, [True, False, False]),
    ("forever", None, [True, True, True]),
    ("repeating", 2, [True, True, False]),
])
def test_covers_period(org, duration, periods, covered):
    coupon = make_coupon(org, duration=duration, duration_in_periods=periods)
    assert [services.coupon_covers_period(coupon, i) for i in range(3)] == covered
