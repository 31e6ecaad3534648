"""Coupon redemptions under real concurrency (PostgreSQL): of several concurrent last redemptions exactly one
succeeds; the others are refused with a 400 on `coupon_code` and leave no invoice behind. Skipped on SQLite."""
from decimal import Decimal

import pytest
from django.db import connection, transaction

from billing import services
from billing.models import Coupon, Invoice
from serviceengine.core.errors import DomainError
from tests import factories
from tests.billing.factories import make_coupon
from tests.helpers import run_in_threads

THREADS = 6
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: real row locks and concurrent transactions")


@pytest.fixture
def setup():
    org = factories.make_org()
    owner = factories.make_team_member(org)
    _token, raw = factories.make_token(org, owner)
    return org, raw


def test_concurrent_last_redemptions_one_succeeds(setup):
    org, _raw = setup
    coupon = make_coupon(org, code="LAST", max_redemptions=3)
    lines = [{"service_id": None, "total": Decimal("50.00")}]
    services.coupon_apply(organization=org, code="LAST", lines=lines, currency="USD")
    services.coupon_apply(organization=org, code="LAST", lines=lines, currency="USD")  # one left

    def redeem(_i):
        try:
            with transaction.atomic():
                services.coupon_apply(organization=org, code="last", lines=lines, currency="USD")
                import time

                time.sleep(0.2)  # hold the row while the others wait on it
            return "ok"
        except DomainError as exc:
            return (exc.status, exc.field, exc.message)

    results = run_in_threads(redeem, THREADS)
    assert sorted(results, key=str).count("ok") == 1, results
    refusal = (400, "coupon_code", "The coupon has reached its maximum number of redemptions.")
    assert [r for r in results if r != "ok"] == [refusal] * (THREADS - 1)
    assert Coupon.unscoped.get(pk=coupon.pk).times_redeemed == 3


def client_for(raw):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_concurrent_invoices_taking_the_last_redemption_one_is_created(setup):
    org, raw = setup
    coupon = make_coupon(org, code="ONLYONE", max_redemptions=1)
    user = factories.make_client(org)
    body = {"user_id": str(user.pk), "items": [{"name": "Work", "quantity": 1, "amount": 80}], "coupon_code": "onlyone"}
    responses = run_in_threads(lambda _i: client_for(raw).post("/api/invoices", body, format="json"), THREADS)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [400] * (THREADS - 1), [r.content for r in responses]
    for response in responses:
        if response.status_code == 400:
            assert response.json()["errors"] == {
                "coupon_code": ["The coupon has reached its maximum number of redemptions."]}
    assert Invoice.unscoped.filter(organization=org).count() == 1
    invoice = Invoice.unscoped.get(organization=org)
    assert (invoice.coupon_id, invoice.discount, invoice.total) == (coupon.pk, Decimal("10.00"), Decimal("70.00"))
    assert Coupon.unscoped.get(pk=coupon.pk).times_redeemed == 1
